"""``--rewrite-host OLD=NEW``: the production map is audited against a staging host, and the
records (URLs, targets, Location, canonicals) come back in production terms."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from migrationaudit.demo.server import ScenarioServer
from migrationaudit.models.hops import Hop, HopKind, PageFacts
from migrationaudit.spiders.frontier import map_back
from migrationaudit.web.access import HostRewrite, HostRewriter, parse_rewrites

if TYPE_CHECKING:
    from conftest import CrawlRun


# -- the rewriter -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "url", "staged"),
    [
        (
            "www.old.example=stage.example",
            "https://www.old.example/a?b=1",
            "https://stage.example/a?b=1",
        ),
        (
            "www.old.example=stage.example",
            "http://WWW.old.example:8080/a",
            "http://stage.example:8080/a",
        ),
        (
            "www.old.example=stage.example:8443",
            "https://www.old.example/a",
            "https://stage.example:8443/a",
        ),
        (
            "www.old.example:443=stage.example",
            "https://www.old.example/a",
            "https://stage.example/a",
        ),
        (
            "https://www.old.example=http://127.0.0.1:8080",
            "https://www.old.example/x",
            "http://127.0.0.1:8080/x",
        ),
        (
            "www.old.example=[::1]:8080",
            "http://www.old.example/%7Euser/",
            "http://[::1]:8080/%7Euser/",
        ),
    ],
)
def test_forward_and_back(rule: str, url: str, staged: str) -> None:
    rewriter = HostRewriter([HostRewrite.parse(rule)])
    assert rewriter.forward(url) == staged
    assert rewriter.back(staged) == url.replace("WWW", "www")


def test_urls_on_other_hosts_schemes_and_ports_stay() -> None:
    rewriter = parse_rewrites(
        ["https://www.old.example=https://stage.example", "cdn.example:80=x.example"]
    )
    for url in (
        "http://www.old.example/a",  # the rule names https only
        "https://other.example/a",
        "https://cdn.example/a",  # port 443, the rule names port 80
        "mailto:someone@www.old.example",
        "/relative/path",
        "http://[broken/",
    ):
        assert rewriter.forward(url) == url
        assert rewriter.back(url) == url
    assert rewriter.forward("http://cdn.example/a") == "http://x.example/a"


@pytest.mark.parametrize(
    "bad",
    [
        "nohost",
        "a.example=",
        "=b.example",
        "a.example=b.example/path",
        "ftp://a=ftp://b",
        "https://a.example=b.example",
        "a.example=a.example",
        "a.example=b.example:99999",
    ],
)
def test_bad_rules_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        HostRewrite.parse(bad)


def test_map_back_names_production() -> None:
    rewriter = parse_rewrites(
        ["www.old.example=stage-old.example", "www.new.example=stage-new.example"]
    )
    page = PageFacts(
        canonical="https://stage-new.example/p",
        canonical_header="https://elsewhere.example/p",
        hreflang=(("de", "https://stage-new.example/de/p"),),
        links=("https://stage-new.example/q", "/relative"),
    )
    hop = Hop(
        url="https://www.old.example/a",
        status=301,
        kind=HopKind.HTTP_REDIRECT,
        location="https://stage-new.example/p",
        target="https://stage-new.example/p",
        headers={"location": "https://stage-new.example/p"},
        page=page,
    )
    back = map_back(hop, rewriter)
    assert back.url == "https://www.old.example/a"
    assert back.target == back.location == "https://www.new.example/p"
    assert back.headers["location"] == "https://stage-new.example/p"  # the raw answer stays
    assert back.page is not None
    assert back.page.canonical == "https://www.new.example/p"
    assert back.page.canonical_header == "https://elsewhere.example/p"
    assert back.page.hreflang == (("de", "https://www.new.example/de/p"),)
    assert back.page.links == ("https://www.new.example/q", "/relative")


# -- a crawl against staging ------------------------------------------------------------------

# Only the staging hosts are served: a request that reached a production host would fail.
STAGING_ROUTES = [
    {
        "url": "http://stage-old.example/about",
        "status": 301,
        "location": "https://stage-new.example/about/",
    },
    {"url": "http://stage-old.example/team", "status": 301, "location": "/about"},
    {
        "url": "https://stage-new.example/about/",
        "title": "About",
        "canonical": "https://stage-new.example/about/",
    },
    {
        "url": "http://stage-old.example/leak",
        "status": 302,
        "location": "https://real-cdn.example/x",
    },
    {"url": "https://real-cdn.example/x", "title": "CDN"},
]
REWRITES = (("www.old.example", "stage-old.example"), ("www.new.example", "stage-new.example"))


def test_crawl_against_staging_records_production_terms(
    scenario_server: Callable[..., ScenarioServer], crawl: Callable[..., CrawlRun]
) -> None:
    server = scenario_server(STAGING_ROUTES)
    seeds = [
        "http://www.old.example/about",
        "http://www.old.example/team",
        "http://www.old.example/leak",
    ]
    run = crawl(server, seeds, rewrite_host=REWRITES)
    assert set(run.hops) == {
        "http://www.old.example/about",
        "http://www.old.example/team",
        "http://www.old.example/leak",
        "https://www.new.example/about/",
        "https://real-cdn.example/x",  # a host no rule names stays as it is
    }
    about = run["http://www.old.example/about"]
    assert about.target == about.location == "https://www.new.example/about/"
    assert run["http://www.old.example/team"].target == "http://www.old.example/about"
    final = run["https://www.new.example/about/"]
    assert final.status == 200 and final.page is not None
    assert final.page.canonical == "https://www.new.example/about/"
    assert run.summary.complete and run.summary.finished == 3
    assert {r.host for r in server.requests} == {
        "stage-old.example",
        "stage-new.example",
        "real-cdn.example",
    }
    assert server.count("http://stage-old.example/about") == 1  # fetched once, shared


def test_cli_reports_in_production_terms(
    scenario_server: Callable[..., ScenarioServer], tmp_path: Path
) -> None:
    server = scenario_server(STAGING_ROUTES)
    ca = tmp_path / "ca.pem"
    ca.write_bytes(server.ca_pem)
    mapfile = tmp_path / "map.csv"
    mapfile.write_text(
        "old_url,new_url\n"
        "http://www.old.example/about,https://www.new.example/about/\n"
        "http://www.old.example/team,https://www.new.example/about/\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "migrationaudit.cli",
        "audit",
        "--map",
        str(mapfile),
        "--out",
        str(out),
        "--ca-bundle",
        str(ca),
        "--timeout",
        "3",
        "--format",
        "json",
        "--no-fixes",
    ]
    for old, new in REWRITES:
        cmd += ["--rewrite-host", f"{old}={new}"]
    for entry in server.connect_to():
        cmd += ["--connect-to", entry.spec]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    # one start-up line names both pairs
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("rewriting hosts")]
    assert line == (
        "rewriting hosts (2 pairs): www.old.example is requested on stage-old.example, "
        "www.new.example is requested on stage-new.example; findings name the old hosts"
    )
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert data["run"]["rewrite_host"] == [f"{o}={n}" for o, n in REWRITES]
    verdicts = {v["url"]: v for v in data["verdicts"]}
    about = verdicts["http://www.old.example/about"]
    assert about["final_url"] == "https://www.new.example/about/" and about["target_match"]
    team = verdicts["http://www.old.example/team"]
    assert team["final_url"] == "https://www.new.example/about/" and team["hop_count"] == 2
    assert "redirect-chain" in team["rules"]
    assert not any("stage-" in json.dumps(f) for f in data["findings"])

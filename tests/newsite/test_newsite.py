"""The new site's side for real: scenario servers on 127.0.0.1, the CLI in a subprocess.

What the in-memory corpus (tests/checks/test_corpus.py) cannot show: real gzip transports
(a ``.xml.gz`` file, ``Content-Encoding: gzip``), every URL requested once on the wire whatever
made it interesting, hostile sitemaps that end in a finding within seconds and bounded memory,
the new verdict columns in the written reports, and bad options stopping the run before any
request.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from migrationaudit.demo.cases import case_args
from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import load_site, parse_site

SAMPLES = Path(__file__).resolve().parents[2] / "sample_maps"
N = "https://www.newbrand.example"
OLD = "http://www.oldbrand.example"
MAX_RSS_MB = 600  # the CLI and its crawl child together, bombs included


def run_cli(server: ScenarioServer, out: Path, args: list[str]) -> tuple[int, str, int]:
    """Run ``migrationaudit audit`` against ``server``: (exit code, stderr, peak RSS in MB of
    the CLI and its crawl process, measured in a wrapper so no other child counts)."""
    ca = out.parent / "ca.pem"
    out.parent.mkdir(parents=True, exist_ok=True)
    ca.write_bytes(server.ca_pem)
    cmd = [sys.executable, "-m", "migrationaudit.cli", "audit", "--out", str(out),
           "--timeout", "5", "--retries", "0", "-q", "--ca-bundle", str(ca), *args]  # fmt: skip
    for entry in server.connect_to():
        cmd += ["--connect-to", entry.spec]
    wrapper = (
        "import json, resource, subprocess, sys\n"
        "p = subprocess.run(json.loads(sys.argv[1]), capture_output=True, text=True)\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
        "print(json.dumps([p.returncode, p.stderr, rss]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", wrapper, json.dumps(cmd)], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    code, stderr, rss = json.loads(proc.stdout)
    return int(code), str(stderr), int(rss)


def findings(out: Path) -> dict[str, Any]:
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def newsite(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScenarioServer, Path, int]:
    case = SAMPLES / "newsite"
    out = tmp_path_factory.mktemp("newsite") / "out"
    with ScenarioServer(load_site(case / "site.json")) as server:
        args = ["--map", str(case / "redirects.csv"), *case_args(case)]
        code, stderr, _ = run_cli(server, out, args)
    assert code in (0, 1), stderr
    return server, out, code


def test_every_url_is_requested_once(newsite: tuple[ScenarioServer, Path, int]) -> None:
    server, out, _ = newsite
    counts = Counter(r.url for r in server.requests)
    assert [u for u, n in counts.items() if n > 1] == []
    lines = (out / "run" / "hops.jsonl").read_text(encoding="utf-8").splitlines()
    hops = [json.loads(line)["url"] for line in lines]
    assert len(hops) == len(set(hops)) == len(server.requests)
    # robots.txt, the sitemaps (gzip file, Content-Encoding, text) and what they list
    for url in (f"{N}/robots.txt", f"{OLD}/robots.txt", f"{N}/sitemap-pages.xml.gz",
                f"{N}/sitemap-shop.xml", f"{N}/sitemap-blog.txt", f"{N}/blog/hello/",
                f"{N}/shop/hats/", f"{N}/es/blog/"):  # fmt: skip
        assert server.count(url) == 1, url


def test_gzip_transports_and_text_sitemaps_are_read(
    newsite: tuple[ScenarioServer, Path, int],
) -> None:
    _, out, _ = newsite
    lines = (out / "run" / "site.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    docs = {r["url"]: r for r in records if r["t"] == "sitemap"}
    assert docs[f"{N}/sitemap-pages.xml.gz"]["compressed"] is True  # the file is gzip
    assert docs[f"{N}/sitemap-shop.xml"]["format"] == "urlset"  # inflated in transit
    assert [e["loc"] for e in docs[f"{N}/sitemap-blog.txt"]["entries"]] == [
        f"{N}/blog/",
        f"{N}/blog/hello/",
    ]
    assert docs[f"{N}/sitemap-evil.xml"]["format"] is None
    local = next(u for u in docs if u.endswith("extra-sitemap.xml"))
    assert Path(local).is_absolute()


def test_the_external_entity_is_never_read(newsite: tuple[ScenarioServer, Path, int]) -> None:
    _, out, _ = newsite
    for path in [*out.iterdir(), *(out / "run").iterdir()]:
        if path.is_file():
            assert "root:x:0:0" not in path.read_text(encoding="utf-8", errors="replace"), path


def test_verdict_columns_in_every_output(newsite: tuple[ScenarioServer, Path, int]) -> None:
    _, out, code = newsite
    data = findings(out)
    assert code == (1 if data["summary"]["findings"]["error"] else 0)
    rows = {v["url"]: v for v in data["verdicts"]}
    about = rows[f"{OLD}/about.html"]
    assert [about[k] for k in ("verdict", "indexable", "self_canonical", "in_sitemap",
                               "robots_allowed")] == ["ok", True, True, True, True]  # fmt: skip
    assert rows[f"{OLD}/imprint"]["rules"] == ["old-sitemap-unredirected"]
    with (out / "verdicts.csv").open(encoding="utf-8") as f:
        table = {r["url"]: r for r in csv.DictReader(f)}
    assert {"self_canonical", "in_sitemap", "robots_allowed"} <= set(table[f"{OLD}/shop"])
    assert table[f"{OLD}/shop"]["in_sitemap"] == "True"
    assert "sitemap-invalid" in (out / "report.html").read_text(encoding="utf-8")


LAUGH_PAIRS = list(zip("abcdefg", "bcdefgh", strict=True))  # each entity: 10 of the one before
BOMB_SITE = {
    "routes": [
        {"url": f"{N}/", "title": "Home", "canonical": f"{N}/"},
        {"url": f"{OLD}/", "location": f"{N}/"},
        {"url": f"{N}/robots.txt", "content_type": "text/plain",
         "body": f"Sitemap: {N}/file-bomb.xml.gz\nSitemap: {N}/wire-bomb.xml\n"
                 f"Sitemap: {N}/laughs.xml\nSitemap: {N}/loop.xml\n"},
        {"url": f"{N}/file-bomb.xml.gz", "gzip": "file", "zeros_mb": 200},
        {"url": f"{N}/wire-bomb.xml", "gzip": "encoding", "zeros_mb": 100},
        {"url": f"{N}/laughs.xml", "content_type": "application/xml", "body":
         '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaaaaaaaaaaaa">'
         + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in LAUGH_PAIRS)
         + ']><urlset><url><loc>https://www.newbrand.example/&h;</loc></url></urlset>'},
        {"url": f"{N}/loop.xml", "location": f"{N}/loop-index.xml"},
        {"url": f"{N}/loop-index.xml", "sitemap_index": [f"{N}/loop.xml"]},
    ]
}  # fmt: skip


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, float, int]:
    out = tmp_path_factory.mktemp("bombs") / "out"
    (out.parent / "map.csv").write_text(f"old_url,new_url\n{OLD}/,{N}/\n")
    with ScenarioServer(parse_site(BOMB_SITE)) as server:
        started = time.monotonic()
        code, stderr, rss = run_cli(server, out, ["--map", str(out.parent / "map.csv")])
        elapsed = time.monotonic() - started
    assert code in (0, 1), stderr
    return out, code, elapsed, rss


def test_hostile_sitemaps_end_in_findings_fast_and_small(
    bombs: tuple[Path, int, float, int],
) -> None:
    out, _, elapsed, rss = bombs
    assert elapsed < 45 and rss < MAX_RSS_MB, (elapsed, rss)
    got = {(f["rule"], f["url"]) for f in findings(out)["findings"]}
    assert ("sitemap-too-large", f"{N}/file-bomb.xml.gz") in got
    assert ("sitemap-invalid", f"{N}/file-bomb.xml.gz") in got
    assert ("sitemap-invalid", f"{N}/laughs.xml") in got
    # the index behind a redirect lists the URL that redirects to it: a loop, caught
    loop = next(f for f in findings(out)["findings"] if f["url"] == f"{N}/loop-index.xml")
    assert loop["rule"] == "sitemap-invalid" and "loop" in loop["message"]
    assert ("sitemap-redirect", f"{N}/loop.xml") in got
    # the Content-Encoding bomb is cut by the crawl's inflated-size cap: a finding either way
    assert any(url == f"{N}/wire-bomb.xml" for _, url in got)


def test_a_content_encoding_bomb_is_an_undecodable_sitemap(
    bombs: tuple[Path, int, float, int],
) -> None:
    out, *_ = bombs
    bomb = next(f for f in findings(out)["findings"] if f["url"] == f"{N}/wire-bomb.xml")
    assert bomb["rule"] == "sitemap-invalid" and "could not be decoded" in bomb["message"]


def test_bad_site_options_stop_before_any_request(tmp_path: Path) -> None:
    (tmp_path / "map.csv").write_text(f"old_url,new_url\n{OLD}/,{N}/\n")
    site = parse_site({"routes": [{"url": f"{N}/", "title": "x"}]})
    with ScenarioServer(site) as server:
        code, stderr, _ = run_cli(
            server, tmp_path / "out",
            ["--map", str(tmp_path / "map.csv"), "--sitemap", str(tmp_path / "nope.xml")],
        )  # fmt: skip
        assert code == 2 and "nope.xml: no such sitemap file" in stderr
        assert server.requests == []
        code, stderr, _ = run_cli(
            server, tmp_path / "out2",
            ["--map", str(tmp_path / "map.csv"), "--staging-host", "https://"],
        )  # fmt: skip
        assert code == 2 and "is not a host name" in stderr
        assert server.requests == []


def test_switching_the_new_site_side_off(tmp_path: Path) -> None:
    (tmp_path / "map.csv").write_text(f"old_url,new_url\n{OLD}/,{N}/\n")
    site = parse_site({"routes": [{"url": f"{OLD}/", "location": f"{N}/"},
                                  {"url": f"{N}/", "title": "x"}]})  # fmt: skip
    with ScenarioServer(site) as server:
        code, stderr, _ = run_cli(
            server, tmp_path / "out",
            ["--map", str(tmp_path / "map.csv"), "--no-robots", "--no-sitemap-discovery"],
        )  # fmt: skip
        assert code == 0, stderr
        assert [r.url for r in server.requests] == [f"{OLD}/", f"{N}/"]  # nothing else
    skipped = {s["rule"]: s["reason"] for s in findings(tmp_path / "out")["skipped_rules"]}
    assert skipped["robots-blocked-target"] == "robots.txt not read (--no-robots)"
    assert skipped["sitemap-broken"].startswith("sitemaps not looked for")

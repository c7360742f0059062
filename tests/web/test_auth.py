"""Credentials (``--auth``, ``--header``) reach exactly the origins they are given for, are
never sent to a host a redirect leads to, and never land in the run folder or the reports.
Asserted on the server side: the scenario server logs every request's headers."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from migrationaudit.demo.server import ScenarioServer
from migrationaudit.rundir.job import options_from_dict, options_to_dict
from migrationaudit.settings import CrawlOptions
from migrationaudit.web.access import (
    Secret,
    origin_of,
    parse_auth,
    parse_header,
    parse_origin,
    scope_headers,
)

if TYPE_CHECKING:
    from conftest import CrawlRun

PASSWORD = "pa55-w0rd-XYZZY"
TOKEN = "t0ken-PLUGH-9000"
BASIC = "Basic " + base64.b64encode(f"stager:{PASSWORD}".encode()).decode()

ROUTES = [
    # the staging origin redirects to another host, to itself over http, and to a page
    {"url": "https://staging.example/a", "status": 301, "location": "https://elsewhere.example/b"},
    {"url": "https://elsewhere.example/b", "title": "B"},
    {"url": "https://staging.example/c", "status": 302, "location": "http://staging.example/d"},
    {"url": "http://staging.example/d", "title": "D"},
    {"url": "https://staging.example/e", "status": 301, "location": "/f"},
    {"url": "https://staging.example/f", "title": "F"},
    {"url": "https://staging.example:8443/g", "title": "G"},  # same host, another port
]
SEEDS = ["https://staging.example/a", "https://staging.example/c", "https://staging.example/e"]


# -- parsing and scoping ----------------------------------------------------------------------


def test_parse_auth_and_header() -> None:
    scoped = parse_auth(f"https://staging.example=stager:{PASSWORD}")
    assert (scoped.name, scoped.origin) == ("Authorization", "https://staging.example")
    assert scoped.value.reveal() == BASIC
    plain = parse_auth("me:with:colons=and=equals")  # no origin: the password keeps its ':='
    assert plain.origin is None
    assert (
        plain.value.reveal() == "Basic " + base64.b64encode(b"me:with:colons=and=equals").decode()
    )
    header = parse_header(f"X-Token: {TOKEN}")
    assert (header.name, header.value.reveal(), header.origin) == ("X-Token", TOKEN, None)
    scoped_header = parse_header("http://127.0.0.1:8080=X-A: b=c")
    assert (scoped_header.origin, scoped_header.value.reveal()) == ("http://127.0.0.1:8080", "b=c")
    for bad in ("no-colon", ":nouser", "https://x.example=nouser"):
        with pytest.raises(ValueError):
            parse_auth(bad)
    for bad in ("no colon", "Bad Name: x", "X: a\r\nInjected: 1"):
        with pytest.raises(ValueError):
            parse_header(bad)
    with pytest.raises(ValueError):
        parse_origin("https://x.example/path")


def test_secrets_do_not_show_or_serialise() -> None:
    scoped = parse_auth(f"stager:{PASSWORD}")
    options = CrawlOptions(headers=(scoped, parse_header(f"X-Token: {TOKEN}")))
    for text in (repr(scoped), str(scoped.value), repr(options)):
        assert PASSWORD not in text and TOKEN not in text
    with pytest.raises(TypeError):
        json.dumps({"value": scoped.value})  # a slip fails loudly instead of leaking
    data = options_to_dict(options)
    assert "headers" not in data
    dumped = json.dumps(data)
    assert PASSWORD not in dumped and TOKEN not in dumped
    assert options_from_dict(data).headers == ()
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")


def test_scope_headers_by_origin() -> None:
    seeds = {origin_of("https://staging.example/a"), origin_of("http://old.example/x")}
    scoped = scope_headers(
        [parse_header("X-Any: 1"), parse_auth("https://staging.example:8443=u:p")],
        {o for o in seeds if o is not None},
    )
    assert scoped[("https", "staging.example", 443)] == [("X-Any", "1")]
    assert scoped[("http", "old.example", 80)] == [("X-Any", "1")]
    assert [n for n, _ in scoped[("https", "staging.example", 8443)]] == ["Authorization"]
    assert set(scoped) == {
        ("https", "staging.example", 443),
        ("http", "old.example", 80),
        ("https", "staging.example", 8443),
    }


# -- on the wire ------------------------------------------------------------------------------


def test_credentials_never_follow_a_redirect(
    scenario_server: Callable[..., ScenarioServer], crawl: Callable[..., CrawlRun]
) -> None:
    server = scenario_server(ROUTES)
    headers = (
        parse_auth(f"https://staging.example=stager:{PASSWORD}"),
        parse_header(f"X-Token: {TOKEN}"),  # unscoped: the legacy URLs' origins only
    )
    run = crawl(server, [*SEEDS, "https://staging.example:8443/g"], headers=headers)
    assert run["https://elsewhere.example/b"].status == 200
    assert run["http://staging.example/d"].status == 200

    def sent(url: str) -> dict[str, str]:
        # Matched by scheme, Host header (it carries a non-default port) and path.
        scheme, _, rest = url.partition("://")
        host, _, path = rest.partition("/")
        [request] = [
            r
            for r in server.requests
            if (r.scheme, r.headers["host"], r.path) == (scheme, host, "/" + path)
        ]
        return dict(request.headers)

    for url in ("https://staging.example/a", "https://staging.example/c"):
        assert sent(url)["authorization"] == BASIC
        assert sent(url)["x-token"] == TOKEN
    # A same-origin redirect target gets them too (it is the origin they were given for).
    assert sent("https://staging.example/f")["authorization"] == BASIC
    # Another host, the same host over http, the same host on another port: nothing.
    assert sent("https://staging.example:8443/g")["x-token"] == TOKEN  # a seed's origin...
    assert "authorization" not in sent("https://staging.example:8443/g")  # ...not --auth's
    for url in ("https://elsewhere.example/b", "http://staging.example/d"):
        assert "authorization" not in sent(url), url
        assert "x-token" not in sent(url), url
    _assert_no_secret(run.run_dir)


def _assert_no_secret(folder: Path) -> None:
    token = BASIC.split()[1]
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        for secret in (PASSWORD, TOKEN, token):
            assert secret.encode() not in data, f"{secret} leaked into {path}"


def test_cli_keeps_credentials_out_of_every_file(
    scenario_server: Callable[..., ScenarioServer], tmp_path: Path
) -> None:
    server = scenario_server(ROUTES)
    ca = tmp_path / "ca.pem"
    ca.write_bytes(server.ca_pem)
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(SEEDS) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "migrationaudit.cli",
        "audit",
        "--urls",
        str(urls),
        "--out",
        str(out),
        "--ca-bundle",
        str(ca),
        "--timeout",
        "3",
        "--auth",
        f"https://staging.example=stager:{PASSWORD}",
        "--header",
        f"X-Token: {TOKEN}",
    ]
    for entry in server.connect_to():
        cmd += ["--connect-to", entry.spec]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    # the redirect's target (and, as a host legacy URLs land on, its robots.txt and sitemap)
    # were requested, never with the staging credentials
    elsewhere = [r.headers for r in server.requests if r.host == "elsewhere.example"]
    assert elsewhere and all(h.get("authorization") is None for h in elsewhere)
    assert not any(TOKEN in v for h in elsewhere for v in h.values())
    assert PASSWORD not in proc.stdout + proc.stderr and TOKEN not in proc.stdout + proc.stderr
    _assert_no_secret(out)
    run = json.loads((out / "findings.json").read_text(encoding="utf-8"))["run"]
    assert run["scoped_headers"] == [
        "Authorization (https://staging.example)",
        "X-Token (legacy URL origins)",
    ]

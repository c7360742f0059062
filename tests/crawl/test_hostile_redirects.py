"""Hostile redirects and malformed answers, end to end: a raw-bytes server on 127.0.0.1 sends
every Location form (tests/rawserver.py writes the exact bytes), the CLI audits it in a
subprocess, and a Canary listener must receive nothing.

One audit covers the whole matrix (one crawl, ~2 s); each test then reads its part of the
records (OUT/run/hops.jsonl) and findings.json:

- every relative form, backslash forms, ``http:host``, scheme case, spaces, non-ASCII and IDN,
  tab inside, userinfo, duplicated / missing / empty / huge Location headers;
- non-web schemes (file:, data:, javascript:, ftp:, gopher:) → ``unsafe-redirect-scheme``,
  never requested;
- forms that point outside the audit's scope (``/\\localhost:<canary>/``) must not reach the
  canary (the scope policy of issue 6 records them as offsite hops);
- malformed answers (garbage status line, header without colon, bad chunking, truncated
  body, connection closed mid-headers, HTTP/0.9, a 1xx storm) → one recorded hop each with a
  clear error, no crash, no hang, the run exits normally.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from rawserver import Canary, RawServer, head_bytes, page, raw, redirect, respond

IDN = "xn--bcher-kva.test"  # bücher.test
SECRET = "hunter2"


@dataclass
class Audit:
    proc: subprocess.CompletedProcess[str]
    hops: dict[str, dict[str, Any]]  # url → hop record
    findings: list[dict[str, Any]]
    verdicts: dict[str, dict[str, Any]]
    server: RawServer
    canary: Canary
    base: str

    def hop(self, path: str) -> dict[str, Any]:
        return self.hops[self.base + path]

    def rules(self, path: str) -> set[str]:
        return {f["rule"] for f in self.findings if f["url"] == self.base + path}

    def finding(self, rule: str, path: str) -> dict[str, Any]:
        (f,) = [f for f in self.findings if f["rule"] == rule and f["url"] == self.base + path]
        return f


def _forms(canary: int, port: int) -> dict[str, str | list[str]]:
    """Legacy path → the Location header value(s) it answers with (301)."""
    return {
        "/abs": "/landing",
        "/dir/rel": "sub",
        "/dir/dots": "../landing",
        "/query": "?q=1",
        "/frag": "#top",
        "/scheme-rel": f"//127.0.0.1:{port}/landing",
        "/triple-slash": f"///127.0.0.1:{port}/landing3",
        "/bs-path": f"/\\localhost:{canary}/",
        "/bs-double": f"\\\\localhost:{canary}/x",
        "/bs-scheme": f"http:\\\\localhost:{canary}/",
        "/bs-inner": "/a\\b",
        "/scheme-noslash": "http:landing-ns",
        "/scheme-case": f"HTTP://127.0.0.1:{port}/Case",
        "/space": "/sp ace",
        "/utf8": "/caf\u00e9",
        "/idn": f"http://b\u00fccher.test:{port}/idn-landing",
        "/tab": "/ta\tb",
        "/userinfo": f"http://admin:{SECRET}@127.0.0.1:{port}/ui-landing",
        "/dup-same": ["/landing", "/landing"],
        "/dup-diff": ["/landing", f"http://localhost:{canary}/"],
        "/empty": "",
        "/huge": "/h" + "x" * 60_000,
        "/too-huge": "/h" + "x" * 70_000,
        "/to-file": "file:///etc/passwd",
        "/to-data": "data:text/html,<script>alert(1)</script>",
        "/to-js": "javascript:alert(document.cookie)",
        "/to-ftp": f"ftp://127.0.0.1:{canary}/x",
        "/to-gopher": f"gopher://127.0.0.1:{canary}/_GET%20/%20HTTP/1.0",
    }


MALFORMED: dict[str, bytes] = {
    "/m-garbage-status": b"FOO BAR BAZ\r\nContent-Length: 2\r\n\r\nok",
    "/m-no-colon": b"HTTP/1.1 200 OK\r\nThis header has no colon\r\nContent-Length: 2\r\n\r\nok",
    "/m-bad-chunk": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"ZZ\r\nhello\r\n0\r\n\r\n"
    ),
    "/m-truncated": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n<html>"
    ),
    "/m-mid-headers": b"HTTP/1.1 301 Moved Permanently\r\nLocation: /landing\r\nConte",
    "/m-http09": b"<html><body>HTTP/0.9 style: no status line</body></html>",
    "/m-1xx-storm": b"HTTP/1.1 102 Processing\r\n\r\n" * 2000
    + head_bytes(200, [("Content-Length", "2"), ("Connection", "close")])
    + b"ok",
}


def _serve(server: RawServer, canary: Canary) -> list[str]:
    """Route every case; returns the legacy paths."""
    forms = _forms(canary.port, server.port)
    for path, value in forms.items():
        server.route(path, redirect(value))
    server.route("/missing", respond(301, [("Content-Type", "text/html")], b"moved"))
    server.route("/idn-landing", page(), host=IDN)
    for path, data in MALFORMED.items():
        server.route(path, raw(data))
    return [*forms, "/missing", *MALFORMED]


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Audit]:
    tmp = tmp_path_factory.mktemp("hostile")
    # Every unrouted path is a healthy page: the relative forms land somewhere real.
    with RawServer(default=page()) as server, Canary() as canary:
        paths = _serve(server, canary)
        base = server.base()
        (tmp / "urls.txt").write_text("".join(f"{base}{p}\n" for p in paths), encoding="utf-8")
        out = tmp / "out"
        args = [
            sys.executable,
            "-m",
            "migrationaudit.cli",
            "audit",
            "--urls",
            str(tmp / "urls.txt"),
            "--out",
            str(out),
            "--timeout",
            "3",
            "--retries",
            "0",
            "--no-robots",
            "--no-sitemap-discovery",
            "--no-fixes",
            "-q",
            # the IDN host is named (--resolve makes it explicit), and stays on loopback
            "--resolve",
            f"{IDN}:{server.port}:127.0.0.1",
        ]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
        hops_file = out / "run" / "hops.jsonl"
        records = [json.loads(line) for line in hops_file.read_text(encoding="utf-8").splitlines()]
        data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
        yield Audit(
            proc=proc,
            hops={r["url"]: r for r in records},
            findings=data["findings"],
            verdicts={v["url"]: v for v in data["verdicts"]},
            server=server,
            canary=canary,
            base=base,
        )
        # (records are read; the listeners stop when the module's tests are done)


def test_the_run_ends_normally_with_one_verdict_per_url(audit: Audit) -> None:
    assert audit.proc.returncode == 1, audit.proc.stderr  # errors found: the gate fails
    assert "Traceback" not in audit.proc.stderr
    paths = [*_forms(audit.canary.port, audit.server.port), "/missing", *MALFORMED]
    assert set(audit.verdicts) == {audit.base + p for p in paths}
    assert audit.server.errors == []  # every handler ran to the end


@pytest.mark.parametrize(
    ("path", "target", "ambiguous"),
    [
        ("/abs", "/landing", False),
        ("/dir/rel", "/dir/sub", False),
        ("/dir/dots", "/landing", False),
        ("/query", "/query?q=1", False),
        ("/frag", "/frag", False),  # a redirect to itself: a loop
        ("/scheme-rel", "/landing", False),
        ("/triple-slash", "/landing3", True),
        ("/bs-inner", "/a/b", True),
        ("/scheme-noslash", "/landing-ns", True),
        ("/scheme-case", "/Case", False),
        ("/space", "/sp%20ace", False),
        ("/utf8", "/caf%C3%A9", False),
        ("/tab", "/tab", True),
        ("/userinfo", "/ui-landing", True),
        ("/dup-same", "/landing", False),
        ("/huge", "/h" + "x" * 60_000, False),
    ],
)
def test_relative_and_odd_forms_resolve_like_browsers(
    audit: Audit, path: str, target: str, ambiguous: bool
) -> None:
    h = audit.hop(path)
    assert (h["kind"], h["status"], h["error"]) == ("http-redirect", 301, None)
    assert h["target"] == audit.base + target
    assert ("ambiguity" in h) is ambiguous, h.get("ambiguity")
    assert ("ambiguous-location" in audit.rules(path)) is ambiguous
    assert audit.server.hits(target), target  # requested exactly as browsers send it


def test_the_ambiguity_finding_shows_the_raw_header_and_both_readings(audit: Audit) -> None:
    f = audit.finding("ambiguous-location", "/bs-inner")
    assert f["severity"] == "warning"
    assert 'with Location "/a\\b"' in f["message"]
    assert f"browsers go to {audit.base}/a/b" in f["message"]
    assert f"RFC 3986 reads {audit.base}/a%5Cb" in f["message"]
    assert f["hops"][0]["location"] == "/a\\b"


def test_non_ascii_and_idn_are_sent_encoded(audit: Audit) -> None:
    assert audit.server.hits("/caf%C3%A9")
    idn = audit.hop("/idn")
    assert idn["target"] == f"http://{IDN}:{audit.server.port}/idn-landing"
    assert "ambiguity" not in idn
    (req,) = [r for r in audit.server.hits("/idn-landing")]
    assert req.header("Host") == f"{IDN}:{audit.server.port}"
    assert audit.hops[idn["target"]]["status"] == 200


def test_userinfo_is_never_sent_nor_shown(audit: Audit) -> None:
    every = audit.server.hits() + audit.canary.hits()
    assert [r.target for r in every if r.header("Authorization")] == []
    (req,) = audit.server.hits("/ui-landing")
    assert req.header("Authorization") is None
    h = audit.hop("/userinfo")
    assert h["location"] == f"http://admin:***@127.0.0.1:{audit.server.port}/ui-landing"
    assert "userinfo admin:***@" in h["ambiguity"]
    out = json.dumps([audit.hops, audit.findings])
    assert SECRET not in out


def test_duplicated_missing_empty_and_huge_location_headers(audit: Audit) -> None:
    diff = audit.hop("/dup-diff")
    assert (diff["kind"], diff["target"]) == ("final", None)
    assert diff["error"] == "invalid redirect: 2 different Location headers"
    assert audit.rules("/dup-diff") == {"ambiguous-location", "legacy-url-broken"}
    missing, empty = audit.hop("/missing"), audit.hop("/empty")
    assert missing["error"] == "invalid redirect: no Location header"
    assert empty["error"] == "invalid redirect: empty Location header"
    too_huge = audit.hop("/too-huge")  # a header line over 64 KiB: a protocol error
    assert (too_huge["kind"], too_huge["status"]) == ("network-error", None)
    assert too_huge["error"].startswith("protocol:"), too_huge["error"]


@pytest.mark.parametrize(
    ("path", "scheme"),
    [
        ("/to-file", "file"),
        ("/to-data", "data"),
        ("/to-js", "javascript"),
        ("/to-ftp", "ftp"),
        ("/to-gopher", "gopher"),
    ],
)
def test_non_web_schemes_are_findings_and_never_requested(
    audit: Audit, path: str, scheme: str
) -> None:
    h = audit.hop(path)
    assert h["kind"] == "http-redirect" and h["target"].startswith(f"{scheme}:")
    end = audit.hops[h["target"]]
    assert (end["kind"], end["status"], end["error"]) == (
        "network-error",
        None,
        f"unsupported scheme: {scheme}",
    )
    f = audit.finding("unsafe-redirect-scheme", path)
    assert f["severity"] == "error" and f"({scheme}:)" in f["message"]
    # the chain ends on an error for every client: broken-target reports it too
    assert audit.rules(path) >= {"unsafe-redirect-scheme", "broken-target"}


def test_backslash_forms_follow_the_browser_reading(audit: Audit) -> None:
    canary = f"http://localhost:{audit.canary.port}"
    assert audit.hop("/bs-path")["target"] == f"{canary}/"
    assert audit.hop("/bs-double")["target"] == f"{canary}/x"
    assert audit.hop("/bs-scheme")["target"] == f"{canary}/"
    for path in ("/bs-path", "/bs-double", "/bs-scheme"):
        assert audit.hop(path)["ambiguity"].startswith("backslash"), path
        assert "ambiguous-location" in audit.rules(path)
    # the RFC 3986 reading (a path on the same host) was not requested either
    assert not [r for r in audit.server.hits() if "%5C" in r.target or "\\" in r.target]


def test_out_of_scope_forms_never_reach_the_canary(audit: Audit) -> None:
    # Needs the scope policy (migrationaudit/web/scope.py, spiders/hop.py): localhost is not
    # named in the inputs, so the browser reading of the backslash forms is recorded, not
    # requested. Without the policy the canary receives GET / and GET /x.
    audit.canary.assert_silent()
    for path in ("/bs-path", "/bs-double", "/bs-scheme"):
        target = audit.hops[audit.hop(path)["target"]]
        assert target["kind"] == "offsite", target


# -- malformed answers: one hop each, a clear error, nothing else broken --

MALFORMED_ERRORS = {
    "/m-garbage-status": "protocol: Bad status line",
    "/m-no-colon": "protocol: Invalid header token",
    "/m-bad-chunk": "protocol: Invalid character in chunk size",
    "/m-mid-headers": "connection closed without a response",
    "/m-http09": "protocol: Bad status line",
}


@pytest.mark.parametrize("path", sorted(MALFORMED_ERRORS))
def test_malformed_answers_are_one_hop_with_a_clear_error(audit: Audit, path: str) -> None:
    h = audit.hop(path)
    assert [u for u in audit.hops if u.startswith(audit.base + path)] == [audit.base + path]
    assert (h["kind"], h["status"], h["target"]) == ("network-error", None, None)
    assert h["error"].startswith(MALFORMED_ERRORS[path]), h["error"]
    assert audit.rules(path) == {"legacy-url-broken"}
    assert audit.verdicts[audit.base + path]["verdict"] == "error"


def test_a_truncated_body_keeps_the_answer(audit: Audit) -> None:
    # Content-Length 5000, 6 bytes sent, then the connection closes: the status line and
    # headers are a real answer and are recorded as such, with the body marked "dataloss".
    h = audit.hop("/m-truncated")
    assert (h["kind"], h["status"], h["error"]) == ("final", 200, None)
    assert h["body"] == "dataloss"
    # A whole answer carries no body mark at all.
    assert "body" not in audit.hop("/m-1xx-storm")


def test_a_1xx_storm_ends_on_the_final_answer(audit: Audit) -> None:
    # 2,000 interim "102 Processing" answers before the real one: skipped, no hang.
    h = audit.hop("/m-1xx-storm")
    assert (h["kind"], h["status"], h["error"]) == ("final", 200, None)

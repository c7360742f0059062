"""Access logs written by a real nginx from test traffic, then audited with --access-log: the
logged URLs become legacy URLs, ranked by crawler hits, and the ones still failing are reported
with their hits (legacy-url-still-failing). Both nginx's ``combined`` format and a JSON-lines
``log_format ... escape=json`` are read; a junk request nginx logs is a named malformed line.
Crawler address ranges (--crawler-ranges) decide by nginx's own ``$remote_addr`` (127.0.0.1):
a range holding it verifies the Googlebot requests, Google's own range does not."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from nginxserver import running_nginx

from migrationaudit.inputs.accesslog import read_access_logs
from migrationaudit.inputs.crawlerranges import read_crawler_ranges

GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
RULE = "legacy-url-still-failing"

# The site after launch: one page kept, one moved well, one gone, one moved to nowhere.
LOCATIONS = """
        location = /kept { default_type text/html; return 200 "<html><title>k</title></html>"; }
        location = /moved { return 301 /kept; }
        location = /gone { return 404; }
        location = /broken { return 301 /nowhere; }
        location = /form { return 204; }
        location / { return 404; }
"""
JSON_FORMAT = (
    'log_format jsonlines escape=json \'{"time_iso8601":"$time_iso8601","scheme":"$scheme",'
    '"http_host":"$http_host","remote_addr":"$remote_addr",'
    '"request_uri":"$request_uri","status":"$status","request_method":'
    '"$request_method","http_user_agent":"$http_user_agent"}\';'
)



@contextmanager
def nginx_logging(prefix: Path) -> Iterator[int]:
    """A real nginx on 127.0.0.1 writing ``access.log`` (combined) and ``access.jsonl``."""

    def http_block(port: int) -> str:
        return f"""    {JSON_FORMAT}
    access_log {prefix}/access.log combined;
    access_log {prefix}/access.jsonl jsonlines;
    server {{
        listen 127.0.0.1:{port};
        server_name _;
        {LOCATIONS}
    }}"""

    with running_nginx(prefix, http_block) as port:
        yield port


def request(port: int, path: str, agent: str, method: str = "GET") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers={"User-Agent": agent})
        return conn.getresponse().status
    finally:
        conn.close()


def junk(port: int) -> None:
    """Bytes that are no HTTP request: nginx logs them as a 400 with the junk as $request."""
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.sendall(b"\x16\x03\x01garbage\r\n\r\n")
        s.recv(1024)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The audit of the logs, nginx still up (later audits of this module request it too)."""
    tmp = tmp_path_factory.mktemp("nginxlog")
    with nginx_logging(tmp / "nginx") as port:
        base = f"http://127.0.0.1:{port}"
        traffic = [
            ("/gone", GOOGLEBOT), ("/gone", BROWSER), ("/gone", BROWSER),
            ("/broken", GOOGLEBOT), ("/broken", GOOGLEBOT),
            ("/moved", GOOGLEBOT), ("/moved", BROWSER),
            ("/kept", BROWSER),
        ]  # fmt: skip
        for path, agent in traffic:
            request(port, path, agent)
        assert request(port, "/form", BROWSER, "POST") == 204  # not a page view: not counted
        junk(port)
        written = tmp / "nginx" / "access.log"
        deadline = time.monotonic() + 5  # nginx logs a request once its connection is done
        while len(written.read_bytes().splitlines()) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        # The logs are read as they are now: copy them before the audit's own requests land.
        combined, jsonl = tmp / "access.log", tmp / "access.jsonl"
        shutil.copy(tmp / "nginx" / "access.log", combined)
        shutil.copy(tmp / "nginx" / "access.jsonl", jsonl)
        out = tmp / "out"
        args = [
            sys.executable, "-m", "migrationaudit.cli", "audit",
            "--access-log", str(combined), "--access-log", str(jsonl),
            "--base-url", base, "--out", str(out), "--format", "json",
            "--timeout", "3", "--retries", "0", "--launched", "2000-01-01",
        ]  # fmt: skip
        proc = subprocess.run(args, capture_output=True, text=True, timeout=180)
        data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
        yield base, combined, proc, data


def test_a_re_render_reads_the_logs_again(logged, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, proc, data = logged
    out = Path(data["run"]["run_dir"]).parent
    again = tmp_path / "again"
    args = [sys.executable, "-m", "migrationaudit.cli", "report", str(out), "--out", str(again)]
    rerun = subprocess.run([*args, "--format", "json", "-q"], capture_output=True, text=True)
    assert rerun.returncode == proc.returncode, rerun.stderr
    redone = json.loads((again / "findings.json").read_text(encoding="utf-8"))
    rule = [(f["url"], f["message"]) for f in redone["findings"] if f["rule"] == RULE]
    assert rule == [(f["url"], f["message"]) for f in data["findings"] if f["rule"] == RULE]
    assert len(rule) == 2


def test_still_failing_urls_are_reported_with_their_hits(logged) -> None:  # type: ignore[no-untyped-def]
    base, _, proc, data = logged
    assert proc.returncode in (0, 1), proc.stderr
    got = {f["url"]: f for f in data["findings"] if f["rule"] == RULE}
    assert set(got) == {f"{base}/gone", f"{base}/broken"}
    # each request is in both logs: the combined one and the JSON lines one
    assert got[f"{base}/gone"]["message"] == (
        "requested 6 times since 2000-01-01 in the access logs, 2 by search-engine crawlers; "
        "today it answers 404"
    )
    assert got[f"{base}/broken"]["message"] == (
        "requested 4 times since 2000-01-01 in the access logs, 4 by search-engine crawlers; "
        "today it answers 404 after 1 redirect"
    )
    assert got[f"{base}/gone"]["severity"] == "warning"
    # the summary names the logs (a malformed line by its place only) and the launch
    assert "access logs: 16 requests, 4 URLs, 2 malformed lines (first: " in proc.stderr
    assert "launched 2000-01-01: keep the redirects until at least 2001-01-01" in proc.stderr
    assert "--crawler-ranges" not in proc.stderr  # crawlers by agent alone, as without ranges
    assert "unverified_crawler_requests" not in data["run"]["input"]["access_logs"]
    assert data["run"]["launched"] == {"date": "2000-01-01", "keep_redirects_until": "2001-01-01"}


def test_logged_urls_are_legacy_urls_ranked_by_crawler_hits(logged) -> None:  # type: ignore[no-untyped-def]
    base, combined, _, data = logged
    urls = [v["url"] for v in data["verdicts"]]
    # crawler hits first (broken 4, gone 2, moved 2), then hits (gone 6, moved 4)
    assert urls == [f"{base}/{p}" for p in ("broken", "gone", "moved", "kept")]
    assert f"{base}/form" not in urls  # a POST
    assert data["run"]["input"]["legacy_urls"] == 4
    notes = data["run"]["input"]["access_logs"]
    assert notes["requests"] == 16 and notes["other_methods"] == 2 and notes["urls"] == 4
    assert notes["crawler_requests"] == 8
    assert (notes["requests_since"], notes["undated_requests"]) == (16, 0)  # nginx dates all
    # the junk connection: a 400 line in each log; the combined one cannot be a request
    assert notes["malformed_lines"] == 2
    assert notes["malformed_examples"][0] == (
        rf"{combined}:10: request '\\x16\\x03\\x01garbage' has no method and URL"
    )
    assert notes["malformed_examples"][1].endswith(":10: no request URL")  # the JSON line


def ranges(path: Path, prefix: str) -> Path:
    path.write_text(json.dumps({"creationTime": "x", "prefixes": [{"ipv4Prefix": prefix}]}))
    return path


def test_crawler_ranges_with_nginx_s_client_verify_its_crawlers(logged, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, combined, _, _ = logged
    logs = [combined, combined.with_name("access.jsonl")]
    plain = read_access_logs(logs, base).notes()
    loopback = read_crawler_ranges([ranges(tmp_path / "local.json", "127.0.0.0/8")])
    verified = read_access_logs(logs, base, ranges=loopback).notes()
    # every line of both logs has nginx's client: all 8 Googlebot requests are from inside
    assert verified["crawler_requests"] == plain["crawler_requests"] == 8
    assert verified["unverified_crawler_requests"] == 0
    google = read_crawler_ranges([ranges(tmp_path / "googlebot.json", "66.249.64.0/27")])
    spoofed = read_access_logs(logs, base, ranges=google)
    notes = spoofed.notes()
    assert (notes["crawler_requests"], notes["unverified_crawler_requests"]) == (0, 8)
    assert [(t.url, t.hits) for t in spoofed.ranked()] == [
        (f"{base}/gone", 6), (f"{base}/broken", 4), (f"{base}/moved", 4), (f"{base}/kept", 2),
    ]  # fmt: skip


def test_an_audit_with_google_s_ranges_ranks_by_hits_alone(logged, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, combined, _, _ = logged
    google = ranges(tmp_path / "googlebot.json", "66.249.64.0/27")
    out = tmp_path / "out"
    args = [
        sys.executable, "-m", "migrationaudit.cli", "audit",
        "--access-log", str(combined), "--base-url", base, "--out", str(out),
        "--format", "json", "--timeout", "3", "--retries", "0",
        "--crawler-ranges", str(google),
    ]  # fmt: skip
    proc = subprocess.run(args, capture_output=True, text=True, timeout=180)
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    # without ranges: broken (2 crawler hits) first; with them, hits alone: gone (3) first
    assert [v["url"] for v in data["verdicts"]] == [
        f"{base}/{p}" for p in ("gone", "broken", "moved", "kept")
    ]
    notes = data["run"]["input"]["access_logs"]
    assert (notes["crawler_requests"], notes["unverified_crawler_requests"]) == (0, 4)
    assert notes["crawler_ranges"] == [str(google)]
    assert (
        "access logs: 0 crawler requests from --crawler-ranges addresses, 4 with a crawler agent "
        "from elsewhere (not counted as crawlers)"
    ) in proc.stderr
    failing = {f["url"]: f["message"] for f in data["findings"] if f["rule"] == RULE}
    assert failing[f"{base}/gone"] == "requested 3 times in the access logs; today it answers 404"
    # a re-render reads the logs again with the same ranges
    again = tmp_path / "again"
    rerun = subprocess.run(
        [sys.executable, "-m", "migrationaudit.cli", "report", str(out), "--out", str(again),
         "--format", "json", "-q"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert rerun.returncode == proc.returncode, rerun.stderr
    redone = json.loads((again / "findings.json").read_text(encoding="utf-8"))
    assert {f["url"]: f["message"] for f in redone["findings"] if f["rule"] == RULE} == failing

"""Access logs written by a real nginx from test traffic, then audited with --access-log: the
logged URLs become legacy URLs, ranked by crawler hits, and the ones still failing are reported
with their hits (legacy-url-still-failing). Both nginx's ``combined`` format and a JSON-lines
``log_format ... escape=json`` are read; a junk request nginx logs is a named malformed line."""

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
    '"http_host":"$http_host",'
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
    return base, combined, proc, json.loads((out / "findings.json").read_text(encoding="utf-8"))


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

"""TLS verification against real TLS servers on 127.0.0.1: the scenario server (its throwaway
CA) and a server whose certificate is made here with trustme (expired, or for another host).

Verification is on by default; ``ca_bundle`` adds a private CA; ``verify_tls=False``
(``--insecure``) turns it off and the run says so."""

from __future__ import annotations

import datetime
import json
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import trustme

from migrationaudit.demo.server import ScenarioServer
from migrationaudit.models.hops import HopKind
from migrationaudit.settings import ConnectTo

if TYPE_CHECKING:
    from conftest import CrawlRun

GOOD = "https://good.example/"
WRONG_HOST = "https://wrong.example/"  # served by the scenario, but not in its certificate
EXPIRED = "https://expired.example/"
VERIFY_FAILED = "tls: certificate verify failed: "


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b"<title>expired</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def other_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def expired_server(other_ca: trustme.CA) -> Iterator[int]:
    """An HTTPS server whose certificate (for expired.example) expired yesterday."""
    now = datetime.datetime.now(datetime.UTC)
    cert = other_ca.issue_cert(
        "expired.example",
        not_before=now - datetime.timedelta(days=30),
        not_after=now - datetime.timedelta(days=1),
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def site() -> Iterator[ScenarioServer]:
    routes = [{"url": GOOD, "title": "Good"}]
    with ScenarioServer(parse(routes)) as server:
        yield server


def parse(routes: list[dict[str, Any]]) -> Any:
    from migrationaudit.demo.site import parse_site

    return parse_site({"routes": routes})


def _extra(site: ScenarioServer, expired_port: int) -> list[ConnectTo]:
    return [
        ConnectTo("wrong.example", 443, "127.0.0.1", site.https_port),
        ConnectTo("expired.example", 443, "127.0.0.1", expired_port),
    ]


def _bundle(tmp: Path, *pems: bytes) -> str:
    path = tmp / "bundle.pem"
    path.write_bytes(b"".join(pems))
    return str(path)


SEEDS = [GOOD, WRONG_HOST, EXPIRED]


def test_verified_by_default_with_the_ca_bundle(
    site: ScenarioServer,
    expired_server: int,
    other_ca: trustme.CA,
    crawl: Callable[..., CrawlRun],
    tmp_path: Path,
) -> None:
    bundle = _bundle(tmp_path, site.ca_pem, other_ca.cert_pem.bytes())
    run = crawl(site, SEEDS, ca_bundle=bundle, extra_connect_to=_extra(site, expired_server))
    assert run[GOOD].status == 200 and run[GOOD].page and run[GOOD].page.title == "Good"
    wrong, expired = run[WRONG_HOST], run[EXPIRED]
    for hop in (wrong, expired):
        assert hop.kind is HopKind.NETWORK_ERROR and hop.status is None
        assert hop.error is not None and hop.error.startswith(VERIFY_FAILED), hop.error
    assert "hostname mismatch" in (wrong.error or "").lower()
    assert "expired" in (expired.error or "").lower()


def test_untrusted_ca_fails_without_the_bundle(
    site: ScenarioServer, expired_server: int, crawl: Callable[..., CrawlRun], tmp_path: Path
) -> None:
    # A bundle holding an unrelated CA: the scenario's own CA is not trusted.
    unrelated = trustme.CA().cert_pem.bytes()
    run = crawl(site, [GOOD], ca_bundle=_bundle(tmp_path, unrelated))
    hop = run[GOOD]
    assert hop.kind is HopKind.NETWORK_ERROR
    assert hop.error is not None and hop.error.startswith(VERIFY_FAILED), hop.error
    assert site.count(GOOD) == 1  # no retry: a certificate does not fix itself


def test_insecure_accepts_every_certificate(
    site: ScenarioServer, expired_server: int, crawl: Callable[..., CrawlRun]
) -> None:
    run = crawl(
        site,
        SEEDS,
        ca_bundle=None,
        verify_tls=False,
        extra_connect_to=_extra(site, expired_server),
    )
    assert [run[u].status for u in SEEDS] == [200, 404, 200]  # wrong.example has no route
    assert all(run[u].error is None for u in SEEDS)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "migrationaudit.cli", "audit", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_cli_insecure_is_reported(site: ScenarioServer, tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(GOOD + "\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["--urls", str(urls), "--out", str(out), "--format", "json", "--no-fixes"]
    for entry in site.connect_to():
        args += ["--connect-to", entry.spec]
    proc = _cli(*args, "--insecure", "--timeout", "3")
    assert proc.returncode == 0, proc.stderr
    assert "TLS certificates are not verified" in proc.stderr
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert data["run"]["tls"] == {"verify": False, "ca_bundle": None}
    assert data["verdicts"][0]["final_status"] == 200


def test_cli_rejects_a_bad_ca_bundle(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(GOOD + "\n", encoding="utf-8")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n", encoding="utf-8")
    proc = _cli("--urls", str(urls), "--out", str(tmp_path / "out"), "--ca-bundle", str(junk))
    assert proc.returncode == 2
    assert "cannot load CA bundle" in proc.stderr and "Traceback" not in proc.stderr
    missing = _cli("--urls", str(urls), "--ca-bundle", str(tmp_path / "nope.pem"))
    assert missing.returncode == 2 and "nope.pem" in missing.stderr

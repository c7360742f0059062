"""The scenario site server: routes, 404s, reset, delays, HTTPS with SNI, site files."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from migrationaudit.demo.render import render_page
from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import Route, Site, load_site, parse_site
from migrationaudit.errors import InputError
from migrationaudit.settings import ConnectTo

SAMPLES = Path(__file__).resolve().parent.parent / "sample_maps"

ServerFactory = Callable[..., ScenarioServer]


def get(
    server: ScenarioServer, url: str, method: str = "GET"
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Request ``url`` the way the crawler does: the socket goes to the server's listener,
    while the Host header, SNI and certificate check keep the URL's host."""
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    name = host.split(":")[0]
    conn: http.client.HTTPConnection
    if scheme == "https":
        ctx = ssl.create_default_context(cadata=server.ca_pem.decode())
        conn = http.client.HTTPSConnection(name, server.https_port, context=ctx, timeout=5)
        port = server.https_port
    else:
        conn = http.client.HTTPConnection(name, server.http_port, timeout=5)
        port = server.http_port
    conn._create_connection = lambda *a, **k: socket.create_connection(  # type: ignore[attr-defined]
        ("127.0.0.1", port), timeout=5
    )
    try:
        conn.request(method, "/" + path, headers={"Host": host})
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def test_routes_redirects_and_generated_pages(scenario_server: ServerFactory) -> None:
    server = scenario_server(
        [
            {"url": "http://old.example/a?x=1", "status": 301, "location": "/b"},
            {
                "url": "http://old.example/b",
                "title": "B <&>",
                "canonical": "https://new.example/b",
                "robots": "noindex",
                "refresh": "0; url=/c",
                "headers": {"Link": ["<https://new.example/b>; rel=canonical", "</n>; rel=next"]},
            },
        ]
    )
    status, headers, body = get(server, "http://old.example/a?x=1")
    assert status == 301 and ("Location", "/b") in headers
    status, headers, body = get(server, "http://OLD.example:80/b")
    assert status == 200
    assert [v for k, v in headers if k == "Link"] == [
        "<https://new.example/b>; rel=canonical",
        "</n>; rel=next",
    ]
    assert ("Content-Type", "text/html; charset=utf-8") in headers
    page = body.decode()
    assert "<title>B &lt;&amp;&gt;</title>" in page
    assert '<link rel="canonical" href="https://new.example/b">' in page
    assert '<meta name="robots" content="noindex">' in page
    assert '<meta http-equiv="refresh" content="0; url=/c">' in page
    assert server.requests[0].url == "http://old.example/a?x=1"
    assert server.requests[1].host == "old.example"


def test_query_must_match_exactly_and_unknown_routes_are_404(
    scenario_server: ServerFactory,
) -> None:
    server = scenario_server([{"url": "http://old.example/a?x=1", "title": "A"}])
    assert get(server, "http://old.example/a?x=1")[0] == 200
    assert get(server, "http://old.example/a")[0] == 404
    assert get(server, "http://old.example/a?x=2")[0] == 404
    assert get(server, "https://old.example/a?x=1")[0] == 404  # other scheme
    status, _, body = get(server, "http://other.example/a?x=1")
    assert status == 404 and b"404 Not Found" in body


def test_raw_body_content_type_and_head(scenario_server: ServerFactory) -> None:
    server = scenario_server(
        [
            {
                "url": "http://x.example/doc",
                "body": '{"a": 1}',
                "content_type": "application/json",
                "status": 410,
            }
        ]
    )
    status, headers, body = get(server, "http://x.example/doc")
    assert (status, body) == (410, b'{"a": 1}')
    assert ("Content-Type", "application/json") in headers
    status, headers, body = get(server, "http://x.example/doc", method="HEAD")
    assert (status, body) == (410, b"")
    assert ("Content-Length", "8") in headers


def test_fail_times_then_normal_answer(scenario_server: ServerFactory) -> None:
    server = scenario_server(
        [{"url": "http://x.example/f", "fail_times": 2, "fail_status": 502, "title": "ok"}]
    )
    assert [get(server, "http://x.example/f")[0] for _ in range(3)] == [502, 502, 200]
    assert server.count("http://x.example/f") == 3


def test_reset_closes_without_a_response(scenario_server: ServerFactory) -> None:
    server = scenario_server([{"url": "http://x.example/r", "action": "reset"}])
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        get(server, "http://x.example/r")
    assert server.count("http://x.example/r") == 1


def test_delay_and_a_prompt_stop(scenario_server: ServerFactory) -> None:
    server = scenario_server(
        [
            {"url": "http://x.example/slow", "delay": 0.3},
            {"url": "http://x.example/stuck", "delay": 60},
        ]
    )
    started = time.monotonic()
    assert get(server, "http://x.example/slow")[0] == 200
    assert time.monotonic() - started >= 0.3
    sock = socket.create_connection(("127.0.0.1", server.http_port))
    sock.sendall(b"GET /stuck HTTP/1.1\r\nHost: x.example\r\n\r\n")
    time.sleep(0.1)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5
    sock.settimeout(5)
    assert sock.recv(100) == b""  # closed without an answer
    sock.close()


def test_https_with_sni_and_a_certificate_for_every_host(scenario_server: ServerFactory) -> None:
    server = scenario_server(
        [
            {"url": "https://new.example/", "title": "New"},
            {"url": "https://www.other.example/p", "title": "Other"},
        ]
    )
    status, _, body = get(server, "https://new.example/")
    assert status == 200 and b"<title>New</title>" in body
    assert get(server, "https://www.other.example/p")[0] == 200
    assert [(r.scheme, r.host, r.sni) for r in server.requests] == [
        ("https", "new.example", "new.example"),
        ("https", "www.other.example", "www.other.example"),
    ]
    assert server.ca_pem.startswith(b"-----BEGIN CERTIFICATE-----")
    # a host the certificate does not name fails verification
    with pytest.raises(ssl.SSLCertVerificationError):
        get(server, "https://unknown.example/")


def test_connect_to_entries(scenario_server: ServerFactory) -> None:
    server = scenario_server(
        [
            {"url": "http://a.example/", "title": "A"},
            {"url": "https://b.example:8443/", "title": "B"},
        ],
        dead_hosts=["dead.example"],
    )
    entries = set(server.connect_to())
    http_p, https_p, dead_p = server.http_port, server.https_port, server.dead_port
    assert entries == {
        ConnectTo("a.example", 80, "127.0.0.1", http_p),
        ConnectTo("a.example", 443, "127.0.0.1", https_p),
        ConnectTo("b.example", 80, "127.0.0.1", http_p),
        ConnectTo("b.example", 443, "127.0.0.1", https_p),
        ConnectTo("b.example", 8443, "127.0.0.1", https_p),
        ConnectTo("dead.example", 80, "127.0.0.1", dead_p),
        ConnectTo("dead.example", 443, "127.0.0.1", dead_p),
    }
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", dead_p), timeout=2)


def test_context_manager_frees_the_ports() -> None:
    site = Site(routes=(Route(url="http://a.example/"),))
    with ScenarioServer(site) as server:
        port = server.http_port
        assert get(server, "http://a.example/")[0] == 200
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_render_page_defaults_to_the_status_phrase() -> None:
    page = render_page(Route(url="http://a.example/", status=503), 503)
    assert "<title>503 Service Unavailable</title>" in page
    assert "canonical" not in page and "robots" not in page


# -- site files ---------------------------------------------------------------------------------


def test_sample_sites_load() -> None:
    for site_file in sorted(SAMPLES.glob("*/site.json")):
        site = load_site(site_file)
        assert site.routes, site_file


def test_load_site_fields(tmp_path: Path) -> None:
    path = tmp_path / "site.json"
    data = {
        "description": "d",
        "dead_hosts": ["Gone.Example"],
        "routes": [
            {"url": "http://a.example/x", "location": "/y"},
            {"url": "http://a.example/y", "headers": {"X-A": "1"}, "delay": 0.5},
        ],
    }
    path.write_text(json.dumps(data))
    site = load_site(path)
    assert site.description == "d" and site.dead_hosts == ("gone.example",)
    assert site.routes[0].status == 301  # a location without a status is a 301
    assert site.routes[1] == Route(
        url="http://a.example/y", headers=(("X-A", "1"),), delay=0.5, status=200
    )
    assert site.hosts == ("a.example",)


def test_load_site_bad_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "site.json"
    path.write_text('{"routes": [\n  {"url": "http://a.example/",}\n]}')
    with pytest.raises(InputError) as info:
        load_site(path)
    assert info.value.file == str(path) and info.value.line == 2
    with pytest.raises(InputError, match="cannot read"):
        load_site(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        ({"routes": {}}, '"routes" must be a list'),
        ({"routs": []}, "unknown site field"),
        ({"routes": [{"url": "/relative"}]}, "absolute http"),
        ({"routes": [{"url": "http://a.example/", "stauts": 200}]}, "unknown field"),
        ({"routes": [{"url": "http://a.example/", "status": 99}]}, "HTTP status"),
        ({"routes": [{"url": "http://a.example/", "status": "301"}]}, "HTTP status"),
        ({"routes": [{"url": "http://a.example/", "action": "explode"}]}, "unknown action"),
        ({"routes": [{"url": "http://a.example/", "delay": -1}]}, "delay"),
        ({"routes": [{"url": "http://a.example/", "headers": {"X": 1}}]}, "header 'X'"),
        ({"routes": [{"url": "http://a.example/", "title": 5}]}, "'title' must be a string"),
        ({"routes": [{"url": "http://A.example/"}, {"url": "http://a.example:81/"}]}, "duplicate"),
        ({"dead_hosts": "x.example"}, "dead_hosts"),
    ],
)
def test_parse_site_rejects_bad_definitions(data: object, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_site(data, source="s.json")
    assert "s.json" in str(info.value)


def test_module_serves_until_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "site.json"
    path.write_text(json.dumps({"routes": [{"url": "http://a.example/", "title": "A"}]}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrationaudit.demo", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
        port = int(lines[0].rsplit(":", 1)[1])
        assert lines[2].strip() == "connect-to entries:"
        assert lines[3].strip() == f"a.example:80:127.0.0.1:{port}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/", headers={"Host": "a.example"})
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        proc.send_signal(2)  # SIGINT, as Ctrl-C
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


# -- the new site's side: links, hreflang, sitemaps, gzip, redirected variants ------------------


def test_links_hreflang_and_sitemaps_are_rendered(scenario_server: ServerFactory) -> None:
    n = "https://n.test"
    server = scenario_server(
        [
            {"url": f"{n}/", "links": ["/a", "https://x.test/?q=<b>"],
             "hreflang": {"de": f"{n}/de/"}},
            {"url": f"{n}/s.xml", "sitemap": [f"{n}/", {"loc": f"{n}/a?x=1&y=2",
                                                       "alternates": {"de": f"{n}/de/a"}}]},
            {"url": f"{n}/i.xml", "sitemap_index": [f"{n}/s.xml"]},
        ]
    )  # fmt: skip
    _, _, body = get(server, f"{n}/")
    page = body.decode()
    assert '<a href="/a">' in page and 'href="https://x.test/?q=&lt;b&gt;"' in page
    assert '<link rel="alternate" hreflang="de" href="https://n.test/de/">' in page
    status, headers, body = get(server, f"{n}/s.xml")
    assert status == 200 and dict(headers)["Content-Type"] == "application/xml"
    from migrationaudit.inputs.sitemaps import parse_sitemap

    doc = parse_sitemap(body, "s")
    assert [e.loc for e in doc.entries] == [f"{n}/", f"{n}/a?x=1&y=2"]
    assert doc.entries[1].alternates == (("de", f"{n}/de/a"),)
    assert parse_sitemap(get(server, f"{n}/i.xml")[2], "i").is_index


def test_gzip_as_file_and_as_content_encoding(scenario_server: ServerFactory) -> None:
    import gzip

    server = scenario_server(
        [
            {"url": "http://n.test/f.xml.gz", "gzip": "file", "sitemap": ["http://n.test/"]},
            {"url": "http://n.test/e.xml", "gzip": "encoding", "body": "<urlset/>",
             "content_type": "application/xml"},
            {"url": "http://n.test/bomb", "gzip": "file", "zeros_mb": 3},
        ]
    )  # fmt: skip
    _, headers, body = get(server, "http://n.test/f.xml.gz")
    assert dict(headers)["Content-Type"] == "application/x-gzip"
    assert "Content-Encoding" not in dict(headers) and b"<urlset" in gzip.decompress(body)
    _, headers, body = get(server, "http://n.test/e.xml")
    assert dict(headers)["Content-Encoding"] == "gzip" and gzip.decompress(body) == b"<urlset/>"
    _, _, body = get(server, "http://n.test/bomb")
    assert len(body) < 20_000 and gzip.decompress(body) == b"\0" * 3 * 1024 * 1024


def test_redirected_variants(scenario_server: ServerFactory) -> None:
    site = parse_site(
        {
            "redirect_variants": True,
            "routes": [
                {"url": "http://www.o.test/a", "location": "https://n.test/a/"},
                {"url": "https://n.test/a/", "title": "A"},
                {"url": "https://n.test/gone", "status": 410},
            ],
        }
    )
    assert set(site.served_hosts) == {"www.o.test", "o.test", "n.test", "www.n.test"}
    server = scenario_server(site=site)
    # a variant of a redirect answers the same redirect: one hop to the same place
    for url in ("https://www.o.test/a", "http://o.test/a/", "https://o.test/a"):
        status, headers, _ = get(server, url)
        assert (status, dict(headers)["Location"]) == (301, "https://n.test/a/"), url
    # a variant of a page is sent to the page; a variant of an error answers the error
    status, headers, _ = get(server, "http://www.n.test/a")
    assert (status, dict(headers)["Location"]) == (301, "https://n.test/a/")
    assert get(server, "https://n.test/gone/")[0] == 410
    assert get(server, "https://n.test/other")[0] == 404
    hosts = {e.host for e in server.connect_to()}
    assert {"o.test", "www.n.test"} <= hosts


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ({"links": "/a"}, "'links' must be a list of strings"),
        ({"hreflang": ["de"]}, "'hreflang' must be an object of strings"),
        ({"sitemap": [3]}, "a sitemap entry must be a URL or {loc, alternates}"),
        ({"sitemap": "x"}, "'sitemap' must be a list"),
        ({"gzip": "zip"}, "'gzip' must be"),
        ({"zeros_mb": -1}, "'zeros_mb' must be an integer"),
    ],
)
def test_new_route_fields_are_validated(route: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_site({"routes": [{"url": "http://n.test/", **route}]})
    with pytest.raises(InputError, match="redirect_variants"):
        parse_site({"redirect_variants": "yes", "routes": []})

"""Spider logic on hand-built Scrapy responses: classification, page facts, the frontier,
retries, error mapping. No network."""

from __future__ import annotations

import asyncio
import errno
import gzip
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from twisted.python.failure import Failure

from migrationaudit.models.hops import Hop, HopKind
from migrationaudit.rundir.layout import HOPS_FILE
from migrationaudit.settings import ConnectTo
from migrationaudit.spiders.classify import hop_from_response
from migrationaudit.spiders.errors import HopDownloadError, describe_error
from migrationaudit.spiders.extract import (
    kept_headers,
    link_canonical,
    page_facts,
    parse_refresh,
    resolve_target,
    strip_fragment,
    unfetchable_reason,
)
from migrationaudit.spiders.frontier import Frontier
from migrationaudit.spiders.hop import HopSpider
from migrationaudit.spiders.middlewares import LenientHttpCompressionMiddleware
from migrationaudit.spiders.resolver import (
    ConnectToResolver,
    connect_to_setting,
    parse_connect_to_setting,
)

URL = "http://old.example/dir/page"


def html(body: str, url: str = URL, status: int = 200, **headers: str) -> HtmlResponse:
    hdrs = {"Content-Type": "text/html; charset=utf-8", **headers}
    return HtmlResponse(url, status=status, headers=hdrs, body=body.encode("utf-8"))


def redirect(status: int, location: str | None, url: str = URL) -> Response:
    headers = {"Location": location} if location is not None else {}
    return Response(url, status=status, headers=headers)


# -- classification ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_target_is_resolved_and_fragment_dropped(status: int) -> None:
    hop = hop_from_response(redirect(status, "../new/place?q=1#frag"), URL)
    assert hop.kind is HopKind.HTTP_REDIRECT
    assert hop.status == status
    assert hop.location == "../new/place?q=1#frag"
    assert hop.target == "http://old.example/new/place?q=1"
    assert hop.page is None
    assert hop.headers == {"location": "../new/place?q=1#frag"}


def test_redirect_to_another_host_and_protocol_relative() -> None:
    assert hop_from_response(redirect(301, "//cdn.example/x"), URL).target == (
        "http://cdn.example/x"
    )
    assert hop_from_response(redirect(301, " https://new.example/ "), URL).target == (
        "https://new.example/"
    )


def test_redirect_without_location_is_final_with_error() -> None:
    hop = hop_from_response(redirect(302, None), URL)
    assert (hop.kind, hop.target) == (HopKind.FINAL, None)
    assert hop.error == "invalid redirect: no Location header"
    empty = hop_from_response(redirect(301, "  "), URL)
    assert empty.kind is HopKind.FINAL and empty.error == "invalid redirect: empty Location header"


def test_unparsable_location_is_final_with_error() -> None:
    hop = hop_from_response(redirect(301, "http://[broken/"), URL)
    assert hop.kind is HopKind.FINAL
    assert hop.error == "invalid redirect: unparsable Location header"
    assert hop.location == "http://[broken/"


def test_non_ascii_location_is_decoded_as_utf8() -> None:
    response = Response(URL, status=301, headers={"Location": "/caf\u00e9".encode()})
    # As browsers request it: UTF-8, percent-encoded (latin-1 would give %C3%83%C2%A9).
    assert hop_from_response(response, URL).target == "http://old.example/caf%C3%A9"


def test_plain_page_is_final_with_facts() -> None:
    hop = hop_from_response(html("<title>Hi</title>"), URL)
    assert (hop.kind, hop.status, hop.target) == (HopKind.FINAL, 200, None)
    assert hop.page is not None and hop.page.title == "Hi"


def test_error_statuses_are_final_answers() -> None:
    hop = hop_from_response(html("<title>Not here</title>", status=404), URL)
    assert (hop.kind, hop.status, hop.error) == (HopKind.FINAL, 404, None)
    assert hop.page is not None and hop.page.title == "Not here"


def test_meta_refresh_to_another_url() -> None:
    page = '<head><meta http-equiv="Refresh" content="0; URL=\'/next#x\'"></head>'
    hop = hop_from_response(html(page), URL)
    assert hop.kind is HopKind.META_REFRESH
    assert hop.target == "http://old.example/next"
    assert hop.page is not None and hop.page.meta_refresh == "0; URL='/next#x'"


def test_meta_refresh_to_itself_or_without_url_is_final() -> None:
    assert hop_from_response(html('<meta http-equiv=refresh content="5">'), URL).kind is (
        HopKind.FINAL
    )
    own = html('<meta http-equiv=refresh content="0; url=page#top">')
    assert hop_from_response(own, URL).kind is HopKind.FINAL


def test_refresh_header_counts_like_meta_refresh() -> None:
    response = TextResponse(
        URL, headers={"Refresh": "3;url=https://new.example/", "Content-Type": "text/plain"}
    )
    hop = hop_from_response(response, URL)
    assert (hop.kind, hop.target) == (HopKind.META_REFRESH, "https://new.example/")
    assert hop.headers["refresh"] == "3;url=https://new.example/"


def test_refresh_to_a_non_http_url_is_still_a_refresh() -> None:
    hop = hop_from_response(html('<meta http-equiv=refresh content="0;url=javascript:go()">'), URL)
    assert (hop.kind, hop.target) == (HopKind.META_REFRESH, "javascript:go()")


# -- page facts -------------------------------------------------------------------------------


def test_page_facts_from_head_and_headers() -> None:
    page = """<!DOCTYPE html><html><head>
      <title>
         A   page
      </title>
      <base href="https://new.example/base/">
      <link rel="alternate stylesheet" href="/s.css">
      <link rel="Canonical" href="canon">
      <link rel="canonical" href="/second-ignored">
      <meta name="ROBOTS" content="noindex, nofollow">
      <meta name="googlebot" content="noarchive">
      <meta name="description" content="x">
    </head><body><link rel=canonical href="/in-body-ignored"></body></html>"""
    response = html(
        page,
        **{"X-Robots-Tag": "noindex", "Link": '</hdr>; rel="canonical", </n>; rel=next'},
    )
    facts = page_facts(response, URL)
    assert facts.title == "A page"
    assert facts.canonical == "https://new.example/base/canon"
    assert facts.canonical_header == "http://old.example/hdr"
    assert facts.meta_robots == "noindex, nofollow, noarchive"
    assert facts.x_robots_tag == "noindex"
    assert facts.content_type == "text/html; charset=utf-8"
    assert facts.meta_refresh is None
    assert facts.noindex


def test_multiple_header_values_are_joined() -> None:
    response = Response(
        URL,
        headers=[
            ("X-Robots-Tag", "noindex"),
            ("X-Robots-Tag", "googlebot: nofollow"),
            ("Via", "1.1 a"),
            ("Set-Cookie", "s=1"),
        ],
    )
    assert kept_headers(response) == {
        "x-robots-tag": "noindex, googlebot: nofollow",
        "via": "1.1 a",
    }


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00\xff\xfe garbage \x89PNG",
        b"<html><head><title>unclosed",
        b"<<<>>><meta name=robots content=>",
        b'<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
        b"<head><title>XHTML</title></head></html>",
    ],
)
def test_junk_html_never_breaks_the_record(body: bytes) -> None:
    response = HtmlResponse(URL, headers={"Content-Type": "text/html"}, body=body)
    hop = hop_from_response(response, URL)
    assert hop.kind is HopKind.FINAL and hop.page is not None
    assert hop.page.content_type == "text/html"
    if b"XHTML" in body:
        assert hop.page.title == "XHTML"


def test_non_html_gets_header_facts_only() -> None:
    response = Response(
        URL,
        headers={
            "Content-Type": "application/pdf",
            "X-Robots-Tag": "noindex",
            "Link": '<https://new.example/doc.pdf>; rel="canonical"',
        },
        body=b"%PDF<title>not a title</title>",
    )
    facts = page_facts(response, URL)
    assert facts.content_type == "application/pdf"
    assert facts.title is None
    assert facts.x_robots_tag == "noindex"
    assert facts.canonical_header == "https://new.example/doc.pdf"


def test_link_header_canonical_parsing() -> None:
    assert link_canonical(['<a>; rel="alternate canonical"'], URL) == "http://old.example/dir/a"
    assert link_canonical(["<https://x.example/>; rel=canonical"], URL) == "https://x.example/"
    assert link_canonical(['<https://x.example/>; rel="next"'], URL) is None
    assert link_canonical([], URL) is None


# -- pure helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("0; url=/b", (0.0, "/b")),
        ("0;URL='http://x.example/a b'", (0.0, "http://x.example/a b")),
        ('5, url="/c"', (5.0, "/c")),
        ("3", (3.0, None)),
        ("1.5; /d", (1.0, "/d")),
        ("0; urlish", (0.0, "urlish")),
        (" 10 ;  url = /e ", (10.0, "/e")),
        ("url=/f", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_refresh(content: str | None, expected: tuple[float, str | None] | None) -> None:
    assert parse_refresh(content) == expected


def test_resolve_target() -> None:
    assert resolve_target(URL, "/x#y") == "http://old.example/x"
    assert resolve_target(URL, "\t/a\nb ") == "http://old.example/ab"
    assert resolve_target(URL, "") is None
    assert resolve_target(URL, None) is None
    assert resolve_target(URL, "mailto:a@b.example") == "mailto:a@b.example"
    assert strip_fragment(" http://a.example/#x ") == "http://a.example/"


def test_unfetchable_reason() -> None:
    assert unfetchable_reason("https://a.example/") is None
    assert unfetchable_reason("ftp://a.example/f") == "unsupported scheme: ftp"
    assert unfetchable_reason("data:text/html,hi") == "unsupported scheme: data"
    assert unfetchable_reason("www.example.com/x") == "invalid URL: no scheme"
    assert unfetchable_reason("http:///nohost") == "invalid URL: no host"


# -- the frontier -----------------------------------------------------------------------------


def test_frontier_fetches_each_url_once() -> None:
    f = Frontier(max_hops=10)
    assert f.reach("a", 0) == ["a"]
    assert f.reach("a", 0) == []
    assert f.done("a", "b") == ["b"]
    assert f.done("b", "a") == []  # loop: a was fetched already
    assert f.reach("c", 0) == ["c"]
    assert f.done("c", "b") == []  # shared hop


def test_frontier_hop_limit() -> None:
    f = Frontier(max_hops=2)
    f.reach("u0", 0)
    assert f.done("u0", "u1") == ["u1"]
    assert f.done("u1", "u2") == ["u2"]
    assert f.done("u2", "u3") == []  # depth 3 > max_hops
    assert "u3" not in f.depth


def test_frontier_propagates_a_lower_depth_to_a_cut_off_tail() -> None:
    f = Frontier(max_hops=2)
    f.reach("l0", 0)
    f.done("l0", "l1")
    f.done("l1", "t1")  # t1 at depth 2
    assert f.done("t1", "t2") == []  # t2 at depth 3: cut off
    assert f.reach("s0", 0) == ["s0"]
    assert f.done("s0", "t1") == ["t2"]  # t1 now at depth 1 → t2 at 2
    assert f.depth["t1"] == 1 and f.depth["t2"] == 2


def test_frontier_lowered_depth_of_an_in_flight_url_is_used_when_it_answers() -> None:
    f = Frontier(max_hops=1)
    f.reach("a", 0)
    f.done("a", "x")  # x in flight at depth 1
    f.reach("x", 0)  # now also a seed
    assert f.done("x", "y") == ["y"]  # y at depth 1, not 2


def test_frontier_propagation_through_a_loop_terminates() -> None:
    f = Frontier(max_hops=5)
    f.reach("a", 3)
    f.done("a", "b")
    f.done("b", "a")
    assert f.reach("b", 0) == []
    assert f.depth == {"a": 1, "b": 0}


# -- the spider callbacks ---------------------------------------------------------------------


@pytest.fixture
def make_spider(tmp_path: Path) -> Iterator[Callable[..., HopSpider]]:
    """HopSpider writing to tmp_path, closed (its hops file too) after the test."""
    spiders: list[HopSpider] = []

    def make(**kwargs: Any) -> HopSpider:
        spider = HopSpider(run_dir=tmp_path, **kwargs)
        spiders.append(spider)
        return spider

    yield make
    for spider in spiders:
        spider.closed("finished")


def request_for(url: str, **meta: object) -> Request:
    return Request(url, meta={"hop_url": url, **meta}, dont_filter=True)


def answer(url: str, status: int, location: str | None = None, **meta: object) -> Response:
    headers = {"Location": location} if location else {}
    return Response(url, status=status, headers=headers, request=request_for(url, **meta))


def records(run_dir: Path) -> list[Hop]:
    lines = (run_dir / HOPS_FILE).read_text(encoding="utf-8").splitlines()
    return [Hop.from_dict(json.loads(line)) for line in lines]


def test_spider_writes_a_hop_and_schedules_its_target(
    tmp_path: Path, make_spider: Callable[..., HopSpider]
) -> None:
    spider = make_spider(max_hops=10, retries=0)
    spider.frontier.reach("http://a.example/", 0)
    out = spider.parse(answer("http://a.example/", 301, "/b", hop_elapsed_ms=12.5))
    assert isinstance(out, list) and len(out) == 1
    nxt = out[0]
    assert nxt.url == "http://a.example/b"
    assert nxt.dont_filter
    assert nxt.meta["dont_redirect"] and nxt.meta["handle_httpstatus_all"]
    assert nxt.meta["hop_url"] == "http://a.example/b"
    assert nxt.callback == spider.parse and nxt.errback == spider.on_error
    # a second chain reaching /b schedules nothing
    spider.frontier.reach("http://c.example/", 0)
    assert spider.parse(answer("http://c.example/", 302, "http://a.example/b")) == []
    hops = records(tmp_path)
    assert [h.url for h in hops] == ["http://a.example/", "http://c.example/"]
    assert hops[0].elapsed_ms == 12.5
    assert spider.written == 2


def test_spider_non_http_target_gets_a_synthetic_record(
    tmp_path: Path, make_spider: Callable[..., HopSpider]
) -> None:
    spider = make_spider()
    spider.frontier.reach("http://a.example/", 0)
    assert spider.parse(answer("http://a.example/", 301, "ftp://f.example/x")) == []
    synthetic = records(tmp_path)[1]
    assert synthetic == Hop(
        url="ftp://f.example/x",
        status=None,
        kind=HopKind.NETWORK_ERROR,
        error="unsupported scheme: ftp",
    )


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_spider_retries_transient_statuses_then_records_the_last(
    tmp_path: Path, status: int, make_spider: Callable[..., HopSpider]
) -> None:
    spider = make_spider(retries=2)
    spider.frontier.reach("http://a.example/", 0)
    first = spider.parse(answer("http://a.example/", status))
    assert len(first) == 1 and first[0].meta["retry_times"] == 1
    second = spider.parse(answer("http://a.example/", status, retry_times=1))
    assert second[0].meta["retry_times"] == 2
    assert spider.parse(answer("http://a.example/", status, retry_times=2)) == []
    assert [h.status for h in records(tmp_path)] == [status]


@pytest.mark.parametrize("status", [400, 403, 404, 410, 500])
def test_spider_never_retries_other_statuses(
    tmp_path: Path, status: int, make_spider: Callable[..., HopSpider]
) -> None:
    spider = make_spider(retries=2)
    spider.frontier.reach("http://a.example/", 0)
    assert spider.parse(answer("http://a.example/", status)) == []
    assert records(tmp_path)[0].status == status


def failure_for(url: str, exc: Exception, **meta: object) -> Failure:
    failure = Failure(exc)
    failure.request = request_for(url, **meta)  # type: ignore[attr-defined]
    return failure


def test_spider_errback_retries_transient_failures(
    tmp_path: Path, make_spider: Callable[..., HopSpider]
) -> None:
    spider = make_spider(retries=1)
    spider.frontier.reach("http://a.example/", 0)
    exc = HopDownloadError("connection refused", transient=True)
    retry = spider.on_error(failure_for("http://a.example/", exc))
    assert len(retry) == 1 and retry[0].meta["retry_times"] == 1
    assert spider.on_error(failure_for("http://a.example/", exc, retry_times=1)) == []
    hop = records(tmp_path)[0]
    assert (hop.kind, hop.status, hop.error) == (
        HopKind.NETWORK_ERROR,
        None,
        "connection refused",
    )


def test_spider_errback_records_permanent_failures_at_once(
    tmp_path: Path, make_spider: Callable[..., HopSpider]
) -> None:
    spider = make_spider(retries=3)
    spider.frontier.reach("https://a.example/", 0)
    exc = HopDownloadError("tls: certificate verify failed", transient=False)
    assert spider.on_error(failure_for("https://a.example/", exc)) == []
    odd = spider.on_error(failure_for("https://b.example/", RuntimeError("boom")))
    assert odd == []
    assert [h.error for h in records(tmp_path)] == [
        "tls: certificate verify failed",
        "RuntimeError: boom",
    ]


# -- the download handler's pure parts --------------------------------------------------------


def _key(host: str = "a.example") -> ConnectionKey:
    return ConnectionKey(host, 80, False, True, None, None, None)


@pytest.mark.parametrize(
    ("exc", "message", "transient"),
    [
        (TimeoutError(), "timeout after 30s", True),
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), "connection refused", True),
        (
            aiohttp.ClientConnectorError(_key(), ConnectionRefusedError(errno.ECONNREFUSED, "x")),
            "connection refused",
            True,
        ),
        (ConnectionResetError(errno.ECONNRESET, "reset"), "connection reset", True),
        (aiohttp.ServerDisconnectedError(), "connection closed without a response", True),
        (
            aiohttp.ClientConnectorDNSError(
                _key(), socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
            ),
            "dns: a.example: Temporary failure in name resolution",
            True,
        ),
        (
            aiohttp.ClientConnectorDNSError(
                _key(), socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            ),
            "dns: a.example: Name or service not known",
            False,
        ),
    ],
)
def test_describe_error(exc: Exception, message: str, transient: bool) -> None:
    err = describe_error(exc, 30.0)
    assert (err.message, err.transient) == (message, transient)


def test_describe_error_tls() -> None:
    import ssl

    err = describe_error(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), 5)
    assert err.message.startswith("tls: ") and not err.transient


def test_connect_to_setting_round_trip() -> None:
    entries = (
        ConnectTo("a.example", 443, "127.0.0.1", 8443),
        ConnectTo("b.example", 80, "::1", 80),
    )
    assert parse_connect_to_setting(connect_to_setting(entries)) == entries
    assert parse_connect_to_setting(json.loads(json.dumps(connect_to_setting(entries)))) == entries


class _Fallback(aiohttp.abc.AbstractResolver):
    """Records what reaches the system resolver (no DNS in tests)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []

    async def resolve(self, host: str, port: int = 0, family: int = 0) -> list:  # type: ignore[override]
        self.asked.append((host, port))
        return [
            {
                "hostname": host,
                "host": "10.0.0.1",
                "port": port,
                "family": 2,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        pass


def test_connect_to_resolver() -> None:
    fallback = _Fallback()
    resolver = ConnectToResolver(
        [ConnectTo("New.Example", 443, "127.0.0.1", 8443), ConnectTo("v6.example", 80, "::1", 81)],
        fallback,
    )

    async def go() -> tuple[list, list, list, list]:  # type: ignore[type-arg]
        return (
            await resolver.resolve("new.example", 443),
            await resolver.resolve("v6.example", 80),
            await resolver.resolve("new.example", 80),  # no entry for port 80
            await resolver.resolve("other.example", 443),
        )

    mapped, v6, other_port, other_host = asyncio.run(go())
    assert mapped == [
        {
            "hostname": "new.example",
            "host": "127.0.0.1",
            "port": 8443,
            "family": socket.AF_INET,
            "proto": 0,
            "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
        }
    ]
    assert (v6[0]["host"], v6[0]["port"], v6[0]["family"]) == ("::1", 81, socket.AF_INET6)
    assert other_port[0]["host"] == other_host[0]["host"] == "10.0.0.1"
    assert fallback.asked == [("new.example", 80), ("other.example", 443)]


class _Failing(aiohttp.abc.AbstractResolver):
    """A system resolver that knows no host at all."""

    def __init__(self, code: int) -> None:
        self.code = code
        self.calls = 0

    async def resolve(self, host: str, port: int = 0, family: int = 0) -> list:  # type: ignore[override]
        self.calls += 1
        raise socket.gaierror(self.code, "no such host")

    async def close(self) -> None:
        pass


@pytest.mark.parametrize(("code", "calls"), [(socket.EAI_NONAME, 1), (socket.EAI_AGAIN, 3)])
def test_connect_to_resolver_remembers_hosts_that_do_not_exist(code: int, calls: int) -> None:
    fallback = _Failing(code)
    resolver = ConnectToResolver([], fallback)

    async def go() -> None:
        for _ in range(3):
            with pytest.raises(socket.gaierror) as info:
                await resolver.resolve("gone.example", 80)
            assert info.value.errno == code

    asyncio.run(go())
    assert fallback.calls == calls  # temporary failures are asked again


def test_connect_to_resolver_matches_idn_hosts() -> None:
    resolver = ConnectToResolver([ConnectTo("Bücher.example", 80, "127.0.0.1", 8080)], _Fallback())
    found = asyncio.run(resolver.resolve("xn--bcher-kva.example", 80))
    assert (found[0]["host"], found[0]["port"]) == ("127.0.0.1", 8080)


def test_lenient_compression_keeps_undecodable_answers() -> None:
    mw = LenientHttpCompressionMiddleware.__new__(LenientHttpCompressionMiddleware)
    mw.stats = None
    mw._page_cap = 10_000  # MIGRATIONAUDIT_MAX_BODY: a page's cap, decoded too
    request = Request(URL)
    good = Response(
        URL,
        headers={"Content-Encoding": "gzip", "Content-Type": "text/html"},
        body=gzip.compress(b"<title>ok</title>"),
        request=request,
    )
    decoded = mw.process_response(request, good)
    assert isinstance(decoded, HtmlResponse) and decoded.body == b"<title>ok</title>"
    bad = Response(URL, status=200, headers={"Content-Encoding": "gzip"}, body=b"not gzip")
    kept = mw.process_response(request, bad)
    assert isinstance(kept, Response)
    assert (kept.status, kept.body, kept.flags) == (200, b"", ["undecodable"])
    # Inflating past the cap stops there: the first cap bytes are kept (tests/crawl/test_limits.py)
    bomb = Response(URL, headers={"Content-Encoding": "gzip"}, body=gzip.compress(b"0" * 50_000))
    too_big = mw.process_response(request, bomb)
    assert too_big.flags == ["truncated", "inflated-over-cap"] and too_big.body == b"0" * 10_000


# -- the new site's side: hreflang, links, the site job ----------------------------------------


def test_hreflang_from_head_and_link_header() -> None:
    from migrationaudit.spiders.extract import link_alternates

    page = """<html><head><base href="https://n.example/en/">
      <link rel="alternate" hreflang="de" href="../de/page#top">
      <link rel="alternate" hreflang="x-default" href="/">
      <link rel="alternate" type="application/rss+xml" href="/feed">
      <link rel="alternate stylesheet" hreflang="fr" href="/fr.css">
    </head><body><link rel="alternate" hreflang="es" href="/es/"></body></html>"""
    header = '<https://n.example/it/>; rel="alternate"; hreflang="it", </x>; rel=next'
    facts = page_facts(html(page, Link=header), URL)
    assert facts.hreflang == (
        ("de", "https://n.example/de/page"),
        ("x-default", "https://n.example/"),
        ("fr", "https://n.example/fr.css"),  # an alternate with hreflang, whatever else it is
        ("it", "https://n.example/it/"),
    )
    assert facts.links is None  # links only when asked for
    assert link_alternates(["<a>; rel=alternate; hreflang=pt-BR"], URL) == [
        ("pt-BR", "http://old.example/dir/a")
    ]


def test_page_links_resolved_deduplicated_and_capped() -> None:
    from migrationaudit.spiders.extract import page_links

    page = """<html><head><base href="https://n.example/b/"></head><body>
      <a href="x">x</a><a href="/y#frag">y</a><a href="x#again">x again</a>
      <a href="mailto:a@n.example">m</a><a href="javascript:go()">j</a><a>no href</a>
      <map><area href="https://other.example/z"></map><a href="  tel:+1 ">t</a>
    </body></html>"""
    response = html(page)
    assert page_links(response, URL) == (
        "https://n.example/b/x",
        "https://n.example/y",
        "https://other.example/z",
    )
    assert page_links(response, URL, limit=1) == ("https://n.example/b/x",)
    assert page_links(html("<<<>>>"), URL) == ()
    assert page_facts(response, URL, links=True).links == page_links(response, URL)
    # a redirect's body is never read for links
    hop = hop_from_response(redirect(301, "/next"), URL, links=True)
    assert hop.page is None


def test_spider_with_a_site_job_reads_bodies_and_writes_site_records(tmp_path: Path) -> None:
    from migrationaudit.newsite.job import SiteJob
    from migrationaudit.rundir.layout import SITE_RECORDS_FILE as RECORDS_FILE

    SiteJob(new_sites=("n.example",), sitemaps=("https://n.example/s.xml",)).write(tmp_path)
    spider = HopSpider(run_dir=tmp_path, max_hops=10, retries=0)
    try:
        assert spider.site is not None
        requests = spider._site_reach(spider.site.start())
        assert [r.url for r in requests] == ["https://n.example/s.xml"]
        body = b"<urlset><url><loc>https://n.example/a</loc></url></urlset>"
        sitemap = TextResponse(
            "https://n.example/s.xml", status=200, body=body, request=requests[0],
            headers={"Content-Type": "application/xml"},
        )  # fmt: skip
        out = spider.parse(sitemap)
        assert sorted(r.url for r in out) == ["https://n.example/a", "https://n.example/robots.txt"]
    finally:
        spider.closed("finished")
    lines = (tmp_path / RECORDS_FILE).read_text(encoding="utf-8").splitlines()
    kinds = [json.loads(line)["t"] for line in lines]
    assert kinds == ["sitemap-ref", "sitemap"]
    assert json.loads(lines[1])["entries"] == [{"loc": "https://n.example/a", "line": 1}]
    assert records(tmp_path)[0].url == "https://n.example/s.xml"


def test_spider_without_a_site_job_has_no_site_side(tmp_path: Path) -> None:
    spider = HopSpider(run_dir=tmp_path)
    try:
        assert spider.site is None
    finally:
        spider.closed("finished")
    assert not (tmp_path / "site.jsonl").exists()

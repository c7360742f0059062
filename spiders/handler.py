"""The crawl's HTTP(S) download handler: aiohttp underneath, curl's ``--connect-to`` on top.

Scrapy hands every request to :class:`HopDownloadHandler`, which sends it once (no redirects,
no cookies, no decompression: :class:`LenientHttpCompressionMiddleware` does that), reads at
most the body cap of what the request fetches (``meta["fetch"]``: a page
``MIGRATIONAUDIT_MAX_BODY``, a sitemap 50 MiB, a robots.txt 500 KiB; any 3xx 64 KiB; see
:func:`migrationaudit.spiders.compression.body_cap`) within one deadline that includes the body,
and turns every failure into a :class:`HopDownloadError` with a short,
stable message ("connection refused", "timeout after 30s", "dns: ...", "tls: ...") and a
``transient`` flag the spider's retry policy reads.

:class:`ConnectToResolver` implements :class:`~migrationaudit.settings.ConnectTo`: a request
for HOST:PORT connects to ADDR:CONNECT_PORT while the URL, Host header and TLS SNI keep HOST.
It also applies the audit's address policy (``crawler.migrationaudit_scope``, see
:mod:`migrationaudit.web.scope`): a host the inputs do not name is only connected to on public
addresses; otherwise the request fails with "blocked: HOST resolves to ADDR (loopback); ...".

TLS is verified against the system store (``ssl.create_default_context()``), plus the PEM
file of ``MIGRATIONAUDIT_CA_BUNDLE``; ``MIGRATIONAUDIT_VERIFY_TLS = False`` turns verification
off (``--insecure``). A failed verification is a network error "tls: certificate verify
failed: <why>".

Politeness: a 429 or 503 answer with ``Retry-After`` (seconds or an HTTP-date, capped at
``MIGRATIONAUDIT_RETRY_AFTER_MAX``) pauses every request to that host until then; a request
whose ``meta["retry_at"]`` is set (a ``time.monotonic()`` value: the spider's backoff or
Retry-After) is not sent before then.
The wait is not part of the request's timeout or its recorded elapsed time.

Scoped headers (``--auth``, ``--header``) are read from ``crawler.migrationaudit_headers`` (a
dict origin → [(name, value)], set by the crawl process; never a Scrapy setting, which a
debug log would print) and added at send time to requests for exactly that origin.

Settings read: ``MIGRATIONAUDIT_CONNECT_TO`` (a list of ``[host, port, addr, connect_port]``),
``MIGRATIONAUDIT_MAX_BODY``, ``MIGRATIONAUDIT_VERIFY_TLS``, ``MIGRATIONAUDIT_CA_BUNDLE``,
``MIGRATIONAUDIT_RETRY_AFTER_MAX``, ``DOWNLOAD_TIMEOUT``, ``CONCURRENT_REQUESTS``,
``CONCURRENT_REQUESTS_PER_DOMAIN``, ``USER_AGENT``
(sent when the request has no User-Agent: the crawl runs without UserAgentMiddleware).
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp
import yarl
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes

from migrationaudit.settings import MAX_BODY, RETRY_AFTER_MAX, TIMEOUT
from migrationaudit.spiders.compression import body_cap
from migrationaudit.spiders.errors import HopDownloadError, describe_error, short_text
from migrationaudit.spiders.resolver import (
    DNS_CACHE_TTL,
    ConnectToResolver,
    parse_connect_to_setting,
)
from migrationaudit.web.access import OriginKey, origin_of
from migrationaudit.web.hosts import ip_of
from migrationaudit.web.scope import Scope, blocked_message

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

CHUNK = 64 * 1024
MAX_HEADER_LINE = 64 * 1024  # long Location headers are findings, not parse errors
RETRY_AFTER_STATUSES = frozenset({429, 503})


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delay-seconds (``"120"``) or an HTTP-date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``, relative to ``now``, a Unix time). A date in the
    past is 0; anything else (garbage, negative numbers) is None: the caller's own backoff
    applies. Not capped here."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # RFC 9110: HTTP-dates are in GMT
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


def tls_context(verify: bool, ca_bundle: str | None = None) -> ssl.SSLContext | bool:
    """aiohttp's ``ssl`` argument: a verifying context (system store + ``ca_bundle``), or
    False (no verification) when ``verify`` is off."""
    if not verify:
        return False
    context = ssl.create_default_context()
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


class HopDownloadHandler(BaseDownloadHandler):
    """Download handler for http/https built on aiohttp (see the module docstring)."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self._entries = parse_connect_to_setting(settings.getlist("MIGRATIONAUDIT_CONNECT_TO"))
        self._max_body = settings.getint("MIGRATIONAUDIT_MAX_BODY", MAX_BODY)
        self._timeout = settings.getfloat("DOWNLOAD_TIMEOUT", TIMEOUT)
        self._user_agent = settings.get("USER_AGENT") or ""
        self._limit = settings.getint("CONCURRENT_REQUESTS", 16)
        self._limit_per_host = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 8)
        self._verify = settings.getbool("MIGRATIONAUDIT_VERIFY_TLS", True)
        self._ca_bundle = settings.get("MIGRATIONAUDIT_CA_BUNDLE") or None
        self._retry_after_max = settings.getfloat("MIGRATIONAUDIT_RETRY_AFTER_MAX", RETRY_AFTER_MAX)
        scoped: Mapping[OriginKey, list[tuple[str, str]]] = (
            getattr(crawler, "migrationaudit_headers", None) or {}
        )
        self._scoped = {k: list(v) for k, v in scoped.items()}
        # The audit's scope (set by the crawl process from scope.json): hosts it does not name
        # are only connected to on public addresses. None: no address check.
        self._scope: Scope | None = getattr(crawler, "migrationaudit_scope", None)
        self._not_before: dict[str, float] = {}  # host → monotonic time it may be asked again
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        # Created on first use: aiohttp wants a running event loop.
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._limit,
                limit_per_host=self._limit_per_host,
                resolver=ConnectToResolver(
                    self._entries,
                    explicit=self._scope.is_explicit if self._scope is not None else None,
                ),
                ttl_dns_cache=DNS_CACHE_TTL,
                ssl=tls_context(self._verify, self._ca_bundle),
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
                skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
                max_line_size=MAX_HEADER_LINE,
                max_field_size=MAX_HEADER_LINE,
            )
        return self._session

    async def download_request(self, request: Request) -> Response:
        """Send ``request`` once and return the response (body capped, flag "truncated")."""
        timeout = float(request.meta.get("download_timeout") or self._timeout)
        session = self._get_session()
        headers = self._headers_for(request)
        host = _request_host(request.url)
        await self._wait_turn(host, float(request.meta.get("retry_at") or 0.0))
        started = time.monotonic()
        blocked = self._blocked_literal(request.url)
        if blocked is not None:
            request.meta["hop_elapsed_ms"] = 0.0
            raise HopDownloadError(blocked, transient=False)
        try:
            async with asyncio.timeout(timeout):
                async with session.request(
                    request.method,
                    # encoded=True: Scrapy already made the URL safe; yarl must not
                    # normalise it again (dot segments, quoting), the audit wants it exact.
                    yarl.URL(request.url, encoded=True),
                    headers=headers,
                    data=request.body or None,
                    allow_redirects=False,
                ) as resp:
                    request.meta["download_latency"] = time.monotonic() - started
                    peer = _peer_ip(resp)  # before the body: the connection goes with it
                    cap = body_cap(request.meta.get("fetch"), resp.status, self._max_body)
                    body, flags = await _read_body(resp, cap)
                    status, raw_headers = resp.status, resp.raw_headers
                    version = resp.version
                    if status in RETRY_AFTER_STATUSES:
                        self._pause(host, resp.headers.get("Retry-After"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            request.meta["hop_elapsed_ms"] = (time.monotonic() - started) * 1000
            raise describe_error(exc, timeout) from exc
        request.meta["hop_elapsed_ms"] = (time.monotonic() - started) * 1000
        scrapy_headers = Headers(list(raw_headers))
        respcls = responsetypes.from_args(headers=scrapy_headers, url=request.url, body=body)
        return respcls(
            url=request.url,
            status=status,
            headers=scrapy_headers,
            body=body,
            flags=flags,
            request=request,
            ip_address=peer,
            protocol=f"HTTP/{version.major}.{version.minor}" if version else None,
        )

    def _blocked_literal(self, url: str) -> str | None:
        """``blocked: ...`` for a URL whose host is an IP literal (any notation) that the
        scope does not name and that is not public: aiohttp connects to those without asking
        the resolver."""
        if self._scope is None:
            return None
        try:
            raw_host = urlsplit(url).hostname
        except ValueError:
            return None
        if not raw_host or ip_of(raw_host) is None or self._scope.is_explicit(raw_host):
            return None
        message = blocked_message(raw_host, str(ip_of(raw_host)))
        return short_text(message) if message is not None else None

    def _headers_for(self, request: Request) -> list[tuple[str, str]]:
        """Scrapy's headers, then the scoped headers of the request's origin (replacing a
        header of the same name: ``--header 'User-Agent: x'`` wins over the default)."""
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, values in request.headers.items()
            for v in values
        ]
        if self._user_agent and b"User-Agent" not in request.headers:
            # Here rather than in UserAgentMiddleware: one middleware less per request.
            headers.append(("User-Agent", self._user_agent))
        origin = origin_of(request.url) if self._scoped else None
        extra = self._scoped.get(origin, []) if origin is not None else []
        if extra:
            names = {name.lower() for name, _ in extra}
            headers = [(k, v) for k, v in headers if k.lower() not in names] + list(extra)
        return headers

    def _pause(self, host: str, retry_after: str | None) -> None:
        """A 429/503 said when to come back: nothing goes to ``host`` before then."""
        delay = parse_retry_after(retry_after)
        if delay is None:
            return
        until = time.monotonic() + min(delay, self._retry_after_max)
        self._not_before[host] = max(self._not_before.get(host, 0.0), until)

    async def _wait_turn(self, host: str, retry_at: float) -> None:
        # Until the retry's own time and the host's pause are both over; another 429/503 may
        # push the pause further while we sleep, so look again after each sleep.
        while (wait := max(self._not_before.get(host, 0.0), retry_at) - time.monotonic()) > 0:
            await asyncio.sleep(min(wait, self._retry_after_max))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _request_host(url: str) -> str:
    origin = origin_of(url)
    return origin[1] if origin is not None else ""


async def _read_body(resp: aiohttp.ClientResponse, cap: int) -> tuple[bytes, list[str]]:
    """Read at most ``cap`` bytes; ("truncated") when more was coming, ("dataloss") when the
    server broke off early (the status and headers are still a real answer)."""
    buf = bytearray()
    try:
        while len(buf) < cap:
            chunk = await resp.content.read(min(CHUNK, cap - len(buf)))
            if not chunk:
                return bytes(buf), []
            buf += chunk
        if await resp.content.read(1):
            resp.close()  # drop the connection instead of draining a huge body
            return bytes(buf), ["truncated"]
    except aiohttp.ClientPayloadError:
        resp.close()
        return bytes(buf), ["dataloss"]
    return bytes(buf), []


def _peer_ip(resp: aiohttp.ClientResponse) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    conn = resp.connection
    transport = conn.transport if conn is not None else None
    peer = transport.get_extra_info("peername") if transport is not None else None
    try:
        return ipaddress.ip_address(peer[0]) if peer else None
    except ValueError:
        return None

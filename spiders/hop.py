"""The hop-by-hop spider: every URL fetched once, every answer one :class:`Hop` record.

Scrapy's redirect machinery is off: each response becomes a Hop (status, raw Location,
resolved target, kept headers, page facts), is written as one JSON line to
``RUN_DIR/hops.jsonl`` at once (flushed, so an interrupted run keeps what it had), and its
target is scheduled if it was not fetched yet. Loops simply stop (a URL is fetched once);
the graph layer finds the cycle. Every URL reached ends on a record: a non-http(s) target or
an unparsable URL gets a synthetic network-error Hop, a failed download a network-error Hop.

The pure pieces (:func:`hop_from_response`, :func:`page_facts`, :func:`parse_refresh`,
:func:`resolve_target`, :class:`Frontier`) are what the tests exercise directly.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
import scrapy
from migrationaudit.spiders.handler import HopDownloadError
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from twisted.internet.defer import CancelledError as TwistedCancelledError
from twisted.python.failure import Failure

from migrationaudit.models import Hop, HopKind, PageFacts
from migrationaudit.settings import KEPT_HEADERS, MAX_HOPS, RETRIES

HOPS_FILE = "hops.jsonl"
SEEDS_FILE = "seeds.txt"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PROGRESS_INTERVAL = 0.25  # seconds between progress lines on stdout

_HEAD_END = re.compile(r"</head\s*>|<body[\s>]", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
_LINK_VALUE = re.compile(r"<([^>]*)>([^<]*)")
_REL_PARAM = re.compile(r'\brel\s*=\s*(?:"([^"]*)"|([^\s;,]+))', re.IGNORECASE)
_REFRESH_TIME = re.compile(r"\s*(\d*)(\.[\d.]*)?")
_REFRESH_URL = re.compile(r"url\s*=\s*", re.IGNORECASE)


# -- pure helpers ---------------------------------------------------------------------------


def strip_fragment(url: str) -> str:
    """The URL without its ``#fragment`` (never sent to a server; one URL, one fetch)."""
    return urldefrag(url.strip()).url if "#" in url else url.strip()


def resolve_target(base: str, ref: str | None) -> str | None:
    """``ref`` (a Location or refresh URL) made absolute against ``base``, fragment dropped;
    None when it is empty or cannot be parsed."""
    if ref is None:
        return None
    # Browsers drop tabs and newlines inside URLs and trim surrounding whitespace.
    ref = ref.replace("\t", "").replace("\n", "").replace("\r", "").strip()
    if not ref:
        return None
    try:
        joined = urljoin(base, ref)
        urlsplit(joined)  # raises ValueError on e.g. a broken IPv6 literal
    except ValueError:
        return None
    return strip_fragment(joined) or None


def parse_refresh(content: str | None) -> tuple[float, str | None] | None:
    """Parse a refresh value (``"0; url=/b"``, ``"5;URL='x'"``, ``"3"``) like browsers do:
    (delay, url or None); None when the value is not a refresh at all."""
    if content is None:
        return None
    m = _REFRESH_TIME.match(content)
    assert m is not None  # the pattern matches the empty string
    digits, fraction = m.group(1), m.group(2)
    if not digits and not fraction:
        return None
    # As in the HTML spec: the integer part is the delay, a fractional part is skipped.
    delay = float(int(digits)) if digits else 0.0
    rest = content[m.end() :].lstrip()
    if rest[:1] in (";", ","):
        rest = rest[1:].lstrip()
    if not rest:
        return delay, None
    url_kw = _REFRESH_URL.match(rest)
    if url_kw:
        rest = rest[url_kw.end() :]
    if rest[:1] in ("'", '"'):
        quote, rest = rest[0], rest[1:]
        end = rest.find(quote)
        if end >= 0:
            rest = rest[:end]
    url = rest.strip()
    return delay, url or None


def decode_header(value: bytes) -> str:
    """Header bytes as text: UTF-8 when valid (what browsers assume for Location), else latin-1."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def header_values(response: Response, name: str) -> list[str]:
    return [decode_header(v) for v in response.headers.getlist(name)]


def kept_headers(response: Response, names: Iterable[str] = KEPT_HEADERS) -> dict[str, str]:
    """The audit's headers (lower-case names), multiple values joined with ", "."""
    out: dict[str, str] = {}
    for name in names:
        values = header_values(response, name)
        if values:
            out[name] = ", ".join(values)
    return out


def link_canonical(values: Iterable[str], base: str) -> str | None:
    """The first ``<url>; rel="canonical"`` of Link header values, resolved against base."""
    for value in values:
        for m in _LINK_VALUE.finditer(value):
            rel = _REL_PARAM.search(m.group(2))
            if rel and "canonical" in (rel.group(1) or rel.group(2) or "").lower().split():
                return _absolute(base, m.group(1))
    return None


def _absolute(base: str, ref: str) -> str | None:
    ref = ref.strip()
    if not ref:
        return None
    try:
        return urljoin(base, ref)
    except ValueError:
        return None


def _joined(values: list[str]) -> str | None:
    return ", ".join(values) if values else None


def page_facts(response: Response, url: str) -> PageFacts:
    """What a non-redirecting answer says about itself: content type, title, canonicals,
    robots directives, meta refresh. Non-HTML answers get the header facts only."""
    content_type = _joined(header_values(response, "Content-Type")[:1])
    x_robots = _joined(header_values(response, "X-Robots-Tag"))
    canonical_header = link_canonical(header_values(response, "Link"), url)
    base = PageFacts(
        content_type=content_type, x_robots_tag=x_robots, canonical_header=canonical_header
    )
    if not isinstance(response, HtmlResponse):
        return base
    try:
        head = _parse_head(response)
    except Exception:
        return base
    if head is None:
        return base
    title, base_href, canonical, robots, refresh = head
    doc_base = _absolute(url, base_href) if base_href else url
    return PageFacts(
        content_type=content_type,
        title=title,
        canonical=_absolute(doc_base or url, canonical) if canonical else None,
        canonical_header=canonical_header,
        meta_robots=_joined(robots),
        x_robots_tag=x_robots,
        meta_refresh=refresh,
    )


def _parse_head(
    response: TextResponse,
) -> tuple[str | None, str | None, str | None, list[str], str | None] | None:
    text = response.text
    # Head facts only count in the head (Google ignores a canonical in the body), and
    # parsing only the head keeps a 5 MB page cheap.
    end = _HEAD_END.search(text)
    if end:
        text = text[: end.start()]
    text = _XML_DECL.sub("", text, count=1)  # lxml refuses str input with an encoding decl
    if not text.strip():
        return None
    doc = lxml.html.document_fromstring(text)
    title: str | None = None
    base_href: str | None = None
    canonical: str | None = None
    robots: list[str] = []
    refresh: str | None = None
    for el in doc.iter("title", "base", "link", "meta"):
        tag = el.tag
        if tag == "title" and title is None:
            title = " ".join(el.text_content().split())
        elif tag == "base" and base_href is None and el.get("href"):
            base_href = el.get("href")
        elif tag == "link" and canonical is None:
            rels = (el.get("rel") or "").lower().split()
            if "canonical" in rels and el.get("href"):
                canonical = el.get("href")
        elif tag == "meta":
            name = (el.get("name") or "").strip().lower()
            equiv = (el.get("http-equiv") or "").strip().lower()
            content = el.get("content")
            if content is None:
                continue
            if name in ("robots", "googlebot"):
                robots.append(content.strip())
            elif equiv == "refresh" and refresh is None:
                refresh = content.strip()
    return title, base_href, canonical, robots, refresh


def _meta(response: Response) -> Mapping[str, Any]:
    # A hand-built Response has no request; Response.meta raises then.
    return response.request.meta if response.request is not None else {}


def hop_from_response(response: Response, url: str) -> Hop:
    """Classify one HTTP answer for ``url`` into a Hop (see models.HopKind)."""
    status = response.status
    headers = kept_headers(response)
    elapsed = float(_meta(response).get("hop_elapsed_ms", 0.0))
    locations = header_values(response, "Location")
    location = locations[0] if locations else None
    if 300 <= status < 400:
        if location is None or not location.strip():
            error = "invalid redirect: no Location header"
            if location is not None:
                error = "invalid redirect: empty Location header"
            return Hop(
                url=url,
                status=status,
                kind=HopKind.FINAL,
                location=location,
                error=error,
                elapsed_ms=elapsed,
                headers=headers,
                page=page_facts(response, url),
            )
        target = resolve_target(url, location)
        if target is None:
            return Hop(
                url=url,
                status=status,
                kind=HopKind.FINAL,
                location=location,
                error="invalid redirect: unparsable Location header",
                elapsed_ms=elapsed,
                headers=headers,
            )
        return Hop(
            url=url,
            status=status,
            kind=HopKind.HTTP_REDIRECT,
            location=location,
            target=target,
            elapsed_ms=elapsed,
            headers=headers,
        )
    page = page_facts(response, url)
    refresh_values = [page.meta_refresh, *header_values(response, "Refresh")]
    for value in refresh_values:
        parsed = parse_refresh(value)
        if parsed is None or parsed[1] is None:
            continue
        target = resolve_target(url, parsed[1])
        if target is not None and target != url:
            return Hop(
                url=url,
                status=status,
                kind=HopKind.META_REFRESH,
                location=location,
                target=target,
                elapsed_ms=elapsed,
                headers=headers,
                page=page,
            )
        break  # the first refresh wins, as in browsers; a self-refresh is not a redirect
    return Hop(
        url=url,
        status=status,
        kind=HopKind.FINAL,
        location=location,
        elapsed_ms=elapsed,
        headers=headers,
        page=page,
    )


def synthetic_hop(url: str, error: str) -> Hop:
    """The record of a URL that is never requested (bad scheme, unparsable)."""
    return Hop(url=url, status=None, kind=HopKind.NETWORK_ERROR, error=error)


def unfetchable_reason(url: str) -> str | None:
    """Why ``url`` cannot be requested, or None when it can."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"invalid URL: {exc}"
    scheme = parts.scheme.lower()
    if not scheme:
        return "invalid URL: no scheme"
    if scheme not in ("http", "https"):
        return f"unsupported scheme: {scheme}"
    if not parts.hostname:
        return "invalid URL: no host"
    return None


class Frontier:
    """Which URLs to fetch: each once, and only while ``depth <= max_hops``.

    depth = redirects followed from a seed. A URL keeps the minimum depth it was reached
    at; when a recorded URL is reached again lower, the new depths flow down its recorded
    targets, so a target that an earlier, longer chain cut off is fetched after all."""

    def __init__(self, max_hops: int = MAX_HOPS) -> None:
        self.max_hops = max_hops
        self.depth: dict[str, int] = {}  # every URL that will be (or was) fetched
        self.onward: dict[str, str] = {}  # recorded URL → its redirect target

    def reach(self, url: str, depth: int) -> list[str]:
        """``url`` was reached at ``depth``: the URLs to fetch now (new ones only)."""
        new: list[str] = []
        stack = [(url, depth)]
        while stack:
            u, d = stack.pop()
            if d > self.max_hops:
                continue
            old = self.depth.get(u)
            if old is not None and old <= d:
                continue
            self.depth[u] = d
            if old is None:
                new.append(u)
            elif u in self.onward:
                stack.append((self.onward[u], d + 1))
            # else: in flight; its answer will read the lowered depth
        return new

    def done(self, url: str, target: str | None) -> list[str]:
        """``url`` was recorded, redirecting to ``target``: the URLs to fetch now."""
        if target is None:
            return []
        self.onward[url] = target
        return self.reach(target, self.depth.get(url, 0) + 1)


# -- the spider -----------------------------------------------------------------------------


class HopSpider(scrapy.Spider):
    """Fetch every seed of ``RUN_DIR/seeds.txt`` hop by hop into ``RUN_DIR/hops.jsonl``."""

    name = "hop"

    def __init__(
        self,
        run_dir: str | Path,
        max_hops: int = MAX_HOPS,
        retries: int = RETRIES,
        progress: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.run_dir = Path(run_dir)
        self.frontier = Frontier(int(max_hops))
        self.retries = int(retries)
        self.report_progress = bool(progress)
        self.seeds_total = 0
        self.seeds_read = 0
        self.written = 0
        self.close_reason: str | None = None
        self.pending = 0  # requests handed to Scrapy and not answered yet
        self._room: asyncio.Event | None = None
        self._out: IO[str] | None = None
        self._last_progress = 0.0

    async def start(self) -> AsyncIterator[Any]:
        """Seeds, read lazily from seeds.txt (depth 0)."""
        seeds = self.run_dir / SEEDS_FILE
        self._open_out()
        with seeds.open(encoding="utf-8") as f:
            self.seeds_total = sum(1 for line in f if line.strip())
        # Scrapy pulls start() as fast as it can (queueing every seed in memory at once),
        # so hold back while enough requests are in flight or queued: memory stays flat.
        window = max(2 * self.crawler.settings.getint("CONCURRENT_REQUESTS", 16), 4)
        self._room = asyncio.Event()
        with seeds.open(encoding="utf-8") as f:
            for line in f:
                url = strip_fragment(line)
                if not url:
                    continue
                while self.pending >= window:
                    self._room.clear()
                    await self._room.wait()
                self.seeds_read += 1
                requests = self._reach(url, 0)
                self.pending += len(requests)
                for request in requests:
                    yield request
        self._progress(force=True)

    def parse(self, response: Response) -> list[Request]:
        """One answer → one Hop (or a retry of a transient status)."""
        return self._answered(self._handle_response(response))

    def on_error(self, failure: Failure) -> list[Request]:
        """No HTTP answer → a network-error Hop (or a retry of a transient failure)."""
        return self._answered(self._handle_failure(failure))

    def _handle_response(self, response: Response) -> list[Request]:
        request = response.request
        assert request is not None
        if response.status in RETRY_STATUSES:
            retry = self._retry(request)
            if retry is not None:
                return [retry]
        url = request.meta.get("hop_url", response.url)
        return self._record(hop_from_response(response, url))

    def _handle_failure(self, failure: Failure) -> list[Request]:
        exc = failure.value
        request: Request = failure.request  # type: ignore[attr-defined]
        if isinstance(exc, TwistedCancelledError | asyncio.CancelledError):
            return []  # shutting down: not the site's fault, the URL stays unfetched
        if not isinstance(exc, HopDownloadError):
            exc = HopDownloadError(f"{type(exc).__name__}: {exc}"[:200], transient=False)
        if exc.transient:
            retry = self._retry(request)
            if retry is not None:
                return [retry]
        hop = Hop(
            url=request.meta.get("hop_url", request.url),
            status=None,
            kind=HopKind.NETWORK_ERROR,
            error=exc.message,
            elapsed_ms=float(request.meta.get("hop_elapsed_ms", 0.0)),
        )
        return self._record(hop)

    def closed(self, reason: str) -> None:
        self.close_reason = reason
        self._progress(force=True)
        if self._out is not None:
            self._out.close()
            self._out = None

    # -- internals --

    def _answered(self, requests: list[Request]) -> list[Request]:
        self.pending += len(requests) - 1
        if self._room is not None:
            self._room.set()
        return requests

    def _reach(self, url: str, depth: int) -> list[Request]:
        requests: list[Request] = []
        for u in self.frontier.reach(url, depth):
            requests.extend(self._fetch(u))
        return requests

    def _fetch(self, url: str) -> list[Request]:
        reason = unfetchable_reason(url)
        if reason is None:
            try:
                return [
                    Request(
                        url,
                        callback=self.parse,
                        errback=self.on_error,
                        dont_filter=True,
                        headers={"Accept": ACCEPT},
                        # Deeper hops first: chains finish before new seeds start.
                        priority=self.frontier.depth.get(url, 0),
                        meta={
                            "hop_url": url,
                            "dont_redirect": True,
                            "handle_httpstatus_all": True,
                        },
                    )
                ]
            except ValueError as exc:
                reason = f"invalid URL: {exc}"
        return self._record(synthetic_hop(url, reason))

    def _retry(self, request: Request) -> Request | None:
        tries = int(request.meta.get("retry_times", 0))
        if tries >= self.retries:
            return None
        meta = {**request.meta, "retry_times": tries + 1}
        return request.replace(meta=meta, dont_filter=True)

    def _record(self, hop: Hop) -> list[Request]:
        self._write(hop)
        target = hop.target if hop.is_redirect else None
        requests: list[Request] = []
        for url in self.frontier.done(hop.url, target):
            requests.extend(self._fetch(url))
        return requests

    def _open_out(self) -> IO[str]:
        if self._out is None:
            self._out = (self.run_dir / HOPS_FILE).open("w", encoding="utf-8")
        return self._out

    def _write(self, hop: Hop) -> None:
        out = self._open_out()
        # One line, flushed: a killed run keeps every record before the kill.
        out.write(json.dumps(hop.to_dict(), separators=(",", ":")) + "\n")
        out.flush()
        self.written += 1
        self._progress()

    def _progress(self, *, force: bool = False) -> None:
        if not self.report_progress:
            return
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        print(f"progress {self.written} {self.seeds_total}", file=sys.stdout, flush=True)

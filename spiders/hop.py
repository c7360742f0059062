"""The hop-by-hop spider: every URL fetched once, every answer one :class:`Hop` record.

Scrapy's redirect machinery is off: each response becomes a Hop (status, raw Location,
resolved target, kept headers, page facts), is written as one JSON line to
``RUN_DIR/hops.jsonl`` at once (flushed, so an interrupted run keeps what it had), and its
target is scheduled if it was not fetched yet. Loops simply stop (a URL is fetched once);
the graph layer finds the cycle. Every URL reached ends on a record: a non-http(s) target or
an unparsable URL gets a synthetic network-error Hop, a failed download a network-error Hop.
A URL outside the audit's scope (``RUN_DIR/scope.json``, :mod:`migrationaudit.scope`) gets an
offsite Hop (its ``error`` says why) and is never requested.

With ``--rewrite-host`` each URL is requested on its staging host and the record is mapped
back (:func:`map_back`): hops.jsonl speaks production terms. Transient failures are retried
after a backoff, or after the ``Retry-After`` of a 429/503 (the download handler waits).
``resume=True`` continues a run: the records already in hops.jsonl are replayed through the
Frontier instead of being fetched again, so the same URLs are reached at the same depths.
:class:`ChainProgress` counts legacy URLs whose chain is finished (the progress numerator).

The pure pieces (:func:`hop_from_response`, :func:`page_facts`, :func:`parse_refresh`,
:func:`resolve_target`, :class:`Frontier`, :class:`ChainProgress`, :func:`map_back`) are what
the tests exercise directly.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import IO, Any
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
import scrapy
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from twisted.internet.defer import CancelledError as TwistedCancelledError
from twisted.python.failure import Failure

from migrationaudit.access import HostRewriter, parse_rewrites
from migrationaudit.location import mask_userinfo, resolve_location
from migrationaudit.models import Hop, HopKind, PageFacts
from migrationaudit.scope import Scope
from migrationaudit.settings import (
    KEPT_HEADERS,
    MAX_HOPS,
    MAX_LINKS_PER_PAGE,
    RETRIES,
    RETRY_AFTER_MAX,
    RETRY_BACKOFF,
)
from migrationaudit.sitework import (
    RECORDS_FILE,
    PeerFeed,
    SiteJob,
    SiteWork,
    open_records,
    open_relay,
)
from migrationaudit.spiders.handler import HopDownloadError, parse_retry_after

HOPS_FILE = "hops.jsonl"
SEEDS_FILE = "seeds.txt"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 503})  # where a Retry-After header is honoured
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PROGRESS_INTERVAL = 0.25  # seconds between progress lines on stdout
PEER_POLL_S = 0.1  # --workers: how often the lead reads the new-site origins its peers met

_HEAD_END = re.compile(r"</head\s*>|<body[\s>]", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
_LINK_VALUE = re.compile(r"<([^>]*)>([^<]*)")
_REL_PARAM = re.compile(r'\brel\s*=\s*(?:"([^"]*)"|([^\s;,]+))', re.IGNORECASE)
_HREFLANG_PARAM = re.compile(r'\bhreflang\s*=\s*(?:"([^"]*)"|([^\s;,]+))', re.IGNORECASE)
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


def link_alternates(values: Iterable[str], base: str) -> list[tuple[str, str]]:
    """``<url>; rel="alternate"; hreflang="de"`` entries of Link header values, as
    (language, absolute URL)."""
    out: list[tuple[str, str]] = []
    for value in values:
        for m in _LINK_VALUE.finditer(value):
            params = m.group(2)
            rel = _REL_PARAM.search(params)
            lang = _HREFLANG_PARAM.search(params)
            if not (rel and lang):
                continue
            if "alternate" not in (rel.group(1) or rel.group(2) or "").lower().split():
                continue
            href = _absolute(base, m.group(1))
            if href:
                out.append(((lang.group(1) or lang.group(2) or "").strip(), strip_fragment(href)))
    return out


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


def page_facts(response: Response, url: str, *, links: bool = False) -> PageFacts:
    """What a non-redirecting answer says about itself: content type, title, canonicals,
    robots directives, meta refresh, hreflang alternates (head and Link header) and, with
    ``links``, the page's links (:func:`page_links`). Non-HTML answers get the header facts
    only."""
    content_type = _joined(header_values(response, "Content-Type")[:1])
    x_robots = _joined(header_values(response, "X-Robots-Tag"))
    link_values = header_values(response, "Link")
    canonical_header = link_canonical(link_values, url)
    header_alternates = link_alternates(link_values, url)
    base = PageFacts(
        content_type=content_type,
        x_robots_tag=x_robots,
        canonical_header=canonical_header,
        hreflang=tuple(dict.fromkeys(header_alternates)),
    )
    if not isinstance(response, HtmlResponse):
        return base
    try:
        head = _parse_head(response)
    except Exception:
        return base
    if head is None:
        return base
    title, base_href, canonical, robots, refresh, alternates = head
    doc_base = _absolute(url, base_href) if base_href else url
    resolved = [
        (lang, strip_fragment(href))
        for lang, ref in alternates
        if (href := _absolute(doc_base or url, ref))
    ]
    return PageFacts(
        content_type=content_type,
        title=title,
        canonical=_absolute(doc_base or url, canonical) if canonical else None,
        canonical_header=canonical_header,
        meta_robots=_joined(robots),
        x_robots_tag=x_robots,
        meta_refresh=refresh,
        hreflang=tuple(dict.fromkeys([*resolved, *header_alternates])),
        links=page_links(response, url) if links else None,
    )


def page_links(
    response: TextResponse, url: str, limit: int = MAX_LINKS_PER_PAGE
) -> tuple[str, ...]:
    """The http(s) targets of a page's ``<a href>`` and ``<area href>``, made absolute (the
    document's ``<base href>`` honoured), fragment dropped, deduplicated, in page order, at
    most ``limit``. Junk HTML gives what could be read (possibly nothing), never an error."""
    try:
        text = _XML_DECL.sub("", response.text, count=1)
        if not text.strip():
            return ()
        doc = lxml.html.document_fromstring(text)
    except Exception:
        return ()
    base = url
    for el in doc.iter("base"):
        href = el.get("href")
        if href:
            base = _absolute(url, href) or url
            break
    out: dict[str, None] = {}
    for el in doc.iter("a", "area"):
        href = el.get("href")
        if not href:
            continue
        target = resolve_target(base, href)
        if target is None or unfetchable_reason(target) is not None:
            continue  # mailto:, tel:, javascript: are not pages
        out.setdefault(target, None)
        if len(out) >= limit:
            break
    return tuple(out)


_Head = tuple[str | None, str | None, str | None, list[str], str | None, list[tuple[str, str]]]


def _parse_head(response: TextResponse) -> _Head | None:
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
    alternates: list[tuple[str, str]] = []
    for el in doc.iter("title", "base", "link", "meta"):
        tag = el.tag
        if tag == "title" and title is None:
            title = " ".join(el.text_content().split())
        elif tag == "base" and base_href is None and el.get("href"):
            base_href = el.get("href")
        elif tag == "link":
            rels = (el.get("rel") or "").lower().split()
            href = el.get("href")
            if "canonical" in rels and href and canonical is None:
                canonical = href
            elif "alternate" in rels and href and el.get("hreflang"):
                alternates.append((str(el.get("hreflang")).strip(), href))
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
    return title, base_href, canonical, robots, refresh, alternates


def _meta(response: Response) -> Mapping[str, Any]:
    # A hand-built Response has no request; Response.meta raises then.
    return response.request.meta if response.request is not None else {}


BODY_FLAGS = ("dataloss", "truncated", "undecodable")  # response flags that Hop.body keeps


def hop_from_response(response: Response, url: str, *, links: bool = False) -> Hop:
    """Classify one HTTP answer for ``url`` into a Hop (see models.HopKind). With ``links``,
    a healthy HTML page's facts carry its links too. A body that was not read whole says so
    in ``Hop.body``."""
    hop = _classify(response, url, links=links)
    flag = next((f for f in BODY_FLAGS if f in response.flags), None)
    return replace(hop, body=flag) if flag is not None else hop


def _classify(response: Response, url: str, *, links: bool = False) -> Hop:
    status = response.status
    headers = kept_headers(response)
    elapsed = float(_meta(response).get("hop_elapsed_ms", 0.0))
    locations = header_values(response, "Location")
    # A Location's password is not ours to publish: records and reports show it masked.
    location = mask_userinfo(locations[0]) if locations else None
    if "location" in headers:
        headers["location"] = ", ".join(mask_userinfo(v) for v in locations)
    if 300 <= status < 400:
        # Read as browsers read it; where RFC 3986 reads it otherwise, ``ambiguity`` says so.
        resolved = resolve_location(url, locations)
        if resolved.target is None:
            return Hop(
                url=url,
                status=status,
                kind=HopKind.FINAL,
                location=location,
                error=resolved.error,
                elapsed_ms=elapsed,
                headers=headers,
                page=page_facts(response, url),
                ambiguity=resolved.ambiguity,
            )
        return Hop(
            url=url,
            status=status,
            kind=HopKind.HTTP_REDIRECT,
            location=location,
            target=resolved.target,
            elapsed_ms=elapsed,
            headers=headers,
            ambiguity=resolved.ambiguity,
        )
    page = page_facts(response, url, links=links and 200 <= status < 300)
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


class ChainProgress:
    """How many legacy URLs have a finished chain: it reached an answer that does not
    redirect, or went past ``max_hops`` (a loop does too, eventually). A seed whose chain
    waits on a URL not recorded yet waits in ``waiting`` (keyed by that URL).

    ``onward`` is the Frontier's map of recorded redirects (shared, not copied)."""

    def __init__(self, onward: Mapping[str, str], max_hops: int = MAX_HOPS) -> None:
        self.onward = onward
        self.max_hops = max_hops
        self.recorded: set[str] = set()
        self.waiting: dict[str, list[int]] = {}
        self.done = 0

    def seed(self, url: str) -> None:
        """A legacy URL starts its chain (depth 0)."""
        self._advance(url, 0)

    def record(self, url: str) -> None:
        """``url`` was recorded (its redirect target, if any, is already in ``onward``)."""
        self.recorded.add(url)
        for depth in self.waiting.pop(url, ()):
            self._advance(url, depth)

    def _advance(self, url: str, depth: int) -> None:
        while True:
            if depth > self.max_hops:
                self.done += 1  # hop limit (or a loop walked round past it)
                return
            if url not in self.recorded:
                self.waiting.setdefault(url, []).append(depth)
                return
            target = self.onward.get(url)
            if target is None:
                self.done += 1
                return
            url, depth = target, depth + 1


def map_back(hop: Hop, rewriter: HostRewriter) -> Hop:
    """A record of a rewritten request in production terms: target, Location, canonicals,
    hreflang alternates and links that name the staging host name the production host
    instead (``headers`` keep the raw answer)."""
    page = hop.page
    if page is not None:
        back = rewriter.back
        page = replace(
            page,
            canonical=rewriter.back_optional(page.canonical),
            canonical_header=rewriter.back_optional(page.canonical_header),
            hreflang=tuple((lang, back(href)) for lang, href in page.hreflang),
            links=tuple(back(u) for u in page.links) if page.links is not None else None,
        )
    return replace(
        hop,
        url=rewriter.back(hop.url),
        target=rewriter.back_optional(hop.target),
        location=rewriter.back_optional(hop.location),
        page=page,
    )


def _site_records(run_dir: Path) -> list[dict[str, Any]]:
    """The new-site records of an interrupted run (a cut-off last line is skipped)."""
    path = run_dir / RECORDS_FILE
    if not path.is_file():
        return []
    out: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


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
        rewrite_host: Iterable[Iterable[str]] = (),
        retry_backoff: float = RETRY_BACKOFF,
        retry_after_max: float = RETRY_AFTER_MAX,
        resume: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.run_dir = Path(run_dir)
        self.frontier = Frontier(int(max_hops))
        self.chains = ChainProgress(self.frontier.onward, int(max_hops))
        self.retries = int(retries)
        self.retry_backoff = float(retry_backoff)
        self.retry_after_max = float(retry_after_max)
        self.rewriter = parse_rewrites(tuple(pair) for pair in rewrite_host)  # type: ignore[misc]
        self.resume = bool(resume)
        self._previous: dict[str, str | None] = {}  # resume: recorded URL → redirect target
        self._replayed: dict[str, Hop] = {}  # resume with a site job: the records themselves
        self._kinds: dict[str, str] = {}  # redirect target → what it fetches (sitemap, robots)
        self.report_progress = bool(progress)
        self.seeds_total = 0
        self.seeds_read = 0
        # The seeds, kept only when a legacy sitemap may add legacy URLs (to count each once),
        # and how many legacy URLs such sitemaps added (legacy URLs in all: seeds + found).
        self._legacy: set[str] = set()
        self.found_total = 0
        self.written = 0
        self.close_reason: str | None = None
        self.pending = 0  # requests handed to Scrapy and not answered yet
        self._room: asyncio.Event | None = None
        self._out: IO[str] | None = None
        # The first write that failed (disk full, file too large): the crawl stops, exit 4.
        self.io_error: str | None = None
        self._last_progress = 0.0
        # The new site's side (robots.txt, sitemaps, crawl, variants): RUN_DIR/site-job.json.
        self.site: SiteWork | None = None
        self._site_close: Callable[[], None] | None = None
        # The audit's scope (RUN_DIR/scope.json, written by the parent): a URL outside it is
        # recorded as an offsite hop and never requested. None (no file): no name check.
        self.scope: Scope | None = Scope.read(self.run_dir)
        self._relay_close: Callable[[], None] | None = None
        job = SiteJob.read(self.run_dir)
        if job is not None:
            emit, self._site_close = open_records(self.run_dir)
            self.site = SiteWork(job, emit, scope=self.scope)
            if job.part == "peer":  # --workers: the lead discovers the sitemaps we meet
                self.site.relay, self._relay_close = open_relay(self.run_dir)

    async def start(self) -> AsyncIterator[Any]:
        """Seeds, read lazily from seeds.txt (depth 0)."""
        seeds = self.run_dir / SEEDS_FILE
        if self.resume:
            self._load_previous()
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
                if self.site is not None and self.site.job.old_sitemaps:
                    self._legacy.add(url)
                requests = self._reach(url, 0)
                if self.site is not None:
                    requests += self._site_reach(self.site.legacy_seed(url))
                self.chains.seed(url)
                self.pending += len(requests)
                for request in requests:
                    yield request
        if self.site is not None:
            requests = self._site_reach(self.site.start())
            self.pending += len(requests)
            for request in requests:
                yield request
            if self.site.job.peers:
                async for request in self._from_peers(self.site):
                    yield request
        self._progress(force=True)

    async def _from_peers(self, site: SiteWork) -> AsyncIterator[Request]:
        """--workers, the lead: discover the sitemaps of the new-site origins the peers meet,
        until every peer has ended (start() stays open meanwhile, so the crawl does not close
        while a peer may still name an origin)."""
        feeds = [PeerFeed(self.run_dir / peer) for peer in site.job.peers]
        while True:
            ended = all(feed.ended() for feed in feeds)  # before the read: nothing comes after
            for feed in feeds:
                for origin in feed.read():
                    requests = self._site_reach(site.peer_origin(origin))
                    self.pending += len(requests)
                    for request in requests:
                        yield request
            if ended:
                return
            await asyncio.sleep(PEER_POLL_S)

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
            wait = None
            if response.status in RETRY_AFTER_STATUSES:
                values = header_values(response, "Retry-After")
                wait = parse_retry_after(values[0]) if values else None
            retry = self._retry(request, wait)
            if retry is not None:
                return [retry]
        url = request.meta.get("hop_url", response.url)
        site = self.site
        if site is None:
            return self._record(hop_from_response(response, url))
        hop = hop_from_response(response, url, links=site.wants_links(url))
        body = response.body if site.wants_body(url) else None
        return self._record(hop, body, response.flags)

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
            try:
                self._out.close()
            except OSError as exc:
                self.io_error = self.io_error or f"cannot write {self.run_dir / HOPS_FILE}: {exc}"
            self._out = None
        if self._site_close is not None:
            self._site_close()
            self._site_close = None
        if self._relay_close is not None:
            self._relay_close()
            self._relay_close = None

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
        if url in self._previous:  # resume: recorded before, replayed instead of fetched
            requests = self._after_record(url, self._previous.pop(url))
            replayed = self._replayed.pop(url, None)
            if self.site is not None and replayed is not None:
                requests += self._site_reach(self.site.on_record(replayed))
            return requests
        reason = unfetchable_reason(url)
        offsite = self._outside(url) if reason is None else None
        if offsite is not None:
            return self._record(Hop(url=url, status=None, kind=HopKind.OFFSITE, error=offsite))
        if reason is None:
            try:
                return [
                    Request(
                        # The request goes to the staging host; the record keeps ``url``.
                        self.rewriter.forward(url) if self.rewriter else url,
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
                            # What is fetched decides the body cap (compression.body_cap).
                            "fetch": self._fetch_kind(url),
                        },
                    )
                ]
            except ValueError as exc:
                reason = f"invalid URL: {exc}"
        return self._record(synthetic_hop(url, reason))

    def _outside(self, url: str) -> str | None:
        """Why ``url`` (production terms) is outside the audit's scope, None when inside: its
        own host is named, or the staging host ``--rewrite-host`` sends it to is."""
        if self.scope is None:
            return None
        reason = self.scope.outside(url)
        if reason is not None and self.rewriter and self.scope.contains(self.rewriter.forward(url)):
            return None
        return reason

    def _fetch_kind(self, url: str) -> str:
        """"sitemap", "robots" or "page": what a request for ``url`` fetches."""
        kind = self._kinds.pop(url, None)
        if kind is None and self.site is not None:
            kind = self.site.fetch_kind(url)
        return kind or "page"

    def _retry(self, request: Request, retry_after: float | None = None) -> Request | None:
        """The request again, after ``retry_after`` seconds (a 429/503 said so) or an
        exponential backoff; None when its retries are used up."""
        tries = int(request.meta.get("retry_times", 0))
        if tries >= self.retries:
            return None
        wait = retry_after if retry_after is not None else self.retry_backoff * 2**tries
        meta = {
            **request.meta,
            "retry_times": tries + 1,
            # A time, not a delay: the request may queue for a download slot first.
            "retry_at": time.monotonic() + min(wait, self.retry_after_max),
        }
        return request.replace(meta=meta, dont_filter=True)

    def _record(
        self, hop: Hop, body: bytes | None = None, flags: Iterable[str] = ()
    ) -> list[Request]:
        if self.rewriter:
            hop = map_back(hop, self.rewriter)
        self._write(hop)
        if self.site is not None and hop.is_redirect and hop.target:
            # The target is requested below, before the roles move along to it: a sitemap
            # behind a redirect keeps the sitemap's body cap.
            kind = self.site.fetch_kind(hop.url)
            if kind is not None:
                self._kinds[hop.target] = kind
        requests = self._after_record(hop.url, hop.target if hop.is_redirect else None)
        if self.site is not None:
            requests += self._site_reach(self.site.on_record(hop, body, flags))
        return requests

    def _site_reach(self, urls: Iterable[str]) -> list[Request]:
        """New chains the new-site side asks for (depth 0; each URL still fetched once)."""
        requests: list[Request] = []
        for url in urls:
            requests.extend(self._reach(url, 0))
        if self.site is not None and self.site.found_legacy:
            # Legacy URLs a legacy sitemap listed are legacy URLs like the seeds: the
            # progress total counts them (once, and not when they were seeds already).
            for url in self.site.found_legacy:
                url = strip_fragment(url)
                if url and url not in self._legacy:
                    self._legacy.add(url)
                    self.found_total += 1
                    self.chains.seed(url)
            self.site.found_legacy.clear()
        return requests

    def _after_record(self, url: str, target: str | None) -> list[Request]:
        requests: list[Request] = []
        for next_url in self.frontier.done(url, target):
            requests.extend(self._fetch(next_url))
        self.chains.record(url)
        return requests

    def _load_previous(self) -> None:
        """Resume: the records of the interrupted run, URL → redirect target (a cut-off last
        line is skipped: its URL is fetched again; a URL recorded twice keeps its last
        record, as the graph does). Any other unreadable line stops the crawl (the parent
        checked the file before: it was changed under our feet)."""
        from migrationaudit.runstore import hop_record

        path = self.run_dir / HOPS_FILE
        if not path.is_file():
            return
        with path.open(encoding="utf-8") as f:
            for lineno, line in enumerate(f, start=1):
                if not line.endswith("\n"):
                    break
                if not line.strip():
                    continue
                hop = hop_record(line, path, lineno)
                self._previous[hop.url] = hop.target if hop.is_redirect else None
                if self.site is not None:  # the new-site side replays whole records
                    self._replayed[hop.url] = hop
        self.written = len(self._previous)
        if self.site is not None:
            self.site.restore(_site_records(self.run_dir))

    def _open_out(self) -> IO[str]:
        if self._out is None:
            mode = "a" if self.resume else "w"
            self._out = (self.run_dir / HOPS_FILE).open(mode, encoding="utf-8")
        return self._out

    def _write(self, hop: Hop) -> None:
        if self.io_error is not None:
            return  # closing after a failed write: no record can be kept any more
        try:
            out = self._open_out()
            # One line, flushed: a killed run keeps every record before the kill.
            out.write(json.dumps(hop.to_dict(), separators=(",", ":")) + "\n")
            out.flush()
        except OSError as exc:
            self._stop_on_io_error(exc)
            return
        self.written += 1
        self._progress()

    def _stop_on_io_error(self, exc: OSError) -> None:
        """Records can no longer be written: stop the crawl (what was flushed is kept; a
        line cut by the failed write is dropped by a resume)."""
        from scrapy.utils.defer import deferred_from_coro

        path = self.run_dir / HOPS_FILE
        self.io_error = f"cannot write {path}: {exc.strerror or exc}"
        if self._out is not None:
            try:
                self._out.close()
            except OSError:
                pass  # the buffer could not be flushed either
            self._out = None
        engine = self.crawler.engine if getattr(self, "crawler", None) else None
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason="io_error"))

    def _progress(self, *, force: bool = False) -> None:
        if not self.report_progress:
            return
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        # fetched URLs (records), legacy URLs whose chain is finished, legacy URLs in all
        line = f"progress {self.written} {self.chains.done} {self.seeds_total + self.found_total}"
        print(line, file=sys.stdout, flush=True)

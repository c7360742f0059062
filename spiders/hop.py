"""The hop-by-hop spider: every URL fetched once, every answer one :class:`Hop` record.

Scrapy's redirect machinery is off: each response becomes a Hop (status, raw Location,
resolved target, kept headers, page facts), is written as one JSON line to
``RUN_DIR/hops.jsonl`` at once (flushed, so an interrupted run keeps what it had), and its
target is scheduled if it was not fetched yet. Loops simply stop (a URL is fetched once);
the graph layer finds the cycle. Every URL reached ends on a record: a non-http(s) target or
an unparsable URL gets a synthetic network-error Hop, a failed download a network-error Hop.
A URL outside the audit's scope (``RUN_DIR/scope.json``, :mod:`migrationaudit.web.scope`) gets an
offsite Hop (its ``error`` says why) and is never requested.

With ``--rewrite-host`` each URL is requested on its staging host and the record is mapped
back (:func:`map_back`): hops.jsonl speaks production terms. Transient failures are retried
after a backoff, or after the ``Retry-After`` of a 429/503 (the download handler waits).
``resume=True`` continues a run: the records already in hops.jsonl are replayed through the
Frontier instead of being fetched again, so the same URLs are reached at the same depths.
:class:`ChainProgress` counts legacy URLs whose chain is finished (the progress numerator).

The pure pieces live beside it, and the tests exercise them directly:
:mod:`~migrationaudit.spiders.extract` (:func:`page_facts`, :func:`parse_refresh`,
:func:`resolve_target`), :mod:`~migrationaudit.spiders.classify` (:func:`hop_from_response`)
and :mod:`~migrationaudit.spiders.frontier` (:class:`Frontier`, :class:`ChainProgress`,
:func:`map_back`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from migrationaudit.models.hops import Hop, HopKind
from migrationaudit.newsite.job import PeerFeed, SiteJob, open_records, open_relay
from migrationaudit.newsite.work import SiteWork
from migrationaudit.rundir.layout import HOPS_FILE, SEEDS_FILE
from migrationaudit.rundir.records import read_hops, read_site_lines
from migrationaudit.settings import (
    MAX_HOPS,
    RETRIES,
    RETRY_AFTER_MAX,
    RETRY_BACKOFF,
)
from migrationaudit.spiders.classify import hop_from_response, synthetic_hop
from migrationaudit.spiders.extract import strip_fragment, unfetchable_reason
from migrationaudit.spiders.fetching import (
    failure_outcome,
    hop_request,
    retry_request,
    status_retry,
)
from migrationaudit.spiders.frontier import ChainProgress, Frontier, map_back
from migrationaudit.spiders.output import HopOutput
from migrationaudit.web.access import parse_rewrites
from migrationaudit.web.scope import Scope

PEER_POLL_S = 0.1  # --workers: how often the lead reads the new-site origins its peers met


# -- pure helpers ---------------------------------------------------------------------------


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
        self.seeds_total = 0
        self.seeds_read = 0
        # The seeds, kept only when a legacy sitemap may add legacy URLs (to count each once),
        # and how many legacy URLs such sitemaps added (legacy URLs in all: seeds + found).
        self._legacy: set[str] = set()
        self.found_total = 0
        self.close_reason: str | None = None
        self.pending = 0  # requests handed to Scrapy and not answered yet
        self._room: asyncio.Event | None = None
        # hops.jsonl and the progress lines; the first write that failed (disk full, file
        # too large) stops the crawl: exit 4.
        self.output = HopOutput(
            self.run_dir,
            resume=self.resume,
            progress=bool(progress),
            counts=lambda: (self.chains.done, self.seeds_total + self.found_total),
            on_io_error=self._close_on_io_error,
        )
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
        self.output.open()
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
        self.output.progress(force=True)

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
        retry = status_retry(response, request, self._retry)
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
        outcome = failure_outcome(failure, self._retry)
        if outcome is None:
            return []  # shutting down: not the site's fault, the URL stays unfetched
        return [outcome] if isinstance(outcome, Request) else self._record(outcome)

    def closed(self, reason: str) -> None:
        self.close_reason = reason
        self.output.progress(force=True)
        self.output.close()
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
                # The request goes to the staging host; the record keeps ``url``. Deeper
                # hops first: chains finish before new seeds start.
                wire = self.rewriter.forward(url) if self.rewriter else url
                depth = self.frontier.depth.get(url, 0)
                return [hop_request(url, wire, self, self._fetch_kind(url), priority=depth)]
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
        """ "sitemap", "robots" or "page": what a request for ``url`` fetches."""
        kind = self._kinds.pop(url, None)
        if kind is None and self.site is not None:
            kind = self.site.fetch_kind(url)
        return kind or "page"

    def _retry(self, request: Request, retry_after: float | None = None) -> Request | None:
        """The request again, after ``retry_after`` seconds (a 429/503 said so) or an
        exponential backoff; None when its retries are used up."""
        return retry_request(
            request, self.retries, self.retry_backoff, self.retry_after_max, retry_after
        )

    def _record(
        self, hop: Hop, body: bytes | None = None, flags: Iterable[str] = ()
    ) -> list[Request]:
        if self.rewriter:
            hop = map_back(hop, self.rewriter)
        self.output.write(hop)
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
        if not (self.run_dir / HOPS_FILE).is_file():
            return
        for hop in read_hops(self.run_dir):
            self._previous[hop.url] = hop.target if hop.is_redirect else None
            if self.site is not None:  # the new-site side replays whole records
                self._replayed[hop.url] = hop
        self.output.written = len(self._previous)
        if self.site is not None:
            self.site.restore(read_site_lines(self.run_dir))

    @property
    def written(self) -> int:
        """Hop records in the file (those of an interrupted run included, on resume)."""
        return self.output.written

    @property
    def io_error(self) -> str | None:
        """Why records could no longer be written (None: they all were)."""
        return self.output.io_error

    def _close_on_io_error(self) -> None:
        from scrapy.utils.defer import deferred_from_coro

        engine = self.crawler.engine if getattr(self, "crawler", None) else None
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason="io_error"))

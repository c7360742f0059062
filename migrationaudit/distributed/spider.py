"""The worker's spider: URLs leased from a job's shared frontier in Redis, fetched hop by hop
exactly as the local crawl fetches them, each answer one hop record sent back to Redis.

It uses the local crawl's pieces as they are: the request a URL becomes (no redirects, every
status to the callback), :func:`hop_from_response`, the scope check (a URL the job's scope
refuses is recorded as an offsite hop and never requested, whoever put it in the frontier),
``--rewrite-host`` (:func:`map_back`), and the retry policy (transient failures retried after a
backoff or the ``Retry-After`` of a 429/503; the URL stays leased meanwhile).

A URL taken from the frontier is leased (:data:`~migrationaudit.distributed.store.VISIBILITY_S`,
renewed while it is held): a worker that dies loses nothing, its leases run out and go back to
the frontier. The record script accepts one record per URL and queues the redirect target in
the same atomic step, so no record and no target is lost between them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from redis import RedisError
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from migrationaudit.distributed.store import JobStore, reason
from migrationaudit.models.hops import Hop, HopKind
from migrationaudit.newsite.variants import site_of
from migrationaudit.spiders.classify import hop_from_response, synthetic_hop
from migrationaudit.spiders.extract import unfetchable_reason
from migrationaudit.spiders.fetching import (
    failure_outcome,
    hop_request,
    retry_request,
    status_retry,
)
from migrationaudit.spiders.frontier import map_back
from migrationaudit.web.access import parse_rewrites
from migrationaudit.web.scope import Scope

POLL_S = 0.1  # how often an idle worker looks at the frontier again
BUSY_POLL_S = 0.01  # ... and one with URLs in flight (their targets come next)


class WorkerSpider(scrapy.Spider):
    """Fetch the URLs of one job's frontier until the job has nothing left (see the module
    docstring). ``store``: the job's :class:`JobStore`; ``job``: the published job."""

    name = "migrationaudit-worker"

    def __init__(self, store: JobStore, job: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        options = job["options"]
        self.store = store
        self.max_hops = int(options["max_hops"])
        self.retries = int(options["retries"])
        self.retry_backoff = float(options["retry_backoff"])
        self.retry_after_max = float(options["retry_after_max"])
        self.visibility = float(job["visibility_s"])
        self.scope = Scope.from_dict(job["scope"])
        self.rewriter = parse_rewrites(tuple(p) for p in options.get("rewrite_host") or ())
        self.link_sites = frozenset(job.get("link_sites") or ())  # --crawl: keep page links
        self.max_pages = int(job.get("max_pages") or 0)  # ... of at most so many pages
        self.held: set[str] = set()  # leased URLs not recorded yet
        self.fetched = 0
        self.redis_error: str | None = None

    async def start(self) -> AsyncIterator[Any]:
        """Leased URLs, as long as the job has work; ends when the frontier is empty and no
        URL is leased anywhere (or Redis failed)."""
        window = max(2 * self.crawler.settings.getint("CONCURRENT_REQUESTS", 16), 4)
        # Leases are renewed beside the feed: Scrapy may leave start() waiting while its
        # downloader is full, and a held URL must not run out meanwhile.
        keeper = asyncio.get_running_loop().create_task(self._keep_leases())
        try:
            async for request in self._feed(window):
                yield request
        finally:
            keeper.cancel()

    async def _feed(self, window: int) -> AsyncIterator[Request]:
        while self.redis_error is None:
            try:
                room = window - len(self.held)
                claimed = self.store.claim(room, self.visibility) if room > 0 else []
                if not claimed and not self.held and self.store.idle():
                    return
            except (RedisError, OSError) as exc:  # a lost Redis: stop, the exit code says it
                self._redis_failed(exc)
                return
            for url, _depth in claimed:
                self.held.add(url)
                for request in self._fetch(url):
                    yield request
            if not claimed:
                # A chain's next hop is queued when its last answer is recorded: look again
                # soon while URLs are in flight, at a slower pace when there are none.
                await asyncio.sleep(BUSY_POLL_S if self.held else POLL_S)

    async def _keep_leases(self) -> None:
        while self.redis_error is None:
            await asyncio.sleep(self.visibility / 3)
            try:
                self.store.renew(self.held, self.visibility)
                self.store.reclaim()  # a dead worker's leases, back to the frontier
            except (RedisError, OSError) as exc:
                self._redis_failed(exc)
                return

    def parse(self, response: Response) -> list[Request]:
        """One answer → one Hop (or a retry of a transient status)."""
        request = response.request
        assert request is not None
        retry = status_retry(response, request, self._retry)
        if retry is not None:
            return [retry]
        url = request.meta["hop_url"]
        links = bool(self.link_sites) and site_of(url) in self.link_sites
        hop = hop_from_response(response, url, links=links)
        if hop.page is not None and hop.page.links is not None:
            try:
                # --max-pages: the budget is the job's, as the local crawl keeps it.
                if not self.store.link_page(url, self.max_pages, hop.is_healthy):
                    hop = dataclasses.replace(hop, page=dataclasses.replace(hop.page, links=None))
            except (RedisError, OSError) as exc:
                self._redis_failed(exc)
                return []
        return self._record(hop)

    def on_error(self, failure: Failure) -> list[Request]:
        """No HTTP answer → a network-error Hop (or a retry of a transient failure)."""
        outcome = failure_outcome(failure, self._retry)
        if outcome is None:
            return []  # shutting down: the lease runs out and another worker takes the URL
        return [outcome] if isinstance(outcome, Request) else self._record(outcome)

    # -- internals --

    def _fetch(self, url: str) -> list[Request]:
        reason_ = unfetchable_reason(url)
        if reason_ is None:
            offsite = self._outside(url)
            if offsite is not None:
                return self._record(Hop(url=url, status=None, kind=HopKind.OFFSITE, error=offsite))
            try:
                wire = self.rewriter.forward(url) if self.rewriter else url
                return [hop_request(url, wire, self, "page")]
            except ValueError as exc:
                reason_ = f"invalid URL: {exc}"
        return self._record(synthetic_hop(url, reason_))

    def _outside(self, url: str) -> str | None:
        """Why ``url`` is outside the job's scope (None: inside), as the local crawl says."""
        why = self.scope.outside(url)
        if why is not None and self.rewriter and self.scope.contains(self.rewriter.forward(url)):
            return None
        return why

    def _retry(self, request: Request, retry_after: float | None = None) -> Request | None:
        return retry_request(
            request, self.retries, self.retry_backoff, self.retry_after_max, retry_after
        )

    def _record(self, hop: Hop) -> list[Request]:
        """Send the record (its target is queued by the same script); nothing to schedule
        here: the frontier is Redis's."""
        held = hop.url
        if self.rewriter:
            hop = map_back(hop, self.rewriter)
        record = json.dumps(hop.to_dict(), separators=(",", ":"))
        target = hop.target if hop.is_redirect else None
        try:
            self.store.record(hop.url, record, target, self.max_hops)
        except (RedisError, OSError) as exc:
            self._redis_failed(exc)
            return []
        self.held.discard(held)
        self.fetched += 1
        return []

    def _redis_failed(self, exc: BaseException) -> None:
        if self.redis_error is None:
            self.redis_error = reason(exc)
            from scrapy.utils.defer import deferred_from_coro

            engine = self.crawler.engine if getattr(self, "crawler", None) else None
            if engine is not None:
                deferred_from_coro(engine.close_spider_async(reason="redis_error"))

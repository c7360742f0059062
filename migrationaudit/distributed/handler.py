"""The worker's download handler: the local crawl's handler, with its politeness shared by
every worker of the job through Redis.

Before each request it takes a slot of the job's ``--concurrency`` and one of the host's
``--per-host-concurrency`` and waits for the host's next start (``--delay`` after the last
request to it started anywhere, or the end of a ``Retry-After`` pause any worker was told);
after the answer it gives the slots back. A 429/503 with ``Retry-After`` pauses the host for
every worker. With ``--delay`` a host gets one request at a time, each ``--delay`` after the
last one started and after the answer to it. A slot outlives its request's timeout by a few
seconds at most, so a worker that dies holding one does not shrink the job's limits for long.
Scoped credentials, the address policy, TLS, ``--connect-to`` and the body caps are the local
handler's, unchanged.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any

from scrapy.http import Request, Response

from migrationaudit.distributed.store import HOLD_SLACK_S, AsyncSlots, JobStore
from migrationaudit.spiders.handler import HopDownloadHandler, parse_retry_after
from migrationaudit.web.access import origin_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

BUSY_POLL_S = 0.02  # every slot taken: look again this soon
MAX_WAIT_S = 1.0  # the longest single sleep before asking Redis again


class SharedPolitenessHandler(HopDownloadHandler):
    """:class:`HopDownloadHandler` whose limits hold across all workers of the job."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        store: JobStore = crawler.migrationaudit_store  # type: ignore[attr-defined]
        job: dict[str, Any] = crawler.migrationaudit_job  # type: ignore[attr-defined]
        url: str = crawler.migrationaudit_redis_url  # type: ignore[attr-defined]
        self._slots: AsyncSlots | None = None  # on first use: it wants the running loop
        self._url, self._job_id = url, store.keys.job_id
        options = job["options"]
        self._total = int(options["concurrency"])
        self._delay = float(options["delay"])
        # --delay: one request at a time to a host, across all workers (as Scrapy's download
        # slots do with a delay), so the gap holds as the host sees it.
        self._per_host = 1 if self._delay > 0 else int(options["per_host_concurrency"])
        self._hold = float(options["timeout"]) + HOLD_SLACK_S

    async def download_request(self, request: Request) -> Response:
        origin = origin_of(request.url)
        host = origin[1] if origin is not None else ""
        token = secrets.token_hex(8)
        if self._slots is None:
            self._slots = AsyncSlots(self._url, self._job_id)
        slots = self._slots
        await self._acquire(slots, host, token)
        try:
            response = await super().download_request(request)
        finally:
            await slots.release(host, token, self._delay)
        if response.status in (429, 503):
            values = response.headers.getlist(b"Retry-After")
            wait = parse_retry_after(values[0].decode("latin-1")) if values else None
            if wait is not None:
                await slots.pause(host, min(wait, self._retry_after_max))
        return response

    async def _acquire(self, slots: AsyncSlots, host: str, token: str) -> None:
        # Bounded by the job: a worker keeps asking while slots are taken (other requests end
        # within their timeout) or the host is paused (at most --retry-after-max).
        while True:
            wait_ms = await slots.acquire(
                host, token, self._total, self._per_host, self._delay, self._hold
            )
            if wait_ms == 0:
                return
            await asyncio.sleep(BUSY_POLL_S if wait_ms < 0 else min(wait_ms / 1000, MAX_WAIT_S))

    async def close(self) -> None:
        await super().close()
        if self._slots is not None:
            await self._slots.close()
            self._slots = None

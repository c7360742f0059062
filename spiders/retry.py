"""Which answers are retried, shared by the hop spider and the distributed worker's spider:
a transient status (429, 502, 503, 504) is fetched again, after the ``Retry-After`` of a 429
or 503 when it gives one (the download handler waits), else after the spider's backoff."""

from __future__ import annotations

import time
from collections.abc import Callable

from scrapy.http import Request, Response

from migrationaudit.spiders.extract import header_values
from migrationaudit.spiders.handler import RETRY_AFTER_STATUSES, parse_retry_after

RETRY_STATUSES = frozenset({429, 502, 503, 504})


def status_retry(
    response: Response,
    request: Request,
    retry: Callable[[Request, float | None], Request | None],
) -> Request | None:
    """The retry of a transient status, made by ``retry`` with the wait a 429/503's
    ``Retry-After`` asks for (None: its own backoff); None when the answer is recorded as it
    is (not transient, or ``retry`` gave up)."""
    if response.status not in RETRY_STATUSES:
        return None
    wait = None
    if response.status in RETRY_AFTER_STATUSES:
        values = header_values(response, "Retry-After")
        wait = parse_retry_after(values[0]) if values else None
    return retry(request, wait)


def retry_request(
    request: Request,
    retries: int,
    backoff: float,
    retry_after_max: float,
    retry_after: float | None = None,
) -> Request | None:
    """The request again, after ``retry_after`` seconds (a 429/503 said so) or an exponential
    ``backoff``, never more than ``retry_after_max``; None when its ``retries`` are used up."""
    tries = int(request.meta.get("retry_times", 0))
    if tries >= retries:
        return None
    wait = retry_after if retry_after is not None else backoff * 2**tries
    meta = {
        **request.meta,
        "retry_times": tries + 1,
        # A time, not a delay: the request may queue for a download slot first.
        "retry_at": time.monotonic() + min(wait, retry_after_max),
    }
    return request.replace(meta=meta, dont_filter=True)

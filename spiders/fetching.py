"""How a URL is requested and when it is tried again, shared by the hop spider and the
distributed worker's spider: one request per hop (no redirect followed, every status to the
callback); a transient status (429, 502, 503, 504) or failure is fetched again, after the
``Retry-After`` of a 429 or 503 when it gives one (the download handler waits), else after
the spider's backoff; a failure that is not retried is a network-error Hop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from scrapy.http import Request, Response
from twisted.internet.defer import CancelledError as TwistedCancelledError
from twisted.python.failure import Failure

from migrationaudit.models.hops import Hop, HopKind
from migrationaudit.spiders.errors import HopDownloadError
from migrationaudit.spiders.extract import header_values
from migrationaudit.spiders.handler import RETRY_AFTER_STATUSES, parse_retry_after

RETRY_STATUSES = frozenset({429, 502, 503, 504})
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

Retry = Callable[[Request, float | None], Request | None]


def hop_request(url: str, wire_url: str, spider: Any, fetch: str, priority: int = 0) -> Request:
    """The request of one hop: ``wire_url`` (the staging host's, with --rewrite-host) asked
    for ``url``'s record, no redirect followed, every status to ``spider.parse`` and every
    failure to ``spider.on_error``; ``fetch`` ("page", "sitemap", "robots") decides the body
    cap. ValueError for a URL Scrapy cannot request."""
    return Request(
        wire_url,
        callback=spider.parse,
        errback=spider.on_error,
        dont_filter=True,
        headers={"Accept": ACCEPT},
        priority=priority,
        meta={
            "hop_url": url,
            "dont_redirect": True,
            "handle_httpstatus_all": True,
            "fetch": fetch,
        },
    )


def status_retry(
    response: Response,
    request: Request,
    retry: Retry,
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


def failure_outcome(failure: Failure, retry: Retry) -> Request | Hop | None:
    """What a download that got no answer comes to: its retry (a transient failure, while
    ``retry`` allows), else a network-error Hop; None when the crawl is shutting down (not
    the site's fault: nothing is recorded)."""
    exc = failure.value
    request: Request = failure.request  # type: ignore[attr-defined]
    if isinstance(exc, TwistedCancelledError | asyncio.CancelledError):
        return None
    if not isinstance(exc, HopDownloadError):
        exc = HopDownloadError(f"{type(exc).__name__}: {exc}"[:200], transient=False)
    if exc.transient:
        again = retry(request, None)
        if again is not None:
            return again
    return Hop(
        url=request.meta.get("hop_url", request.url),
        status=None,
        kind=HopKind.NETWORK_ERROR,
        error=exc.message,
        elapsed_ms=float(request.meta.get("hop_elapsed_ms", 0.0)),
    )

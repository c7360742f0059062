"""Scrapy components of the crawl besides the handler: a log formatter that keeps the log
quiet, and the decompression middleware that never fails a response for its encoding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.logformatter import LogFormatter
from scrapy.responsetypes import responsetypes

from migrationaudit.settings import MAX_BODY
from migrationaudit.spiders.compression import body_cap, decode_body
from migrationaudit.spiders.extract import PAGE_TEXT_META

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class QuietLogFormatter(LogFormatter):
    """No "Crawled (200)" debug line per response: Scrapy builds that log record even when
    the level drops it (its root logger passes everything to the handler), ~2 % of a crawl's
    CPU in a profile. Every answer is a hop record anyway."""

    def crawled(  # type: ignore[override]
        self, request: Request, response: Response, spider: Any = None
    ) -> None:
        return None



class LenientHttpCompressionMiddleware(HttpCompressionMiddleware):
    """Decoding of ``Content-Encoding`` (gzip, deflate, br, zstd, stacked) under the body cap
    of what the request fetches (:mod:`migrationaudit.spiders.compression`), instead of
    Scrapy's, which drops the whole answer when the decoded size goes over DOWNLOAD_MAXSIZE.

    A body that inflates past its cap keeps its first cap bytes, with the flags "truncated"
    and "inflated-over-cap" (a decompression bomb is a result, never a crash or a memory
    blow-up). A body that cannot be decoded (bad data) keeps the response (status and
    headers are the audit's data) with an empty body and the flag "undecodable"; when the
    body had been cut on the wire ("truncated", "dataloss") what could be decoded is kept."""

    _page_cap: int = MAX_BODY  # a page's cap (MIGRATIONAUDIT_MAX_BODY)

    def __init__(self, stats: Any = None, *, crawler: Crawler | None = None) -> None:
        super().__init__(stats, crawler=crawler)
        if crawler is not None:
            self._page_cap = crawler.settings.getint("MIGRATIONAUDIT_MAX_BODY", MAX_BODY)

    # No ``spider`` parameter: Scrapy 2.19 deprecates it and would warn on every response.
    def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        encodings = response.headers.getlist("Content-Encoding")
        if request.method == "HEAD" or not encodings:
            return response
        cap = body_cap(request.meta.get("fetch"), response.status, self._page_cap)
        decoded = decode_body(response.body, encodings, cap)
        flags = list(response.flags)
        body = decoded.body
        if decoded.truncated:
            flags += [f for f in ("truncated", "inflated-over-cap") if f not in flags]
        if decoded.error is not None and not {"truncated", "dataloss"} & set(response.flags):
            body = b""
            flags.append("undecodable")
        headers = response.headers.copy()
        if decoded.remaining:
            headers["Content-Encoding"] = ", ".join(decoded.remaining)
        else:
            del headers["Content-Encoding"]
        # A class from the decoded body (the compressed one looked binary); built anew:
        # ``response.replace(cls=...)`` would hand a text response's ``encoding`` to a plain
        # Response, which takes none (a TypeError).
        respcls: type[Response] = Response  # an empty undecodable body is no text
        if "undecodable" not in flags:
            respcls = responsetypes.from_args(headers=headers, url=response.url, body=body)
        return respcls(
            url=response.url,
            status=response.status,
            headers=headers,
            body=body,
            flags=flags,
            request=response.request,
            certificate=response.certificate,
            ip_address=response.ip_address,
            protocol=response.protocol,
        )



class PageTextMiddleware:
    """Asks for each page's body facts (H1s, description, JSON-LD types, text fingerprint...)
    when the crawl's setting ``MIGRATIONAUDIT_PAGE_TEXT`` is on (a snapshot, an audit with
    ``--snapshot``); otherwise not installed at all (NotConfigured), so an ordinary audit pays
    nothing for it."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("MIGRATIONAUDIT_PAGE_TEXT"):
            raise NotConfigured

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageTextMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        request.meta[PAGE_TEXT_META] = True

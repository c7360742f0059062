"""The Scrapy reference: a bare hop spider on Scrapy's own stack, tuned as in the shared notes.

Redirects off (``REDIRECT_ENABLED = False``, every status to the callback), ``dont_filter``
on every hop request (we dedupe ourselves: each URL once, so loops end), ``CONCURRENT_ITEMS = 1``
(scrapy/scrapy#7158), callbacks return lists (no generator source parsing), 32 requests in
flight, Scrapy's default HTTP/1.1 download handler and default middleware stack. Each answer
is one JSON line in OUT, written by the callback. Host names reach the bench's nginx as an
HTTP proxy (nginx serves absolute-URI requests by the URI's host), so URLs stay unchanged.

Prints one JSON object on stdout: {"legacy", "requests", "errors", "wall_s"}.

    python bench/scrapy_reference.py URLS OUT --proxy http://127.0.0.1:8080
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import AsyncIterator
from typing import IO, Any
from urllib.parse import urljoin

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Request, Response
from twisted.python.failure import Failure


class ReferenceHopSpider(scrapy.Spider):
    """Follow every legacy URL hop by hop by hand."""

    name = "reference-hop"

    def __init__(
        self, urls: str, out: IO[str], proxy: str, max_hops: int = 10, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.urls_path = urls
        self.out = out
        self.proxy = proxy
        self.max_hops = max_hops
        self.fetched: set[str] = set()
        self.counts = {"legacy": 0, "requests": 0, "errors": 0}

    async def start(self) -> AsyncIterator[Request]:
        with open(self.urls_path, encoding="utf-8") as f:
            for line in f:
                url = line.strip()
                if not url:
                    continue
                self.counts["legacy"] += 1
                if url not in self.fetched:
                    self.fetched.add(url)
                    yield self._request(url, 0)

    def _request(self, url: str, depth: int) -> Request:
        return Request(
            url,
            callback=self.parse,
            errback=self.on_error,
            dont_filter=True,
            priority=depth,  # chains finish before new seeds start
            meta={
                "depth_hop": depth,
                "proxy": self.proxy,
                "dont_redirect": True,
                "handle_httpstatus_all": True,
            },
        )

    def parse(self, response: Response) -> list[Request]:
        location = response.headers.get(b"Location")
        loc = location.decode("latin-1") if location else None
        record: dict[str, Any] = {"url": response.url, "status": response.status, "location": loc}
        next_requests: list[Request] = []
        if 300 <= response.status < 400 and loc:
            target = urljoin(response.url, loc)
            record["target"] = target
            depth = int(response.meta["depth_hop"])
            if target not in self.fetched and depth < self.max_hops:
                self.fetched.add(target)
                next_requests.append(self._request(target, depth + 1))
        self._write(record)
        return next_requests

    def on_error(self, failure: Failure) -> list[Request]:
        request: Request = failure.request  # type: ignore[attr-defined]
        self.counts["errors"] += 1
        self._write({"url": request.url, "error": str(failure.value)[:200]})
        return []

    def _write(self, record: dict[str, Any]) -> None:
        self.counts["requests"] += 1
        self.out.write(json.dumps(record, separators=(",", ":")) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls")
    parser.add_argument("out")
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-hops", type=int, default=10)
    args = parser.parse_args(argv)
    started = time.monotonic()
    process = CrawlerProcess(
        {
            "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
            "ROBOTSTXT_OBEY": False,
            "COOKIES_ENABLED": False,
            "REDIRECT_ENABLED": False,
            "METAREFRESH_ENABLED": False,
            "RETRY_ENABLED": False,
            "HTTPERROR_ALLOW_ALL": True,
            "CONCURRENT_ITEMS": 1,
            "CONCURRENT_REQUESTS": args.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
            "DOWNLOAD_TIMEOUT": 30,
        }
    )
    with open(args.out, "w", encoding="utf-8") as out:
        crawler = process.create_crawler(ReferenceHopSpider)
        process.crawl(crawler, urls=args.urls, out=out, proxy=args.proxy, max_hops=args.max_hops)
        process.start()
        spider = crawler.spider
    assert isinstance(spider, ReferenceHopSpider)
    print(json.dumps({**spider.counts, "wall_s": round(time.monotonic() - started, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

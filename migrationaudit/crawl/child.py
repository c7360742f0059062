"""The crawl child: ``python -m migrationaudit.crawl RUN_DIR [--resume] [--secrets-stdin]``
runs Scrapy's CrawlerProcess with the hop spider (the only code that starts Twisted)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from migrationaudit.crawl.job import scrapy_settings
from migrationaudit.crawl.process import (
    CHILD_ENV,
    EXIT_IO,
)
from migrationaudit.crawl.stdin import read_line, watch_parent
from migrationaudit.rundir.job import CrawlSummary, options_from_dict
from migrationaudit.rundir.layout import (
    JOB_FILE,
    SUMMARY_FILE,
    atomic_write,
    os_reason,
)
from migrationaudit.web.access import (
    OriginKey,
)
from migrationaudit.web.scope import Scope


def _read_secrets() -> dict[OriginKey, list[tuple[str, str]]]:
    """The first line of stdin (raw reads: the parent watcher reads the same descriptor)."""
    from migrationaudit.web.access import scoped_from_wire

    buf = read_line()
    if not buf.strip():
        return {}
    return scoped_from_wire(json.loads(buf.decode("utf-8")).get("headers") or [])


def child_main(run_dir: Path, *, resume: bool = False, secrets_stdin: bool = False) -> int:
    started = time.monotonic()
    options = options_from_dict(json.loads((run_dir / JOB_FILE).read_text(encoding="utf-8")))
    scoped = _read_secrets() if secrets_stdin else {}

    from scrapy.crawler import CrawlerProcess

    from migrationaudit.spiders.hop import HopSpider

    process = CrawlerProcess(scrapy_settings(options))
    crawler = process.create_crawler(HopSpider)
    # Read by the download handler; an attribute, not a setting (settings get logged).
    crawler.migrationaudit_headers = scoped  # type: ignore[attr-defined]
    # The download handler's address policy: hosts the scope names are explicit.
    crawler.migrationaudit_scope = Scope.read(run_dir)  # type: ignore[attr-defined]
    process.crawl(
        crawler,
        run_dir=str(run_dir),
        max_hops=options.max_hops,
        retries=options.retries,
        progress=True,
        rewrite_host=[list(pair) for pair in options.rewrite_host],
        retry_backoff=options.retry_backoff,
        retry_after_max=options.retry_after_max,
        resume=resume,
    )
    if os.environ.get(CHILD_ENV) == "1":
        watch_parent()
    process.start()

    spider = crawler.spider
    if isinstance(spider, HopSpider) and spider.io_error is not None:
        return _io_failed(spider.io_error)
    if not isinstance(spider, HopSpider) or spider.close_reason is None:
        print("crawl: the spider did not run to its close", file=sys.stderr)
        return 1
    assert crawler.stats is not None
    failures = int(crawler.stats.get_value("spider_exceptions/count", 0) or 0)
    reason = spider.close_reason
    summary = CrawlSummary(
        # legacy URLs crawled: the seeds and those a legacy sitemap listed (as the progress)
        seeds=spider.seeds_total + spider.found_total,
        fetched=spider.written,
        complete=reason == "finished" and failures == 0 and spider.seeds_read == spider.seeds_total,
        elapsed_s=round(time.monotonic() - started, 3),
        interrupted=reason == "shutdown",
        finished=spider.chains.done,
    )
    try:
        atomic_write(run_dir / SUMMARY_FILE, json.dumps(summary.to_dict()) + "\n")
    except OSError as exc:
        return _io_failed(f"cannot write {run_dir / SUMMARY_FILE}: {os_reason(exc)}")
    return 0


def _io_failed(message: str) -> int:
    """The child could not write its records: tell the parent why (stdout), exit EXIT_IO."""
    try:
        print(f"ioerror {message}", flush=True)
        print(f"crawl: {message}", file=sys.stderr, flush=True)
    except OSError:
        pass  # the log is on the same full disk; the exit code still says it
    return EXIT_IO

"""One worker process on one job: ``python -P -m migrationaudit.distributed`` runs Scrapy's
CrawlerProcess with :class:`~migrationaudit.distributed.spider.WorkerSpider` until the job has
no work left (Twisted's reactor cannot restart: one process a job).

Its first line of stdin is a JSON object: ``redis`` (the URL), ``job`` (the job id),
``headers`` (the worker's credentials, already scoped to origins: never read from Redis),
``connect_to`` (the worker's own ``--resolve``/``--connect-to``, which win over the job's) and
``ca_bundle``. The end of stdin tells it its parent is gone: it stops as on Ctrl-C.
Exit 0: the job had nothing left (or was gone); 2: Redis failed (a line on stderr says how).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from redis import RedisError

from migrationaudit.crawl.job import scrapy_settings
from migrationaudit.crawl.stdin import read_line, watch_parent
from migrationaudit.distributed.store import (
    JobStore,
    connect,
    redacted,
)
from migrationaudit.errors import CrawlError
from migrationaudit.rundir.job import options_from_dict
from migrationaudit.spiders.resolver import parse_connect_to_setting
from migrationaudit.web.access import scoped_from_wire
from migrationaudit.web.scope import Scope

EXIT_REDIS = 2
HANDLER = "migrationaudit.distributed.handler.SharedPolitenessHandler"


def _read_line() -> dict[str, Any]:
    data = json.loads(read_line().decode("utf-8") or "{}")
    return data if isinstance(data, dict) else {}


def worker_settings(options: Any) -> dict[str, Any]:
    """The local crawl's Scrapy settings, with the shared-politeness handler. Scrapy's stats
    stay in memory: scrapy-redis's RedisStatsCollector costs two or three Redis round trips
    per counter update (measured: ~15 per hop); the one counter the coordinator needs is
    added to the job's stats hash when the worker ends."""
    settings = scrapy_settings(options)
    settings["DOWNLOAD_HANDLERS"] = {"http": HANDLER, "https": HANDLER}
    settings["DOWNLOAD_DELAY"] = 0  # --delay is kept across workers by the handler
    return settings


def worker_main() -> int:
    """Run one job's worker (see the module docstring)."""
    data = _read_line()
    url = str(data.get("redis") or "")
    try:
        client = connect(url)
    except CrawlError as exc:
        print(f"worker: {exc}", file=sys.stderr, flush=True)
        return EXIT_REDIS
    store = JobStore(client, str(data.get("job") or ""))
    job = store.read_job()
    if job is None:
        return 0
    options = options_from_dict(job["options"])
    connect_to = options.connect_to + parse_connect_to_setting(data.get("connect_to") or ())
    ca_bundle = data.get("ca_bundle") or options.ca_bundle
    if ca_bundle and not Path(ca_bundle).is_file():
        ca_bundle = None  # the coordinator's file is not on this machine
    options = dataclasses.replace(options, connect_to=connect_to, ca_bundle=ca_bundle)

    from scrapy.crawler import CrawlerProcess

    from migrationaudit.distributed.spider import WorkerSpider

    process = CrawlerProcess(worker_settings(options))
    crawler = process.create_crawler(WorkerSpider)
    crawler.migrationaudit_headers = scoped_from_wire(data.get("headers") or [])  # type: ignore[attr-defined]
    crawler.migrationaudit_scope = Scope.from_dict(job["scope"])  # type: ignore[attr-defined]
    crawler.migrationaudit_store = store  # type: ignore[attr-defined]
    crawler.migrationaudit_job = job  # type: ignore[attr-defined]
    crawler.migrationaudit_redis_url = url  # type: ignore[attr-defined]
    process.crawl(crawler, store=store, job=job)
    watch_parent()
    process.start()
    spider = crawler.spider
    if isinstance(spider, WorkerSpider) and spider.redis_error is not None:
        print(f"worker: lost Redis at {redacted(url)}: {spider.redis_error}", file=sys.stderr)
        return EXIT_REDIS
    assert crawler.stats is not None
    failures = int(crawler.stats.get_value("spider_exceptions/count", 0) or 0)
    try:
        store.add_failures(failures)
    except (RedisError, OSError) as exc:
        print(f"worker: lost Redis at {redacted(url)}: {exc}", file=sys.stderr, flush=True)
        return EXIT_REDIS
    fetched = spider.fetched if isinstance(spider, WorkerSpider) else 0
    print(f"fetched {fetched}", flush=True)
    return 0

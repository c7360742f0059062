"""Scrapy's stats of all the workers of a job in one Redis hash: scrapy-redis's
RedisStatsCollector, with the ``open_spider``/``close_spider`` signatures of Scrapy 2.19 (the
0.9.1 collector still takes the spider argument Scrapy deprecated)."""

from __future__ import annotations

from typing import Any

from scrapy_redis.stats import RedisStatsCollector  # type: ignore[import-untyped]


class JobStats(RedisStatsCollector):  # type: ignore[misc]
    """The job's shared stats (``STATS_KEY``); kept when a worker closes: the coordinator
    reads them (``spider_exceptions/count``) and removes them with the job."""

    def open_spider(self, *args: Any, **kwargs: Any) -> None:
        pass  # the key is the job's, not the spider's

    def close_spider(self, *args: Any, **kwargs: Any) -> None:
        pass  # SCHEDULER_PERSIST semantics: the coordinator removes the job's keys

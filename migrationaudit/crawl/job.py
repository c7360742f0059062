"""What a crawl process is handed: its seeds, its scope and its Scrapy settings."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from migrationaudit.errors import ConfigError
from migrationaudit.newsite.job import SiteJob
from migrationaudit.settings import CrawlOptions
from migrationaudit.web.access import (
    OriginKey,
    origin_of,
)
from migrationaudit.web.scope import Scope, scope_of


def scrapy_settings(options: CrawlOptions) -> dict[str, Any]:
    """The Scrapy settings of a crawl: a lean stack for hop-by-hop auditing
    (see shared notes on Scrapy performance); ``options.scrapy_settings`` override last."""
    handler = "migrationaudit.spiders.handler.HopDownloadHandler"
    settings: dict[str, Any] = {
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "STATS_DUMP": False,
        "ROBOTSTXT_OBEY": False,  # robots.txt is audited, not obeyed
        "COOKIES_ENABLED": False,
        "REDIRECT_ENABLED": False,  # the spider follows hops itself
        "METAREFRESH_ENABLED": False,
        "HTTPERROR_ALLOW_ALL": True,
        "RETRY_ENABLED": False,  # the spider's own policy: transient failures only
        "CONCURRENT_ITEMS": 1,
        "CONCURRENT_REQUESTS": options.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": options.per_host_concurrency,
        "DOWNLOAD_DELAY": options.delay,
        # --delay is a promise to the site: at least that long between two requests to a host.
        "DOWNLOAD_DELAY_JITTER": 0,  # (RANDOMIZE_DOWNLOAD_DELAY is deprecated in 2.19)
        "DOWNLOAD_TIMEOUT": options.timeout,
        "USER_AGENT": options.user_agent,
        "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        # One middleware: the download handler itself applies DOWNLOAD_TIMEOUT and
        # USER_AGENT (each middleware is a few calls per request on a CPU-bound crawl).
        "DOWNLOADER_MIDDLEWARES_BASE": {
            "migrationaudit.spiders.middlewares.LenientHttpCompressionMiddleware": 590,
            "migrationaudit.spiders.middlewares.PageTextMiddleware": 580,
        },
        "SPIDER_MIDDLEWARES_BASE": {},
        # No extension at all: CoreStats alone answered signals on every response and
        # nothing reads its numbers (spider_exceptions/count comes from the scraper).
        "EXTENSIONS_BASE": {},
        "LOG_FORMATTER": "migrationaudit.spiders.middlewares.QuietLogFormatter",
        "ITEM_PIPELINES": {},
        "FEEDS": {},
        # Unused by our own decompression (spiders/compression.py caps each kind of body);
        # kept as a ceiling should Scrapy's HttpCompressionMiddleware ever be switched back on.
        "DOWNLOAD_MAXSIZE": max(options.max_body * 4, 1024 * 1024),
        "DOWNLOAD_WARNSIZE": 0,
        "MIGRATIONAUDIT_MAX_BODY": options.max_body,
        "MIGRATIONAUDIT_CONNECT_TO": [
            [c.host, c.port, c.addr, c.connect_port] for c in options.connect_to
        ],
        "MIGRATIONAUDIT_VERIFY_TLS": options.verify_tls,
        "MIGRATIONAUDIT_CA_BUNDLE": options.ca_bundle,
        "MIGRATIONAUDIT_RETRY_AFTER_MAX": options.retry_after_max,
    }
    for key, value in options.scrapy_settings:
        settings[key] = value
    return settings



def write_scope(
    run_dir: Path,
    options: CrawlOptions,
    origins: Iterable[OriginKey],
    given: Scope | None = None,
    resume: bool = False,
) -> Scope:
    """Write the run's ``scope.json``: ``given``, plus the seeds' ``origins`` (as requested,
    after host rewriting), the ``--resolve`` / ``--connect-to`` hosts, both sides of each
    ``--rewrite-host``, the site job's ``--crawl`` and sitemap URLs and, on resume, what the
    run directory's scope named before (``--allow-host`` need not be given again)."""
    scope = Scope()
    if resume and (before := Scope.read(run_dir)) is not None:
        scope.merge(before)
    if given is not None:
        scope.merge(given)
    for _scheme, host, port in origins:
        scope.add_host(host, port)
    for c in options.connect_to:
        scope.add_host(c.host, c.port)
    rewrite_sides = [side for pair in options.rewrite_host for side in pair]
    scope.merge(scope_of(hosts=rewrite_sides))
    job = SiteJob.read(run_dir)
    if job is not None:
        for url in (*job.crawl, *job.sitemaps, *job.old_sitemaps):
            scope.add_url(url)
    scope.write(run_dir)
    return scope



def write_seeds(
    seeds: Iterable[str],
    path: Path,
    origins: set[OriginKey],
    forward: Callable[[str], str],
) -> int:
    """Write seeds.txt; collect the origins the seeds are requested at (after rewriting)."""
    count = 0
    with path.open("w", encoding="utf-8") as f:
        for seed in seeds:
            # Line breaks cannot live in a line-per-URL file (browsers drop them from URLs too).
            url = seed.replace("\r", "").replace("\n", "").strip()
            if url:
                f.write(url + "\n")
                count += 1
                origin = origin_of(forward(url))
                if origin is not None:
                    origins.add(origin)
    return count



def check_ca_bundle(path: str) -> None:
    try:
        ssl.create_default_context().load_verify_locations(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load CA bundle {path}: {exc}") from None

"""Taking a snapshot: the legacy URLs of the maps and URL lists crawled hop by hop with the
audit's own crawl (scope, politeness, ``--resolve``, auth, resume, limits), each page's body
read too, then one line per legacy URL streamed to the snapshot file."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrationaudit.crawl import run_crawl
from migrationaudit.errors import ConfigError, InputError
from migrationaudit.graph import build_graph, chains_for
from migrationaudit.inputs import collect_legacy
from migrationaudit.inputs.common import check_base_url
from migrationaudit.inputs.mapfiles import read_map_file
from migrationaudit.inputs.urllist import read_url_list
from migrationaudit.models.inputs import LegacyURL, RedirectRule
from migrationaudit.parity.snapshot import snapshot_chunks, snapshot_line
from migrationaudit.rundir.job import CrawlSummary
from migrationaudit.rundir.layout import snapshot_run_dir, write_or_fail
from migrationaudit.rundir.records import read_hops
from migrationaudit.settings import PAGE_TEXT_SETTING, CrawlOptions
from migrationaudit.web.scope import scope_of


def with_page_text(crawl: CrawlOptions) -> CrawlOptions:
    """``crawl`` asking for every page's body facts (see spiders.middlewares.PageTextMiddleware)."""
    if PAGE_TEXT_SETTING in crawl.scrapy_settings:
        return crawl
    return dataclasses.replace(crawl, scrapy_settings=(*crawl.scrapy_settings, PAGE_TEXT_SETTING))


@dataclass(frozen=True)
class SnapshotSummary:
    pages: int  # lines written
    healthy: int  # of which answered 2xx
    crawl: CrawlSummary
    run_dir: Path


def legacy_urls(
    maps: tuple[str, ...], url_lists: tuple[str, ...], base_url: str | None, map_format: str
) -> tuple[LegacyURL, ...]:
    """The legacy URLs of the maps' sources and the URL lists, in input order."""
    if not (maps or url_lists):
        raise ConfigError("nothing to snapshot: give a redirect map (--map) or a URL list (--urls)")
    base = check_base_url(base_url)
    rules: list[RedirectRule] = []
    for m in maps:
        rules.extend(read_map_file(m, base, None, map_format)[0])
    listed: list[LegacyURL] = []
    for u in url_lists:
        listed.extend(read_url_list(u, base))
    legacy = collect_legacy(rules, listed)
    if not legacy:
        raise InputError(f"no URLs to snapshot in {', '.join(maps + url_lists)}")
    return legacy


def take_snapshot(
    legacy: tuple[LegacyURL, ...],
    out: Path,
    crawl: CrawlOptions,
    *,
    allow_hosts: tuple[str, ...] = (),
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SnapshotSummary:
    """Crawl ``legacy`` into ``OUT.run`` and write the snapshot ``out`` (ReportError when it
    cannot be written; an interrupted crawl writes what it has, ``resume`` continues it)."""
    run_dir = snapshot_run_dir(out)
    try:
        scope = scope_of((), (), allow_hosts)
    except ValueError as exc:
        raise ConfigError(f"--allow-host: {exc}") from None
    summary = run_crawl(
        (item.url for item in legacy),
        run_dir,
        with_page_text(crawl),
        progress=progress,
        resume=resume,
        scope=scope,
    )
    chains = chains_for(build_graph(read_hops(run_dir)), [i.url for i in legacy], crawl.max_hops)
    counts = {"pages": 0, "healthy": 0}

    def lines() -> Iterator[dict[str, Any]]:
        for url, chain in chains.items():
            line = snapshot_line(url, chain)
            counts["pages"] += 1
            status = line["status"]
            counts["healthy"] += isinstance(status, int) and 200 <= status < 300
            yield line

    write_or_fail(out, snapshot_chunks(lines(), gz=out.suffix == ".gz"))
    return SnapshotSummary(counts["pages"], counts["healthy"], summary, run_dir)

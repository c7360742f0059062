"""The new site's side of an audit, as a pipeline stage.

Before the crawl, :func:`plan` decides which hosts are the new site, the old site and staging
(:class:`SiteScope`) and writes the crawl's :class:`~migrationaudit.newsite.job.SiteJob`; local
legacy sitemaps become legacy URLs (:func:`old_sitemap_legacy`). After it, :func:`read_records`
reads what the crawl found besides hop records (robots.txt texts, sitemap contents, crawled
pages) and :func:`annotate` puts it into the graph: node kinds (legacy, final, sitemap, sitemap
entry, crawled) and edge kinds (canonical, link, hreflang, listed-in-sitemap; see
:mod:`migrationaudit.graph`). The rules get a :class:`SiteContext`: the scope and which inputs
exist, so a rule lacking one is skipped with the reason.

Which hosts are the new site: ``--new-host`` when given; else the sites (hosts without
``www.``) most of the map's targets go to, leaving out the sites of the map's sources unless
nothing else is left (a move within one domain). The hosts of ``--crawl`` and ``--sitemap`` URLs
always count. The old site: every other site of a legacy URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from migrationaudit.graph import (
    CRAWLED,
    FINAL,
    LEGACY,
    LISTED,
    SITEMAP,
    SITEMAP_ENTRY,
    add_hreflang,
    add_page_relations,
    mark,
)
from migrationaudit.inputs.robots import RobotsTxt
from migrationaudit.models.hops import Chain
from migrationaudit.models.inputs import LegacyURL, RedirectRule
from migrationaudit.newsite.plan import SiteScope, _split, plan
from migrationaudit.newsite.records import SitemapFile, SitemapRef, SiteRecords, SiteRun
from migrationaudit.settings import SiteOptions
from migrationaudit.web.urls import normalize

# -- after the crawl --------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteContext:
    """What the rules know about the new site's side: the host scope, which inputs were asked
    for (robots, sitemaps, crawl, variants, legacy sitemaps), the legacy sitemaps' URLs, and
    what the crawl read (robots.txt texts, sitemap files, the sitemap URLs it was pointed at).
    Which rules it lets run: :func:`migrationaudit.checks.skip_reason`."""

    scope: SiteScope
    robots: bool = True
    discover: bool = True
    sitemaps_given: bool = False
    crawl: bool = False
    variants: bool = False
    old_sitemaps: bool = False
    old_sitemap_urls: frozenset[str] = frozenset()  # normalised
    # The robots.txt files read, by final robots.txt URL.
    robots_texts: Mapping[str, RobotsTxt] = field(default_factory=dict)
    # Every sitemap file read (new and legacy ones), in the graph's node order.
    sitemap_files: tuple[SitemapFile, ...] = ()
    # The sitemap URLs the audit was pointed at (--sitemap, robots.txt, indexes, guesses).
    sitemap_refs: tuple[SitemapRef, ...] = ()


def context(
    options: SiteOptions,
    scope: SiteScope,
    records: SiteRecords,
    legacy: Iterable[LegacyURL],
    graph: nx.MultiDiGraph,
) -> SiteContext:
    """The rules' view of the stage (``graph``: annotated with ``records``)."""
    _, local_old = _split(options.old_sitemaps)
    old_files = {normalize(p) for p in local_old} | {p for p in local_old}
    old_urls = {normalize(item.url) for item in legacy if item.origin.file in old_files} | {
        normalize(e.loc) for sm in records.sitemaps.values() if sm.old for e in sm.entries
    }
    return SiteContext(
        scope=scope,
        robots=options.robots,
        discover=options.discover,
        sitemaps_given=bool(options.sitemaps),
        crawl=bool(options.crawl),
        variants=options.variants,
        old_sitemaps=bool(options.old_sitemaps),
        old_sitemap_urls=frozenset(old_urls),
        robots_texts=dict(records.robots),
        sitemap_files=tuple(a["sitemap"] for _, a in graph.nodes(data=True) if "sitemap" in a),
        sitemap_refs=records.refs,
    )


def annotate(
    graph: nx.MultiDiGraph,
    records: SiteRecords,
    legacy: Iterable[LegacyURL],
    chains: Mapping[str, Chain],
) -> None:
    """Put the new site's side into the graph (node kinds; canonical, link, hreflang and
    listed-in-sitemap edges; a sitemap file's node carries it as attribute ``sitemap``)."""
    add_page_relations(graph)
    for item in legacy:
        mark(graph, item.url, LEGACY)
    for c in chains.values():
        if c.final is not None:
            mark(graph, c.final.url, FINAL)
    for sm in records.sitemaps.values():
        mark(graph, sm.url, SITEMAP, sitemap=sm)
        for e in sm.entries:
            if graph.get_edge_data(sm.url, e.loc, key=LISTED) is None:
                graph.add_edge(sm.url, e.loc, key=LISTED, line=e.line)
            if sm.old or sm.is_index:
                continue
            mark(graph, e.loc, SITEMAP_ENTRY)
            for lang, href in e.alternates:
                add_hreflang(graph, e.loc, href, lang, "sitemap")
    for url, depth in records.crawled.items():
        mark(graph, url, CRAWLED, depth=depth)


def notes(records: SiteRecords, scope: SiteScope) -> dict[str, Any]:
    """What the stage did, for the run metadata (shown with the report's inputs). The
    sitemaps in one order (legacy ones last, then by URL), not in the order they happened to
    be fetched: a resumed run, or one with more concurrency, says the same as an
    uninterrupted one."""
    files = sorted(records.sitemaps.values(), key=lambda f: (bool(f.old), f.url))
    return {
        "new_sites": list(scope.new_sites),
        "old_sites": list(scope.old_sites),
        "staging_hosts": list(scope.staging_hosts),
        "robots_txt": sorted(records.robots),
        "sitemaps": [
            {
                "url": f.url,
                "old": f.old,
                "format": f.format,
                "urls": f.count,
                "unfetched": f.unfetched,
                "truncated": f.truncated,
            }
            for f in files
        ],
        "crawled_pages": len(records.crawled),
    }


# -- what the pipeline calls ------------------------------------------------------------------


def attach(
    site: SiteRun,
    graph: nx.MultiDiGraph,
    rules: Sequence[RedirectRule],
    legacy: Sequence[LegacyURL],
    chains: Mapping[str, Chain],
) -> tuple[SiteContext, dict[str, Any]]:
    """After the crawl: annotate the graph; the rules' context and the run notes."""
    _, scope = plan(site.options, rules, legacy)
    annotate(graph, site.records, legacy, chains)
    site_ctx = context(site.options, scope, site.records, legacy, graph)
    return site_ctx, notes(site.records, scope)


# -- sample_maps cases: the options a scenario is audited with --------------------------------

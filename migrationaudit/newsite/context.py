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
from dataclasses import dataclass
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
from migrationaudit.models.hops import Chain
from migrationaudit.models.inputs import LegacyURL, RedirectRule
from migrationaudit.newsite.plan import NO_OLD_HOSTS, SiteScope, _split, plan
from migrationaudit.newsite.records import SiteRecords, SiteRun
from migrationaudit.settings import SiteOptions
from migrationaudit.web.urls import normalize

# Why a rule that needs part of the new site's side is skipped.
NO_SITE_STAGE = "the new-site stage did not run"
NO_NEW_SITE = "no new-site host known (give a map with targets, --new-host, --crawl or --sitemap)"
NO_SITEMAP = "no new-site sitemap found (robots.txt Sitemap: lines, /sitemap.xml, --sitemap)"
NO_SITEMAP_READ = "no new-site sitemap could be read"
NO_DISCOVERY = "sitemaps not looked for (--no-sitemap-discovery) and none given (--sitemap)"
NO_ROBOTS = "robots.txt not read (--no-robots)"
NO_SITE_CRAWL = "the new site was not crawled (--crawl)"
NO_VARIANTS = "URL variants not requested (--variants)"


# -- after the crawl --------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteContext:
    """What the rules know about the new site's side: the host scope, which inputs were asked
    for (robots, sitemaps, crawl, variants, legacy sitemaps) and the legacy sitemaps' URLs."""

    scope: SiteScope
    robots: bool = True
    discover: bool = True
    sitemaps_given: bool = False
    crawl: bool = False
    variants: bool = False
    old_sitemaps: bool = False
    old_sitemap_urls: frozenset[str] = frozenset()  # normalised

    def skip_reason(self, need: str, graph: nx.MultiDiGraph) -> str | None:
        """Why a rule needing ``need`` cannot run here (None: it can). Computed once per
        graph (the verdicts ask for every legacy URL)."""
        cache: dict[str, str | None] = graph.graph.setdefault("_skip_reasons", {})
        if need not in cache:
            cache[need] = self._skip_reason(need, graph)
        return cache[need]

    def _skip_reason(self, need: str, graph: nx.MultiDiGraph) -> str | None:
        if need == "robots":
            return None if self.robots else NO_ROBOTS
        if need == "site-crawl":
            return None if self.crawl else NO_SITE_CRAWL
        if need == "variants":
            return None if self.variants else NO_VARIANTS
        if need == "old-sitemap":
            return None if self.old_sitemaps or self.scope.new_sites else NO_OLD_HOSTS
        if need == "sitemap-file":
            files = [a for _, a in graph.nodes(data=True) if "sitemap" in a]
            refs = [r for r in graph.graph.get("sitemap_refs", ()) if r.source != "probe"]
            return None if files or refs else NO_SITEMAP
        if not self.scope.new_sites:
            return NO_NEW_SITE
        if need in ("sitemap", "sitemap-read"):
            if not self.discover and not self.sitemaps_given:
                return NO_DISCOVERY
            files = [a["sitemap"] for _, a in graph.nodes(data=True) if "sitemap" in a]
            refs = [r for r in graph.graph.get("sitemap_refs", ()) if not r.old]
            new_files = [f for f in files if not f.old]
            if need == "sitemap" and not new_files and all(r.source == "probe" for r in refs):
                return NO_SITEMAP
            if need == "sitemap-read" and not any(f.readable for f in new_files):
                named = [r for r in refs if r.source != "probe"]
                return NO_SITEMAP_READ if named or new_files else NO_SITEMAP
        return None


def context(
    options: SiteOptions, scope: SiteScope, records: SiteRecords, legacy: Iterable[LegacyURL]
) -> SiteContext:
    """The rules' view of the stage."""
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
    )


def annotate(
    graph: nx.MultiDiGraph,
    records: SiteRecords,
    legacy: Iterable[LegacyURL],
    chains: Mapping[str, Chain],
) -> None:
    """Put the new site's side into the graph (node kinds, edges, robots, sitemap refs)."""
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
    graph.graph["robots"] = dict(records.robots)
    graph.graph["sitemap_refs"] = records.refs


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
    return context(site.options, scope, site.records, legacy), notes(site.records, scope)


# -- sample_maps cases: the options a scenario is audited with --------------------------------



"""Helpers of the new-site rules (sitemaps, robots.txt, canonicals, links, hreflang, variants):
the questions they ask the graph, answered one way for all of them.

A new-site rule judges URLs that are not always legacy URLs (a page of the new site, a sitemap
entry, a link target): its finding is keyed by that URL, and its evidence is the hop path of
the URL it blames (the canonical, the link target, the sitemap entry).
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from migrationaudit.checks import AuditContext
from migrationaudit.checks.common import counted
from migrationaudit.graph import CRAWLED, FINAL, LISTED, SITEMAP_ENTRY, chain, lookup, nodes_of
from migrationaudit.inputs.robots import RobotsTxt, robots_url
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, Hop, HopKind, Outcome
from migrationaudit.models.inputs import Origin
from migrationaudit.newsite.context import SiteContext
from migrationaudit.newsite.plan import SiteScope
from migrationaudit.newsite.records import SitemapFile
from migrationaudit.newsite.variants import site_of
from migrationaudit.web.plainurls import normal_form as normalize
from migrationaudit.web.plainurls import origin_of

ROBOTS_HOPS = 5  # redirects Google follows for a robots.txt
MAX_NAMED = 5  # URLs named in one message ("… and 12 more")
JUDGED_KINDS = (FINAL, SITEMAP_ENTRY, CRAWLED)


def site(ctx: AuditContext) -> SiteContext:
    """The stage's context (a new-site rule only runs when there is one)."""
    assert ctx.site is not None
    return ctx.site


def scope(ctx: AuditContext) -> SiteScope:
    return site(ctx).scope


def graph(ctx: AuditContext) -> nx.MultiDiGraph:
    assert ctx.graph is not None
    return ctx.graph


def follow(ctx: AuditContext, url: str) -> Chain:
    """The chain of any URL (as :func:`migrationaudit.graph.chain`, the audit's hop limit)."""
    return chain(graph(ctx), url, ctx.options.max_hops)


def healthy_end(c: Chain) -> Hop | None:
    """The healthy page a chain ends on, or None."""
    final = c.final
    if c.outcome is Outcome.FINAL and final is not None and final.is_healthy:
        return final
    return None


def is_broken(c: Chain) -> bool:
    """The chain ends on no healthy page: 4xx/5xx, a network error, a loop, the hop limit.
    An incomplete chain (not fully fetched) or an offsite one (left the audit's scope, not
    requested) is neither broken nor healthy."""
    unknown = (Outcome.INCOMPLETE, Outcome.OFFSITE)
    return c.outcome not in unknown and healthy_end(c) is None


def end_text(c: Chain) -> str:
    """How a chain ends, for messages."""
    if c.outcome is Outcome.LOOP:
        return f"a redirect loop at {c.loop_at}"
    if c.outcome is Outcome.HOP_LIMIT:
        return "no page within the hop limit"
    if c.outcome is Outcome.OFFSITE and c.hops:
        return f"{c.hops[-1].url}, outside the audit's scope (not requested)"
    final = c.final
    if final is None:
        return "no answer"
    if final.status is None:
        return final.error or "no answer"
    return f"{final.status} ({final.error})" if final.error else str(final.status)


def redirect_text(c: Chain) -> str:
    """``"redirects (301) to https://x/ (2 redirects)"``."""
    first = c.hops[0]
    how = "meta refresh" if first.kind is HopKind.META_REFRESH else str(first.status)
    n = c.hop_count
    extra = f" ({n} redirects)" if n > 1 else ""
    return f"redirects ({how}) to {c.final_url}{extra}"


def named(urls: Sequence[str]) -> str:
    """Up to MAX_NAMED URLs, comma-separated, then "and N more".

    Examples
    --------
    >>> named([f"/p{i}" for i in range(7)])
    '/p0, /p1, /p2, /p3, /p4 and 2 more'
    """
    shown = ", ".join(urls[:MAX_NAMED])
    rest = len(urls) - MAX_NAMED
    return f"{shown} and {rest} more" if rest > 0 else shown


def site_finding(
    url: str,
    message: str,
    fix: str,
    evidence: Chain | None = None,
    origin: Origin | None = None,
    expected_url: str | None = None,
) -> Finding:
    """A finding keyed by ``url`` (id and severity are stamped by the runner)."""
    return Finding(
        rule_id="",
        severity=Severity.NOTICE,
        url=url,
        message=message,
        fix=fix,
        evidence=evidence.hops if evidence is not None else (),
        final_url=evidence.final_url if evidence is not None else None,
        expected_url=expected_url,
        origin=origin,
    )


def judged_pages(ctx: AuditContext) -> list[Hop]:
    """Healthy new-site pages the audit knows as pages: final pages of legacy chains, sitemap
    entries, crawled pages (each once, in graph order)."""

    def make() -> list[Hop]:
        g = graph(ctx)
        sc = scope(ctx)
        seen: set[str] = set()
        out: list[Hop] = []
        for kind in JUDGED_KINDS:
            for url in nodes_of(g, kind):
                hop = lookup(g, url)
                if hop is None or hop.url in seen or not hop.is_healthy or not sc.is_new(hop.url):
                    continue
                seen.add(hop.url)
                out.append(hop)
        return out

    return ctx.memo("judged_pages", make)


def target_sites(ctx: AuditContext) -> frozenset[str]:
    """The sites whose robots.txt the robots rules judge as the new site's: the new sites, and
    every site a legacy URL lands on (a healthy page) after a redirect that is neither an old
    nor a staging site (a second new host the map targets, e.g. ``shop.new.example``; the
    crawl reads its robots.txt as it reads a new-site host's)."""

    def make() -> frozenset[str]:
        sc = scope(ctx)
        out = set(sc.new_sites)
        for _, c, n, final in counted(ctx):
            if n and final is not None and c.outcome is Outcome.FINAL and final.is_healthy:
                if not sc.is_old(final.url) and not sc.is_staging(final.url):
                    out.add(site_of(final.url))
        out.discard("")
        return frozenset(out)

    return ctx.memo("target_sites", make)


def robots_for(ctx: AuditContext, url: str) -> RobotsTxt | None:
    """The robots.txt that governs ``url`` as Google reads it (redirects followed, up to 5);
    None when it was not read or gave no answer."""
    # Every legacy URL and final page asks: a plain URL's robots.txt is read off its origin,
    # without the parse (tests/web/test_plainurls.py checks both give the same URL).
    origin = origin_of(url)
    start = origin + "/robots.txt" if origin is not None else robots_url(url)
    if start is None:
        return None
    known: dict[str, RobotsTxt | None] = ctx.memo("robots_for", dict)
    if start not in known:
        known[start] = _robots_at(ctx, start)
    return known[start]


def _robots_at(ctx: AuditContext, start: str) -> RobotsTxt | None:
    c = chain(graph(ctx), start, ROBOTS_HOPS)
    if c.outcome in (Outcome.INCOMPLETE, Outcome.OFFSITE):
        return None  # not known: never fetched, or redirected out of the audit's scope
    if c.outcome in (Outcome.LOOP, Outcome.HOP_LIMIT):
        return RobotsTxt.from_answer(start, 404, None)  # Google: as if there were none
    final = c.final
    assert final is not None
    known = site(ctx).robots_texts
    if final.url in known:
        return known[final.url]
    if final.status is None or final.is_healthy:
        return None  # no answer, or an answer whose text was not read
    return RobotsTxt.from_answer(final.url, final.status, None, final.error)


def sitemap_listings(ctx: AuditContext) -> dict[str, list[tuple[str, int]]]:
    """``{normalised URL: [(sitemap file, line), ...]}`` over the new site's readable
    urlset/text sitemaps (computed once per context)."""

    def make() -> dict[str, list[tuple[str, int]]]:
        g = graph(ctx)
        out: dict[str, list[tuple[str, int]]] = {}
        for sm in sitemap_files(ctx):
            if sm.is_index:
                continue
            for _, entry, key, data in g.out_edges(sm.url, keys=True, data=True):
                if key == LISTED:
                    line = int(data.get("line") or 0)
                    out.setdefault(normalize(entry), []).append((sm.url, line))
        return out

    return ctx.memo("sitemap_listings", make)


def sitemap_files(ctx: AuditContext, *, old: bool = False) -> list[SitemapFile]:
    """The sitemap files read (new ones, or legacy ones with ``old``), in graph order."""
    return [f for f in site(ctx).sitemap_files if f.old == old]


def spellings(ctx: AuditContext, url: str) -> list[str]:
    """Every node equal to ``url`` after normalisation (``url`` first when it is a node)."""

    def make() -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for node in graph(ctx).nodes:
            index.setdefault(normalize(node), []).append(node)
        return index

    nodes = ctx.memo("spellings", make).get(normalize(url), [])
    return sorted(nodes, key=lambda n: n != url)

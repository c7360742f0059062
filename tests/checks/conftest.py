"""Factories for hand-built hops, graphs and audit contexts (rule, graph and verdict tests).

Plain functions, importable from other test modules (``from .conftest import hop`` inside
tests/checks/), so a test reads as the tiny site it describes::

    ctx = make_ctx([("http://old.test/a", "https://new.test/a", 301)],
                   rules=[rrule("http://old.test/a", "https://new.test/a")])
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import networkx as nx

from migrationaudit.checks import AuditContext, run_checks
from migrationaudit.graph import build_graph, chains_for
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Hop, HopKind, PageFacts
from migrationaudit.models.inputs import LegacyURL, Origin, RedirectRule
from migrationaudit.settings import CheckOptions

MAP_FILE = "map.csv"
LIST_FILE = "urls.txt"
_lines = itertools.count(2)  # line 1 is the map's header

Edge = tuple[str, str, int] | tuple[str, str]


def hop(
    url: str,
    status: int | None = 200,
    to: str | None = None,
    *,
    kind: HopKind | None = None,
    error: str | None = None,
    canonical: str | None = None,
    canonical_header: str | None = None,
    robots: str | None = None,
    x_robots: str | None = None,
    refresh: str | None = None,
    html: bool = True,
) -> Hop:
    """One hop record. The kind follows from the arguments: no status → network error,
    3xx with ``to`` → HTTP redirect, ``to`` with another status → meta refresh, else final.
    Non-redirect answers get PageFacts (HTML unless ``html=False``)."""
    if kind is None:
        if status is None:
            kind = HopKind.NETWORK_ERROR
        elif to is not None and 300 <= status < 400:
            kind = HopKind.HTTP_REDIRECT
        elif to is not None:
            kind = HopKind.META_REFRESH
        else:
            kind = HopKind.FINAL
    if kind is HopKind.NETWORK_ERROR and error is None:
        error = "connection refused"
    if kind is HopKind.META_REFRESH and refresh is None:
        refresh = f"0; url={to}"
    page = None
    if kind in (HopKind.FINAL, HopKind.META_REFRESH) and status is not None:
        page = PageFacts(
            content_type="text/html" if html else "application/pdf",
            canonical=canonical,
            canonical_header=canonical_header,
            meta_robots=robots,
            x_robots_tag=x_robots,
            meta_refresh=refresh,
        )
    headers = {"location": to} if kind is HopKind.HTTP_REDIRECT and to else {}
    return Hop(
        url=url,
        status=status,
        kind=kind,
        location=to if kind is HopKind.HTTP_REDIRECT else None,
        target=to,
        error=error,
        headers=headers,
        page=page,
    )


def graph_hops(
    edges: Iterable[Edge],
    *,
    extra: Iterable[Hop] = (),
    ends: dict[str, int | None] | None = None,
    missing: Iterable[str] = (),
) -> list[Hop]:
    """Hops for ``(source, target[, status=301])`` edges; every target without an edge of its
    own answers ``ends.get(url, 200)`` (None = network error) unless listed in ``missing``
    (never fetched). ``extra`` hops are added as given (and win over generated ones)."""
    ends = ends or {}
    extra = list(extra)
    given = {h.url for h in extra}
    out: dict[str, Hop] = {}
    targets: list[str] = []
    for edge in edges:
        src, dst = edge[0], edge[1]
        status = edge[2] if len(edge) == 3 else 301
        out[src] = hop(src, status, dst)
        targets.append(dst)
    skip = set(missing) | given
    for dst in targets:
        if dst not in out and dst not in skip:
            out[dst] = hop(dst, ends.get(dst, 200))
    for h in extra:
        out[h.url] = h
    return list(out.values())


def graph_from_edges(
    edges: Iterable[Edge],
    *,
    extra: Iterable[Hop] = (),
    ends: dict[str, int | None] | None = None,
    missing: Iterable[str] = (),
) -> nx.DiGraph:
    """The redirect graph of :func:`graph_hops`."""
    return build_graph(graph_hops(edges, extra=extra, ends=ends, missing=missing))


def rrule(
    source: str, target: str | None, status: int | None = None, line: int | None = None
) -> RedirectRule:
    """A map row (status defaults to 301, or 410 for a removed URL)."""
    if status is None:
        status = 301 if target is not None else 410
    return RedirectRule(
        source=source,
        expected_target=target,
        origin=Origin(MAP_FILE, line if line is not None else next(_lines)),
        expected_status=status,
    )


def legacy_of(rules: Sequence[RedirectRule], urls: Iterable[str]) -> tuple[LegacyURL, ...]:
    """Map sources first (first row wins), then list URLs, deduplicated."""
    out: dict[str, LegacyURL] = {}
    for r in rules:
        out.setdefault(r.source, LegacyURL(r.source, r.origin, r))
    for n, u in enumerate(urls, start=1):
        out.setdefault(u, LegacyURL(u, Origin(LIST_FILE, n)))
    return tuple(out.values())


def make_ctx(
    edges: Iterable[Edge] = (),
    *,
    rules: Sequence[RedirectRule] = (),
    urls: Iterable[str] = (),
    extra: Iterable[Hop] = (),
    ends: dict[str, int | None] | None = None,
    missing: Iterable[str] = (),
    crawl: bool = True,
    max_hops: int = 10,
    many_to_one: int = 10,
    disabled: Iterable[str] = (),
    overrides: Sequence[tuple[str, Severity]] = (),
) -> AuditContext:
    """An audit context: legacy URLs = map sources + ``urls``; with ``crawl`` the graph of
    ``edges``/``extra`` and each legacy URL's chain, without it no graph (map-only)."""
    legacy = legacy_of(rules, urls)
    options = CheckOptions(
        max_hops=max_hops,
        many_to_one=many_to_one,
        disabled=frozenset(disabled),
        severity_overrides=tuple(overrides),
    )
    if not crawl:
        return AuditContext(tuple(rules), legacy, None, {}, options)
    graph = graph_from_edges(edges, extra=extra, ends=ends, missing=missing)
    chains = chains_for(graph, [i.url for i in legacy], max_hops)
    return AuditContext(tuple(rules), legacy, graph, chains, options)


def findings(ctx: AuditContext, rule_id: str | None = None) -> list[Finding]:
    """Findings of the whole run (or of one rule)."""
    found, _ = run_checks(ctx)
    return [f for f in found if rule_id is None or f.rule_id == rule_id]


def fired(ctx: AuditContext, rule_id: str) -> list[str]:
    """URLs one rule fired on."""
    return [f.url for f in findings(ctx, rule_id)]


def rules_for(ctx: AuditContext, url: str) -> set[str]:
    """Rule ids that fired on one URL."""
    return {f.rule_id for f in findings(ctx) if f.url == url}

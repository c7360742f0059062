"""Rules about the redirect map itself, found before any request: rows mapping a URL to itself,
sources with two targets, targets that are other rows' sources, and cycles among rows.

URLs are compared after :func:`~migrationaudit.web.urls.normalize`. Every finding names the map
line at fault (``origin``) and is keyed by the source URL as the audit lists it (the first row
of that source), so it joins that URL's verdict.

Examples
--------
Two rows sending each other's source back: no crawl is needed to see the loop.

>>> from migrationaudit.models.inputs import Origin
>>> from migrationaudit.settings import CheckOptions
>>> rows = (RedirectRule("/a", "/b", Origin("map.csv", 2)),
...         RedirectRule("/b", "/a", Origin("map.csv", 3)))
>>> legacy = tuple(LegacyURL(r.source, r.origin, r) for r in rows)
>>> ctx = AuditContext(rows, legacy, None, {}, CheckOptions())
>>> for f in map_loops(ctx):
...     print(f.url, "|", f.message)
/a | map loop: /a → /b → /a (rows map.csv:2, map.csv:3)
/b | map loop: /b → /a → /b (rows map.csv:3, map.csv:2)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import pairwise

import networkx as nx

from migrationaudit.checks import AuditContext, Need, rule
from migrationaudit.checks.common import finding
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.inputs import LegacyURL, RedirectRule
from migrationaudit.web.plainurls import normal_form as normalize

MAX_SHOWN = 12  # URLs shown in a loop path before it is cut with "…"


@dataclass(frozen=True)
class _Source:
    """All rows of one (normalised) source URL, in file order."""

    key: str
    rows: tuple[RedirectRule, ...]

    @property
    def first(self) -> RedirectRule:
        return self.rows[0]


def _sources(ctx: AuditContext) -> dict[str, _Source]:
    rows: dict[str, list[RedirectRule]] = {}
    for r in ctx.rules:
        rows.setdefault(normalize(r.source), []).append(r)
    return {k: _Source(k, tuple(v)) for k, v in rows.items()}


def _key(target: str | None) -> str | None:
    return normalize(target) if target is not None else None


def _map_finding(
    ctx: AuditContext, src: _Source, row: RedirectRule, message: str, fix: str
) -> Finding:
    """A finding on the source's legacy URL, pointing at the offending ``row``."""
    url = src.first.source
    item = LegacyURL(url=url, origin=src.first.origin, rule=src.first)
    f = finding(item, ctx.chains.get(url), message, fix)
    return replace(f, origin=row.origin, expected_url=row.expected_target)


def _target_text(row: RedirectRule) -> str:
    if row.expected_target is None:
        return f"removed ({row.expected_status})"
    return row.expected_target


@rule("map-self", Severity.ERROR, needs=Need.MAP)
def self_mapped_sources(ctx: AuditContext) -> Iterator[Finding]:
    """Map rows that send a URL to itself

    A row's new URL equals its old URL (after normalisation).

    Why: deployed as a redirect, the URL redirects to itself: an endless loop for users and
    crawlers. Usually a copy-paste slip or a row for a URL that does not move.

    Fix: put the real new URL in the row, or delete the row if the URL does not change.
    """
    for src in _sources(ctx).values():
        row = next((r for r in src.rows if _key(r.expected_target) == src.key), None)
        if row is None:
            continue
        yield _map_finding(
            ctx,
            src,
            row,
            f"map row {row.origin} sends {row.source} to itself",
            f"Give {row.source} its new URL in {row.origin}, or delete the row.",
        )


@rule("map-conflict", Severity.ERROR, needs=Need.MAP)
def conflicting_sources(ctx: AuditContext) -> Iterator[Finding]:
    """Old URLs with two different targets

    The map has two or more rows for the same old URL with different new URLs (or one row
    removing it and another redirecting it). The audit expects the first row's target.

    Why: only one rule can win on the server, and which one depends on rule order; the other
    target silently never receives its traffic, and the map no longer documents what happens.

    Fix: keep one row per old URL: delete or correct the others.
    """
    for src in _sources(ctx).values():
        seen: dict[str | None, RedirectRule] = {}
        for r in src.rows:
            seen.setdefault(_key(r.expected_target), r)
        if len(seen) < 2:
            continue
        rows = list(seen.values())
        listing = ", ".join(f"{_target_text(r)} ({r.origin})" for r in rows)
        later = ", ".join(str(r.origin) for r in rows[1:])
        yield _map_finding(
            ctx,
            src,
            rows[1],
            f"{src.first.source} has {len(rows)} different targets: {listing}",
            f"Keep one row for {src.first.source}: delete or correct {later}.",
        )


def _map_graph(sources: dict[str, _Source]) -> nx.DiGraph:
    """Normalised source → normalised target for every row (self rows excluded: map-self)."""
    graph: nx.DiGraph = nx.DiGraph()
    for src in sources.values():
        for r in src.rows:
            target = _key(r.expected_target)
            if target is not None and target != src.key and not graph.has_edge(src.key, target):
                graph.add_edge(src.key, target, row=r)
    return graph


def _looping(graph: nx.DiGraph) -> tuple[dict[str, int], dict[str, str]]:
    """({URL on a cycle: id of its cycle component}, {URL leading into a cycle: its next URL
    on the shortest way there})."""
    on_cycle: dict[str, int] = {}
    for n, component in enumerate(nx.strongly_connected_components(graph)):
        if len(component) > 1:
            on_cycle.update(dict.fromkeys(component, n))
    towards: dict[str, str] = {}
    queue = deque(on_cycle)
    while queue:  # reverse breadth-first search from every cycle
        node = queue.popleft()
        for pred in graph.predecessors(node):
            if pred not in on_cycle and pred not in towards:
                towards[pred] = node
                queue.append(pred)
    return on_cycle, towards


def _arrow(names: list[str]) -> str:
    if len(names) > MAX_SHOWN:
        names = [*names[: MAX_SHOWN - 1], "…", names[-1]]
    return " → ".join(names)


def _shown(path: list[str], sources: dict[str, _Source]) -> str:
    return _arrow([sources[k].first.source if k in sources else k for k in path])


def _lines(graph: nx.DiGraph, path: list[str]) -> str:
    return ", ".join(str(graph.edges[a, b]["row"].origin) for a, b in pairwise(path))


@rule("map-loop", Severity.ERROR, needs=Need.MAP)
def map_loops(ctx: AuditContext) -> Iterator[Finding]:
    """Cycles among map rows

    Following the map from row to row (a row's new URL is another row's old URL) comes back to
    a URL already seen, e.g. A → B and B → A. Old URLs whose rows lead into such a cycle are
    reported too. Rows mapping a URL to itself are ``map-self``.

    Why: deployed as written, these URLs redirect in a circle and never reach a page; their
    rankings and links are lost.

    Fix: decide the final page of each URL in the cycle and map every one of them straight to
    it.
    """
    sources = _sources(ctx)
    graph = _map_graph(sources)
    on_cycle, towards = _looping(graph)
    for key, src in sources.items():
        if key in on_cycle:
            start = min(s for s in graph.successors(key) if on_cycle.get(s) == on_cycle[key])
            path = [key, *nx.shortest_path(graph, start, key)]
            message = f"map loop: {_shown(path, sources)} (rows {_lines(graph, path)})"
        elif key in towards:
            path = [key]
            while path[-1] in towards:
                path.append(towards[path[-1]])
            message = (
                f"leads into a map loop: {_shown(path, sources)}, which is part of a cycle "
                f"(rows {_lines(graph, path)})"
            )
        else:
            continue
        row = graph.edges[path[0], path[1]]["row"]
        yield _map_finding(
            ctx,
            src,
            row,
            message,
            f"Map {src.first.source} straight to its final page and break the cycle.",
        )


@rule("map-chain", Severity.WARNING, needs=Need.MAP)
def chained_map_rows(ctx: AuditContext) -> Iterator[Finding]:
    """Map targets that are redirected again by the map

    A row's new URL is the old URL of another row (A → B, B → C), so the deployed redirects
    make a chain. Rows in or leading into a cycle are ``map-loop`` instead.

    Why: every request to the old URL takes two or more hops; chains are slower, weaker and
    break one-hop checks. A target that the map itself removes (404/410) is a broken redirect.

    Fix: map the old URL straight to the final target (C), or remove it too if its target is
    gone.
    """
    sources = _sources(ctx)
    graph = _map_graph(sources)
    on_cycle, towards = _looping(graph)
    for key, src in sources.items():
        first = src.first
        target = _key(first.expected_target)
        if key in on_cycle or key in towards or target is None or target == key:
            continue
        if target not in sources or _key(sources[target].first.expected_target) == target:
            continue  # not a chain, or the target's row maps it to itself (map-self)
        # Follow the first row of each source to the end; no cycle is reachable from here
        # (checked above), only self rows, which stop the walk.
        path, names = [key], [first.source]
        row = first
        while True:
            nxt = _key(row.expected_target)
            if nxt is None or nxt in path:
                break
            path.append(nxt)
            names.append(str(row.expected_target))
            if nxt not in sources:
                break
            row = sources[nxt].first
        via = sources[target].first
        shown = _arrow(names)
        if row.expected_target is None:
            message = (
                f"target {first.expected_target} is removed by map row {row.origin} "
                f"({row.expected_status}): {shown}"
            )
            fix = f"Redirect {first.source} to a live page, or remove it with 410 as well."
        else:
            message = (
                f"target {first.expected_target} is itself redirected by map row "
                f"{via.origin}: {shown}"
            )
            fix = f"Map {first.source} straight to {names[-1]}."
        yield _map_finding(ctx, src, first, message, fix)


@rule("map-row-unreadable", Severity.ERROR, needs=Need.MAP)
def unreadable_map_rows(ctx: AuditContext) -> Iterator[Finding]:
    """Map rows that cannot be read

    A row whose old or new URL cannot be parsed (a space in a host name, a scheme other than
    http or https, a URL without its scheme), whose status is not a redirect or removal
    status, or whose new URL is missing. The row is not audited; every other row is.

    Why: the redirect this row was meant to describe is not checked, and a web server given the
    same line would reject it or redirect somewhere no one intended.

    Fix: correct the row at the line named (write the full URL with http:// or https://).
    """
    for row in ctx.skipped_rows:
        if row.unreadable:
            yield Finding(
                rule_id="",
                severity=Severity.NOTICE,
                url=row.text or str(row.origin),
                message=f"{row.origin}: row not audited: {row.reason}",
                fix=f"Correct line {row.origin.line} of {row.origin.file}.",
                origin=row.origin,
            )

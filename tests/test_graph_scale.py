"""What the million-URL fast paths keep exactly as before: the graph build_graph fills directly
equals the one networkx's own API builds, the collector pause restores its state, and the
answers rules share are per audit context."""

from __future__ import annotations

import gc
from dataclasses import replace

import networkx as nx

from migrationaudit.checks import AuditContext
from migrationaudit.checks.common import counted, judged, landed
from migrationaudit.graph import (
    ALIASES,
    FINAL,
    LEGACY,
    REDIRECT,
    build_graph,
    chains_for,
    gc_paused,
    has_kind,
    mark,
    nodes_of,
)
from migrationaudit.models.hops import Hop
from migrationaudit.settings import CheckOptions
from migrationaudit.web.urls import normalize

try:
    from tests.checks.conftest import hop, legacy_of
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from checks.conftest import hop, legacy_of  # type: ignore[no-redef]

A, B, C, D = (f"https://x.test/{n}" for n in "abcd")


def _reference_graph(hops: list[Hop]) -> nx.MultiDiGraph:
    """build_graph as it was written with networkx's API (add_node, add_edge, remove)."""
    graph = nx.MultiDiGraph()
    aliases: dict[str, str] = {}
    graph.graph[ALIASES] = aliases
    for h in hops:
        if graph.has_node(h.url):
            old = [(u, v, k) for u, v, k in graph.out_edges(h.url, keys=True) if k == REDIRECT]
            graph.remove_edges_from(old)
        graph.add_node(h.url, hop=h)
        norm = normalize(h.url)
        if norm != h.url:
            aliases.setdefault(norm, h.url)
        if h.target:
            graph.add_edge(h.url, h.target, key=REDIRECT, status=h.status, kind=h.kind.value)
    return graph


def _shape(g: nx.MultiDiGraph) -> tuple[object, ...]:
    return (
        list(g.nodes(data=True)),
        list(g.edges(keys=True, data=True)),
        [(u, list(g.succ[u]), list(g.pred[u])) for u in g],
        g.graph,
    )


def test_build_graph_equals_the_networkx_api_build() -> None:
    records = [
        hop(A, 301, B),  # B is a node (a target) before its record
        hop(C),
        hop("HTTP://X.test:443/d", 302, A),  # an alias, recorded under its own spelling
        hop(B, 301, C),
        hop(A, 301, D),  # recorded again: its old edge goes
        hop(D, 301, D),  # a self loop
        hop(B, 301, C),  # recorded again, same target
        hop("https://x.test/e?q=1", 404),
        hop(C, 200),  # recorded again without a target
    ]
    assert _shape(build_graph(iter(records))) == _shape(_reference_graph(records))
    g = build_graph(records)
    assert list(g.successors(A)) == [D] and list(g.predecessors(D)) == [A, D]
    assert g.edges[B, C, REDIRECT] == {"status": 301, "kind": "http-redirect"}
    assert g.graph[ALIASES] == {"http://x.test:443/d": "HTTP://X.test:443/d"}


def test_the_collector_pause_restores_its_state() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause is still in charge
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # was off: stays off
    finally:
        gc.enable()


def test_a_big_pause_ends_with_one_full_collection() -> None:
    generations: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            generations.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        with gc_paused():
            made = [[i] for i in range(150_000)]
        assert generations == [2]  # one full collection, on exit
        generations.clear()
        with gc_paused():
            made = [[i] for i in range(100)]
        assert 2 not in generations  # a small pause leaves the collector to its own pace
    finally:
        gc.callbacks.remove(seen)
    assert len(made) == 100


def test_shared_answers_are_per_context() -> None:
    g = build_graph([hop(A, 301, B), hop(B), hop(C, 301, D), hop(D, 301, B)])
    items = legacy_of((), [A, C])
    ctx = AuditContext(
        rules=(),
        legacy=items,
        graph=g,
        chains=chains_for(g, [A, C], 10),
        options=CheckOptions(),
    )
    assert [(i.url, n, f.url if f else None) for i, _, n, f in counted(ctx)] == [
        (A, 1, B),
        (C, 2, B),
    ]
    assert landed(ctx) is landed(ctx)  # computed once
    assert [i.url for i, _ in judged(ctx)] == [A, C]
    assert [(i.url, page.url) for i, _, page in landed(ctx)] == [(A, B), (C, B)]
    fewer = replace(ctx, legacy=items[1:], chains=chains_for(g, [C], 10))
    assert [i.url for i, _, _, _ in counted(fewer)] == [C]  # a new context asks anew


def test_node_kinds_are_shared_frozen_sets() -> None:
    g = build_graph([hop(A, 301, B), hop(B), hop(C, 301, B)])
    for url in (A, C):
        mark(g, url, LEGACY)
    mark(g, B, FINAL)
    mark(g, B, LEGACY)
    mark(g, B, FINAL)  # twice: no change
    assert g.nodes[A]["kinds"] == {LEGACY} and g.nodes[B]["kinds"] == {FINAL, LEGACY}
    assert g.nodes[A]["kinds"] is g.nodes[C]["kinds"]  # one set for every legacy-only node
    assert list(nodes_of(g, LEGACY)) == [A, B, C] and has_kind(g, B, FINAL)

"""The redirect graph: hop records → a networkx DiGraph, and the chain of each legacy URL.

A node is a URL. A fetched URL carries its :class:`~migrationaudit.models.Hop` as node
attribute ``hop``; a target that was never fetched (beyond the hop limit, or an interrupted
crawl) is a node without ``hop``. An edge ``url → target`` carries the hop's ``status`` and
``kind``. Each URL is fetched once per run, so the graph holds one node per distinct URL and
chains shared by many legacy URLs share their nodes: memory grows with distinct URLs, not with
the sum of chain lengths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from migrationaudit.models import Chain, Hop, HopKind, Outcome
from migrationaudit.urls import normalize

# G.graph key of {normalize(url): url} for fetched URLs whose spelling differs from their
# normal form, so that a Location written differently (``HTTP://Host:80/a``) still finds the
# record of the URL the crawler requested.
ALIASES = "aliases"


def build_graph(hops: Iterable[Hop]) -> nx.DiGraph:
    """Build the redirect graph from hop records (streamed; each consumed once).

    A URL recorded twice (a resumed run) keeps its last record: its old out-edge is replaced.
    """
    graph: nx.DiGraph = nx.DiGraph()
    aliases: dict[str, str] = {}
    graph.graph[ALIASES] = aliases
    for hop in hops:
        if graph.has_node(hop.url):
            # Drop the previous record's edge; an unfetched target left without edges stays as
            # a harmless node.
            graph.remove_edges_from(list(graph.out_edges(hop.url)))
        graph.add_node(hop.url, hop=hop)
        norm = normalize(hop.url)
        if norm != hop.url:
            aliases.setdefault(norm, hop.url)
        if hop.target:
            graph.add_edge(hop.url, hop.target, status=hop.status, kind=hop.kind.value)
    return graph


def lookup(graph: nx.DiGraph, url: str) -> Hop | None:
    """The hop record of ``url``: exact spelling first, then any fetched URL equal to it after
    :func:`~migrationaudit.urls.normalize`. None when it was never fetched."""
    nodes: Mapping[str, Mapping[str, Any]] = graph.nodes
    attrs = nodes.get(url)
    hop = attrs.get("hop") if attrs is not None else None
    if hop is not None:
        return hop  # type: ignore[no-any-return]
    norm = normalize(url)
    key = graph.graph.get(ALIASES, {}).get(norm, norm)
    if key == url:
        return None
    attrs = nodes.get(key)
    return attrs.get("hop") if attrs is not None else None


def chain(graph: nx.DiGraph, url: str, max_hops: int) -> Chain:
    """Follow ``url`` through the graph the way a client would, and say how it ended.

    - FINAL: reached a hop that does not redirect (any status); ERROR: that hop is a network
      error (no HTTP answer).
    - LOOP: a redirect points at a URL already on the path; ``loop_at`` is that URL and the
      hops stop before the revisit. A loop wins over the hop limit (it is the cause).
    - HOP_LIMIT: the ``max_hops + 1``-th fetch still redirects (the crawler fetches at most
      ``max_hops + 1`` URLs of a chain, so a chain of ``max_hops`` redirects and a page is FINAL).
    - INCOMPLETE: a URL on the path has no record; ``missing`` names it.
    """
    hops: list[Hop] = []
    seen: set[str] = set()
    current = url
    hop = lookup(graph, current)
    while True:
        if hop is None:
            return Chain(url, tuple(hops), Outcome.INCOMPLETE, missing=current)
        hops.append(hop)
        seen.add(hop.url)
        if not hop.is_redirect or hop.target is None:
            outcome = Outcome.ERROR if hop.kind is HopKind.NETWORK_ERROR else Outcome.FINAL
            return Chain(url, tuple(hops), outcome)
        current = hop.target
        hop = lookup(graph, current)
        if current in seen or (hop is not None and hop.url in seen):
            return Chain(url, tuple(hops), Outcome.LOOP, loop_at=current)
        if len(hops) > max_hops:
            return Chain(url, tuple(hops), Outcome.HOP_LIMIT)


def chains_for(graph: nx.DiGraph, urls: Iterable[str], max_hops: int) -> dict[str, Chain]:
    """``{url: chain(graph, url, max_hops)}`` for every URL, in input order (duplicates once)."""
    out: dict[str, Chain] = {}
    for url in urls:
        if url not in out:
            out[url] = chain(graph, url, max_hops)
    return out

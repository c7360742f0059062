"""The audit graph: hop records → a networkx MultiDiGraph, and the chain of each legacy URL.

A node is a URL. A fetched URL carries its :class:`~migrationaudit.models.Hop` as node
attribute ``hop``; a target that was never fetched (beyond the hop limit, or an interrupted
crawl) is a node without ``hop``. Each URL is fetched once per run, so the graph holds one node
per distinct URL and chains shared by many legacy URLs share their nodes: memory grows with
distinct URLs, not with the sum of chain lengths.

Edges are keyed by their kind (one edge per kind between two URLs):

- ``redirect``: ``url → target`` of a redirecting hop, with the hop's ``status`` and ``kind``
  (http-redirect or meta-refresh) — what :func:`chain` follows;
- ``canonical``: a page → the URL its canonical names;
- ``link``: a page → a URL it links to (pages whose links were collected: a ``--crawl``);
- ``hreflang``: a page → an alternate, with its ``langs`` and ``sources`` (html, header,
  sitemap);
- ``listed-in-sitemap``: a sitemap file → a URL it lists (a page, or a child sitemap of an
  index), with the ``line``.

Nodes carry a (frozen) set of ``kinds`` (:data:`NODE_KINDS`): legacy URL, final page of a
legacy chain, sitemap file, sitemap entry, crawled page. The new-site stage adds them
(:mod:`migrationaudit.newsite`); :func:`build_graph` alone gives the redirect graph.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any

import networkx as nx

from migrationaudit.models.hops import Chain, Hop, HopKind, Outcome
from migrationaudit.web.plainurls import normal_form

# G.graph key of {normalize(url): url} for fetched URLs whose spelling differs from their
# normal form, so that a Location written differently (``HTTP://Host:80/a``) still finds the
# record of the URL the crawler requested. The graph's own index, built with it by
# build_graph(); read it through aliases(). Nothing else lives in the graph's dict.
ALIASES = "aliases"

# Edge kinds (the edge key).
REDIRECT = "redirect"
CANONICAL = "canonical"
LINK = "link"
HREFLANG = "hreflang"
LISTED = "listed-in-sitemap"
EDGE_KINDS = (REDIRECT, CANONICAL, LINK, HREFLANG, LISTED)

# Node kinds (node attribute ``kinds``, a frozenset shared by the nodes of the same kinds).
LEGACY = "legacy"
FINAL = "final"
SITEMAP = "sitemap"
SITEMAP_ENTRY = "sitemap-entry"
CRAWLED = "crawled"
NODE_KINDS = (LEGACY, FINAL, SITEMAP, SITEMAP_ENTRY, CRAWLED)


# Objects made while the collector was paused above which it sweeps once on resuming.
_SWEEP_AFTER = 100_000


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of acyclic records are built.

    Every few hundred allocations the collector walks the young objects, and now and then all
    of them: at a million legacy URLs (tens of millions of objects, none in a reference cycle)
    that walking cost more than the work itself. Reference counting still frees everything.
    On exit the collector's previous state is restored; after a big pause it runs one full
    collection at once: left alone, it would walk everything made while paused three times
    (as young, middle-aged, then old objects) during whatever comes next. Nested uses leave
    the outermost in charge."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        if gc.get_count()[0] > _SWEEP_AFTER:
            gc.collect()


def build_graph(hops: Iterable[Hop]) -> nx.MultiDiGraph:
    """Build the redirect graph from hop records (streamed; each consumed once).

    A URL recorded twice (a resumed run) keeps its last record: its old out-edge is replaced.
    Only ``redirect`` edges are added here; :func:`add_page_relations` adds what pages say.
    """
    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    spellings: dict[str, str] = {}
    graph.graph[ALIASES] = spellings  # the graph's own index (see aliases())
    # The graph's own dicts, filled directly: what ``add_node``/``add_edge`` do (a node is a
    # ``_node`` attribute dict plus ``_succ``/``_pred`` neighbour dicts; a multi-edge is a
    # key → data dict shared by both sides), without their per-call checks, which were most of
    # the cost of building a million-URL graph.
    nodes: dict[str, dict[str, Any]] = graph._node
    succ: dict[str, dict[str, dict[str, dict[str, Any]]]] = graph._succ
    pred: dict[str, dict[str, dict[str, dict[str, Any]]]] = graph._pred
    edge_data: dict[tuple[int | None, HopKind], dict[str, Any]] = {}
    with gc_paused():
        for hop in hops:
            url = hop.url
            attrs = nodes.get(url)
            if attrs is None:
                nodes[url] = {"hop": hop}
                succ[url] = {}
                pred[url] = {}
            else:
                if "hop" in attrs:
                    _drop_redirect(succ, pred, url)  # an earlier record of the same URL
                attrs["hop"] = hop
            norm = normal_form(url)
            if norm is not url:  # the same object when the URL is in normal form
                spellings.setdefault(norm, url)
            target = hop.target
            if target:
                if target not in succ:
                    nodes[target] = {}
                    succ[target] = {}
                    pred[target] = {}
                # One attribute dict per (status, kind), shared by the redirect edges that
                # have them (nothing writes to a redirect edge's data). ``_value_``: what
                # ``.value`` returns, without the enum descriptor's cost.
                data = edge_data.get((hop.status, hop.kind))
                if data is None:
                    data = edge_data[hop.status, hop.kind] = {
                        "status": hop.status,
                        "kind": hop.kind._value_,
                    }
                keydict = succ[url].get(target)
                if keydict is None:
                    keydict = succ[url][target] = {REDIRECT: data}
                    pred[target][url] = keydict
                else:
                    keydict[REDIRECT] = data
    return graph


def _drop_redirect(succ: dict[str, Any], pred: dict[str, Any], url: str) -> None:
    """Remove ``url``'s redirect out-edges (and a neighbour entry left without edges)."""
    for target, keydict in list(succ[url].items()):
        if REDIRECT in keydict:
            del keydict[REDIRECT]
            if not keydict:
                del succ[url][target]
                del pred[target][url]


def add_page_relations(graph: nx.MultiDiGraph) -> None:
    """Add the ``canonical``, ``hreflang`` (HTML and header) and ``link`` edges of every page
    whose record carries them."""
    for url, attrs in list(graph.nodes(data=True)):
        hop: Hop | None = attrs.get("hop")
        page = hop.page if hop is not None else None
        if page is None:
            continue
        if page.canonical_url:
            graph.add_edge(url, page.canonical_url, key=CANONICAL)
        for lang, href in page.hreflang:
            add_hreflang(graph, url, href, lang, "html")
        for link in page.links or ():
            graph.add_edge(url, link, key=LINK)


def add_hreflang(graph: nx.MultiDiGraph, page: str, href: str, lang: str, source: str) -> None:
    """Record that ``page`` names ``href`` as its ``lang`` alternate (from ``source``)."""
    data = graph.get_edge_data(page, href, key=HREFLANG)
    if data is None:
        graph.add_edge(page, href, key=HREFLANG, langs=[lang], sources=[source])
        return
    if lang not in data["langs"]:
        data["langs"].append(lang)
    if source not in data["sources"]:
        data["sources"].append(source)


# One frozenset per combination of node kinds, shared by every node that has it: a million
# legacy URLs each carrying a set of their own cost ~200 bytes apiece.
_KIND_SETS: dict[frozenset[str], frozenset[str]] = {}


def mark(graph: nx.MultiDiGraph, url: str, kind: str, **attrs: Any) -> None:
    """Give node ``url`` (added when missing) the kind ``kind`` and attributes ``attrs``."""
    if url not in graph._node:
        graph.add_node(url)
    node = graph._node[url]
    kinds: frozenset[str] = node.get("kinds", frozenset())
    if kind not in kinds:
        more = kinds | {kind}
        node["kinds"] = _KIND_SETS.setdefault(more, more)
    node.update(attrs)


def nodes_of(graph: nx.MultiDiGraph, kind: str) -> Iterator[str]:
    """The URLs whose node has the kind ``kind``, in insertion order."""
    for url, attrs in graph.nodes(data=True):
        if kind in attrs.get("kinds", ()):
            yield url


def has_kind(graph: nx.MultiDiGraph, url: str, kind: str) -> bool:
    attrs = graph.nodes.get(url)
    return attrs is not None and kind in attrs.get("kinds", ())


def related(graph: nx.MultiDiGraph, url: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
    """``(target, edge attributes)`` of ``url``'s out-edges of one kind."""
    if not graph.has_node(url):
        return []
    return [(v, d) for _, v, k, d in graph.out_edges(url, keys=True, data=True) if k == kind]


def referrers(graph: nx.MultiDiGraph, url: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
    """``(source, edge attributes)`` of ``url``'s in-edges of one kind."""
    if not graph.has_node(url):
        return []
    return [(u, d) for u, _, k, d in graph.in_edges(url, keys=True, data=True) if k == kind]


def lookup(graph: nx.DiGraph, url: str) -> Hop | None:
    """The hop record of ``url``: exact spelling first, then any fetched URL equal to it after
    :func:`~migrationaudit.web.urls.normalize`. None when it was never fetched."""
    return _lookup(graph._node, aliases(graph), url)


def aliases(graph: nx.DiGraph) -> Mapping[str, str]:
    """``{normal form: fetched spelling}`` of the fetched URLs not spelled in normal form (the
    index :func:`build_graph` keeps with the graph; empty for a hand-built graph)."""
    index: Mapping[str, str] = graph.graph.get(ALIASES, {})
    return index


def _lookup(
    nodes: Mapping[str, Mapping[str, Any]], aliases: Mapping[str, str], url: str
) -> Hop | None:
    attrs = nodes.get(url)
    hop = attrs.get("hop") if attrs is not None else None
    if hop is not None:
        return hop  # type: ignore[no-any-return]
    norm = normal_form(url)
    key = aliases.get(norm, norm)
    if key == url:
        return None
    attrs = nodes.get(key)
    return attrs.get("hop") if attrs is not None else None


def chain(graph: nx.MultiDiGraph, url: str, max_hops: int) -> Chain:
    """Follow ``url`` through the graph the way a client would, and say how it ended.

    - FINAL: reached a hop that does not redirect (any status); ERROR: that hop is a network
      error (no HTTP answer).
    - LOOP: a redirect points at a URL already on the path; ``loop_at`` is that URL and the
      hops stop before the revisit. A loop wins over the hop limit (it is the cause).
    - HOP_LIMIT: the ``max_hops + 1``-th fetch still redirects (the crawler fetches at most
      ``max_hops + 1`` URLs of a chain, so a chain of ``max_hops`` redirects and a page is FINAL).
    - INCOMPLETE: a URL on the path has no record; ``missing`` names it.
    - OFFSITE: the path reached a URL outside the audit's scope (recorded, not requested);
      it is the last hop.

    Examples
    --------
    >>> a, b, c = "http://old.test/a", "https://new.test/a", "https://new.test/a/"
    >>> g = build_graph([Hop(a, 301, HopKind.HTTP_REDIRECT, target=b),
    ...                  Hop(b, 308, HopKind.HTTP_REDIRECT, target=c),
    ...                  Hop(c, 200, HopKind.FINAL)])
    >>> found = chain(g, a, max_hops=10)
    >>> found.outcome.value, found.hop_count, found.final_url
    ('final', 2, 'https://new.test/a/')
    >>> chain(g, a, max_hops=1).outcome.value
    'hop-limit'
    >>> chain(g, "http://old.test/never-fetched", 10).outcome.value
    'incomplete'
    """
    nodes: Mapping[str, Mapping[str, Any]] = graph._node
    return follow(url, partial(_lookup, nodes, aliases(graph)), max_hops)


def follow(url: str, lookup: Callable[[str], Hop | None], max_hops: int) -> Chain:
    """The walk of :func:`chain` over any store of hop records: ``lookup`` finds the record of
    a URL (None when it was never fetched). The fixes planner walks a plain dict with it."""
    hops: list[Hop] = []
    seen: set[str] = set()
    current = url
    hop = lookup(current)
    while True:
        if hop is None:
            return Chain(url, tuple(hops), Outcome.INCOMPLETE, missing=current)
        hops.append(hop)
        seen.add(hop.url)
        if hop.kind is HopKind.OFFSITE:
            return Chain(url, tuple(hops), Outcome.OFFSITE)
        if not hop.is_redirect or hop.target is None:
            outcome = Outcome.ERROR if hop.kind is HopKind.NETWORK_ERROR else Outcome.FINAL
            return Chain(url, tuple(hops), outcome)
        current = hop.target
        hop = lookup(current)
        if current in seen or (hop is not None and hop.url in seen):
            return Chain(url, tuple(hops), Outcome.LOOP, loop_at=current)
        if len(hops) > max_hops:
            return Chain(url, tuple(hops), Outcome.HOP_LIMIT)


def chains_for(graph: nx.DiGraph, urls: Iterable[str], max_hops: int) -> dict[str, Chain]:
    """``{url: chain(graph, url, max_hops)}`` for every URL, in input order (duplicates once)."""
    out: dict[str, Chain] = {}
    with gc_paused():
        for url in urls:
            if url not in out:
                out[url] = chain(graph, url, max_hops)
    return out

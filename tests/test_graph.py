"""The redirect graph and chain semantics (FINAL, ERROR, LOOP, HOP_LIMIT, INCOMPLETE)."""

from __future__ import annotations

from itertools import pairwise

from migrationaudit.graph import build_graph, chain, chains_for, lookup
from migrationaudit.models.hops import HopKind, Outcome

try:
    from tests.checks.conftest import graph_from_edges, hop
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from checks.conftest import graph_from_edges, hop  # type: ignore[no-redef]

A, B, C, D = (f"https://x.test/{n}" for n in "abcd")


def ladder(n: int) -> list[str]:
    """URLs of a chain of ``n`` redirects: s0 → s1 → … → sn."""
    return [f"https://x.test/s{i}" for i in range(n + 1)]


def test_build_graph_nodes_and_edges() -> None:
    g = graph_from_edges([(A, B, 301), (B, C, 302)], missing=[C])
    assert g.nodes[A]["hop"].status == 301
    assert g.edges[A, B, "redirect"] == {"status": 301, "kind": "http-redirect"}
    assert g.edges[B, C, "redirect"]["status"] == 302
    assert C in g and "hop" not in g.nodes[C]  # a target never fetched
    assert g.number_of_nodes() == 3


def test_build_graph_consumes_an_iterator_and_keeps_the_last_record() -> None:
    records = iter([hop(A, 301, B), hop(B), hop(A, 301, C), hop(C)])
    g = build_graph(records)
    assert list(g.successors(A)) == [C]
    assert g.nodes[A]["hop"].target == C


def test_one_hop_final() -> None:
    g = graph_from_edges([(A, B)])
    c = chain(g, A, 10)
    assert c.outcome is Outcome.FINAL
    assert [h.url for h in c.hops] == [A, B]
    assert c.final_url == B and c.final_status == 200 and c.hop_count == 1
    assert c.path_text() == f"{A} --301--> {B} [200]"


def test_no_redirect_final_any_status() -> None:
    g = build_graph([hop(A, 404)])
    c = chain(g, A, 10)
    assert c.outcome is Outcome.FINAL and c.hop_count == 0 and c.final_status == 404


def test_network_error_ends_with_error() -> None:
    g = graph_from_edges([(A, B)], ends={B: None})
    c = chain(g, A, 10)
    assert c.outcome is Outcome.ERROR
    assert c.final is not None and c.final.kind is HopKind.NETWORK_ERROR
    assert c.path_text().endswith("[connection refused]")


def test_invalid_redirect_is_final_with_error() -> None:
    bad = hop(B, 301, kind=HopKind.FINAL, error="invalid redirect: no Location header")
    g = build_graph([hop(A, 301, B), bad])
    c = chain(g, A, 10)
    assert c.outcome is Outcome.FINAL and c.final is bad


def test_loop_stops_at_the_first_revisit() -> None:
    g = graph_from_edges([(A, B), (B, A)])
    c = chain(g, A, 10)
    assert c.outcome is Outcome.LOOP and c.loop_at == A
    assert [h.url for h in c.hops] == [A, B]
    assert c.final is None and c.final_url is None
    assert c.path_text() == f"{A} --301--> {B} --301--> {A} [loop]"


def test_loop_entered_from_outside() -> None:
    g = graph_from_edges([(A, B), (B, C), (C, B)])
    c = chain(g, A, 10)
    assert c.outcome is Outcome.LOOP and c.loop_at == B
    assert [h.url for h in c.hops] == [A, B, C]


def test_self_redirect_is_a_loop() -> None:
    g = graph_from_edges([(A, A)])
    c = chain(g, A, 10)
    assert c.outcome is Outcome.LOOP and c.loop_at == A and len(c.hops) == 1


def test_max_hops_redirects_then_a_page_is_final() -> None:
    urls = ladder(10)
    g = graph_from_edges(list(pairwise(urls)))
    c = chain(g, urls[0], 10)
    assert c.outcome is Outcome.FINAL
    assert c.hop_count == 10 and len(c.hops) == 11


def test_one_redirect_more_than_max_hops_is_hop_limit() -> None:
    # As crawled: 11 redirects, the crawler fetched 11 URLs and not the 12th.
    urls = ladder(11)
    g = graph_from_edges(list(pairwise(urls)), missing=[urls[-1]])
    c = chain(g, urls[0], 10)
    assert c.outcome is Outcome.HOP_LIMIT
    assert len(c.hops) == 11 and c.hops[-1].url == urls[10]
    assert c.path_text().endswith("[hop limit]")


def test_hop_limit_even_when_the_next_url_was_fetched_by_another_chain() -> None:
    urls = ladder(11)
    g = graph_from_edges(list(pairwise(urls)))
    assert chain(g, urls[0], 10).outcome is Outcome.HOP_LIMIT
    assert chain(g, urls[1], 10).outcome is Outcome.FINAL  # the shorter tail is fine


def test_loop_wins_over_hop_limit() -> None:
    urls = ladder(3)
    g = graph_from_edges([*pairwise(urls), (urls[3], urls[0])])
    c = chain(g, urls[0], 3)  # 4 fetches, the 4th redirects back to the start
    assert c.outcome is Outcome.LOOP and c.loop_at == urls[0] and len(c.hops) == 4


def test_max_hops_zero() -> None:
    g = graph_from_edges([(A, B)])
    assert chain(g, A, 0).outcome is Outcome.HOP_LIMIT
    assert chain(g, B, 0).outcome is Outcome.FINAL


def test_missing_hop_is_incomplete() -> None:
    g = graph_from_edges([(A, B), (B, C)], missing=[C])
    c = chain(g, A, 10)
    assert c.outcome is Outcome.INCOMPLETE and c.missing == C
    assert [h.url for h in c.hops] == [A, B]
    assert c.path_text().endswith(f"{C} [not fetched]")


def test_unfetched_start_is_incomplete() -> None:
    g = graph_from_edges([(A, B)])
    c = chain(g, D, 10)
    assert c.outcome is Outcome.INCOMPLETE and c.missing == D and c.hops == ()


def test_target_spelled_differently_finds_the_record() -> None:
    odd = "HTTPS://X.TEST:443/%62#frag"  # = https://x.test/b
    g = build_graph([hop(A, 301, odd), hop(B)])
    c = chain(g, A, 10)
    assert c.outcome is Outcome.FINAL and c.final_url == B
    assert lookup(g, "https://x.test/nope") is None


def test_record_spelled_differently_is_found_from_its_normal_form() -> None:
    g = build_graph([hop("HTTPS://X.test/a", 301, B), hop(B)])
    assert chain(g, A, 10).final_url == B


def test_loop_through_another_spelling_is_still_a_loop() -> None:
    g = build_graph([hop(A, 301, B), hop(B, 301, "https://X.TEST:443/a")])
    c = chain(g, A, 10)
    assert c.outcome is Outcome.LOOP and c.loop_at == "https://X.TEST:443/a"


def test_chains_for_dedupes_and_shares_hops() -> None:
    g = graph_from_edges([(A, C), (B, C)])
    chains = chains_for(g, [A, B, A], 10)
    assert list(chains) == [A, B]
    assert chains[A].hops[-1] is chains[B].hops[-1]  # one record per distinct URL


# -- node and edge kinds (the new site's side) ------------------------------------------------


def test_edge_kinds_live_side_by_side_and_chains_follow_only_redirects() -> None:
    from migrationaudit.graph import (
        CANONICAL,
        HREFLANG,
        LINK,
        REDIRECT,
        add_hreflang,
        add_page_relations,
        referrers,
        related,
    )
    from migrationaudit.models.hops import Hop, PageFacts

    facts = PageFacts(canonical=B, hreflang=(("de", C), ("de-AT", C)), links=(B, C))
    page = Hop(A, 200, HopKind.META_REFRESH, target=B, page=facts)
    g = build_graph([page, hop(B), hop(C)])
    add_page_relations(g)
    add_hreflang(g, A, C, "de", "sitemap")
    assert sorted(k for _, _, k in g.out_edges(A, keys=True)) == sorted(
        [REDIRECT, CANONICAL, LINK, LINK, HREFLANG]
    )
    assert g.edges[A, C, HREFLANG] == {"langs": ["de", "de-AT"], "sources": ["html", "sitemap"]}
    assert [v for v, _ in related(g, A, LINK)] == [B, C]
    assert [u for u, _ in referrers(g, B, CANONICAL)] == [A]
    c = chain(g, A, 10)
    assert [h.url for h in c.hops] == [A, B] and c.outcome is Outcome.FINAL


def test_a_second_record_replaces_the_redirect_edge() -> None:
    from migrationaudit.graph import REDIRECT

    g = build_graph([hop(A, 301, B), hop(B), hop(A, 301, C), hop(C)])
    assert [(v, k) for _, v, k in g.out_edges(A, keys=True)] == [(C, REDIRECT)]


def test_node_kinds() -> None:
    from migrationaudit.graph import FINAL, LEGACY, SITEMAP, has_kind, mark, nodes_of

    g = graph_from_edges([(A, B)])
    mark(g, A, LEGACY)
    mark(g, B, FINAL)
    mark(g, "https://x.test/s.xml", SITEMAP, sitemap="doc")
    mark(g, B, LEGACY)
    assert list(nodes_of(g, LEGACY)) == [A, B]
    assert has_kind(g, B, FINAL) and not has_kind(g, A, FINAL) and not has_kind(g, D, FINAL)
    assert g.nodes["https://x.test/s.xml"]["sitemap"] == "doc"

"""Rules about the redirects themselves: each fires on its defect and stays silent on the
close calls next to it."""

from __future__ import annotations

from itertools import pairwise

from migrationaudit.models.hops import HopKind

from .conftest import findings, fired, hop, make_ctx, rrule, rules_for

OLD, N = "http://old.test", "https://www.new.test"
A = f"{OLD}/a"


def ladder(n: int) -> list[tuple[str, str]]:
    urls = [A] + [f"{N}/s{i}" for i in range(1, n + 1)]
    return list(pairwise(urls))


# --- redirect-loop ------------------------------------------------------------------------


def test_redirect_loop_fires_and_is_not_also_a_chain() -> None:
    ctx = make_ctx([(A, f"{N}/a"), (f"{N}/a", f"{N}/b"), (f"{N}/b", f"{N}/a")], urls=[A])
    (f,) = findings(ctx, "redirect-loop")
    assert f"{N}/a is requested again after 3 redirects" in f.message
    assert rules_for(ctx, A) == {"redirect-loop"}  # not redirect-chain, not broken-target


def test_redirect_loop_silent_on_revisit_free_chain() -> None:
    ctx = make_ctx([(A, f"{N}/a"), (f"{N}/a", f"{N}/a/")], urls=[A])
    assert fired(ctx, "redirect-loop") == []


def test_every_url_of_a_loop_gets_its_own_finding() -> None:
    b = f"{OLD}/b"
    ctx = make_ctx([(A, b), (b, A)], urls=[A, b])
    assert sorted(fired(ctx, "redirect-loop")) == [A, b]


# --- hop-limit ----------------------------------------------------------------------------


def test_hop_limit_fires_beyond_max_hops() -> None:
    edges = ladder(11)
    ctx = make_ctx(edges, urls=[A], missing=[edges[-1][1]], max_hops=10)
    (f,) = findings(ctx, "hop-limit")
    assert "no final page within 10 redirects" in f.message
    assert rules_for(ctx, A) == {"hop-limit"}  # not redirect-chain


def test_hop_limit_silent_at_exactly_max_hops() -> None:
    ctx = make_ctx(ladder(10), urls=[A], max_hops=10)
    assert fired(ctx, "hop-limit") == []
    assert fired(ctx, "redirect-chain") == [A]


def test_hop_limit_respects_a_lower_limit() -> None:
    ctx = make_ctx(ladder(3), urls=[A], max_hops=2)
    assert fired(ctx, "hop-limit") == [A]


# --- redirect-chain -----------------------------------------------------------------------


def test_redirect_chain_fires_on_two_hops() -> None:
    ctx = make_ctx(ladder(2), urls=[A])
    (f,) = findings(ctx, "redirect-chain")
    assert f.message == f"2 redirects before the final answer at {N}/s2"
    assert f"straight to {N}/s2" in f.fix


def test_redirect_chain_silent_on_one_hop() -> None:
    assert fired(make_ctx(ladder(1), urls=[A]), "redirect-chain") == []


def test_redirect_chain_counts_meta_refresh_hops() -> None:
    ctx = make_ctx(
        extra=[hop(A, 301, f"{N}/r"), hop(f"{N}/r", 200, f"{N}/p"), hop(f"{N}/p")], urls=[A]
    )
    assert fired(ctx, "redirect-chain") == [A]


def test_redirect_chain_fix_points_at_the_mapped_target() -> None:
    ctx = make_ctx(ladder(2), rules=[rrule(A, f"{N}/s2")])
    (f,) = findings(ctx, "redirect-chain")
    assert f"straight to {N}/s2" in f.fix


def test_redirect_chain_on_incomplete_chain_with_two_known_hops() -> None:
    edges = ladder(3)
    ctx = make_ctx(edges, urls=[A], missing=[edges[-1][1]])
    (f,) = findings(ctx, "redirect-chain")
    assert "at least 3 redirects" in f.message


# --- temporary-redirect -------------------------------------------------------------------


def test_temporary_redirect_fires_on_302_303_307_anywhere_in_the_chain() -> None:
    for status in (302, 303, 307):
        ctx = make_ctx([(A, f"{N}/x"), (f"{N}/x", f"{N}/y", status)], urls=[A])
        (f,) = findings(ctx, "temporary-redirect")
        assert f"hop 2 {N}/x answers {status}" in f.message


def test_temporary_redirect_silent_on_301_and_308() -> None:
    ctx = make_ctx([(A, f"{N}/x", 308), (f"{N}/x", f"{N}/y", 301)], urls=[A])
    assert fired(ctx, "temporary-redirect") == []


def test_temporary_redirect_silent_when_the_map_asks_for_it() -> None:
    ctx = make_ctx([(A, f"{N}/x", 302)], rules=[rrule(A, f"{N}/x", 302)])
    assert fired(ctx, "temporary-redirect") == []
    # ... but a different temporary code than the map's is still reported
    ctx = make_ctx([(A, f"{N}/x", 307)], rules=[rrule(A, f"{N}/x", 302)])
    assert fired(ctx, "temporary-redirect") == [A]


def test_temporary_redirect_ignores_a_302_final_without_location() -> None:
    bad = hop(f"{N}/x", 302, kind=HopKind.FINAL, error="invalid redirect: no Location header")
    ctx = make_ctx([(A, f"{N}/x")], extra=[bad], urls=[A])
    assert fired(ctx, "temporary-redirect") == []
    assert fired(ctx, "broken-target") == [A]


# --- https-downgrade ----------------------------------------------------------------------


def test_https_downgrade_fires() -> None:
    ctx = make_ctx([(A, f"{N}/x"), (f"{N}/x", "http://www.new.test/x")], urls=[A])
    (f,) = findings(ctx, "https-downgrade")
    assert f"{N}/x → http://www.new.test/x" in f.message


def test_https_downgrade_silent_on_http_to_http_and_upgrades() -> None:
    ctx = make_ctx([(A, f"{OLD}/b"), (f"{OLD}/b", f"{N}/b")], urls=[A])
    assert fired(ctx, "https-downgrade") == []


def test_https_downgrade_via_meta_refresh() -> None:
    ctx = make_ctx(extra=[hop(f"{N}/m", 200, f"{OLD}/p"), hop(f"{OLD}/p")], urls=[f"{N}/m"])
    assert fired(ctx, "https-downgrade") == [f"{N}/m"]


# --- meta-refresh -------------------------------------------------------------------------


def test_meta_refresh_fires() -> None:
    ctx = make_ctx(extra=[hop(A, 200, f"{N}/a"), hop(f"{N}/a")], rules=[rrule(A, f"{N}/a")])
    (f,) = findings(ctx, "meta-refresh")
    assert f'"0; url={N}/a"' in f.message
    assert rules_for(ctx, A) == {"meta-refresh"}  # not not-redirected, not target-mismatch


def test_meta_refresh_silent_on_page_without_onward_target() -> None:
    page = hop(A, 200, refresh="30")  # refresh to itself: the spider records a final page
    ctx = make_ctx(extra=[page], urls=[A])
    assert fired(ctx, "meta-refresh") == []


# --- slash-hop / case-hop / host-hop / scheme-hop -----------------------------------------


def test_slash_hop_fires_in_a_two_hop_chain() -> None:
    ctx = make_ctx([(A, f"{N}/a"), (f"{N}/a", f"{N}/a/")], urls=[A])
    (f,) = findings(ctx, "slash-hop")
    assert f"hop 2 {N}/a → {N}/a/" in f.message
    assert f"in one hop to {N}/a/" in f.fix
    assert rules_for(ctx, A) == {"redirect-chain", "slash-hop"}


def test_slash_hop_silent_when_it_is_the_only_hop() -> None:
    ctx = make_ctx([(f"{N}/a", f"{N}/a/")], urls=[f"{N}/a"])
    assert fired(ctx, "slash-hop") == []


def test_slash_hop_silent_on_other_extra_hops() -> None:
    ctx = make_ctx([(A, f"{N}/a"), (f"{N}/a", f"{N}/b/")], urls=[A])
    assert fired(ctx, "slash-hop") == [] and fired(ctx, "redirect-chain") == [A]


def test_host_hop_fires_both_directions() -> None:
    for first, second in (("https://new.test/a", f"{N}/a"), (f"{N}/a", "https://new.test/a")):
        ctx = make_ctx([(A, first), (first, second)], urls=[A])
        assert fired(ctx, "host-hop") == [A]
        assert fired(ctx, "slash-hop") == [] and fired(ctx, "scheme-hop") == []


def test_host_hop_silent_on_single_www_hop_and_on_other_hosts() -> None:
    ctx = make_ctx([("https://new.test/a", f"{N}/a")], urls=["https://new.test/a"])
    assert fired(ctx, "host-hop") == []
    ctx = make_ctx(
        [(A, "https://shop.new.test/a"), ("https://shop.new.test/a", f"{N}/a")], urls=[A]
    )
    assert fired(ctx, "host-hop") == []


def test_scheme_hop_fires_on_extra_http_to_https() -> None:
    ctx = make_ctx([(A, "http://www.new.test/a"), ("http://www.new.test/a", f"{N}/a")], urls=[A])
    assert fired(ctx, "scheme-hop") == [A]


def test_scheme_hop_silent_on_single_upgrade_and_on_downgrade() -> None:
    ctx = make_ctx([("http://www.new.test/a", f"{N}/a")], urls=["http://www.new.test/a"])
    assert fired(ctx, "scheme-hop") == []
    ctx = make_ctx([(A, f"{N}/a"), (f"{N}/a", "http://www.new.test/a")], urls=[A])
    assert fired(ctx, "scheme-hop") == []
    assert fired(ctx, "https-downgrade") == [A]


def test_case_hop_fires_in_the_issue_chain() -> None:
    # /case → /Case/ (slash and case) → /case/ (only case): the second hop is a case hop
    src, mid, end = f"{N}/case", f"{N}/Case/", f"{N}/case/"
    ctx = make_ctx([(src, mid), (mid, end)], urls=[src])
    (f,) = findings(ctx, "case-hop")
    assert f.message == (
        f"extra hop that only changes the letter case of the path: hop 2 {mid} → {end} "
        "(chain of 2 redirects)"
    )
    assert f"in one hop to {end}" in f.fix
    assert rules_for(ctx, src) == {"redirect-chain", "case-hop"}


def test_case_hop_fires_alongside_the_other_extra_hops() -> None:
    ctx = make_ctx([(A, f"{N}/About"), (f"{N}/About", f"{N}/about")], urls=[A])
    assert fired(ctx, "case-hop") == [A]
    ctx = make_ctx(
        [
            (A, "http://www.new.test/About"),
            ("http://www.new.test/About", f"{N}/About"),
            (f"{N}/About", f"{N}/about"),
        ],
        urls=[A],
    )
    assert rules_for(ctx, A) == {"redirect-chain", "scheme-hop", "case-hop"}


def test_case_hop_silent_when_it_is_the_only_hop() -> None:
    ctx = make_ctx([(f"{N}/About", f"{N}/about")], urls=[f"{N}/About"])
    assert fired(ctx, "case-hop") == []


def test_case_hop_silent_on_other_hops_and_on_query_case() -> None:
    # a different page, a slash-and-case hop, a hop changing only the query's case
    for second in (f"{N}/b", f"{N}/A/"):
        ctx = make_ctx([(A, f"{N}/a"), (f"{N}/a", second)], urls=[A])
        assert fired(ctx, "case-hop") == [], second
    ctx = make_ctx([(A, f"{N}/a?q=X"), (f"{N}/a?q=X", f"{N}/a?q=x")], urls=[A])
    assert fired(ctx, "case-hop") == [] and fired(ctx, "redirect-chain") == [A]
    # a host in upper case is the same host: not a hop of its own
    ctx = make_ctx([(A, "https://WWW.NEW.TEST/a")], urls=[A])
    assert fired(ctx, "case-hop") == []


def test_combined_hop_is_none_of_the_three() -> None:
    ctx = make_ctx([(A, "http://new.test/a"), ("http://new.test/a", f"{N}/a/")], urls=[A])
    assert rules_for(ctx, A) == {"redirect-chain"}


def test_extra_hops_in_a_loop_are_left_to_redirect_loop() -> None:
    ctx = make_ctx([(A, f"{N}/a"), (f"{N}/a", f"{N}/a/"), (f"{N}/a/", f"{N}/a")], urls=[A])
    assert rules_for(ctx, A) == {"redirect-loop"}

"""Rules comparing where a legacy URL lands with the map: broken targets and legacy URLs,
URLs that do not redirect, wrong targets, wrong statuses, lost query strings."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrationaudit.models.findings import Severity
from migrationaudit.models.hops import Hop, HopKind

from .conftest import findings, fired, hop, make_ctx, rrule, rules_for
from .memcrawl import audit_site
from .memcrawl import fired as memfired

OLD, N = "http://old.test", "https://www.new.test"
A = f"{OLD}/a"


# --- broken-target ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410, 500, 503, None])
def test_broken_target_fires_on_error_after_a_redirect(status: int | None) -> None:
    ctx = make_ctx([(A, f"{N}/a")], ends={f"{N}/a": status}, rules=[rrule(A, f"{N}/a")])
    (f,) = findings(ctx, "broken-target")
    assert f.final_url == f"{N}/a"
    assert ("connection refused" if status is None else str(status)) in f.message
    assert fired(ctx, "target-mismatch") == []  # it lands where the map says


def test_broken_target_on_invalid_redirect_and_unsupported_scheme() -> None:
    bad = hop(f"{N}/a", 301, kind=HopKind.FINAL, error="invalid redirect: no Location header")
    ftp = hop("ftp://files.test/x", None, error="unsupported scheme: ftp")
    ctx = make_ctx(
        [(A, f"{N}/a"), (f"{OLD}/b", "ftp://files.test/x")],
        extra=[bad, ftp],
        urls=[A, f"{OLD}/b"],
    )
    assert sorted(fired(ctx, "broken-target")) == [A, f"{OLD}/b"]


def test_broken_target_silent_on_healthy_end_and_without_redirect() -> None:
    ctx = make_ctx([(A, f"{N}/a")], extra=[hop(f"{OLD}/gone", 404)], urls=[A, f"{OLD}/gone"])
    assert fired(ctx, "broken-target") == []
    assert fired(ctx, "legacy-url-broken") == [f"{OLD}/gone"]


def test_broken_target_silent_on_a_loop() -> None:
    ctx = make_ctx([(A, f"{N}/a"), (f"{N}/a", A)], urls=[A])
    assert fired(ctx, "broken-target") == []


def test_removed_row_redirected_to_a_gone_page_is_not_broken() -> None:
    ctx = make_ctx([(A, f"{N}/gone")], ends={f"{N}/gone": 410}, rules=[rrule(A, None, 410)])
    assert fired(ctx, "broken-target") == []
    (f,) = findings(ctx, "status-mismatch")
    assert f"redirects (301) to {N}/gone; the map removes it with 410" in f.message
    # ... but a removed row redirected to a server error is broken
    ctx = make_ctx([(A, f"{N}/gone")], ends={f"{N}/gone": 500}, rules=[rrule(A, None, 410)])
    assert fired(ctx, "broken-target") == [A]


# --- legacy-url-broken --------------------------------------------------------------------


@pytest.mark.parametrize("status", [403, 404, 410, 500, None])
def test_legacy_url_broken_fires_for_list_urls(status: int | None) -> None:
    ctx = make_ctx(extra=[hop(A, status)], urls=[A])
    (f,) = findings(ctx, "legacy-url-broken")
    assert "does not redirect" in f.message
    assert f.origin is not None and f.origin.file == "urls.txt"


def test_legacy_url_broken_names_the_missing_redirect_of_a_mapped_url() -> None:
    ctx = make_ctx(extra=[hop(A, 404)], rules=[rrule(A, f"{N}/a")])
    (f,) = findings(ctx, "legacy-url-broken")
    assert f.message == f"answers 404 instead of redirecting to {N}/a"
    assert rules_for(ctx, A) == {"legacy-url-broken"}  # not status-mismatch, not target-mismatch


@pytest.mark.parametrize(("expected", "got"), [(410, 410), (404, 404), (410, 404), (404, 410)])
def test_removed_on_purpose_answering_404_or_410_is_not_broken(expected: int, got: int) -> None:
    ctx = make_ctx(extra=[hop(A, got)], rules=[rrule(A, None, expected)])
    assert fired(ctx, "legacy-url-broken") == []
    assert fired(ctx, "status-mismatch") == ([] if expected == got else [A])


@pytest.mark.parametrize("status", [500, 403, None])
def test_removed_on_purpose_answering_an_error_is_broken(status: int | None) -> None:
    ctx = make_ctx(extra=[hop(A, status)], rules=[rrule(A, None, 410)])
    (f,) = findings(ctx, "legacy-url-broken")
    assert "the map removes it with status 410" in f.message
    assert fired(ctx, "status-mismatch") == []


def test_legacy_url_broken_on_a_redirect_without_location() -> None:
    bad = hop(A, 302, kind=HopKind.FINAL, error="invalid redirect: no Location header")
    ctx = make_ctx(extra=[bad], urls=[A])
    (f,) = findings(ctx, "legacy-url-broken")
    assert "302 (invalid redirect: no Location header)" in f.message


def test_legacy_url_broken_silent_on_a_healthy_unmapped_page() -> None:
    ctx = make_ctx(extra=[hop(f"{N}/p")], urls=[f"{N}/p"])
    assert findings(ctx) == []


# --- not-redirected -----------------------------------------------------------------------


def test_not_redirected_fires_on_a_live_old_page() -> None:
    ctx = make_ctx(
        extra=[hop(A, 200, canonical=f"{OLD}/x", robots="noindex")], rules=[rrule(A, f"{N}/a")]
    )
    (f,) = findings(ctx, "not-redirected")
    assert f.message == f"answers 200 itself instead of redirecting to {N}/a"
    # the old page is not judged as a landing page
    assert rules_for(ctx, A) == {"not-redirected"}


def test_not_redirected_silent_for_list_urls_and_self_rows() -> None:
    ctx = make_ctx(extra=[hop(A)], urls=[A])
    assert fired(ctx, "not-redirected") == []
    ctx = make_ctx(extra=[hop(A)], rules=[rrule(A, "HTTP://OLD.test:80/a")])
    assert fired(ctx, "not-redirected") == []
    assert fired(ctx, "map-self") == [A]


def test_not_redirected_silent_when_it_redirects_to_the_wrong_page() -> None:
    ctx = make_ctx([(A, f"{N}/b")], rules=[rrule(A, f"{N}/a")])
    assert fired(ctx, "not-redirected") == []
    assert fired(ctx, "target-mismatch") == [A]


# --- target-mismatch ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("final", "how"),
    [
        (f"{N}/a", "only trailing slash"),
        (f"{N}/A/", "only case"),
        ("https://new.test/a/", "only host www/non-www"),
        ("http://www.new.test/a/", "only scheme"),
        (f"{N}/a/?x=1", "only query"),
        (f"{N}/b/", "different page"),
    ],
)
def test_target_mismatch_says_how(final: str, how: str) -> None:
    ctx = make_ctx([(A, final)], rules=[rrule(A, f"{N}/a/")])
    (f,) = findings(ctx, "target-mismatch")
    assert f.message == f"lands on {final} instead of {N}/a/ ({how})"
    assert f.expected_url == f"{N}/a/" and f.final_url == final


def test_target_mismatch_silent_when_equal_after_normalisation() -> None:
    ctx = make_ctx([(A, "HTTPS://WWW.NEW.test:443/caf%c3%a9")], rules=[rrule(A, f"{N}/café")])
    assert fired(ctx, "target-mismatch") == []


def test_target_mismatch_silent_without_expected_target() -> None:
    ctx = make_ctx([(A, f"{N}/x")], urls=[A])
    assert fired(ctx, "target-mismatch") == []
    ctx = make_ctx([(A, f"{N}/x")], ends={f"{N}/x": 410}, rules=[rrule(A, None, 410)])
    assert fired(ctx, "target-mismatch") == []


def test_target_mismatch_silent_on_loops_and_hop_limits() -> None:
    ctx = make_ctx([(A, f"{N}/x"), (f"{N}/x", A)], rules=[rrule(A, f"{N}/a")])
    assert fired(ctx, "target-mismatch") == []


def test_target_mismatch_follows_the_whole_chain() -> None:
    ctx = make_ctx([(A, f"{N}/a"), (f"{N}/a", f"{N}/a/")], rules=[rrule(A, f"{N}/a/")])
    assert fired(ctx, "target-mismatch") == []  # the chain ends on the target


def _offsite(url: str) -> Hop:
    return hop(url, None, kind=HopKind.OFFSITE, error="outside the audit's scope: ...")


def test_target_mismatch_on_a_first_redirect_to_a_host_out_of_scope() -> None:
    away = "https://elsewhere.test/a/"
    ctx = make_ctx([(A, away)], extra=[_offsite(away)], rules=[rrule(A, f"{N}/a/")])
    (f,) = findings(ctx, "target-mismatch")
    assert f.message == (
        f"redirects to {away} instead of {N}/a/ (different page); "
        f"{away} is outside the audit's scope (not requested)"
    )
    assert f.final_url is None and [h.url for h in f.evidence] == [A, away]
    assert "--target-base-url" not in f.fix  # the map names another host than the old one
    # each rule where its own definition holds: offsite-redirect says the chain left scope
    assert rules_for(ctx, A) == {"target-mismatch", "offsite-redirect"}


def test_target_mismatch_on_an_offsite_chain_whose_first_redirect_is_in_scope() -> None:
    away = "https://elsewhere.test/x"
    ctx = make_ctx(
        [(A, f"{N}/b"), (f"{N}/b", away)], extra=[_offsite(away)], rules=[rrule(A, f"{N}/a")]
    )
    (f,) = findings(ctx, "target-mismatch")
    assert f.message == (
        f"redirects to {N}/b instead of {N}/a (different page); the chain then leaves the "
        f"audit's scope at {away} (not requested)"
    )
    assert "--target-base-url" not in f.fix


def test_target_mismatch_silent_on_an_offsite_chain_whose_first_redirect_is_the_target() -> None:
    # the first Location is the map's target (or where the map sends it on): nothing differs
    # yet; where the chain ends after the offsite hop is not known
    away = "https://elsewhere.test/x"
    for first, rows in (
        (f"{N}/a", [rrule(A, f"{N}/a")]),
        (f"{N}/c", [rrule(A, f"{N}/a"), rrule(f"{N}/a", f"{N}/c")]),
    ):
        ctx = make_ctx([(A, first), (first, away)], extra=[_offsite(away)], rules=rows)
        assert fired(ctx, "target-mismatch") == [], first
        assert fired(ctx, "offsite-redirect") == [A]


def test_target_mismatch_silent_on_an_offsite_chain_without_expected_target() -> None:
    away = "https://elsewhere.test/x"
    ctx = make_ctx([(A, away)], extra=[_offsite(away)], urls=[A])
    assert fired(ctx, "target-mismatch") == [] and fired(ctx, "offsite-redirect") == [A]


def test_a_relative_map_redirecting_to_a_host_no_input_names_fails_the_gate(
    tmp_path: Path,
) -> None:
    # the map is paths, read against --base-url (no --target-base-url): its targets are on the
    # old host; the server sends /a to a new domain that no input names (never requested)
    j = audit_site(
        tmp_path,
        [
            {"url": "http://old.test/a", "location": "https://new.test/wrong"},
            {"url": "http://old.test/b", "location": "/b-new"},
            {"url": "http://old.test/b-new", "title": "b"},
        ],
        rows=[("/a", "/a-new"), ("/b", "/b-new")],
        base_url="http://old.test",
    )
    assert memfired(j, "target-mismatch") == ["http://old.test/a"]
    assert memfired(j, "offsite-redirect") == ["http://old.test/a"]
    (f,) = [f for f in j.findings if f.rule_id == "target-mismatch"]
    assert f.severity is Severity.ERROR
    assert f.message.startswith(
        "redirects to https://new.test/wrong instead of http://old.test/a-new (different page)"
    )
    assert f.fix.endswith(
        "; if the map's targets are paths on another host, give that host with "
        "--target-base-url (without it they are read against old.test)."
    )
    verdict = next(v for v in j.verdicts if v.url == "http://old.test/a")
    assert verdict.verdict == "error"


# --- status-mismatch ----------------------------------------------------------------------


def test_status_mismatch_when_a_temporary_redirect_was_planned() -> None:
    ctx = make_ctx([(A, f"{N}/a", 301)], rules=[rrule(A, f"{N}/a", 302)])
    (f,) = findings(ctx, "status-mismatch")
    assert f.message == "redirects with 301; the map says 302"
    ctx = make_ctx([(A, f"{N}/a", 307)], rules=[rrule(A, f"{N}/a", 302)])
    assert fired(ctx, "status-mismatch") == [A]


@pytest.mark.parametrize(("expected", "got"), [(301, 308), (308, 301), (301, 301), (301, 302)])
def test_status_mismatch_silent_when_another_rule_says_it_or_equivalent(
    expected: int, got: int
) -> None:
    ctx = make_ctx([(A, f"{N}/a", got)], rules=[rrule(A, f"{N}/a", expected)])
    assert fired(ctx, "status-mismatch") == []


def test_status_mismatch_removed_url_still_live() -> None:
    ctx = make_ctx(extra=[hop(A)], rules=[rrule(A, None, 410)])
    (f,) = findings(ctx, "status-mismatch")
    assert f.message == "still answers 200; the map removes it with 410"
    assert rules_for(ctx, A) == {"status-mismatch"}


def test_status_mismatch_silent_without_status_column() -> None:
    r = rrule(A, f"{N}/a")
    r = type(r)(r.source, r.expected_target, r.origin, None)
    ctx = make_ctx([(A, f"{N}/a", 302)], rules=[r])
    assert fired(ctx, "status-mismatch") == []


# --- query-dropped ------------------------------------------------------------------------


def test_query_dropped_fires_when_the_expected_target_keeps_it() -> None:
    src = f"{OLD}/search?q=lamps&page=2"
    ctx = make_ctx([(src, f"{N}/search/?page=2")], rules=[rrule(src, f"{N}/search/?q=lamps")])
    (f,) = findings(ctx, "query-dropped")
    assert f.message == f"lost query parameter q on the way to {N}/search/?page=2"


def test_query_dropped_silent_when_the_map_drops_it_on_purpose() -> None:
    src = f"{OLD}/search?q=lamps"
    ctx = make_ctx([(src, f"{N}/search/")], rules=[rrule(src, f"{N}/search/")])
    assert fired(ctx, "query-dropped") == []
    assert fired(ctx, "target-mismatch") == []


def test_query_dropped_with_renamed_parameter_in_the_map() -> None:
    src = f"{OLD}/search?q=lamps"
    ctx = make_ctx([(src, f"{N}/s?query=lamps")], rules=[rrule(src, f"{N}/s?query=lamps")])
    assert fired(ctx, "query-dropped") == []


def test_query_dropped_for_list_urls() -> None:
    src = f"{OLD}/list?cat=3&sort=asc"
    ctx = make_ctx([(src, f"{N}/list?cat=3")], urls=[src])
    (f,) = findings(ctx, "query-dropped")
    assert "parameter sort " in f.message
    ctx = make_ctx([(src, f"{N}/list?sort=asc&cat=3")], urls=[src])
    assert fired(ctx, "query-dropped") == []


def test_query_dropped_silent_without_query_or_without_redirect() -> None:
    ctx = make_ctx([(A, f"{N}/a")], urls=[A])
    assert fired(ctx, "query-dropped") == []
    ctx = make_ctx(extra=[hop(f"{OLD}/s?q=1")], urls=[f"{OLD}/s?q=1"])
    assert fired(ctx, "query-dropped") == []


def test_landing_where_the_map_sends_the_target_on_is_not_a_mismatch() -> None:
    a, b, c = f"{OLD}/a", f"{OLD}/b", f"{N}/c"
    rules = [rrule(a, b), rrule(b, c)]
    # deployed as mapped: a → b → c
    ctx = make_ctx([(a, b), (b, c)], rules=rules)
    assert fired(ctx, "target-mismatch") == []
    assert fired(ctx, "redirect-chain") == [a] and fired(ctx, "map-chain") == [a]
    # deployed as map-chain suggests: a → c in one hop
    ctx = make_ctx([(a, c), (b, c)], rules=rules)
    assert fired(ctx, "target-mismatch") == []
    # ... but somewhere else entirely is still a mismatch
    ctx = make_ctx([(a, f"{N}/x"), (b, c)], rules=rules)
    assert fired(ctx, "target-mismatch") == [a]


def test_broken_target_fix_depends_on_where_the_map_points() -> None:
    ctx = make_ctx([(A, f"{N}/a")], ends={f"{N}/a": 404}, rules=[rrule(A, f"{N}/a")])
    (f,) = findings(ctx, "broken-target")
    assert f.fix == f"Make {N}/a answer 200, or redirect {A} to a page that exists."
    ctx = make_ctx([(A, f"{N}/x")], ends={f"{N}/x": 404}, rules=[rrule(A, f"{N}/a")])
    (f,) = findings(ctx, "broken-target")
    assert f.fix == f"Redirect {A} to {N}/a (the map's target), which must answer 200."

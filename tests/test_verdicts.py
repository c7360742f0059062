"""One verdict per legacy URL: worst severity, outcome, target match, indexability."""

from __future__ import annotations

from migrationaudit.checks import run_checks
from migrationaudit.models.findings import Severity
from migrationaudit.models.hops import Outcome
from migrationaudit.verdicts import build_verdicts

try:
    from tests.checks.conftest import hop, make_ctx, rrule
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from checks.conftest import hop, make_ctx, rrule  # type: ignore[no-redef]

OLD, N = "http://old.test", "https://www.new.test"


def verdicts(ctx):  # type: ignore[no-untyped-def]
    found, _ = run_checks(ctx)
    return {v.url: v for v in build_verdicts(ctx, found)}


def test_one_verdict_per_legacy_url_in_input_order() -> None:
    rules = [
        rrule(f"{OLD}/b", f"{N}/b"),
        rrule(f"{OLD}/a", f"{N}/a"),
        rrule(f"{OLD}/b", f"{N}/x"),
    ]
    ctx = make_ctx([(f"{OLD}/a", f"{N}/a"), (f"{OLD}/b", f"{N}/b")], rules=rules, urls=[f"{OLD}/c"])
    found, _ = run_checks(ctx)
    assert [v.url for v in build_verdicts(ctx, found)] == [f"{OLD}/b", f"{OLD}/a", f"{OLD}/c"]


def test_ok_verdict_fields() -> None:
    r = rrule(f"{OLD}/a", f"{N}/a", line=3)
    ctx = make_ctx([(f"{OLD}/a", f"{N}/a")], extra=[hop(f"{N}/a", canonical=f"{N}/a")], rules=[r])
    v = verdicts(ctx)[f"{OLD}/a"]
    assert v.verdict == "ok" and v.rules == ()
    assert v.outcome is Outcome.FINAL and v.hop_count == 1
    assert (v.final_url, v.final_status, v.expected_url) == (f"{N}/a", 200, f"{N}/a")
    assert v.target_match is True and v.indexable is True and v.canonical == f"{N}/a"
    assert str(v.origin) == "map.csv:3"
    assert v.path == f"{OLD}/a --301--> {N}/a [200]"


def test_worst_severity_wins_and_rules_are_sorted() -> None:
    src = f"{OLD}/a?q=1"
    ctx = make_ctx([(src, f"{N}/x", 302), (f"{N}/x", f"{N}/x/")], rules=[rrule(src, f"{N}/a?q=1")])
    v = verdicts(ctx)[src]
    assert v.verdict == "error"
    assert v.rules == (
        "query-dropped",
        "redirect-chain",
        "slash-hop",
        "target-mismatch",
        "temporary-redirect",
    )
    assert v.target_match is False


def test_warning_and_notice_verdicts() -> None:
    ctx = make_ctx(
        [(f"{OLD}/a", f"{N}/a", 302), (f"{OLD}/q?x=1", f"{N}/q")],
        urls=[f"{OLD}/a", f"{OLD}/q?x=1"],
    )
    vs = verdicts(ctx)
    assert vs[f"{OLD}/a"].verdict == "warning"
    assert vs[f"{OLD}/q?x=1"].verdict == "notice"


def test_severity_override_changes_the_verdict() -> None:
    ctx = make_ctx(
        [(f"{OLD}/a", f"{N}/a", 302)],
        urls=[f"{OLD}/a"],
        overrides=[("temporary-redirect", Severity.NOTICE)],
    )
    assert verdicts(ctx)[f"{OLD}/a"].verdict == "notice"


def test_incomplete_chain() -> None:
    ctx = make_ctx(
        [(f"{OLD}/a", f"{N}/a")], missing=[f"{N}/a"], rules=[rrule(f"{OLD}/a", f"{N}/a")]
    )
    v = verdicts(ctx)[f"{OLD}/a"]
    assert v.verdict == "incomplete" and v.outcome is Outcome.INCOMPLETE
    assert v.target_match is None and v.indexable is None and v.final_url is None
    assert v.path.endswith(f"{N}/a [not fetched]")


def test_loop_and_network_error_have_no_indexable_page() -> None:
    ctx = make_ctx(
        [(f"{OLD}/a", f"{OLD}/b"), (f"{OLD}/b", f"{OLD}/a"), (f"{OLD}/c", f"{N}/c")],
        ends={f"{N}/c": None},
        rules=[rrule(f"{OLD}/a", f"{N}/a")],
        urls=[f"{OLD}/c"],
    )
    vs = verdicts(ctx)
    assert vs[f"{OLD}/a"].outcome is Outcome.LOOP and vs[f"{OLD}/a"].indexable is None
    assert vs[f"{OLD}/a"].target_match is False and vs[f"{OLD}/a"].verdict == "error"
    assert vs[f"{OLD}/c"].outcome is Outcome.ERROR and vs[f"{OLD}/c"].indexable is None
    assert vs[f"{OLD}/c"].target_match is None  # a list URL expects nothing


def test_indexable_false_on_noindex_and_on_error_status() -> None:
    ctx = make_ctx(
        [(f"{OLD}/a", f"{N}/a"), (f"{OLD}/b", f"{N}/b")],
        extra=[hop(f"{N}/a", x_robots="noindex")],
        ends={f"{N}/b": 404},
        urls=[f"{OLD}/a", f"{OLD}/b"],
    )
    vs = verdicts(ctx)
    assert vs[f"{OLD}/a"].indexable is False and vs[f"{OLD}/b"].indexable is False


def test_removed_on_purpose_is_ok() -> None:
    ctx = make_ctx(extra=[hop(f"{OLD}/gone", 410)], rules=[rrule(f"{OLD}/gone", None, 410)])
    v = verdicts(ctx)[f"{OLD}/gone"]
    assert v.verdict == "ok" and v.expected_url is None and v.target_match is None
    assert v.indexable is False and v.final_status == 410


def test_map_only_verdicts_have_no_chain() -> None:
    rules = [rrule(f"{OLD}/a", f"{OLD}/a"), rrule(f"{OLD}/b", f"{N}/b")]
    ctx = make_ctx(rules=rules, crawl=False)
    vs = verdicts(ctx)
    assert vs[f"{OLD}/a"].verdict == "error" and vs[f"{OLD}/a"].rules == ("map-self",)
    b = vs[f"{OLD}/b"]
    assert b.verdict == "ok" and b.outcome is Outcome.INCOMPLETE and b.hop_count == 0
    assert b.path == "" and b.target_match is None and b.indexable is None


def test_target_match_follows_the_map_like_target_mismatch() -> None:
    a, b, c = f"{OLD}/a", f"{OLD}/b", f"{N}/c"
    ctx = make_ctx([(a, c), (b, c)], rules=[rrule(a, b), rrule(b, c)])
    vs = verdicts(ctx)
    assert vs[a].target_match is True and vs[b].target_match is True


def test_site_columns_without_the_new_site_stage() -> None:
    ctx = make_ctx(
        [(f"{OLD}/a", f"{N}/a"), (f"{OLD}/b", f"{N}/b")],
        extra=[hop(f"{N}/a", canonical=f"{N}/a"), hop(f"{N}/b", canonical=f"{N}/other")],
        urls=[f"{OLD}/a", f"{OLD}/b", f"{N}/c"],
        ends={f"{N}/c": 404},
    )
    vs = verdicts(ctx)
    assert vs[f"{OLD}/a"].self_canonical is True
    assert vs[f"{OLD}/b"].self_canonical is False
    # no stage: sitemaps and robots.txt are unknown, never guessed
    assert {(v.in_sitemap, v.robots_allowed) for v in vs.values()} == {(None, None)}
    d = vs[f"{OLD}/a"].to_dict()
    assert (d["self_canonical"], d["in_sitemap"], d["robots_allowed"]) == (True, None, None)

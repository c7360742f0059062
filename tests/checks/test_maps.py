"""Map rules: found in the redirect map itself, before (and without) any request."""

from __future__ import annotations

from .conftest import findings, fired, make_ctx, rrule

OLD, N = "http://old.test", "https://www.new.test"
A, B, C, D = (f"{OLD}/{n}" for n in "abcd")


def map_only(*rules):  # type: ignore[no-untyped-def]
    return make_ctx(rules=list(rules), crawl=False)


# --- map-self -----------------------------------------------------------------------------


def test_map_self_fires_after_normalisation() -> None:
    ctx = map_only(rrule(A, "HTTP://OLD.test:80/a#x", line=5))
    (f,) = findings(ctx, "map-self")
    assert f.url == A and str(f.origin) == "map.csv:5"
    assert f.message == f"map row map.csv:5 sends {A} to itself"


def test_map_self_silent_on_slash_or_scheme_change() -> None:
    ctx = map_only(rrule(A, f"{A}/"), rrule(B, "https://old.test/b"))
    assert fired(ctx, "map-self") == []
    assert fired(ctx, "map-loop") == []


# --- map-conflict -------------------------------------------------------------------------


def test_map_conflict_fires_once_per_source_naming_the_lines() -> None:
    ctx = map_only(
        rrule(A, f"{N}/x", line=2),
        rrule(A, f"{N}/y", line=3),
        rrule("HTTP://OLD.TEST/a", None, 410, line=4),
    )
    (f,) = findings(ctx, "map-conflict")
    assert f.url == A and str(f.origin) == "map.csv:3"
    assert f.message == (
        f"{A} has 3 different targets: {N}/x (map.csv:2), {N}/y (map.csv:3), "
        "removed (410) (map.csv:4)"
    )
    assert "delete or correct map.csv:3, map.csv:4" in f.fix


def test_map_conflict_silent_on_duplicate_rows() -> None:
    ctx = map_only(rrule(A, f"{N}/x"), rrule(A, "HTTPS://www.new.test:443/x"))
    assert fired(ctx, "map-conflict") == []


# --- map-loop -----------------------------------------------------------------------------


def test_map_loop_fires_for_every_row_of_the_cycle() -> None:
    ctx = map_only(rrule(A, B, line=2), rrule(B, C, line=3), rrule(C, A, line=4))
    found = {f.url: f for f in findings(ctx, "map-loop")}
    assert set(found) == {A, B, C}
    assert (
        found[A].message
        == f"map loop: {A} → {B} → {C} → {A} (rows map.csv:2, map.csv:3, map.csv:4)"
    )
    assert str(found[B].origin) == "map.csv:3"
    assert fired(ctx, "map-chain") == []


def test_map_loop_reports_rows_leading_into_a_cycle() -> None:
    ctx = map_only(rrule(D, A, line=2), rrule(A, B, line=3), rrule(B, A, line=4))
    found = {f.url: f for f in findings(ctx, "map-loop")}
    assert set(found) == {A, B, D}
    assert found[D].message.startswith(f"leads into a map loop: {D} → {A}")
    assert fired(ctx, "map-chain") == []


def test_map_loop_through_a_conflicting_row() -> None:
    ctx = map_only(rrule(A, f"{N}/a"), rrule(A, B), rrule(B, A))
    assert sorted(fired(ctx, "map-loop")) == [A, B]
    assert fired(ctx, "map-conflict") == [A]


def test_two_separate_cycles_joined_by_an_edge() -> None:
    ctx = map_only(rrule(A, B), rrule(B, A), rrule(C, D), rrule(D, C), rrule(A, C))
    found = {f.url: f.message for f in findings(ctx, "map-loop")}
    assert set(found) == {A, B, C, D}
    assert found[A].startswith(f"map loop: {A} → {B} → {A}")


def test_map_loop_silent_on_a_chain() -> None:
    ctx = map_only(rrule(A, B), rrule(B, f"{N}/b"))
    assert fired(ctx, "map-loop") == []


# --- map-chain ----------------------------------------------------------------------------


def test_map_chain_fires_and_names_the_final_target() -> None:
    ctx = map_only(rrule(A, B, line=2), rrule(B, C, line=3), rrule(C, f"{N}/c", line=4))
    found = {f.url: f for f in findings(ctx, "map-chain")}
    assert set(found) == {A, B}
    assert found[A].message == (
        f"target {B} is itself redirected by map row map.csv:3: {A} → {B} → {C} → {N}/c"
    )
    assert found[A].fix == f"Map {A} straight to {N}/c."


def test_map_chain_to_a_removed_url() -> None:
    ctx = map_only(rrule(A, B), rrule(B, None, 410, line=7))
    (f,) = findings(ctx, "map-chain")
    assert f.message.startswith(f"target {B} is removed by map row map.csv:7 (410)")


def test_map_chain_matches_after_normalisation() -> None:
    ctx = map_only(rrule(A, "HTTP://OLD.TEST:80/b"), rrule(B, f"{N}/b"))
    assert fired(ctx, "map-chain") == [A]


def test_map_chain_silent_on_independent_rows_and_self_rows() -> None:
    ctx = map_only(rrule(A, f"{N}/a"), rrule(B, f"{N}/b"), rrule(C, f"{A}/"))
    assert fired(ctx, "map-chain") == []
    ctx = map_only(rrule(A, B), rrule(B, B))
    assert fired(ctx, "map-chain") == [] and fired(ctx, "map-self") == [B]


def test_map_rules_carry_the_chain_when_a_crawl_ran() -> None:
    ctx = make_ctx([(A, B), (B, f"{N}/b")], rules=[rrule(A, B), rrule(B, f"{N}/b")])
    (f,) = findings(ctx, "map-chain")
    assert [h.url for h in f.evidence] == [A, B, f"{N}/b"] and f.final_url == f"{N}/b"

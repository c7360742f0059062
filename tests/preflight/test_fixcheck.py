"""The corrected rules that fixes/ writes are read back by the simulator first: a rule that
would still chain in the written nginx, Apache or _redirects file is moved to review."""

from __future__ import annotations

from migrationaudit.fixes.plan import Fix, FixPlan
from migrationaudit.fixes.servers import render_all
from migrationaudit.preflight.fixcheck import PREDICTED_CHAIN, checked_plan

OLD = "http://old.example"


def test_a_fix_whose_target_another_fix_redirects_is_not_written() -> None:
    plan = FixPlan(
        (
            Fix(f"{OLD}/a", f"{OLD}/b", 2, ""),  # /b is itself redirected below: two hops
            Fix(f"{OLD}/b", "https://new.example/b", 1, ""),
            Fix(f"{OLD}/c", "https://new.example/c", 1, ""),
        ),
        (),
        0,
    )
    checked = checked_plan(plan, render_all(plan))
    assert [f.source for f in checked.fixes] == [f"{OLD}/b", f"{OLD}/c"]
    (review,) = checked.review
    assert review.url == f"{OLD}/a" and review.reason == PREDICTED_CHAIN
    assert "would still chain" in review.detail and f"{OLD}/b" in review.detail


def test_flat_fixes_pass_unchanged() -> None:
    plan = FixPlan(
        (
            Fix(f"{OLD}/a", "https://new.example/a", 2, ""),
            Fix(f"{OLD}/p?id=4", f"{OLD}/four", 1, ""),
        ),
        (),
        0,
    )
    assert checked_plan(plan, render_all(plan)) == plan

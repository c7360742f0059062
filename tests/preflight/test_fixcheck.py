"""The corrected rules that fixes/ writes are read back by the simulator first: a rule that
would still chain in the written nginx, Apache or _redirects file is moved to review."""

from __future__ import annotations

from migrationaudit.fixes.plan import Fix, FixPlan
from migrationaudit.fixes.servers import render_all
from migrationaudit.preflight.fixcheck import PREDICTED_CHAIN, checked_plan

O = "http://old.example"


def test_a_fix_whose_target_another_fix_redirects_is_not_written() -> None:
    plan = FixPlan(
        (
            Fix(f"{O}/a", f"{O}/b", 2, ""),  # /b is itself redirected below: two hops
            Fix(f"{O}/b", "https://new.example/b", 1, ""),
            Fix(f"{O}/c", "https://new.example/c", 1, ""),
        ),
        (),
        0,
    )
    checked = checked_plan(plan, render_all(plan))
    assert [f.source for f in checked.fixes] == [f"{O}/b", f"{O}/c"]
    (review,) = checked.review
    assert review.url == f"{O}/a" and review.reason == PREDICTED_CHAIN
    assert "would still chain" in review.detail and f"{O}/b" in review.detail


def test_flat_fixes_pass_unchanged() -> None:
    plan = FixPlan(
        (Fix(f"{O}/a", "https://new.example/a", 2, ""), Fix(f"{O}/p?id=4", f"{O}/four", 1, "")),
        (),
        0,
    )
    assert checked_plan(plan, render_all(plan)) == plan

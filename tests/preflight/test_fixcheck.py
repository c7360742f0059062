"""The corrected rules that fixes/ writes are read back by the simulator first: a rule that
would still chain in the written nginx, Apache or _redirects file is moved to review."""

from __future__ import annotations

from migrationaudit.fixes.plan import Fix, FixPlan
from migrationaudit.fixes.servers import render_all
from migrationaudit.preflight.fixcheck import PREDICTED_CHAIN, _plainly_elsewhere, checked_plan

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


def test_a_target_browsers_read_as_a_site_address_is_followed() -> None:
    # http://0x7f.1/x is http://127.0.0.1/x for browsers: a legacy host, so a chain.
    plan = FixPlan(
        (
            Fix(f"{OLD}/a", "http://0x7f.1/x", 1, ""),
            Fix("http://127.0.0.1/x", "https://new.example/x", 1, ""),
            Fix(f"{OLD}/c", "http://example/c", 1, ""),
        ),
        (),
        0,
    )
    checked = checked_plan(plan, render_all(plan))
    assert [f.source for f in checked.fixes] == ["http://127.0.0.1/x", f"{OLD}/c"]
    assert [r.url for r in checked.review] == [f"{OLD}/a"]


def test_only_plain_locations_on_named_hosts_are_taken_as_elsewhere() -> None:
    hosts = frozenset({"old.example", "127.0.0.1"})
    assert _plainly_elsewhere("https://new.example/a", hosts)
    for location in (
        "https://old.example/a",  # the site itself
        "http://0x7f.1/x",  # an IPv4 address for browsers
        "http://127.0.0.1/x",
        "http://xn--nxasmq6b.example/",  # a label to re-encode
        "https://New.example/a",  # not plain: resolved
        "/relative",
    ):
        assert not _plainly_elsewhere(location, hosts), location

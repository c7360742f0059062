"""valuable-url-unmapped: valuable legacy URLs (links, clicks) that the map does not cover."""

from __future__ import annotations

from pathlib import Path

from migrationaudit.checks import NO_MAP, NO_PRIORITY, AuditContext, run_checks
from migrationaudit.checks.value import value_text
from migrationaudit.inputs.priority import read_priority
from migrationaudit.inputs.priorityindex import PriorityIndex
from migrationaudit.models.inputs import LinkValue

from .conftest import findings, hop, make_ctx, rrule

OLD, NEW = "http://old.test", "https://www.new.test"
RULE = "valuable-url-unmapped"


def export(tmp_path: Path, rows: str) -> PriorityIndex:
    path = tmp_path / "top-pages.csv"
    path.write_text("URL,Referring domains,Clicks\n" + rows, encoding="utf-8")
    return read_priority([path])


def with_priority(ctx: AuditContext, index: PriorityIndex | None) -> AuditContext:
    return AuditContext(ctx.rules, ctx.legacy, ctx.graph, ctx.chains, ctx.options, index)


def test_unmapped_valuable_url_that_now_404s(tmp_path: Path) -> None:
    index = export(tmp_path, f"{OLD}/gift-guide,14,300\n{OLD}/a,3,0\n")
    ctx = make_ctx(
        [(f"{OLD}/a", f"{NEW}/a")],
        rules=[rrule(f"{OLD}/a", f"{NEW}/a")],
        urls=[f"{OLD}/gift-guide"],
        extra=[hop(f"{OLD}/gift-guide", 404)],
    )
    (f,) = findings(with_priority(ctx, index), RULE)
    assert f.url == f"{OLD}/gift-guide"
    assert f.message == (
        f"14 referring domains, 300 clicks but no row in the redirect map; "
        f"today it ends on {OLD}/gift-guide (404)"
    )
    assert f.fix.startswith(f"Add a map row redirecting {OLD}/gift-guide")
    assert [h.url for h in f.evidence] == [f"{OLD}/gift-guide"]


def test_deep_url_dumped_on_the_home_page_is_reported(tmp_path: Path) -> None:
    index = export(tmp_path, f"{OLD}/deep/page,5,0\n{OLD}/,90,900\n")
    ctx = make_ctx(
        [(f"{OLD}/deep/page", f"{NEW}/"), (f"{OLD}/", f"{NEW}/")],
        rules=[rrule(f"{OLD}/x", f"{NEW}/x")],
        urls=[f"{OLD}/deep/page", f"{OLD}/"],
    )
    # the old home landing on the new home is fine; a deep URL landing there is a soft 404
    assert [f.url for f in findings(with_priority(ctx, index), RULE)] == [f"{OLD}/deep/page"]


def test_quiet_when_mapped_worthless_or_landing_well(tmp_path: Path) -> None:
    index = export(
        tmp_path,
        f"https://old.test/mapped/,40,0\n{OLD}/zero,0,0\n{OLD}/works,8,2\n{OLD}/live,3,1\n",
    )
    ctx = make_ctx(
        [(f"{OLD}/mapped", f"{NEW}/m"), (f"{OLD}/zero", f"{NEW}/z"), (f"{OLD}/works", f"{NEW}/w")],
        rules=[rrule(f"{OLD}/mapped", f"{NEW}/m")],
        urls=[f"{OLD}/zero", f"{OLD}/works", f"{OLD}/live"],
        extra=[hop(f"{OLD}/live", 200), hop(f"{NEW}/z", 404)],
    )
    # mapped (a scheme/www/slash variant of a map row), no links, or landing on a healthy page
    assert findings(with_priority(ctx, index), RULE) == []


def test_unmapped_loop_is_reported_with_its_outcome(tmp_path: Path) -> None:
    index = export(tmp_path, f"{OLD}/spin,2,0\n")
    ctx = make_ctx(
        [(f"{OLD}/spin", f"{OLD}/spin2"), (f"{OLD}/spin2", f"{OLD}/spin")],
        rules=[rrule(f"{OLD}/a", f"{NEW}/a")],
        urls=[f"{OLD}/spin"],
    )
    (f,) = findings(with_priority(ctx, index), RULE)
    assert f.message.endswith("today its chain loops")


def test_map_only_check_reports_without_a_crawl(tmp_path: Path) -> None:
    index = export(tmp_path, f"{OLD}/gone,6,0\n")
    ctx = make_ctx(rules=[rrule(f"{OLD}/a", f"{NEW}/a")], urls=[f"{OLD}/gone"], crawl=False)
    (f,) = findings(with_priority(ctx, index), RULE)
    assert f.message == "6 referring domains but no row in the redirect map"


def test_skipped_without_an_export_or_a_map(tmp_path: Path) -> None:
    ctx = make_ctx([(f"{OLD}/a", f"{NEW}/a")], rules=[rrule(f"{OLD}/a", f"{NEW}/a")])
    _, skipped = run_checks(ctx)
    assert (RULE, NO_PRIORITY) in {(s.rule_id, s.reason) for s in skipped}
    no_map = with_priority(make_ctx([], urls=[f"{OLD}/a"]), export(tmp_path, f"{OLD}/a,1,0\n"))
    _, skipped = run_checks(no_map)
    assert (RULE, NO_MAP) in {(s.rule_id, s.reason) for s in skipped}


def test_value_text() -> None:
    assert value_text(LinkValue(referring_domains=1, clicks=2)) == "1 referring domain, 2 clicks"
    assert value_text(LinkValue(traffic=40, impressions=9)) == "40 visits"
    assert value_text(LinkValue()) == "no links or clicks"


def test_a_cms_page_dumped_on_the_home_page_is_reported(tmp_path: Path) -> None:
    # /?p=123 is a WordPress post, not the old home page: landing on the new home is a soft 404
    index = export(tmp_path, f"{OLD}/?p=123,7,40\n{OLD}/?utm_source=x,2,0\n")
    ctx = make_ctx(
        [(f"{OLD}/?p=123", f"{NEW}/"), (f"{OLD}/?utm_source=x", f"{NEW}/")],
        rules=[rrule(f"{OLD}/x", f"{NEW}/x")],
        urls=[f"{OLD}/?p=123", f"{OLD}/?utm_source=x"],
    )
    assert [f.url for f in findings(with_priority(ctx, index), RULE)] == [f"{OLD}/?p=123"]

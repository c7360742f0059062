"""legacy-url-still-failing: legacy URLs the access logs show requested, failing today."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from migrationaudit.checks import NO_ACCESS_LOG, NO_CRAWL, AuditContext, run_checks
from migrationaudit.inputs.accesslog import read_access_logs
from migrationaudit.inputs.traffic import TrafficIndex
from migrationaudit.models.findings import Severity

from .conftest import findings, hop, make_ctx, rrule

OLD, NEW = "http://old.test", "https://www.new.test"
RULE = "legacy-url-still-failing"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def logs(tmp_path: Path, *requests: tuple[str, str]) -> TrafficIndex:
    path = tmp_path / "access.log"
    path.write_text(
        "".join(
            f'10.0.0.1 - - [07/Dec/2026:10:00:00 +0000] "GET {p} HTTP/1.1" 404 0 "-" "{ua}"\n'
            for p, ua in requests
        ),
        encoding="utf-8",
    )
    return read_access_logs([path], OLD)


def with_traffic(ctx: AuditContext, index: TrafficIndex | None) -> AuditContext:
    return replace(ctx, traffic=index)


def test_requested_and_404_is_reported_with_its_hits(tmp_path: Path) -> None:
    index = logs(tmp_path, ("/gone", GOOGLEBOT), ("/gone", "curl/8"), ("/gone/", "curl/8"))
    ctx = make_ctx(urls=[f"{OLD}/gone"], extra=[hop(f"{OLD}/gone", 404)])
    (f,) = findings(with_traffic(ctx, index), RULE)
    assert f.url == f"{OLD}/gone" and f.severity is Severity.WARNING
    assert f.message == (
        "requested 3 times in the access logs, 1 by search-engine crawlers; today it answers 404"
    )
    assert f.fix.startswith(f"Redirect {OLD}/gone (301/308, one hop)")


def test_bad_chains_count_as_failing(tmp_path: Path) -> None:
    index = logs(tmp_path, ("/loop", "x"), ("/broken", "x"), ("/down", "x"))
    ctx = make_ctx(
        [
            (f"{OLD}/loop", f"{OLD}/loop2"),
            (f"{OLD}/loop2", f"{OLD}/loop"),
            (f"{OLD}/broken", f"{NEW}/broken"),
        ],
        urls=[f"{OLD}/loop", f"{OLD}/broken", f"{OLD}/down"],
        ends={f"{NEW}/broken": 500},
        extra=[hop(f"{OLD}/down", None)],
    )
    got = {f.url: f.message for f in findings(with_traffic(ctx, index), RULE)}
    assert got[f"{OLD}/loop"].endswith("today it loops")
    assert got[f"{OLD}/broken"].endswith("today it answers 500 after 1 redirect")
    assert got[f"{OLD}/down"].endswith("today it ends on a network error")


def test_quiet_when_healthy_unrequested_or_removed_on_purpose(tmp_path: Path) -> None:
    index = logs(tmp_path, ("/moved", "x"), ("/gone-on-purpose", "x"))
    ctx = make_ctx(
        [(f"{OLD}/moved", f"{NEW}/moved")],
        rules=[rrule(f"{OLD}/gone-on-purpose", None, 410)],
        urls=[f"{OLD}/moved", f"{OLD}/never-requested"],
        extra=[hop(f"{OLD}/gone-on-purpose", 410), hop(f"{OLD}/never-requested", 404)],
    )
    assert findings(with_traffic(ctx, index), RULE) == []


def test_skipped_without_logs_or_crawl(tmp_path: Path) -> None:
    ctx = make_ctx(urls=[f"{OLD}/gone"], extra=[hop(f"{OLD}/gone", 404)])
    _, skipped = run_checks(ctx)
    assert (RULE, NO_ACCESS_LOG) in {(s.rule_id, s.reason) for s in skipped}
    no_crawl = with_traffic(make_ctx(urls=[f"{OLD}/gone"], crawl=False), logs(tmp_path))
    _, skipped = run_checks(no_crawl)
    assert (RULE, NO_CRAWL) in {(s.rule_id, s.reason) for s in skipped}


def test_with_a_launch_date_only_requests_since_count(tmp_path: Path) -> None:
    path = tmp_path / "dated.log"
    path.write_text(
        '1.2.3.4 - - [01/Oct/2026:10:00:00 +0000] "GET /before HTTP/1.1" 404 0 "-" "x"\n'
        '1.2.3.4 - - [01/Oct/2026:10:00:00 +0000] "GET /after HTTP/1.1" 404 0 "-" "x"\n'
        '1.2.3.4 - - [05/Nov/2026:10:00:00 +0000] "GET /after HTTP/1.1" 404 0 "-" "x"\n',
        encoding="utf-8",
    )
    index = read_access_logs([path], OLD, since=datetime(2026, 11, 2, tzinfo=UTC))
    ctx = make_ctx(
        urls=[f"{OLD}/before", f"{OLD}/after"],
        extra=[hop(f"{OLD}/before", 404), hop(f"{OLD}/after", 404)],
    )
    (f,) = findings(with_traffic(ctx, index), RULE)
    assert f.url == f"{OLD}/after"
    assert f.message == "requested 1 time since 2026-11-02 in the access logs; today it answers 404"


def test_without_priority_the_logs_rank_findings_by_demand(tmp_path: Path) -> None:
    from migrationaudit.checks.traffic import rank_by_demand

    index = logs(tmp_path, ("/a", "x"), ("/b", "x"), ("/b", "x"), ("/c", GOOGLEBOT))
    ctx = make_ctx(
        urls=[f"{OLD}/a", f"{OLD}/b", f"{OLD}/c"],
        extra=[hop(f"{OLD}/a", 404), hop(f"{OLD}/b", 404), hop(f"{OLD}/c", 404)],
    )
    got = findings(with_traffic(ctx, index), RULE)
    assert [f.url for f in got] == [f"{OLD}/a", f"{OLD}/b", f"{OLD}/c"]  # by URL
    ranked, _ = rank_by_demand(got, (), index)
    # crawler hits first (c), then hits (b 2, a 1)
    assert [f.url for f in ranked] == [f"{OLD}/c", f"{OLD}/b", f"{OLD}/a"]

"""report.html after --compare-to: the watch block leads the page, hostile URLs escaped; the
stderr summary names access logs and the launch."""

from __future__ import annotations

from dataclasses import replace

from audit_fixture import SCRIPT_URL, build_audit_result
from lxml import html as lxml_html

from migrationaudit.models.runinfo import LaunchInfo
from migrationaudit.reports import html, text

WATCH = {
    "since": "audit-last",
    "regression": True,
    "counts": {"regressed": 1, "fixed": 0, "new": 0, "still_failing": 2},
    "findings": {"new": 1, "regressed": 0, "fixed": 0, "unchanged": 3},
    "regressed": [{"url": SCRIPT_URL, "before": "ok", "after": "error"}],
    "fixed": [],
    "new": [],
    "still_failing": [{"url": "http://old.example/x", "before": "error", "after": "error"}],
}


def test_watch_block_leads_and_escapes() -> None:
    result = build_audit_result()
    page = html.render(replace(result, run=result.run.updated(watch=WATCH)))
    assert "<script>alert(1)" not in page
    doc = lxml_html.fromstring(page)
    (block,) = doc.xpath('//*[@id="watch"]')
    assert "watch-regression" in block.get("class")
    said = block.text_content()
    assert "Since audit-last:" in said and "1 regressed" in said and "2 still failing" in said
    assert SCRIPT_URL in said  # as text
    assert page.index('id="watch"') < page.index('id="summary"')
    assert 'id="watch"' not in html.render(result)  # no comparison, no block


def test_summary_names_logs_and_launch() -> None:
    result = build_audit_result()
    run = result.run.updated(
        input_notes={
            **(result.run.input_notes or {}),
            "access_logs": {
                "requests": 12,
                "urls": 3,
                "malformed_lines": 2,
                "malformed_examples": ["logs/a.log:7: request '\x1b[31mevil' has no method"],
            },
        },
        launched=LaunchInfo(date="2026-11-02", keep_redirects_until="2027-11-02"),
    )
    out = text.render(replace(result, run=run))
    assert "access logs: 12 requests, 3 URLs, 2 malformed lines (first: logs/a.log:7)" in out
    assert "\x1b" not in out
    assert "launched 2026-11-02: keep the redirects until at least 2027-11-02" in out


def test_hosts_block_shows_dns_and_certificates() -> None:
    result = build_audit_result()
    hosts = {
        "checked_at": "2026-12-07T19:00:00Z",
        "launched": "2026-11-30",
        "hosts": [
            {
                "origin": "https://old.example",
                "addresses": ["203.0.113.7"],
                "resolved_by": "system resolver",
                "not_after": "2026-12-20T00:00:00Z",
                "days_left": 12,
            },
            {
                "origin": "http://x.example",
                "addresses": [],
                "resolved_by": "system resolver",
                "dns_error": f"dns: {SCRIPT_URL}",
            },
        ],
    }
    launched = LaunchInfo(date="2026-11-30", keep_redirects_until="2027-11-30")
    page = html.render(replace(result, run=result.run.updated(hosts=hosts, launched=launched)))
    assert "<script>alert(1)" not in page
    doc = lxml_html.fromstring(page)
    (block,) = doc.xpath('//*[@id="hosts"]')
    said = block.text_content()
    assert "keep the redirects until at least 2027-11-30" in said
    assert "203.0.113.7 (system resolver)" in said and "(12 days left)" in said
    assert SCRIPT_URL in said  # the DNS error as text
    assert [tr.get("class") for tr in block.xpath(".//tbody/tr")] == ["expiring", None]
    assert 'id="hosts"' not in html.render(result)  # no host checks, no block

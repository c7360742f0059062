"""The gate as the gate decides it, and warnings about how the run was made, in every human
format: report.html (header, summary card, the "not counted" section), the stderr summary and
summary.md.

The gated result comes from :func:`migrationaudit.gate.apply` on the shared fixture: an
ignore entry, a baseline and two budgets, so the number of findings that fail the gate
differs from the number at or above ``fail_on`` (the report must show the former)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from audit_fixture import OLD
from lxml import html as lxml_html

from migrationaudit.gate import Baseline, GatePolicy, IgnoreRule, apply
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.result import AuditResult
from migrationaudit.models.runinfo import RunInfo
from migrationaudit.reports import html, htmlviews, markdown, text
from migrationaudit.reports.common import gate_count, run_warnings

FAR = f"{OLD}/far"
IGNORE_REASON = "dead.example is shut down <on purpose> & known"


def fingerprint(rule_id: str, url: str) -> str:
    return Finding(rule_id, Severity.NOTICE, url, "").fingerprint


@pytest.fixture
def gated(audit_result: AuditResult) -> AuditResult:
    """Errors: 8 → 7 active (one broken-target ignored) → 6 counted by fail_on (the hop limit
    baselined); the redirect-chain budget (max 0) is exceeded by its one warning, the
    temporary-redirect budget (max 3) is kept: 7 findings fail the gate, not 6."""
    policy = GatePolicy(
        budgets={"redirect-chain": 0, "temporary-redirect": 3},
        ignores=(IgnoreRule("broken-target", f"{OLD}/dead", IGNORE_REASON),),
        baseline=Baseline("base/findings.json", frozenset({fingerprint("hop-limit", FAR)})),
    )
    return apply(audit_result, policy)


def tree(page: str) -> Any:
    return lxml_html.document_fromstring(page)


def squash(node: Any) -> str:
    return " ".join(node.text_content().split())


def with_run(result: AuditResult, **run: Any) -> AuditResult:
    """``result`` with these run.json keys added (or replaced)."""
    return replace(result, run=RunInfo.from_dict({**result.run.to_dict(), **run}))


# --- the gate ---------------------------------------------------------------------------------


def test_gate_count_is_the_gates_own(gated: AuditResult) -> None:
    at_or_above = sum(1 for f in gated.findings if f.severity >= gated.fail_on)
    assert at_or_above == 6
    assert gate_count(gated) == len(gated.gating_findings()) == 7


def test_html_header_says_why_the_gate_failed(gated: AuditResult) -> None:
    doc = tree(html.render(gated))
    gate = doc.get_element_by_id("gate")
    assert "gate-fail" in gate.get("class")
    assert squash(gate) == "FAIL — 7 findings fail the gate."
    reasons = [squash(li) for li in doc.xpath('//ul[@id="gate-reasons"]/li')]
    assert reasons == [
        "budget redirect-chain: 1 finding(s) > max 0",
        "6 finding(s) at or above error",
    ]
    assert doc.get_element_by_id("gate-count").text_content() == "7"


def test_html_budget_table_names_each_budget(gated: AuditResult) -> None:
    doc = tree(html.render(gated))
    rows = {
        tr.get("data-budget"): (tr.get("data-exceeded"), [squash(c) for c in tr.xpath("th|td")])
        for tr in doc.xpath('//table[@id="budget-table"]/tbody/tr')
    }
    assert rows == {
        "redirect-chain": ("yes", ["redirect-chain", "1", "0", "exceeded"]),
        "temporary-redirect": ("no", ["temporary-redirect", "1", "3", "within"]),
    }
    # a budget of a rule with findings links to the rule's section
    assert doc.xpath('//tr[@data-budget="redirect-chain"]//a[@href="#rule-redirect-chain"]')


def test_html_counts_and_lists_what_the_gate_did_not_count(gated: AuditResult) -> None:
    page = html.render(gated)
    doc = tree(page)
    counts = {
        td.get("data-suppressed-count"): td.text_content()
        for td in doc.xpath("//td[@data-suppressed-count]")
    }
    assert counts == {"ignored": "1", "baselined": "1"}
    heading = squash(doc.get_element_by_id("suppressed-h"))
    assert heading == "Not counted by the gate (1 ignored, 1 baselined)"
    # the ignore entry with its reason and how much it matched
    (entry,) = doc.xpath('//table[@id="ignore-rules"]/tbody/tr')
    assert [squash(c) for c in entry.xpath("td")] == [
        "broken-target",
        f"{OLD}/dead",
        IGNORE_REASON,
        "1",
    ]
    # each ignored finding with its reason, in a collapsed section
    ignored = doc.get_element_by_id("ignored-findings")
    assert ignored.tag == "details" and ignored.get("open") is None
    (row,) = ignored.xpath(".//tbody/tr")
    cells = [squash(c) for c in row.xpath("th|td")]
    assert cells[1:4] == ["broken-target", f"{OLD}/dead", IGNORE_REASON]
    assert "&lt;on purpose&gt; &amp; known" in page  # the reason is escaped text
    baselined = doc.get_element_by_id("baselined-findings")
    (row,) = baselined.xpath(".//tbody/tr")
    cells = [squash(c) for c in row.xpath("th|td")]
    assert cells[1:4] == ["hop-limit", f"{OLD}/far", "in baseline base/findings.json"]
    # the ignored finding left the active tables (the other broken-target is still there)
    assert "broken-target" in squash(doc.get_element_by_id("findings-table"))
    dead_rows = doc.xpath(f'//table[@id="findings-table"]//a[@href="{OLD}/dead"]')
    assert not dead_rows


def test_html_zero_counts_are_shown_too(clean_result: AuditResult) -> None:
    doc = tree(html.render(clean_result))
    counts = {
        td.get("data-suppressed-count"): td.text_content()
        for td in doc.xpath("//td[@data-suppressed-count]")
    }
    assert counts == {"ignored": "0", "baselined": "0"}
    assert "Nothing was ignored or baselined" in squash(doc.get_element_by_id("suppressed"))
    assert not doc.xpath('//*[@id="gate-reasons"] | //*[@id="budget-table"]')


def test_html_pass_with_budgets_says_they_were_kept(clean_result: AuditResult) -> None:
    # fail_on notice: the query-dropped notice would fail the gate without its budget
    strict = replace(clean_result, fail_on=Severity.NOTICE)
    assert apply(strict, GatePolicy()).gate_failed
    kept = apply(strict, GatePolicy(budgets={"query-dropped": 1}))
    doc = tree(html.render(kept))
    gate = squash(doc.get_element_by_id("gate"))
    assert gate == "PASS — every budget kept, and no other finding at or above notice."
    md = markdown.render(kept)
    assert "Every budget kept, and no other finding at or above **notice** (the gate)." in md
    assert "No finding at or above" not in md
    over = apply(clean_result, GatePolicy(budgets={"query-dropped": 0}))
    doc = tree(html.render(over))
    assert squash(doc.get_element_by_id("gate")) == "FAIL — 1 finding fails the gate."
    reasons = [squash(li) for li in doc.xpath('//ul[@id="gate-reasons"]/li')]
    assert reasons == ["budget query-dropped: 1 finding(s) > max 0"]


def test_suppressed_rows_are_capped(
    audit_result: AuditResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(htmlviews, "SUPPRESSED_ROWS", 2)
    everything = apply(audit_result, GatePolicy(ignores=(IgnoreRule("*", f"{OLD}/*", "old"),)))
    total = everything.counts_suppressed()["ignored"]
    assert total > 2
    doc = tree(html.render(everything))
    ignored = doc.get_element_by_id("ignored-findings")
    assert len(ignored.xpath(".//tbody/tr")) == 2
    assert f"Showing 2 of {total}; all of them are in findings.json" in squash(ignored)
    assert not doc.xpath("//a[starts-with(@href, 'javascript')]")


# --- warnings about the run -------------------------------------------------------------------

WARNED = {
    "partial": True,
    "tls": {"verify": False, "ca_bundle": None},
    "rewrite_host": ["www.old.example=staging.example:8443", "<b>x</b>=y"],
    "resumed": True,
}


def test_run_warnings_from_run_metadata(clean_result: AuditResult) -> None:
    assert run_warnings(clean_result) == []  # no run metadata: nothing assumed
    quiet = with_run(clean_result, tls={"verify": True}, rewrite_host=[], resumed=False)
    assert run_warnings(quiet) == []
    keys = [w.key for w in run_warnings(with_run(clean_result, **WARNED))]
    assert keys == ["partial", "tls-off", "rewrite-host", "resumed"]


def test_html_banners(clean_result: AuditResult) -> None:
    page = html.render(with_run(clean_result, **WARNED))
    doc = tree(page)
    banners = doc.xpath('//div[@id="run-warnings"]/p')
    assert [p.get("data-warning") for p in banners] == [
        "partial",
        "tls-off",
        "rewrite-host",
        "resumed",
    ]
    # the banners sit in the header, above the summary
    assert doc.xpath('//header//div[@id="run-warnings"]')
    texts = {p.get("data-warning"): squash(p) for p in banners}
    assert texts["tls-off"].startswith("TLS verification was off: certificates were not checked")
    assert texts["rewrite-host"].startswith("Host rewriting was on:")
    assert texts["rewrite-host"].endswith("www.old.example=staging.example:8443, <b>x</b>=y")
    assert "&lt;b&gt;x&lt;/b&gt;=y" in page
    assert texts["resumed"].startswith("Resumed run:")
    assert texts["partial"].startswith("Partial run:")
    plain = tree(html.render(with_run(clean_result, tls={"verify": True})))
    assert not plain.xpath('//*[@id="run-warnings"]')


def test_stderr_summary_warnings(clean_result: AuditResult) -> None:
    lines = text.render(with_run(clean_result, **WARNED)).splitlines()
    assert "partial run: the crawl did not finish; 0 URLs incomplete" in lines
    assert (
        "warning: TLS verification was off (--insecure): certificate errors are not reported"
        in lines
    )
    assert (
        "warning: host rewriting was on (www.old.example=staging.example:8443, <b>x</b>=y): "
        "answers came from the new hosts" in lines
    )
    assert "warning: resumed run (--resume): answers were fetched in more than one session" in lines
    plain = text.render(with_run(clean_result, tls={"verify": True}))
    assert "warning:" not in plain and "partial" not in plain


def test_markdown_warnings(clean_result: AuditResult) -> None:
    md = markdown.render(with_run(clean_result, **WARNED))
    quoted = [line for line in md.splitlines() if line.startswith("> ⚠️ ")]
    assert [line.split("**")[1] for line in quoted] == [
        "Partial run",
        "TLS verification was off",
        "Host rewriting was on",
        "Resumed run",
    ]
    rewrite = quoted[2]
    assert "`www.old.example=staging.example:8443`" in rewrite
    assert "<b>" not in rewrite.replace("`<b>x</b>=y`", "")  # only inside a code span
    plain = markdown.render(with_run(clean_result, tls={"verify": True}))
    assert "⚠️" not in plain


def test_priority_missing_warning(clean_result: AuditResult) -> None:
    result = with_run(clean_result, priority_missing=["exports/top.csv"])
    (warning,) = run_warnings(result)
    assert warning.key == "priority-missing" and warning.items == ("exports/top.csv",)
    doc = tree(html.render(result))
    (banner,) = doc.xpath('//p[@data-warning="priority-missing"]')
    assert "exports/top.csv" in squash(banner)
    assert "warning: --priority export(s) gone" in text.render(result)


def test_partial_run_gate_says_incomplete_everywhere(clean_result: AuditResult) -> None:
    """A partial run whose judged URLs pass is not a pass: INCOMPLETE in the stderr summary,
    report.html (header and title), summary.md and findings.json's gate_status; a partial run
    that failed is still FAIL."""
    from migrationaudit.reports import jsonout

    partial = with_run(clean_result, partial=True)
    assert not partial.gate_failed
    lines = text.render(partial).splitlines()
    assert [line for line in lines if line.startswith("gate: ")] == [
        "gate: INCOMPLETE (the crawl did not finish; nothing at or above error among the URLs "
        "it judged)"
    ]
    doc = tree(html.render(partial))
    gate = doc.get_element_by_id("gate")
    assert gate.get("class") == "gate gate-incomplete"
    assert squash(gate).startswith("INCOMPLETE — the crawl did not finish")
    assert "PASS" not in squash(doc.xpath("//header")[0])
    assert doc.xpath("//title")[0].text == "Migration audit: INCOMPLETE"
    md = markdown.render(partial)
    assert md.startswith("## ⚠️ Migration audit: INCOMPLETE\n")
    assert "PASS" not in md and "✅" not in md
    summary = jsonout.summary(partial)
    assert (summary["gate"], summary["gate_status"], summary["partial"]) == (
        "pass",  # the key keeps its meaning: nothing failed the gate
        "incomplete",
        True,
    )
    assert jsonout.summary(clean_result)["gate_status"] == "pass"
    # a complete run still passes, and a failing partial run still fails
    assert "gate: PASS" in text.render(clean_result)
    failed = replace(partial, fail_on=Severity.NOTICE)
    if failed.gate_failed:
        assert "gate: FAIL" in text.render(failed)
        assert markdown.render(failed).startswith("## ❌ Migration audit: FAIL")


def test_stderr_summary_counts_of_one_are_singular(clean_result: AuditResult) -> None:
    one = replace(clean_result, verdicts=clean_result.verdicts[:1])
    lines = text.render(with_run(one, partial=True)).splitlines()
    assert lines[0].startswith("migrationaudit: 1 legacy URL: ")
    assert any(line.endswith("; 0 URLs incomplete") for line in lines)

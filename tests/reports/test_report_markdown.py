"""summary.md: gate, counts, top rules, failing URLs with chains; hostile text inert."""

from __future__ import annotations

import re
from dataclasses import replace

from audit_fixture import OLD, build_audit_result, hop

from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, Outcome
from migrationaudit.models.result import AuditResult
from migrationaudit.reports import markdown
from migrationaudit.reports.markdown import md_code, md_text

CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_failing_summary(audit_result: AuditResult) -> None:
    text = markdown.render(audit_result)
    assert text.startswith("## ❌ Migration audit: FAIL\n")
    assert "8 finding(s) at or above **error** (the gate)." in text
    assert "**Partial run**" in text
    assert "| error | 8 |" in text  # both counts tables have an error row
    assert "| incomplete | 1 |" in text
    assert "| `broken-target` | Redirects that end broken | 2 |" in text
    assert "| … | 4 more rule(s) | |" in text
    assert "### Failing URLs (first 8 of 8)" in text
    assert (
        f"| `{OLD}/loop` | `redirect-loop` | "
        f"`{OLD}/loop --301--> {OLD}/loop-b --302--> {OLD}/loop [loop]` |"
    ) in text
    assert "2 rule(s) skipped: `status-mismatch`, `many-to-one`." in text


def test_passing_summary(clean_result: AuditResult) -> None:
    text = markdown.render(clean_result)
    assert text.startswith("## ✅ Migration audit: PASS\n")
    assert "No finding at or above **error**" in text
    assert "Failing URLs" not in text and "Partial run" not in text


def test_at_most_twenty_failing_urls() -> None:
    base = build_audit_result()
    extra = []
    chains = dict(base.chains)
    for i in range(30):
        url = f"{OLD}/gone-{i}"
        chains[url] = Chain(url, (hop(url, 404),), Outcome.FINAL)
        extra.append(Finding("legacy-url-broken", Severity.ERROR, url, "answers 404"))
    result = replace(base, findings=(*base.findings, *extra), chains=chains)
    text = markdown.render(result)
    assert "### Failing URLs (first 20 of 38)" in text
    table = text.split("### Failing URLs")[1].split("\n\n")[1]
    assert len(table.splitlines()) == 2 + 20


def test_hostile_text_renders_inert(audit_result: AuditResult) -> None:
    pipe_url = f"{OLD}/a|b`c`<img src=x>"
    extra = Finding("legacy-url-broken", Severity.ERROR, pipe_url, "answers 404 | <b>x</b>")
    result = replace(audit_result, findings=(*audit_result.findings, extra))
    text = markdown.render(result)
    # the script URL only ever appears inside a code span
    assert "`http://old.example/<script>alert(1)</script>`" in text
    for line in text.splitlines():
        outside = CODE_SPAN.sub("", line)
        # outside code spans, no raw HTML, link or image syntax survives unescaped
        assert re.search(r"(?<!\\)[<\[]", outside) is None, line
        if line.startswith("| `http"):
            # every failing-URL row keeps 3 cells: no hostile "|" splits a cell
            assert len(UNESCAPED_PIPE.findall(line)) == 4, line
    assert "| ``http://old.example/a\\|b`c`<img src=x>`` |" in text


def test_md_code_and_md_text() -> None:
    assert md_code("a|b") == "`a\\|b`"
    assert md_code("x `y` z") == "``x `y` z``"
    assert md_code("`edge`") == "`` `edge` ``"
    assert md_code("") == ""
    assert md_code("line\nbreak\x00") == "`line break`"
    assert md_text("<b>*x*</b> [a](javascript:1)") == (
        "\\<b\\>\\*x\\*\\</b\\> \\[a\\]\\(javascript:1\\)"
    )


def test_gate_section_counts_and_reasons(audit_result: AuditResult) -> None:
    from migrationaudit.gate import apply, make_policy

    text = markdown.render(audit_result)
    assert "**Not counted by the gate:** 0 ignored, 0 baselined." in text  # always there
    assert "### Budgets" not in text and "### Ignored" not in text
    policy = make_policy(
        budgets=["redirect-chain=0"], ignores=["redirect-loop * loop | <b>known</b>"]
    )
    text = markdown.render(apply(audit_result, policy))
    assert "Budget exceeded: `redirect-chain` has **1** finding(s), max 0." in text
    assert "**Not counted by the gate:** 1 ignored, 0 baselined." in text
    assert "| `redirect-chain` | 1 | 0 | ❌ exceeded |" in text
    assert "| `redirect-loop` | `*` | loop \\| \\<b\\>known\\</b\\> | 1 |" in text
    assert f"| `{OLD}/loop` |" not in text  # the ignored loop is not a failing URL

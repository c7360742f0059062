"""``summary.md``: a short Markdown summary for CI step summaries (GitHub ``$GITHUB_STEP_SUMMARY``).

The gate, a counts table, the top rules and the first failing URLs with their chains. URLs and
chains sit in code spans (nothing inside is rendered); other crawled text is backslash-escaped,
so a hostile URL can neither inject HTML nor break the tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from migrationaudit.models.findings import Finding
from migrationaudit.models.result import AuditResult
from migrationaudit.reports.common import RunWarning, gate_label, one_line, rule_title, run_warnings
from migrationaudit.tables import finding_path

FILENAME = "summary.md"
MAX_FAILING = 20
MAX_RULES = 10

# Everything that can start emphasis, a link, an HTML tag, an entity or a table cell.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#!|&~^])")


def md_text(text: str) -> str:
    """Plain text made inert in Markdown (one line, markup characters escaped)."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


def md_code(text: str) -> str:
    """``text`` as an inline code span safe inside a table cell."""
    text = one_line(text)
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    # In a GFM table a pipe ends the cell even inside a code span, unless escaped.
    text = text.replace("|", "\\|")
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _warning_line(warning: RunWarning) -> str:
    """A run warning as one quoted line (partial run, TLS off, host rewriting, resumed)."""
    items = f" ({', '.join(md_code(i) for i in warning.items)})" if warning.items else ""
    return f"> ⚠️ **{md_text(warning.title)}**{items}: {md_text(warning.text)}"


def _suppressed_line(result: AuditResult) -> str:
    """Always present, zeros included: what the gate did not count."""
    counts = result.counts_suppressed()
    baseline = result.run.gate.baseline if result.run.gate else None
    where = f" (baseline {md_code(str(baseline))})" if baseline else ""
    return (
        f"**Not counted by the gate:** {counts['ignored']} ignored, "
        f"{counts['baselined']} baselined{where}."
    )


def _budget_table(result: AuditResult) -> list[str]:
    statuses = result.budget_statuses()
    if not statuses:
        return []
    lines = ["", "### Budgets", "", "| Rule | Findings | Max | Status |", "|---|---:|---:|---|"]
    for b in statuses:
        status = "❌ exceeded" if b.exceeded else "✅ within"
        lines.append(f"| {md_code(b.rule_id)} | {b.count} | {b.limit} | {status} |")
    return lines


def _or(value: str | None, default: str) -> str:
    return default if value is None else value


def _ignore_table(result: AuditResult) -> list[str]:
    ignores = result.run.gate.ignores if result.run.gate else ()
    if not ignores:
        return []
    lines = ["", "### Ignored", "", "| Rule | URL pattern | Reason | Matched |"]
    lines.append("|---|---|---|---:|")
    for entry in ignores:
        lines.append(
            f"| {md_code(_or(entry.rule, '*'))} | {md_code(_or(entry.url, '*'))} "
            f"| {md_text(_or(entry.reason, ''))} | {entry.matched or 0} |"
        )
    return lines


# What summary.md points at when the caller does not say what was written beside it.
DETAIL_FILES = ("report.html", "findings.json", "verdicts.csv")


def render(result: AuditResult, files: Sequence[str] | None = None) -> str:
    """``summary.md`` text: the gate (and why it failed), warnings about the run (partial, TLS
    verification off, host rewriting, resumed), counts, what the gate did not count
    (ignored, baselined; always shown), budgets, ignore entries with their reasons, top rules,
    failing URLs with chains. ``files``: every file written with it (None: the default set);
    the closing "Details" line names only those of :data:`DETAIL_FILES` among them."""
    gate = gate_label(result)
    fail_on = result.fail_on.label
    icon = {"FAIL": "❌", "INCOMPLETE": "⚠️"}.get(gate, "✅")
    lines = [f"## {icon} Migration audit: {gate}", ""]
    budgeted = result.budgets
    n_over = sum(
        1 for f in result.findings if f.rule_id not in budgeted and f.severity >= result.fail_on
    )
    exceeded = [b for b in result.budget_statuses() if b.exceeded]
    if gate == "FAIL":
        reasons = []
        if n_over:
            reasons.append(f"{n_over} finding(s) at or above **{fail_on}** (the gate).")
        reasons += [
            f"Budget exceeded: {md_code(b.rule_id)} has **{b.count}** finding(s), max {b.limit}."
            for b in exceeded
        ]
        lines.append("\n\n".join(reasons))
    elif gate == "INCOMPLETE":
        lines.append(
            f"The crawl did not finish: no finding at or above **{fail_on}** among the URLs "
            "it judged, but the others have no verdict yet. Not a pass."
        )
    elif budgeted:
        # A budgeted rule may have findings at or above fail_on and still pass.
        kept = "Every budget kept, and no other finding at or above"
        lines.append(f"{kept} **{fail_on}** (the gate).")
    else:
        lines.append(f"No finding at or above **{fail_on}** (the gate).")
    for warning in run_warnings(result):
        lines += ["", _warning_line(warning)]
    lines += ["", f"**{len(result.verdicts)}** legacy URLs audited.", ""]

    verdicts = result.counts_by_verdict()
    severities = result.counts_by_severity()
    lines += ["| Legacy URLs by verdict | Count |", "|---|---:|"]
    lines += [f"| {name} | {count} |" for name, count in verdicts.items()]
    lines += ["", "| Findings by severity | Count |", "|---|---:|"]
    lines += [f"| {name} | {count} |" for name, count in severities.items()]

    lines += ["", _suppressed_line(result)]
    lines += _budget_table(result)
    lines += _ignore_table(result)

    by_rule = sorted(result.counts_by_rule().items(), key=lambda kv: (-kv[1], kv[0]))
    if by_rule:
        lines += ["", "### Top rules", "", "| Rule | Title | Findings |", "|---|---|---:|"]
        for rule_id, count in by_rule[:MAX_RULES]:
            title = md_text(rule_title(result, rule_id))
            lines.append(f"| {md_code(rule_id)} | {title} | {count} |")
        if len(by_rule) > MAX_RULES:
            lines.append(f"| … | {len(by_rule) - MAX_RULES} more rule(s) | |")

    failing = list(result.gating_findings())
    if failing:
        urls: dict[str, list[str]] = {}
        for f in failing:
            urls.setdefault(f.url, []).append(f.rule_id)
        lines += ["", f"### Failing URLs (first {min(MAX_FAILING, len(urls))} of {len(urls)})"]
        lines += ["", "| Legacy URL | Rules | Chain |", "|---|---|---|"]
        first: dict[str, Finding] = {}
        for f in failing:
            first.setdefault(f.url, f)
        for url, rule_ids in list(urls.items())[:MAX_FAILING]:
            chain = finding_path(result, first[url])
            rules = " ".join(md_code(r) for r in sorted(set(rule_ids)))
            lines.append(f"| {md_code(url)} | {rules} | {md_code(chain)} |")

    if result.skipped:
        lines += ["", f"{len(result.skipped)} rule(s) skipped: "]
        lines[-1] += ", ".join(md_code(s.rule_id) for s in result.skipped) + "."
    details = [n for n in DETAIL_FILES if files is None or n in files]
    if details:
        lines += ["", f"Details: {', '.join(md_code(n) for n in details)} in the report folder."]
    return "\n".join(lines) + "\n"

"""The short human summary the CLI prints to stderr (details live in the report files).

Only counts, rule ids and the report path are printed: no crawled text reaches the terminal,
so a hostile URL cannot smuggle escape sequences into a CI log.
"""

from __future__ import annotations

from pathlib import Path

from migrationaudit.reports.common import TOOL_NAME, gate_count, gate_label, one_line
from migrationaudit.reports.html import FILENAME as HTML_FILENAME

from migrationaudit.models import AuditResult

TOP_RULES = 5


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in counts.items())


def render(result: AuditResult, out_dir: Path | None = None) -> str:
    """About 5-10 lines: verdict counts, findings by severity, top rules, gate, report path."""
    lines = [
        f"{TOOL_NAME}: {len(result.verdicts)} legacy URLs: {_counts(result.counts_by_verdict())}",
        f"findings: {_counts(result.counts_by_severity())}",
    ]
    by_rule = sorted(result.counts_by_rule().items(), key=lambda kv: (-kv[1], kv[0]))
    if by_rule:
        top = ", ".join(f"{rule_id} {n}" for rule_id, n in by_rule[:TOP_RULES])
        more = f" (+{len(by_rule) - TOP_RULES} more)" if len(by_rule) > TOP_RULES else ""
        lines.append(f"top rules: {one_line(top)}{more}")
    if result.skipped:
        lines.append(f"skipped rules: {len(result.skipped)} (reasons in the report)")
    if result.run.get("partial"):
        incomplete = result.counts_by_verdict().get("incomplete", 0)
        lines.append(f"partial run: the crawl did not finish; {incomplete} URL(s) incomplete")
    fail_on = result.fail_on.label
    if result.gate_failed:
        lines.append(f"gate: FAIL ({gate_count(result)} finding(s) at or above {fail_on})")
    else:
        lines.append(f"gate: {gate_label(result)} (nothing at or above {fail_on})")
    if out_dir is not None:
        lines.append(f"report: {out_dir / HTML_FILENAME}")
    # No trailing newline: the CLI prints it with click.echo, which adds one.
    return "\n".join(lines)

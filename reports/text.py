"""The short human summary the CLI prints to stderr (details live in the report files).

Only counts, rule ids, the user's own ``--rewrite-host`` values and the report path are
printed (controls stripped): no crawled text reaches the terminal, so a hostile URL cannot
smuggle escape sequences into a CI log.
"""

from __future__ import annotations

from pathlib import Path

from migrationaudit.gate import gate_reasons
from migrationaudit.humanize import plural
from migrationaudit.models.result import AuditResult
from migrationaudit.reports.common import TOOL_NAME, gate_label, one_line, run_warnings
from migrationaudit.reports.html import FILENAME as HTML_FILENAME

TOP_RULES = 5


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in counts.items())


def render(
    result: AuditResult, out_dir: Path | None = None, files: tuple[str, ...] | None = None
) -> str:
    """About 5-10 lines: verdict counts, findings by severity, top rules, warnings about the
    run (partial, TLS verification off, host rewriting, resumed), ignored and baselined
    counts, budgets, the gate (and why it failed), report path: ``out_dir/report.html`` when
    it was written (``files``: the names written in ``out_dir``; None: report.html), else the
    folder and the files in it, never a file that was not written."""
    lines = [
        f"{TOOL_NAME}: {plural(len(result.verdicts), 'legacy URL')}: "
        f"{_counts(result.counts_by_verdict())}",
        f"findings: {_counts(result.counts_by_severity())}",
    ]
    by_rule = sorted(result.counts_by_rule().items(), key=lambda kv: (-kv[1], kv[0]))
    if by_rule:
        top = ", ".join(f"{rule_id} {n}" for rule_id, n in by_rule[:TOP_RULES])
        more = f" (+{len(by_rule) - TOP_RULES} more)" if len(by_rule) > TOP_RULES else ""
        lines.append(f"top rules: {one_line(top)}{more}")
    if result.skipped:
        lines.append(f"skipped rules: {len(result.skipped)} (reasons in the report)")
    # Map rows that were not audited: never silently (a skipped row is a redirect unchecked).
    notes = result.run.input_notes or {}
    rows = int(notes.get("skipped_rows") or 0)
    if rows:
        unreadable = int(notes.get("unreadable_rows") or 0)
        kinds = [f"{unreadable} unreadable (map-row-unreadable)"] if unreadable else []
        if rows - unreadable:
            kinds.append(f"{rows - unreadable} pattern, rewrite or conditional")
        lines.append(f"map rows not audited: {rows} ({', '.join(kinds)})")
    logs = notes.get("access_logs") or {}
    if logs:
        bad = int(logs.get("malformed_lines") or 0)
        # the location only: a malformed line's reason may quote the line (hostile text)
        first = str((logs.get("malformed_examples") or [""])[0]).split(": ", 1)[0]
        lines.append(
            f"access logs: {plural(int(logs.get('requests') or 0), 'request')}, "
            f"{plural(int(logs.get('urls') or 0), 'URL')}, "
            f"{plural(bad, 'malformed line')}" + (f" (first: {one_line(first)})" if bad else "")
        )
        if "unverified_crawler_requests" in logs:  # --crawler-ranges
            lines.append(
                f"access logs: {plural(int(logs.get('crawler_requests') or 0), 'crawler request')}"
                f" from --crawler-ranges addresses, "
                f"{int(logs.get('unverified_crawler_requests') or 0)} with a crawler agent from "
                "elsewhere (not counted as crawlers)"
            )
        other = int(logs.get("urls_on_other_hosts") or 0)
        if other:
            lines.append(
                f"access logs: {plural(other, 'URL')} on other hosts not audited "
                "(the inputs' hosts only; add one with --allow-host)"
            )
    launched = result.run.launched
    if launched is not None and launched.to_dict():
        lines.append(
            f"launched {launched.date}: keep the redirects until at least "
            f"{launched.keep_redirects_until}"
        )
    # How the run was made, when it limits what the numbers mean (partial, TLS off, rewritten
    # hosts, resumed): the same warnings report.html and summary.md show as banners.
    for warning in run_warnings(result):
        if warning.key == "partial":
            incomplete = result.counts_by_verdict().get("incomplete", 0)
            lines.append(f"{warning.short}; {plural(incomplete, 'URL')} incomplete")
        else:
            lines.append(f"warning: {one_line(warning.short)}")
    # Always shown, zeros included: a CI log must say what the gate did not count.
    suppressed = result.counts_suppressed()
    baseline = result.run.gate.baseline if result.run.gate else None
    lines.append(
        f"suppressed: {suppressed['ignored']} ignored, {suppressed['baselined']} baselined"
        + (" (baseline in use)" if baseline else "")
    )
    if result.budgets:
        budgets = ", ".join(
            f"{b.rule_id} {b.count}/{b.limit}{' EXCEEDED' if b.exceeded else ''}"
            for b in result.budget_statuses()
        )
        lines.append(f"budgets: {budgets}")
    fail_on = result.fail_on.label
    if result.gate_failed:
        lines.append(f"gate: FAIL ({'; '.join(gate_reasons(result))})")
    elif gate_label(result) == "INCOMPLETE":
        lines.append(
            f"gate: INCOMPLETE (the crawl did not finish; nothing at or above {fail_on} "
            "among the URLs it judged)"
        )
    elif result.budgets:
        kept = "budgets kept; nothing else at or above"
        lines.append(f"gate: {gate_label(result)} ({kept} {fail_on})")
    else:
        lines.append(f"gate: {gate_label(result)} (nothing at or above {fail_on})")
    if out_dir is not None:
        if files is None or HTML_FILENAME in files:
            lines.append(f"report: {out_dir / HTML_FILENAME}")
        elif files:
            lines.append(f"reports: {out_dir} ({', '.join(files)})")
    # No trailing newline: the CLI prints it with click.echo, which adds one.
    return "\n".join(lines)

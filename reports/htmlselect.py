"""Which rows a capped HTML report embeds (above ``--html-rows``): the worst verdicts and the worst
findings of each rule, most valuable first."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from migrationaudit.models.findings import Finding
from migrationaudit.models.inputs import LinkValue
from migrationaudit.models.result import AuditResult, Verdict
from migrationaudit.reports.htmldata import ReportData, build

# How bad a verdict is, worst first: errors, warnings, then URLs whose chain was never
# completed (they may hide either), notices, and clean URLs last.
VERDICT_RANK = {"error": 0, "warning": 1, "incomplete": 2, "notice": 3, "ok": 4}



def _value_key(value: LinkValue | None) -> tuple[int, ...]:
    """Most valuable first (as the pipeline ranks ``--priority`` values), for an ascending
    sort; no value sorts last."""
    if value is None:
        return (0, 0, 0, 0, 0)
    return tuple(-n for n in value.rank_key)



@dataclass(frozen=True)
class Selection:
    """What a capped report embeds: ``verdicts`` = the listed rows (worst first) followed by
    the verdicts of embedded findings that are not listed; ``listed`` = how many are listed."""

    verdicts: tuple[Verdict, ...]
    listed: int
    findings: tuple[Finding, ...]
    per_rule: dict[str, int]  # rule id → findings embedded (at most the cap)



def worst_verdicts(verdicts: Iterable[Verdict], n: int) -> list[Verdict]:
    """The ``n`` worst verdicts, worst first: by verdict (error, warning, incomplete, notice,
    ok), then link value (``--priority``), then URL."""
    return heapq.nsmallest(
        n, verdicts, key=lambda v: (VERDICT_RANK.get(v.verdict, 2), _value_key(v.value), v.url)
    )



def worst_findings(
    findings: Iterable[Finding], n: int, values: Mapping[str, LinkValue]
) -> list[Finding]:
    """The ``n`` worst findings of *each* rule, worst first overall: by severity, then the
    legacy URL's link value (``values``: URL → value), then rule id and URL."""
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule_id, []).append(f)

    def key(f: Finding) -> tuple[int, tuple[int, ...], str, str]:
        return (-int(f.severity), _value_key(values.get(f.url)), f.rule_id, f.url)

    kept = [f for rows in by_rule.values() for f in heapq.nsmallest(n, rows, key=key)]
    return sorted(kept, key=key)



def select_rows(result: AuditResult, n: int) -> Selection:
    """The rows a report capped at ``n`` embeds: the worst ``n`` legacy URLs, the worst ``n``
    findings of each rule, and the verdicts those findings need (see :class:`Selection`)."""
    values = {v.url: v.value for v in result.verdicts if v.value is not None}
    listed = worst_verdicts(result.verdicts, n)
    findings = worst_findings(result.findings, n, values)
    have = {v.url for v in listed}
    wanted = {f.url for f in findings} - have
    extra = []
    for v in result.verdicts:
        if v.url in wanted:
            extra.append(v)
            wanted.discard(v.url)
    per_rule: dict[str, int] = {}
    for f in findings:
        per_rule[f.rule_id] = per_rule.get(f.rule_id, 0) + 1
    return Selection(tuple(listed) + tuple(extra), len(listed), tuple(findings), per_rule)



def build_selected(
    result: AuditResult, selection: Selection, meta: Callable[[str], tuple[str, str, str]]
) -> ReportData:
    """:func:`build` over the selected rows only (``listed`` set for report.js)."""
    data = build(replace(result, verdicts=selection.verdicts, findings=selection.findings), meta)
    data.listed = selection.listed
    return data

"""Small views of the HTML report: hop paths, rule documentation, bars, and the per-rule
sections' order."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from migrationaudit.gate import gate_reasons
from migrationaudit.models.hops import Chain, Hop
from migrationaudit.models.result import AuditResult
from migrationaudit.reports.common import (
    display_text,
    gate_count,
    gate_label,
)
from migrationaudit.reports.htmldata import (
    FAILING,
    SEVERITY_ORDER,
    VERDICT_ORDER,
    F,
    ReportData,
    Strings,
    V,
    value_label,
)
from migrationaudit.reports.htmlpaths import path_steps

# ``code`` (reST) or `code` (Markdown) inside a rule docstring.
_DOC_CODE = re.compile(r"``(.+?)``|`([^`]+)`")


# A paragraph that starts "Why:" / "Fix:" gets its label in bold.
_DOC_LABEL = re.compile(r"^(Why|Fix|How to fix|Symptom|Detects|Note|Example):\s*")


SUPPRESSED_ROWS = 500  # ignored / baselined findings listed (all of them are in findings.json)


def _text(value: object) -> str:
    return "" if value is None else display_text(str(value))


def _link(url: object) -> dict[str, Any]:
    """A URL for the template: display text, and an href only when it is a vetted http(s) URL."""
    strings = Strings()
    view: dict[str, Any] = strings.link(strings.add(url))
    return view


def anchor(rule_id: str) -> str:
    """An element id for a rule section (only ``[a-z0-9-]``, whatever the id holds)."""
    return "rule-" + "".join(
        c if c.isascii() and (c.isalnum() or c == "-") else "_" for c in rule_id
    )


def path_view(hops: Sequence[Hop], chain: Chain | None) -> dict[str, Any]:
    """A hop path for the template: steps (URL, then the arrow badge leaving it, and whether
    that hop changes host) and an end badge, drawn as ``a --301--> b --302--> c [200]``."""
    strings = Strings()
    steps, end = path_steps(hops, chain)
    return _path_from_record(
        strings,
        [strings.add(end[0]) if end else -1, end[1] if end else ""]
        + [[strings.add(s.url), s.arrow, s.arrow_cls, int(s.host_change)] for s in steps],
    )


def _path_from_record(strings: Strings, record: Sequence[Any] | None) -> dict[str, Any]:
    if not record:
        return {"steps": [], "end": None}
    steps = [
        {
            "url": strings.link(url),
            "arrow": {"label": label, "cls": cls} if label else None,
            "host_change": bool(change),
        }
        for url, label, cls, change in record[2:]
    ]
    end = {"label": strings.text(record[0]), "cls": record[1]} if record[0] >= 0 else None
    return {"steps": steps, "end": end}


def doc_view(paragraph: str) -> dict[str, Any]:
    """A docstring paragraph as a bold label (``Why``, ``Fix``…) and text/code parts."""
    label = None
    m = _DOC_LABEL.match(paragraph)
    if m:
        label = m.group(1)
        paragraph = paragraph[m.end() :]
    parts: list[dict[str, Any]] = []
    pos = 0
    for code in _DOC_CODE.finditer(paragraph):
        if code.start() > pos:
            parts.append({"text": _text(paragraph[pos : code.start()]), "code": False})
        parts.append({"text": _text(code.group(1) or code.group(2)), "code": True})
        pos = code.end()
    if pos < len(paragraph):
        parts.append({"text": _text(paragraph[pos:]), "code": False})
    return {"label": label, "parts": parts}


def _bars(counts: dict[str, int]) -> list[dict[str, Any]]:
    top = max(counts.values(), default=0)
    return [
        {"name": name, "count": n, "pct": round(100 * n / top) if top else 0}
        for name, n in counts.items()
    ]


class _Views:
    """Template dicts for table rows, from the same records report.js reads."""

    def __init__(self, data: ReportData) -> None:
        self.data = data
        self.s = data.strings

    def _path(self, chain_index: int) -> dict[str, Any]:
        return _path_from_record(
            self.s, self.data.chains[chain_index] if chain_index >= 0 else None
        )

    def _value(self, value_index: int) -> str:
        return value_label(self.data.values[value_index]) if value_index >= 0 else ""

    def _rules(self, codes: Sequence[int]) -> list[dict[str, str]]:
        return [
            {"id": self.data.rules[c]["id"], "anchor": self.data.rules[c]["anchor"]} for c in codes
        ]

    def _curl(self, index: int) -> str:
        return self.s.text(index) if index >= 0 else ""

    def verdict(self, i: int, position: int = 0) -> dict[str, Any]:
        row = self.data.verdicts[i]
        verdict = VERDICT_ORDER[row[V["verdict"]]]
        tri = {-1: "", 0: "no", 1: "yes"}
        status = row[V["status"]]
        return {
            "position": position,
            "url": self.s.link(row[V["url"]]),
            "value": self._value(row[V["value"]]),
            "verdict": verdict,
            "path": self._path(row[V["chain"]]),
            "outcome": self.s.text(row[V["outcome"]]),
            "hop_count": row[V["hops"]],
            "final_status": "" if status is None else str(status),
            "final": self.s.link(row[V["final"]]),
            "expected": self.s.link(row[V["expected"]]),
            "target_match": tri[row[V["match"]]],
            "indexable": tri[row[V["indexable"]]],
            "self_canonical": tri[row[V["self_canonical"]]],
            "in_sitemap": tri[row[V["in_sitemap"]]],
            "robots_allowed": tri[row[V["robots_allowed"]]],
            "canonical": self.s.link(row[V["canonical"]]),
            "rules": self._rules(row[V["rules"]]),
            "origin": self.s.text(row[V["origin"]]),
            "curl": self._curl(row[V["curl"]]),
        }

    def finding(self, j: int) -> dict[str, Any]:
        row = self.data.findings[j]
        rule = self.data.rules[row[F["rule"]]]
        vi = row[F["verdict_row"]]
        verdict_row = self.data.verdicts[vi] if vi >= 0 else None
        return {
            "severity": SEVERITY_ORDER[row[F["severity"]]],
            "rule": {"id": rule["id"], "anchor": rule["anchor"]},
            "url": self.s.link(row[F["url"]]),
            "value": self._value(verdict_row[V["value"]]) if verdict_row else "",
            "path": self._path(row[F["chain"]]),
            "final": self.s.link(row[F["final"]]),
            "expected": self.s.link(row[F["expected"]]),
            "message": self.s.text(row[F["message"]]),
            "fix": self.s.text(row[F["fix"]]),
            "origin": self.s.text(row[F["origin"]]),
            "curl": self._curl(verdict_row[V["curl"]]) if verdict_row else "",
        }


def failure_order(data: ReportData, priority: bool) -> list[int]:
    """Failing verdict rows (error, warning), most costly first: by link value when the
    exports were given, else by severity; input order breaks ties (report.js sorts alike).
    Only the listed rows of a capped report (:attr:`ReportData.listed`)."""
    listed = data.verdicts if data.listed is None else data.verdicts[: data.listed]
    rows = [i for i, r in enumerate(listed) if VERDICT_ORDER[r[V["verdict"]]] in FAILING]

    def key(i: int) -> tuple[int, int, int]:
        r = data.verdicts[i]
        value = r[V["value"]]
        rank = data.values[value][5] if value >= 0 else len(data.values)
        return (rank if priority else 0, -r[V["verdict"]], i)

    return sorted(rows, key=key)


def _gate(result: AuditResult) -> dict[str, Any]:
    """The gate as the gate decides it (:meth:`AuditResult.gating_findings`,
    :func:`migrationaudit.gate.gate_reasons`): the findings that fail it, every budget with
    its count, why it failed, and what it did not count (ignored, baselined; always shown)."""
    suppressed = result.counts_suppressed()
    baseline = result.run.gate.baseline if result.run.gate else None
    budgets = [
        {
            "rule": _text(b.rule_id),
            "anchor": anchor(b.rule_id),
            "fired": b.count > 0,
            "count": b.count,
            "limit": b.limit,
            "exceeded": b.exceeded,
        }
        for b in result.budget_statuses()
    ]
    return {
        "label": gate_label(result),
        "fail_on": result.fail_on.label,
        "count": gate_count(result),
        "reasons": [_text(r) for r in gate_reasons(result)],
        "budgets": budgets,
        "budget_failed": any(b["exceeded"] for b in budgets),
        "ignored": suppressed.get("ignored", 0),
        "baselined": suppressed.get("baselined", 0),
        "baseline": _text(baseline) if baseline else "",
    }


def _suppressed(result: AuditResult) -> dict[str, Any]:
    """The ignore entries (with how many findings each matched) and the findings the gate did
    not count, each with its reason; at most :data:`SUPPRESSED_ROWS` rows of each kind."""
    entries = result.run.gate.ignores if result.run.gate else ()
    ignores = [
        {
            "rule": _text("*" if e.rule is None else e.rule),
            "url": _text("*" if e.url is None else e.url),
            "reason": _text(e.reason or ""),
            "matched": e.matched or 0,
        }
        for e in entries
    ]
    active = set(result.counts_by_rule())  # rules with a section to link to
    kinds: dict[str, list[dict[str, Any]]] = {"ignored": [], "baselined": []}
    totals = {"ignored": 0, "baselined": 0}
    for s in result.suppressed:
        kind = s.kind if s.kind in kinds else "ignored"
        totals[kind] += 1
        if len(kinds[kind]) < SUPPRESSED_ROWS:
            f = s.finding
            kinds[kind].append(
                {
                    "rule": {
                        "id": _text(f.rule_id),
                        "anchor": anchor(f.rule_id) if f.rule_id in active else "",
                    },
                    "severity": f.severity.label,
                    "url": _link(f.url),
                    "reason": _text(s.reason),
                    "message": _text(f.message),
                }
            )
    return {
        "ignores": ignores,
        "ignored": kinds["ignored"],
        "ignored_total": totals["ignored"],
        "baselined": kinds["baselined"],
        "baselined_total": totals["baselined"],
    }

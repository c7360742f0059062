"""``junit.xml``: one test case per legacy URL, for CI test-report widgets.

One ``<testsuite name="migrationaudit">``; each legacy URL is a ``<testcase>`` (classname =
its host, name = the URL). Findings that fail the gate (at or above ``fail_on``, or of an
exceeded budget) make one ``<failure>`` (message = the rule ids; text = each finding's rule,
message, chain and fix); other findings, and ignored or baselined ones with their reason, go
to ``<system-out>``; a URL whose chain was never completed is ``<skipped>``. Built with
ElementTree, so it is well-formed; characters XML 1.0 forbids are stripped first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from migrationaudit.models import AuditResult, Finding
from migrationaudit.reports.common import TOOL_NAME, host_of, strip_control
from migrationaudit.tables import finding_path

FILENAME = "junit.xml"


def _clean(text: str) -> str:
    return strip_control(text)


def _finding_text(result: AuditResult, f: Finding) -> str:
    lines = [f"[{f.severity.label}] {f.rule_id}: {f.message}"]
    path = finding_path(result, f)
    if path:
        lines.append(f"  chain: {path}")
    if f.expected_url:
        lines.append(f"  expected: {f.expected_url}")
    if f.fix:
        lines.append(f"  fix: {f.fix}")
    if f.origin:
        lines.append(f"  map: {f.origin}")
    return "\n".join(lines)


def _cases(result: AuditResult) -> Iterable[tuple[str, str | None]]:
    """(legacy URL, verdict) in input order; URLs that only appear in findings come last."""
    seen: set[str] = set()
    for v in result.verdicts:
        if v.url not in seen:
            seen.add(v.url)
            yield v.url, v.verdict
    for f in result.findings:
        if f.url not in seen:
            seen.add(f.url)
            yield f.url, None


def build(result: AuditResult) -> ET.Element:
    """The ``<testsuites>`` element tree."""
    by_url: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_url.setdefault(f.url, []).append(f)
    quiet: dict[str, list[str]] = {}
    for s in result.suppressed:
        note = f"[{s.kind}: {s.reason}] " + _finding_text(result, s.finding)
        quiet.setdefault(s.finding.url, []).append(note)
    gating_ids = {id(f) for f in result.gating_findings()}
    exceeded = {b.rule_id: b for b in result.budget_statuses() if b.exceeded}
    cases = list(_cases(result))
    root = ET.Element("testsuites", {"name": TOOL_NAME})
    suite = ET.SubElement(root, "testsuite", {"name": TOOL_NAME})
    failures = skipped = 0
    for url, verdict in cases:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": _clean(host_of(url) or "(no host)"), "name": _clean(url)},
        )
        found = by_url.get(url, [])
        gating = [f for f in found if id(f) in gating_ids]
        other = [f for f in found if id(f) not in gating_ids]
        if gating:
            failures += 1
            rule_ids = sorted({f.rule_id for f in gating})
            failure = ET.SubElement(
                case,
                "failure",
                {"message": _clean(", ".join(rule_ids)), "type": gating[0].severity.label},
            )
            texts = []
            for f in gating:
                text = _finding_text(result, f)
                if f.rule_id in exceeded:
                    b = exceeded[f.rule_id]
                    text += f"\n  budget: {b.count} {b.rule_id} finding(s) > max {b.limit}"
                texts.append(text)
            failure.text = _clean("\n\n".join(texts))
        elif verdict == "incomplete":
            skipped += 1
            ET.SubElement(case, "skipped", {"message": "incomplete: the chain was not fetched"})
        notes = [_finding_text(result, f) for f in other] + quiet.get(url, [])
        if notes:
            out = ET.SubElement(case, "system-out")
            out.text = _clean("\n\n".join(notes))
    counts = {"tests": len(cases), "failures": failures, "errors": 0, "skipped": skipped}
    for element in (root, suite):
        element.attrib.update({k: str(v) for k, v in counts.items()})
    started = result.run.get("started_at")
    if started:
        suite.set("timestamp", _clean(str(started)))
    return root


def render(result: AuditResult) -> bytes:
    """``junit.xml`` as UTF-8 bytes with an XML declaration."""
    root = build(result)
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body + b"\n"

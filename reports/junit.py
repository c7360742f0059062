"""``junit.xml``: one test case per legacy URL, for CI test-report widgets.

One ``<testsuite name="migrationaudit">``; each legacy URL is a ``<testcase>`` (classname =
its host, name = the URL). Findings at or above ``fail_on`` make one ``<failure>`` (message =
the rule ids; text = each finding's rule, message, chain and fix); lower findings go to
``<system-out>``; a URL whose chain was never completed is ``<skipped>``. Built with
ElementTree, so it is well-formed; characters XML 1.0 forbids are stripped first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from migrationaudit.reports.common import TOOL_NAME, host_of, strip_control

from migrationaudit.models import AuditResult, Finding
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
        gating = [f for f in found if f.severity >= result.fail_on]
        other = [f for f in found if f.severity < result.fail_on]
        if gating:
            failures += 1
            rule_ids = sorted({f.rule_id for f in gating})
            failure = ET.SubElement(
                case,
                "failure",
                {"message": _clean(", ".join(rule_ids)), "type": gating[0].severity.label},
            )
            failure.text = _clean("\n\n".join(_finding_text(result, f) for f in gating))
        elif verdict == "incomplete":
            skipped += 1
            ET.SubElement(case, "skipped", {"message": "incomplete: the chain was not fetched"})
        if other:
            out = ET.SubElement(case, "system-out")
            out.text = _clean("\n\n".join(_finding_text(result, f) for f in other))
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

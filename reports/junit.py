"""``junit.xml``: one test case per legacy URL, for CI test-report widgets.

One ``<testsuite name="migrationaudit">``; each legacy URL is a ``<testcase>`` (classname =
its host, name = the URL). Findings that fail the gate (at or above ``fail_on``, or of an
exceeded budget) make one ``<failure>`` (message = the rule ids; text = each finding's rule,
message, chain and fix); other findings, and ignored or baselined ones with their reason, go
to ``<system-out>``; a URL whose chain was never completed is ``<skipped>``. Built with
ElementTree, so it is well-formed; characters XML 1.0 forbids are stripped first.

:func:`chunks` writes one ``<testcase>`` at a time (each built and serialised on its own), the
same text as :func:`render`'s whole tree without holding a million elements.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from migrationaudit.models.findings import BudgetStatus, Finding
from migrationaudit.models.result import AuditResult
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


@dataclass
class _Plan:
    """What every test case needs, gathered in one pass over the findings."""

    by_url: dict[str, list[Finding]]
    quiet: dict[str, list[str]]
    gating_ids: set[int]
    exceeded: dict[str, BudgetStatus]


def _plan(result: AuditResult) -> _Plan:
    by_url: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_url.setdefault(f.url, []).append(f)
    quiet: dict[str, list[str]] = {}
    for s in result.suppressed:
        note = f"[{s.kind}: {s.reason}] " + _finding_text(result, s.finding)
        quiet.setdefault(s.finding.url, []).append(note)
    return _Plan(
        by_url,
        quiet,
        {id(f) for f in result.gating_findings()},
        {b.rule_id: b for b in result.budget_statuses() if b.exceeded},
    )


# A test case's parts: its attributes and its children (tag, attributes, text).
_Child = tuple[str, dict[str, str], str | None]


def _case_parts(
    result: AuditResult, plan: _Plan, url: str, verdict: str | None
) -> tuple[dict[str, str], list[_Child]]:
    """One ``<testcase>``: a failure for gating findings, else skipped when incomplete, and
    the other findings as system-out."""
    attrs = {"classname": _clean(host_of(url) or "(no host)"), "name": _clean(url)}
    children: list[_Child] = []
    found = plan.by_url.get(url, [])
    gating = [f for f in found if id(f) in plan.gating_ids]
    other = [f for f in found if id(f) not in plan.gating_ids]
    if gating:
        rule_ids = sorted({f.rule_id for f in gating})
        texts = []
        for f in gating:
            text = _finding_text(result, f)
            if f.rule_id in plan.exceeded:
                b = plan.exceeded[f.rule_id]
                text += f"\n  budget: {b.count} {b.rule_id} finding(s) > max {b.limit}"
            texts.append(text)
        failure = {"message": _clean(", ".join(rule_ids)), "type": gating[0].severity.label}
        children.append(("failure", failure, _clean("\n\n".join(texts))))
    elif verdict == "incomplete":
        children.append(("skipped", {"message": "incomplete: the chain was not fetched"}, None))
    notes = [_finding_text(result, f) for f in other] + plan.quiet.get(url, [])
    if notes:
        children.append(("system-out", {}, _clean("\n\n".join(notes))))
    return attrs, children


def _case(result: AuditResult, plan: _Plan, url: str, verdict: str | None) -> ET.Element:
    """One ``<testcase>`` element (see :func:`_case_parts`)."""
    attrs, children = _case_parts(result, plan, url, verdict)
    case = ET.Element("testcase", attrs)
    for tag, child_attrs, text in children:
        ET.SubElement(case, tag, child_attrs).text = text
    return case


def _case_text(result: AuditResult, plan: _Plan, url: str, verdict: str | None) -> str:
    """One ``<testcase>`` as text: what ElementTree writes for :func:`_case` indented at the
    depth of a test case (``ET.indent(case, level=2)``), without building and walking the
    element (a test compares both)."""
    attrs, children = _case_parts(result, plan, url, verdict)
    parts = ["<testcase", *_attributes(attrs)]
    if not children:
        parts.append(" />")
        return "".join(parts)
    parts.append(">")
    for tag, child_attrs, text in children:
        parts += ("\n      <", tag, *_attributes(child_attrs))
        if text:
            parts += (">", _escape_text(text), "</", tag, ">")
        else:
            parts.append(" />")
    parts.append("\n    </testcase>")
    return "".join(parts)


def _attributes(attrs: dict[str, str]) -> list[str]:
    return [f' {k}="{_escape_attribute(v)}"' for k, v in attrs.items()]


def _escape_text(text: str) -> str:
    """Element text escaped as ElementTree escapes it."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


# An attribute value's characters ElementTree writes as references, in its order.
_ATTRIBUTE_REFS = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\r", "&#13;"),
    ("\n", "&#10;"),
    ("\t", "&#09;"),
)


def _escape_attribute(text: str) -> str:
    """An attribute value escaped as ElementTree escapes it."""
    for char, ref in _ATTRIBUTE_REFS:
        if char in text:
            text = text.replace(char, ref)
    return text


def _counts(plan: _Plan, cases: Iterable[tuple[str, str | None]]) -> dict[str, int]:
    tests = failures = skipped = 0
    for url, verdict in cases:
        tests += 1
        if any(id(f) in plan.gating_ids for f in plan.by_url.get(url, ())):
            failures += 1
        elif verdict == "incomplete":
            skipped += 1
    return {"tests": tests, "failures": failures, "errors": 0, "skipped": skipped}


def _shell(result: AuditResult, counts: dict[str, int]) -> tuple[ET.Element, ET.Element]:
    root = ET.Element("testsuites", {"name": TOOL_NAME})
    suite = ET.SubElement(root, "testsuite", {"name": TOOL_NAME})
    for element in (root, suite):
        element.attrib.update({k: str(v) for k, v in counts.items()})
    started = result.run.started_at
    if started:
        suite.set("timestamp", _clean(str(started)))
    return root, suite


def build(result: AuditResult) -> ET.Element:
    """The ``<testsuites>`` element tree (all in memory: for tests; :func:`chunks` streams)."""
    plan = _plan(result)
    root, suite = _shell(result, _counts(plan, _cases(result)))
    for url, verdict in _cases(result):
        suite.append(_case(result, plan, url, verdict))
    return root


_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"
CHUNK_CASES = 500  # test cases per written chunk


def chunks(result: AuditResult) -> Iterator[str]:
    """``junit.xml`` text in chunks (UTF-8 when written), one test case at a time; joined and
    encoded, exactly :func:`render`'s bytes."""
    plan = _plan(result)
    counts = _counts(plan, _cases(result))
    root, suite = _shell(result, counts)
    if not counts["tests"]:
        root_text = ET.tostring(_indented(root), encoding="unicode")
        yield _DECLARATION + root_text + "\n"
        return
    # The shell around a marker child, indented like the whole tree: the cases go in its place.
    ET.SubElement(suite, "marker")
    head, _, tail = ET.tostring(_indented(root), encoding="unicode").partition("<marker />")
    yield _DECLARATION + head
    batch: list[str] = []
    first = True
    for url, verdict in _cases(result):
        batch.append(("" if first else "\n    ") + _case_text(result, plan, url, verdict))
        first = False
        if len(batch) >= CHUNK_CASES:
            yield "".join(batch)
            batch = []
    yield "".join(batch) + tail + "\n"


def _indented(root: ET.Element) -> ET.Element:
    ET.indent(root)
    return root


def render(result: AuditResult) -> bytes:
    """``junit.xml`` as UTF-8 bytes with an XML declaration."""
    root = build(result)
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body + b"\n"

"""junit.xml: one test case per legacy URL, failures at/above fail_on, valid XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from audit_fixture import BIDI_URL, OLD, SCRIPT_URL
from lxml import etree

from migrationaudit.models.findings import Severity
from migrationaudit.models.result import AuditResult
from migrationaudit.reports import junit


def parse(result: AuditResult) -> ET.Element:
    return ET.fromstring(junit.render(result))


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in root.iter("testcase")}


def test_one_suite_one_case_per_legacy_url(audit_result: AuditResult) -> None:
    root = parse(audit_result)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["migrationaudit"]
    suite = suites[0]
    names = [c.get("name") for c in suite.findall("testcase")]
    assert names == [v.url for v in audit_result.verdicts]
    assert suite.get("tests") == "14"
    assert suite.get("failures") == "8"
    assert suite.get("skipped") == "1"
    assert suite.get("timestamp") == "2025-01-02T03:04:05+00:00"
    assert {c.get("classname") for c in suite.iter("testcase")} == {"old.example"}


def test_failures_and_system_out(audit_result: AuditResult) -> None:
    by_name = cases(parse(audit_result))
    loop = by_name[f"{OLD}/loop"].find("failure")
    assert loop is not None
    assert loop.get("message") == "redirect-loop"
    assert loop.text is not None
    assert "redirect-loop: the chain returns to" in loop.text
    assert f"{OLD}/loop --301--> {OLD}/loop-b --302--> {OLD}/loop [loop]" in loop.text
    assert "fix: Point the map row" in loop.text
    # warnings only: a passing case with the details in system-out
    chain = by_name[f"{OLD}/chain"]
    assert chain.find("failure") is None
    out = chain.find("system-out")
    assert out is not None and out.text is not None
    assert "[warning] temporary-redirect" in out.text
    # errors and a warning on one URL: the error fails, the warning goes to system-out
    noindex = by_name[f"{OLD}/noindex"]
    failure = noindex.find("failure")
    assert failure is not None and failure.get("message") == "noindex-target"
    assert "canonical-mismatch" in (noindex.findtext("system-out") or "")
    # incomplete without findings is skipped; ok has no child at all
    assert by_name[f"{OLD}/partial"].find("skipped") is not None
    assert list(by_name[f"{OLD}/ok"]) == []


def test_fail_on_moves_the_line(audit_result: AuditResult) -> None:
    strict = AuditResult(**{**audit_result.__dict__, "fail_on": Severity.NOTICE})
    by_name = cases(parse(strict))
    failure = by_name[f"{OLD}/chain"].find("failure")
    assert failure is not None
    assert failure.get("message") == "redirect-chain, scheme-hop, slash-hop, temporary-redirect"
    assert by_name[f"{OLD}/chain"].find("system-out") is None


def test_hostile_text_is_escaped_and_controls_stripped(audit_result: AuditResult) -> None:
    body = junit.render(audit_result)
    assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b"<script>" not in body
    assert b"\x00" not in body and b"\x1b" not in body and b"\x0b" not in body
    by_name = cases(ET.fromstring(body))
    assert SCRIPT_URL in by_name
    assert BIDI_URL in by_name
    # a strict parser accepts it too
    etree.fromstring(body, etree.XMLParser(recover=False))


def test_control_characters_in_messages_are_dropped(audit_result: AuditResult) -> None:
    from dataclasses import replace

    f = replace(audit_result.findings[0], message="bad\x00\x08byte\x1b[0m", url=f"{OLD}/\x01ctl")
    result = AuditResult(**{**audit_result.__dict__, "findings": (f,), "verdicts": ()})
    root = parse(result)
    (case,) = root.iter("testcase")
    assert case.get("name") == f"{OLD}/ctl"
    assert "badbyte[0m" in (case.findtext("failure") or "")


def test_empty_result(empty_result: AuditResult) -> None:
    root = parse(empty_result)
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), list(suite)) == ("0", "0", [])


def test_budgets_and_ignores_move_failures(audit_result: AuditResult) -> None:
    from migrationaudit.gate import apply, make_policy

    policy = make_policy(
        budgets=["temporary-redirect=0", "redirect-loop=5"],
        ignores=[f"noindex-target {OLD}/noindex staging robots tag removed at launch"],
    )
    by_name = cases(parse(apply(audit_result, policy)))
    # an exceeded budget fails its URLs even below --fail-on, and says why
    chain = by_name[f"{OLD}/chain"].find("failure")
    assert chain is not None and chain.get("message") == "temporary-redirect"
    assert "budget: 1 temporary-redirect finding(s) > max 0" in (chain.text or "")
    # a loop within its budget no longer fails
    assert by_name[f"{OLD}/loop"].find("failure") is None
    # the ignored finding is listed with its reason, not failed
    noindex = by_name[f"{OLD}/noindex"]
    assert noindex.find("failure") is None
    assert "[ignored: staging robots tag removed at launch]" in (
        noindex.findtext("system-out") or ""
    )


def test_streamed_escapes_are_elementtrees() -> None:
    texts = ["a&b<c>\"d'e", "tab\there", "cr\rlf\nend", "]]>&amp;", "plain", "é — ü"]
    for text in texts:
        element = ET.Element("x", {"a": text})
        element.text = text
        escaped = junit._escape_attribute(text), junit._escape_text(text)
        assert ET.tostring(element, encoding="unicode") == '<x a="{}">{}</x>'.format(*escaped)

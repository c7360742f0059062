"""GitHub Actions workflow commands: one ``::error file=…,line=…::`` annotation per finding
of a map row, so the pull request shows it on the line of the redirect map.

Findings that fail the gate are ``error`` annotations, other warnings ``warning``, notices
``notice``; at most :data:`MAX_PER_LEVEL` of each (GitHub shows only a few per step anyway),
then one notice saying how many more are in the report. Findings without a file origin
(URLs read from stdin) are left to the report. Every value is escaped as the runner expects
(``%``, CR, LF; in properties also ``:`` and ``,``), so a hostile URL cannot end the command
early or start another one.
"""

from __future__ import annotations

from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.result import AuditResult
from migrationaudit.reports.common import one_line
from migrationaudit.reports.sarif import artifact_path

MAX_PER_LEVEL = 50


def escape_data(text: str) -> str:
    """A workflow command's message, escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value, escaped."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _level(f: Finding, gating: set[int]) -> str:
    if id(f) in gating:
        return "error"
    return "warning" if f.severity >= Severity.WARNING else "notice"


def render(result: AuditResult) -> str:
    """The annotation lines (each ending in a newline); empty when there is nothing to say."""
    gating = {id(f) for f in result.gating_findings()}
    lines: list[str] = []
    shown = {"error": 0, "warning": 0, "notice": 0}
    left = 0
    for f in result.findings:
        path = artifact_path(f.origin.file) if f.origin else None
        if f.origin is None or path is None:
            continue
        level = _level(f, gating)
        if shown[level] >= MAX_PER_LEVEL:
            left += 1
            continue
        shown[level] += 1
        props = [f"file={escape_property(path)}"]
        if f.origin.line > 0:
            props.append(f"line={f.origin.line}")
        props.append(f"title={escape_property(f'{f.rule_id} ({f.severity.label})')}")
        message = one_line(f"{f.url}: {f.message}")
        if f.fix:
            message += " Fix: " + one_line(f.fix)
        lines.append(f"::{level} {','.join(props)}::{escape_data(message)}")
    if left:
        lines.append(f"::notice::{left} more finding(s) on map rows: see the report")
    return "".join(line + "\n" for line in lines)

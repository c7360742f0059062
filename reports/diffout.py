"""``diff.html`` and ``diff.md``: the comparison of two audits (:mod:`migrationaudit.diff`).

Counts of every kind of change, then the regressed, new and fixed URLs and findings (at most
:data:`MAX_ROWS` each; unchanged ones are only counted). The HTML is one self-contained page
(inline CSS, a CSP that forbids every request, no script, no links: crawled URLs are text,
autoescaped); the Markdown puts URLs and chains in code spans like ``summary.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from migrationaudit.diff import RunDiff
from migrationaudit.errors import ReportError
from migrationaudit.reports.common import display_text
from migrationaudit.reports.markdown import md_code, md_text
from migrationaudit.rundir.layout import atomic_write, os_reason

HTML_FILENAME = "diff.html"
MD_FILENAME = "diff.md"
MAX_ROWS = 200
SHOWN_URL_KINDS = ("regressed", "new", "fixed", "removed")
SHOWN_FINDING_KINDS = ("regressed", "new", "fixed")


@dataclass(frozen=True)
class _Section:
    kind: str
    rows: list[dict[str, Any]]
    total: int

    @property
    def more(self) -> bool:
        return self.total > len(self.rows)


def _url_sections(diff: RunDiff) -> list[_Section]:
    out = []
    for kind in SHOWN_URL_KINDS:
        changes = [c for c in diff.urls if c.kind == kind]
        if not changes:
            continue
        rows = []
        for c in changes[:MAX_ROWS]:
            shown = c.b or c.a
            rows.append(
                {
                    "url": display_text(c.url),
                    "before": c.a.verdict if c.a else "—",
                    "after": c.b.verdict if c.b else "—",
                    "path": display_text(shown.path if shown else ""),
                }
            )
        out.append(_Section(kind, rows, len(changes)))
    return out


def _finding_sections(diff: RunDiff) -> list[_Section]:
    out = []
    for kind in SHOWN_FINDING_KINDS:
        changes = [c for c in diff.findings if c.kind == kind]
        if not changes:
            continue
        rows = []
        for c in changes[:MAX_ROWS]:
            severity = c.row.severity
            if c.kind == "regressed" and c.a is not None:
                severity = f"{c.a.severity} → {c.row.severity}"
            rows.append(
                {
                    "rule": c.row.rule,
                    "severity": severity,
                    "url": display_text(c.row.url),
                    "message": display_text(c.row.message),
                }
            )
        out.append(_Section(kind, rows, len(changes)))
    return out


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("migrationaudit.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(diff: RunDiff) -> str:
    """``diff.html``."""
    template = _environment().get_template("diff.html.j2")
    return template.render(
        a=display_text(diff.a),
        b=display_text(diff.b),
        regressed=diff.regressed,
        url_counts=diff.url_counts(),
        finding_counts=diff.finding_counts(),
        url_sections=_url_sections(diff),
        finding_sections=_finding_sections(diff),
    )


def render_markdown(diff: RunDiff) -> str:
    """``diff.md``."""
    icon = "❌" if diff.regressed else "✅"
    lines = [f"## {icon} Migration audit diff", ""]
    lines += [f"Before (A): {md_code(diff.a)}  ", f"After (B): {md_code(diff.b)}", ""]
    lines += ["| Legacy URLs | Count |", "|---|---:|"]
    lines += [f"| {kind} | {n} |" for kind, n in diff.url_counts().items()]
    lines += ["", "| Findings (rule + URL) | Count |", "|---|---:|"]
    lines += [f"| {kind} | {n} |" for kind, n in diff.finding_counts().items()]
    for section in _url_sections(diff):
        more = f", first {len(section.rows)} of {section.total}" if section.more else ""
        lines += ["", f"### URLs {section.kind} ({len(section.rows)}{more})", ""]
        lines += ["| Legacy URL | A | B | Chain |", "|---|---|---|---|"]
        for row in section.rows:
            lines.append(
                f"| {md_code(row['url'])} | {md_text(row['before'])} | {md_text(row['after'])} "
                f"| {md_code(row['path'])} |"
            )
    for section in _finding_sections(diff):
        more = f", first {len(section.rows)} of {section.total}" if section.more else ""
        lines += ["", f"### Findings {section.kind} ({len(section.rows)}{more})", ""]
        lines += ["| Rule | Severity | Legacy URL | Message |", "|---|---|---|---|"]
        for row in section.rows:
            lines.append(
                f"| {md_code(row['rule'])} | {md_text(row['severity'])} | {md_code(row['url'])} "
                f"| {md_text(row['message'])} |"
            )
    return "\n".join(lines) + "\n"


def render_files(diff: RunDiff, formats: tuple[str, ...] = ("html", "markdown")) -> dict[str, str]:
    """File name → text for the requested formats (``html``, ``markdown``)."""
    out: dict[str, str] = {}
    if "html" in formats:
        out[HTML_FILENAME] = render_html(diff)
    if "markdown" in formats:
        out[MD_FILENAME] = render_markdown(diff)
    return out


def write(
    diff: RunDiff, out_dir: Path, formats: tuple[str, ...] = ("html", "markdown")
) -> list[Path]:
    """Write the files into ``out_dir`` (each atomically); ReportError names a failing path."""
    written = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create {out_dir}: {exc.strerror or exc}") from exc
    for name, text in render_files(diff, formats).items():
        target = out_dir / name
        try:
            atomic_write(target, text)
        except OSError as exc:
            raise ReportError(f"cannot write {target}: {os_reason(exc)}") from exc
        written.append(target)
    return written

"""Output formats (installed as ``migrationaudit.reports``); ``templates/`` holds the Jinja files.

One module per format, each a pure ``render(result)`` (``csvout`` renders several files)::

    format     module     file(s)
    html       html       report.html       self-contained page for humans
    json       jsonout    findings.json     the machine contract (schema_version 1)
    csv        csvout     hops.csv, verdicts.csv, findings.csv
    junit      junit      junit.xml         one test case per legacy URL
    markdown   markdown   summary.md        CI step summary
    sarif      sarif      findings.sarif    SARIF 2.1.0 for code scanning (not in the default set)
    (text)     text       -                 the stderr summary: :func:`render_summary`

:func:`write_reports` renders every requested format to a temporary file in ``out_dir`` first
and only then renames them all into place (``os.replace``), so a crash or a render error never
leaves half a report, nor a mix of old and new files when rendering fails.

findings.json, the CSVs, SARIF and JUnit are rendered *while* they are written, in chunks
(each module's ``chunks``), so memory stays near the audit's own results at any size; their
``render`` functions give the same text whole. report.html is capped instead (``html_rows``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from migrationaudit.errors import ConfigError, ReportError
from migrationaudit.models.result import AuditResult
from migrationaudit.reports import csvout, html, jsonout, junit, markdown, sarif, text
from migrationaudit.rundir.layout import commit, discard, os_reason, stage, sweep_staged

FORMATS = ("html", "json", "csv", "junit", "markdown")  # the default set
ALL_FORMATS = (*FORMATS, "sarif")  # sarif (code scanning) only when asked for

# A file's content: text (written as UTF-8), bytes, or text chunks written as they are made,
# so findings.json, the CSVs, SARIF and JUnit never exist whole in memory (streamed writers).
Content = str | bytes | Iterable[str]
# Format name → (result, html row cap, names of every file written) → file name → content.
_RENDERERS: dict[
    str, Callable[[AuditResult, int | None, tuple[str, ...]], dict[str, Content]]
] = {
    "html": lambda r, rows, names: {html.FILENAME: html.render(r, max_rows=rows, files=names)},
    "json": lambda r, _, __: {jsonout.FILENAME: jsonout.chunks(r)},
    "csv": lambda r, _, __: dict(csvout.chunk_files(r)),
    "junit": lambda r, _, __: {junit.FILENAME: junit.chunks(r)},
    # summary.md points at the other files: only those written beside it
    "markdown": lambda r, _, names: {markdown.FILENAME: markdown.render(r, files=names)},
    "sarif": lambda r, _, __: {sarif.FILENAME: sarif.chunks(r)},
}
# Format name → the files it writes.
_FILES: dict[str, tuple[str, ...]] = {
    "html": (html.FILENAME,),
    "json": (jsonout.FILENAME,),
    "csv": csvout.FILENAMES,
    "junit": (junit.FILENAME,),
    "markdown": (markdown.FILENAME,),
    "sarif": (sarif.FILENAME,),
}

__all__ = ["ALL_FORMATS", "FORMATS", "render_summary", "write_reports"]


def _formats(formats: Iterable[str]) -> list[str]:
    """The requested formats, de-duplicated in order; ConfigError names an unknown one."""
    if isinstance(formats, str):  # "html" is one format, not four letters
        formats = (formats,)
    wanted: list[str] = []
    for fmt in formats:
        name = fmt.strip().lower()
        if name not in _RENDERERS:
            known = ", ".join(ALL_FORMATS)
            raise ConfigError(f"unknown report format {fmt!r} (expected one of: {known})")
        if name not in wanted:
            wanted.append(name)
    return wanted


def write_reports(
    result: AuditResult,
    out_dir: Path,
    formats: Iterable[str] = FORMATS,
    *,
    html_rows: int | None = None,
) -> dict[str, Path]:
    """Render ``formats`` of ``result`` into ``out_dir`` (created if missing).

    Returns file name → written path (``"report.html"``, ``"findings.json"``, ``"hops.csv"``,
    ``"verdicts.csv"``, ``"findings.csv"``, ``"junit.xml"``, ``"summary.md"``), in format order.
    ``html_rows`` caps report.html's tables above that many legacy URLs or findings (None:
    :data:`html.HTML_ROWS`; see :func:`html.render`); the other files always hold everything.
    Raises ReportError naming the path when the folder or a file cannot be written, and
    ConfigError for an unknown format (before anything is written)."""
    wanted = _formats(formats)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create report folder {out_dir}: {os_reason(exc)}") from exc

    names = tuple(name for fmt in wanted for name in _FILES[fmt])
    staged: list[tuple[Path, Path]] = []  # (temporary file, final path)
    try:
        for fmt in wanted:
            for name, content in _RENDERERS[fmt](result, html_rows, names).items():
                target = out_dir / name
                sweep_staged(out_dir, name)
                try:
                    staged.append((stage(target, content), target))
                except OSError as exc:
                    raise ReportError(f"cannot write {target}: {os_reason(exc)}") from exc
        written: dict[str, Path] = {}
        while staged:
            tmp, target = staged[0]
            try:
                commit({target: tmp})
            except OSError as exc:
                raise ReportError(f"cannot write {target}: {os_reason(exc)}") from exc
            staged.pop(0)
            written[target.name] = target
        return written
    finally:
        # Anything still staged failed or was never committed: leave no temporary files.
        discard({target: tmp for tmp, target in staged})


def render_summary(
    result: AuditResult, out_dir: Path | None = None, files: Iterable[str] | None = None
) -> str:
    """The short human summary (5-10 lines) the CLI prints to stderr; when ``out_dir`` is
    given it names what was written there: ``files`` (the names :func:`write_reports`
    returned; None: report.html)."""
    return text.render(result, out_dir, None if files is None else tuple(files))

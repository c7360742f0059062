"""Redirect maps: CSV or TSV rows of ``old_url,new_url[,status[,note]]``.

- The delimiter is detected from the first data line (tab, comma or semicolon).
- A header row is detected when its first cell is not a URL; known column names are matched
  case-insensitively (``old_url``/``source``/``from``…, ``new_url``/``target``/``to``…,
  ``status``/``code``…, ``note``/``comment``…). Without a header the columns are positional.
- Encoding by the policy of :mod:`migrationaudit.inputs.common` (UTF-8, UTF-16/32 with a BOM,
  UTF-16 without one; Windows-1252 is refused with the line); ``\r\n``, ``\n`` and ``\r`` line
  ends, mixed; ``#`` comment lines and blank lines are skipped; quoted fields may span lines
  (the rule keeps the line its record starts on).
- Cells are text, taken as written: ``NA``, ``N/A``, ``null``, ``None``, ``nan`` and ``-`` are
  strings like any other (a ``note`` keeps them; as a URL they are a relative path).
- The file is streamed (:func:`iter_map`): validating a million-row map holds one row at a
  time, and :func:`read_map` holds only the rules.
- An empty ``new_url`` is allowed only with status 404 or 410: the URL is removed on purpose.

Every problem raises :class:`~migrationaudit.errors.InputError` naming file and line, before any
request is sent, except, when the caller collects them (``bad_rows``;
:func:`~migrationaudit.inputs.mapfiles.read_map_file` does), a problem confined to one row (an
unparseable URL, a bad status, a missing new_url): that row is set aside (rule
``map-row-unreadable`` reports it on its line) and every other row is read. A file that cannot
be read at all (encoding, broken quoting, no header column, not one readable row) is still an
InputError. Conflicting rows (one source, two targets) are kept: they are findings
(``map-conflict``), not errors.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, MutableSequence
from itertools import chain
from pathlib import Path

from migrationaudit.errors import InputError
from migrationaudit.inputs.common import (
    check_url,
    csv_problem,
    iter_lines,
    missing_scheme,
    open_text,
)
from migrationaudit.models.inputs import Origin, RedirectRule

SOURCE_NAMES = {
    "old_url",
    "old",
    "old url",
    "source",
    "source_url",
    "from",
    "from_url",
    "legacy_url",
    "legacy",
    "url",
    "old_path",
    "redirect_from",
    "address",
}
TARGET_NAMES = {
    "new_url",
    "new",
    "new url",
    "target",
    "target_url",
    "to",
    "to_url",
    "destination",
    "destination_url",
    "redirect",
    "redirect_to",
    "new_path",
    "redirect_url",
}
STATUS_NAMES = {"status", "expected_status", "status_code", "code", "type", "redirect_type"}
NOTE_NAMES = {"note", "notes", "comment", "comments", "description"}
ALL_NAMES = SOURCE_NAMES | TARGET_NAMES | STATUS_NAMES | NOTE_NAMES

REDIRECT_STATUSES = {301, 302, 303, 307, 308}
REMOVED_STATUSES = {404, 410}
# One int object per status for every rule (int("301") makes a new one per row: 28 bytes each).
_STATUS = {s: s for s in REDIRECT_STATUSES | REMOVED_STATUSES}
MAX_FIELD = 64 * 1024  # a field larger than this is not a URL


def _known_cell(cell: str) -> bool:
    """A cell that can start a map row: a URL or path, a known column name, or empty."""
    c = cell.strip().lower()
    name = c.replace("-", "_").replace(" ", "_")
    return (
        not c
        or c.startswith(("http://", "https://", "/"))
        or missing_scheme(c)
        or name in ALL_NAMES
        or name.replace("_", " ") in ALL_NAMES
    )


def _detect_delimiter(line: str) -> str:
    """The delimiter of the first record: the first of tab, comma and semicolon that splits it
    into two known cells (URLs, paths or column names), so a comma inside the URLs of a
    ``;``-separated file does not win; else the most frequent of the three."""
    for delimiter in ("\t", ",", ";"):
        try:
            cells = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
        except csv.Error:
            continue
        if len(cells) >= 2 and _known_cell(cells[0]) and cells[0].strip() and _known_cell(cells[1]):
            return delimiter
    if "\t" in line:
        return "\t"
    return ";" if line.count(";") > line.count(",") else ","


def _looks_like_url(cell: str) -> bool:
    c = cell.strip().lower()
    return c.startswith(("http://", "https://", "/", "//")) or "://" in c or missing_scheme(c)


def _header_columns(
    cells: list[str], file: str, line: int
) -> tuple[int, int, int | None, int | None]:
    names = [c.strip().lower().replace("-", "_") for c in cells]
    names = [
        n.replace(" ", "_") if n.replace(" ", "_") in SOURCE_NAMES | TARGET_NAMES else n
        for n in names
    ]

    def find(candidates: set[str]) -> int | None:
        for i, n in enumerate(names):
            if n in candidates or n.replace("_", " ") in candidates:
                return i
        return None

    src, dst = find(SOURCE_NAMES), find(TARGET_NAMES)
    found = ", ".join(c.strip() for c in cells) or "(nothing)"
    if src is None:
        raise InputError(f"missing column old_url in header (found: {found})", file=file, line=line)
    if dst is None:
        raise InputError(f"missing column new_url in header (found: {found})", file=file, line=line)
    return src, dst, find(STATUS_NAMES), find(NOTE_NAMES)


def _parse_status(raw: str, file: str, line: int) -> int | None:
    value = raw.strip()
    if not value:
        return None
    try:
        status = int(value)
    except ValueError:
        raise InputError(
            f"bad status {value!r}: expected a number such as 301", file=file, line=line
        ) from None
    if status not in REDIRECT_STATUSES | REMOVED_STATUSES:
        raise InputError(
            f"bad status {status}: expected 301, 302, 303, 307, 308 (redirect) "
            "or 404, 410 (removed)",
            file=file,
            line=line,
        )
    return status


def _first_record(lines: Iterator[str]) -> tuple[list[str], str]:
    """Blank and comment lines up to the first other line (included), and that line."""
    seen: list[str] = []
    for line in lines:
        seen.append(line)
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return seen, line
    return seen, ""


def iter_map(
    path: str | Path,
    base_url: str | None = None,
    target_base_url: str | None = None,
    bad_rows: MutableSequence[tuple[InputError, str]] | None = None,
) -> Iterator[RedirectRule]:
    """Stream a CSV/TSV redirect map as rules, in file order, one row in memory at a time.

    Relative ``old_url`` values resolve against ``base_url``; relative ``new_url`` values against
    ``target_base_url`` (default: ``base_url``), for a move to a new domain. InputError (file and
    line) at the first bad row, unless ``bad_rows`` is given: then each row that cannot be read
    is appended there (its error and source cell) and reading goes on. An empty map (no data
    row) is an InputError at the end.
    """
    target_base = target_base_url or base_url
    with open_text(path) as src:
        name = src.name
        lines = iter_lines(src.stream, name)
        head, first = _first_record(lines)
        if not first:
            what = "0 bytes" if not head else "only blank or comment lines"
            raise InputError(f"redirect map is empty: {what}, no rows", file=name)
        reader = csv.reader(chain(head, lines), delimiter=_detect_delimiter(first), strict=True)
        columns: tuple[int, int, int | None, int | None] | None = None
        header_line: int | None = None
        rows = 0
        prev_line = 0
        while True:
            start = prev_line + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise InputError(csv_problem(exc), file=name, line=start) from None
            prev_line = reader.line_num
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            if not rows and columns is None and not _looks_like_url(cells[0]):
                _check_fields(cells, name, start)
                columns = _header_columns(cells, name, start)
                header_line = start
                continue
            rows += 1
            try:
                _check_fields(cells, name, start)
                got = _rule(cells, columns or (0, 1, 2, 3), name, start, base_url, target_base)
            except InputError as exc:
                if bad_rows is None:
                    raise
                col = (columns or (0,))[0]
                text = cells[col][:MAX_FIELD] if col < len(cells) else ""
                try:  # the old URL as the audit would spell it, when that part is readable
                    text = check_url(text, base_url, name, start, what="old_url")
                except InputError:
                    pass
                bad_rows.append((exc, text))
                continue
            yield got
        if not rows:
            where = f"a header row (line {header_line}) and " if header_line else ""
            raise InputError(f"redirect map is empty: {where}no data rows", file=name)


def _check_fields(cells: list[str], name: str, start: int) -> None:
    for c in cells:
        if len(c) > MAX_FIELD:
            raise InputError(
                f"field of {len(c)} characters is too long (max {MAX_FIELD})",
                file=name,
                line=start,
            )


def _rule(
    cells: list[str],
    columns: tuple[int, int, int | None, int | None],
    name: str,
    start: int,
    base_url: str | None,
    target_base: str | None,
) -> RedirectRule:
    src_i, dst_i, status_i, note_i = columns
    if len(cells) <= src_i or not cells[src_i].strip():
        raise InputError("missing old_url", file=name, line=start)
    source = check_url(cells[src_i], base_url, name, start, what="old_url")
    status = (
        _parse_status(cells[status_i], name, start)
        if (status_i is not None and status_i < len(cells))
        else None
    )
    raw_target = cells[dst_i].strip() if dst_i < len(cells) else ""
    if raw_target:
        target: str | None = check_url(raw_target, target_base, name, start, what="new_url")
        if status in REMOVED_STATUSES:
            raise InputError(
                f"status {status} means removed, but new_url is set ({raw_target!r})",
                file=name,
                line=start,
            )
    elif status in REMOVED_STATUSES:
        target = None
    else:
        raise InputError(
            "missing new_url (leave it empty only with status 404 or 410 for a removed URL)",
            file=name,
            line=start,
        )
    note = cells[note_i].strip() if note_i is not None and note_i < len(cells) else ""
    return RedirectRule(
        source=source,
        expected_target=target,
        origin=Origin(name, start),
        expected_status=status,
        note=note,
    )


def read_map(
    path: str | Path, base_url: str | None = None, target_base_url: str | None = None
) -> tuple[RedirectRule, ...]:
    """Read a CSV/TSV redirect map into rules, in file order (see :func:`iter_map`)."""
    return tuple(iter_map(path, base_url, target_base_url))

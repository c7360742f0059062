"""``hops.csv``, ``verdicts.csv``, ``findings.csv``: the tables of :mod:`migrationaudit.tables`.

Formula-safe (a cell starting with ``= + - @ \\t \\r`` gets a ``'`` prefix), UTF-8 without a
BOM, ``\\n`` line ends, ``None`` as an empty cell, text such as ``NA`` kept as text.

The files are written row by row with :mod:`csv` (:func:`chunk_files`), never as a DataFrame:
at a million legacy URLs the frames and their CSV text cost gigabytes. The rows and columns
are those of :func:`~migrationaudit.tables.hops_frame`, :func:`~migrationaudit.tables.
verdicts_frame` and :func:`~migrationaudit.tables.findings_frame` (for notebooks), and the text
is what :func:`~migrationaudit.tables.to_csv_text` writes for them (a test compares both).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from migrationaudit.humanize import FORMULA_PREFIXES, formula_safe
from migrationaudit.models.result import AuditResult
from migrationaudit.tables import (
    FINDING_COLUMNS,
    HOP_COLUMNS,
    PAGE_COLUMNS,
    VALUE_COLUMNS,
    VERDICT_COLUMNS,
    finding_path,
    header_names,
    legacy_chains,
)

CHUNK_ROWS = 500  # rows per written chunk
_KNOWN_MAX = 4096  # header sets whose cells hops.csv keeps at once


def _hop_rows(result: AuditResult) -> tuple[list[str], Iterator[Sequence[Any]]]:
    names = header_names(result)
    columns = [*HOP_COLUMNS, *(f"header_{n}" for n in names), *PAGE_COLUMNS]

    blank = (None,) * len(names)
    # Header set → its cells: the sets without a Location are shared by many hops (one
    # object each, see rundir.shared), so their cells are made once. Each entry holds its
    # set, so an id is never reused while it is kept.
    known: dict[int, tuple[Mapping[str, str], tuple[Any, ...]]] = {}

    def header_cells(headers: Mapping[str, str]) -> tuple[Any, ...]:
        got = known.get(id(headers))
        if got is not None:
            return got[1]
        lowered = {k.lower(): v for k, v in headers.items()}
        cells = tuple(lowered.get(n) for n in names)
        if len(known) >= _KNOWN_MAX:
            known.clear()
        known[id(headers)] = (headers, cells)
        return cells

    def rows() -> Iterator[Sequence[Any]]:
        for legacy, chain in legacy_chains(result):
            for index, h in enumerate(chain.hops):
                page = h.page
                yield (
                    legacy,
                    index,
                    h.url,
                    h.status,
                    h.kind.value,
                    h.location,
                    h.target,
                    h.error,
                    round(h.elapsed_ms, 1),
                    *(header_cells(h.headers) if h.headers else blank),
                    page.title if page else None,
                    page.canonical_url if page else None,
                    page.meta_robots if page else None,
                )

    return columns, rows()


def _verdict_rows(result: AuditResult) -> tuple[list[str], Iterator[Sequence[Any]]]:
    valued = any(v.value is not None for v in result.verdicts)
    columns = [*VERDICT_COLUMNS, *(VALUE_COLUMNS if valued else ())]
    compared = any(v.parity is not None for v in result.verdicts)  # --snapshot/--old-origin
    columns += ["parity"] if compared else []

    def rows() -> Iterator[Sequence[Any]]:
        for v in result.verdicts:
            row = [
                v.url,
                v.verdict,
                v.outcome.value,
                v.hop_count,
                v.final_url,
                v.final_status,
                v.expected_url,
                v.target_match,
                v.indexable,
                v.canonical,
                v.self_canonical,
                v.in_sitemap,
                v.robots_allowed,
                " ".join(v.rules),
                str(v.origin) if v.origin else None,
                v.path,
            ]
            if valued:
                row += [getattr(v.value, c) if v.value else None for c in VALUE_COLUMNS]
            if compared:
                row.append(v.parity)
            yield row

    return columns, rows()


def _finding_rows(result: AuditResult) -> tuple[list[str], Iterator[Sequence[Any]]]:
    def rows() -> Iterator[Sequence[Any]]:
        for f in result.findings:
            yield (
                f.rule_id,
                f.severity.label,
                f.url,
                f.final_url,
                f.expected_url,
                f.message,
                f.fix,
                str(f.origin) if f.origin else None,
                sum(1 for h in f.evidence if h.is_redirect),
                finding_path(result, f),
                f.fingerprint,
            )

    return list(FINDING_COLUMNS), rows()


# File name → its columns and rows; the "csv" format writes all of them.
TABLES: dict[str, Callable[[AuditResult], tuple[list[str], Iterator[Sequence[Any]]]]] = {
    "hops.csv": _hop_rows,
    "verdicts.csv": _verdict_rows,
    "findings.csv": _finding_rows,
}
FILENAMES = tuple(TABLES)


# Every formula prefix is one character: a cell's first character says whether it is one.
_FORMULA_STARTS = frozenset(FORMULA_PREFIXES)
assert all(len(p) == 1 for p in FORMULA_PREFIXES)


def _cells(row: Sequence[Any]) -> list[Any]:
    """A row's formula-safe cells (:func:`formula_safe` for text starting with a formula
    character; ``None`` stays, which :mod:`csv` writes as an empty cell). The first character
    is looked at here so the few formula cells alone pay for a call: a million-row file has
    tens of millions of cells."""
    return [formula_safe(v) if isinstance(v, str) and v[:1] in _FORMULA_STARTS else v for v in row]


# The text :mod:`csv` writes for the plain non-text cells (``None`` is an empty cell).
_PLAIN_TEXT: dict[type, Callable[[Any], str]] = {
    int: int.__repr__,
    bool: bool.__repr__,
    float: float.__repr__,
}


def _line(row: Sequence[Any]) -> str | None:
    """The CSV line of ``row`` when it needs neither quotes nor a formula guard (almost every
    row): its cells joined by commas. None for any other row, which :mod:`csv` then writes
    (a cell with a comma, a quote or a line break; a cell starting with a formula character;
    a cell of another type)."""
    try:
        cells = [
            v if type(v) is str else ("" if v is None else _PLAIN_TEXT[type(v)](v)) for v in row
        ]
    except KeyError:
        return None
    line = ",".join(cells)
    if (
        len(cells) < 2  # a lone empty cell is written as ""
        or line.count(",") != len(cells) - 1  # a comma in a cell
        or '"' in line
        or "\n" in line
        or "\r" in line
        or "\t" in line
        or line[:1] in _FORMULA_STARTS
        # with no comma inside a cell, every comma starts one: none may start a formula
        or ",=" in line
        or ",+" in line
        or ",-" in line
        or ",@" in line
    ):
        return None
    return line + "\n"


def csv_chunks(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV text of ``columns`` and ``rows`` in chunks of :data:`CHUNK_ROWS` rows: formula-safe,
    ``\\n`` line ends, minimal quoting (as pandas' ``to_csv`` writes it)."""
    buf = _Lines()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(_cells(columns))
    count = 0
    for row in rows:
        line = _line(row)
        if line is None:
            writer.writerow(_cells(row))
        else:
            buf.write(line)
        count += 1
        if count >= CHUNK_ROWS:
            yield buf.take()
            count = 0
    yield buf.take()


class _Lines:
    """A write target for :func:`csv.writer` that keeps the written lines in a list (a
    StringIO holds its text as 4-byte characters once it meets one beyond Latin-1)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.write = self.lines.append

    def take(self) -> str:
        text = "".join(self.lines)
        self.lines.clear()
        return text


def _file(result: AuditResult, name: str) -> Iterator[str]:
    # A generator: nothing is computed until the file is written.
    columns, rows = TABLES[name](result)
    yield from csv_chunks(columns, rows)


def chunk_files(result: AuditResult) -> dict[str, Iterator[str]]:
    """File name → its CSV text in chunks, computed while it is written."""
    return {name: _file(result, name) for name in TABLES}


def render_files(result: AuditResult) -> dict[str, str]:
    """File name → CSV text, for every table."""
    return {name: "".join(chunks) for name, chunks in chunk_files(result).items()}

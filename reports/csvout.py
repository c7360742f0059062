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
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
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


def _hop_rows(result: AuditResult) -> tuple[list[str], Iterator[Sequence[Any]]]:
    names = header_names(result)
    columns = [*HOP_COLUMNS, *(f"header_{n}" for n in names), *PAGE_COLUMNS]

    def rows() -> Iterator[Sequence[Any]]:
        for legacy, chain in legacy_chains(result):
            for index, h in enumerate(chain.hops):
                headers = {k.lower(): v for k, v in h.headers.items()} if h.headers else {}
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
                    *(headers.get(n) for n in names),
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


def csv_chunks(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV text of ``columns`` and ``rows`` in chunks of :data:`CHUNK_ROWS` rows: formula-safe,
    ``\\n`` line ends, minimal quoting (as pandas' ``to_csv`` writes it)."""
    buf = _Lines()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(_cells(columns))
    rows = iter(rows)
    while True:
        before = len(buf.lines)  # csv writes each row with one write()
        writer.writerows(map(_cells, islice(rows, CHUNK_ROWS)))
        done = len(buf.lines) - before < CHUNK_ROWS
        yield buf.take()
        if done:
            return


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

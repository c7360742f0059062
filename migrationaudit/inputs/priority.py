"""Link and traffic exports (``--priority``): what each legacy URL is worth.

Read as they come out of the tools people use, without editing:

- Ahrefs "Top pages" / "Best by links" (``URL``, ``Referring domains``, ``Current traffic``…),
  usually UTF-16 with tabs;
- Semrush "Pages" / "Indexed pages" (``URL``, ``Traffic``, ``Domains``, ``Backlinks``…);
- Google Search Console "Pages" (``Top pages``, ``Clicks``, ``Impressions``…);
- backlink exports with one row per link (Ahrefs ``Referring page URL`` + ``Target URL``,
  Semrush ``Source url`` + ``Target url``): counted per target, distinct referring hosts as
  referring domains. Their per-row metric columns describe the *linking* page and are ignored.

Encoding (UTF-8 with or without BOM, UTF-16 with or without BOM) and delimiter (tab, comma,
semicolon) are detected; numbers may carry thousands separators or a K/M suffix. Column names
are matched case-insensitively among the usual spellings, or named with
``--priority-column METRIC=HEADER``.

URLs are joined loosely, because exports and maps spell one page differently: scheme, a
``www.`` prefix and a trailing slash are ignored (``http://www.old.example/a/`` and
``https://old.example/a`` are one page). Rows of one page are merged: referring domains take the
largest figure (the same domains link to every variant), other counts are summed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from migrationaudit.errors import InputError
from migrationaudit.inputs.common import check_url, csv_problem, decode_bytes, split_lines
from migrationaudit.inputs.priorityindex import PriorityIndex, page_key
from migrationaudit.models.inputs import LinkValue, Origin

METRICS = ("referring_domains", "backlinks", "clicks", "impressions", "traffic")
COLUMN_KEYS = ("url", "source", *METRICS)

# Usual header spellings, compared after folding (lower case, "_" → " ", spaces collapsed).
# The first match in this order wins, so "current traffic" beats a plain "traffic".
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "url": (
        "url",
        "page url",
        "top pages",
        "page",
        "pages",
        "address",
        "landing page",
        "target url",
        "target",
        "current url",
    ),
    "source": (
        "referring page url",
        "source url",
        "referring page",
        "referring url",
        "source",
        "linking page",
        "from url",
    ),
    "referring_domains": (
        "referring domains",
        "ref. domains",
        "ref domains",
        "refdomains",
        "domains",
        "rd",
    ),
    "backlinks": ("backlinks", "external backlinks", "total backlinks", "inbound links", "links"),
    "clicks": ("clicks", "url clicks"),
    "impressions": ("impressions",),
    "traffic": (
        "current traffic",
        "organic traffic",
        "traffic",
        "est. traffic",
        "sessions",
        "visits",
    ),
}
_NUMBER = re.compile(r"^(\d+(?:\.\d+)?)([kKmM]?)$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:[,.'\u202f\u00a0 ]\d{3})+$")


@dataclass
class _Totals:
    """Mutable sums for one page while files are read."""

    values: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(METRICS))
    origin: Origin | None = None
    url: str = ""

    def add(self, metric: str, n: int | None) -> None:
        if n is None:
            return
        old = self.values[metric]
        if old is None:
            self.values[metric] = n
        elif metric == "referring_domains":
            self.values[metric] = max(old, n)
        else:
            self.values[metric] = old + n

    def frozen(self) -> LinkValue:
        return LinkValue(origin=self.origin, **self.values)


def _fold(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").replace("_", " ").strip().strip('"').lower().split())


def decode_export(data: bytes, name: str) -> str:
    """Text of an export: UTF-16 (BOM or NUL pattern, as Ahrefs writes) or UTF-8 (BOM optional),
    by the policy of :mod:`migrationaudit.inputs.common` (which names the line of an
    undecodable byte or a NUL)."""
    return decode_bytes(data, name)


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in ("\t", ",", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_number(text: str) -> int | None:
    """``"1,234"`` / ``"1 234"`` / ``"12.7"`` / ``"3.4K"`` → int (rounded); None for empty,
    ``-``, ``n/a``, percentages or anything else that is not a count."""
    value = text.strip().replace("\u00a0", " ")
    if not value:
        return None
    if _THOUSANDS.match(value):
        value = re.sub(r"[,.'\u202f ]", "", value)
    elif value.count(",") == 1 and "." not in value:
        value = value.replace(",", ".")  # a decimal comma
    m = _NUMBER.match(value.replace(" ", ""))
    if not m:
        return None
    number = float(m.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
    return int(number + 0.5)


def _find_columns(header: Sequence[str], named: Mapping[str, str], name: str) -> dict[str, int]:
    folded = [_fold(h) for h in header]
    found = ", ".join(h.strip() for h in header if h.strip()) or "(nothing)"
    columns: dict[str, int] = {}
    for key, wanted in named.items():
        if key not in COLUMN_KEYS:
            raise InputError(
                f"unknown metric {key!r} (expected one of: {', '.join(COLUMN_KEYS)})", file=name
            )
        if _fold(wanted) not in folded:
            raise InputError(f"column {wanted!r} not found (found: {found})", file=name, line=1)
        columns[key] = folded.index(_fold(wanted))
    taken = set(columns.values())
    for key, candidates in COLUMN_NAMES.items():
        if key in columns:
            continue
        for candidate in candidates:
            if candidate in folded and folded.index(candidate) not in taken:
                columns[key] = folded.index(candidate)
                taken.add(columns[key])
                break
    if "url" not in columns:
        raise InputError(
            f"no URL column (found: {found}); name it with --priority-column url=HEADER",
            file=name,
            line=1,
        )
    if "source" not in columns and not any(m in columns for m in METRICS):
        raise InputError(
            f"no link or traffic column (found: {found}); name one with "
            "--priority-column referring_domains=HEADER (or clicks=, traffic=, backlinks=)",
            file=name,
            line=1,
        )
    return columns


def _rows(text: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank record, the header first."""
    first = next((ln for ln in split_lines(text) if ln.strip()), "")
    # strict: an unbalanced quote is an error naming its line, not the rest of the file
    # swallowed into one cell and its rows silently skipped.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first), strict=True)
    prev = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(csv_problem(exc), file=name, line=prev + 1) from None
        start, prev = prev + 1, reader.line_num
        if any(c.strip() for c in row):
            yield start, row


class _Reader:
    """Accumulates pages over one or more export files."""

    def __init__(self, base_url: str | None) -> None:
        self.base_url = base_url
        self.pages: dict[str, _Totals] = {}
        self.rows = 0
        self.skipped = 0
        self.first_problem: InputError | None = None

    def _url(self, raw: str, name: str, line: int) -> str | None:
        try:
            return check_url(raw, self.base_url, name, line)
        except InputError as exc:
            # Exports carry junk rows ("(not set)", totals); one bad row is not a bad file.
            self.skipped += 1
            self.first_problem = self.first_problem or exc
            return None

    def _page(self, url: str, origin: Origin) -> _Totals:
        key = page_key(url)
        totals = self.pages.get(key)
        if totals is None:
            totals = self.pages[key] = _Totals(origin=origin, url=url)
        return totals

    def read(self, path: str | Path, named: Mapping[str, str]) -> None:
        name = str(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror or exc}", file=name) from None
        rows = _rows(decode_export(data, name), name)
        head = next(rows, None)
        if head is None:
            raise InputError("priority export is empty", file=name)
        columns = _find_columns(head[1], named, name)
        before = self.rows
        # One row per link: count links and distinct linking hosts per target page.
        backlink_mode = "source" in columns
        linking_hosts: dict[str, set[str]] = {}
        for line, cells in rows:
            self.rows += 1
            raw = cells[columns["url"]] if columns["url"] < len(cells) else ""
            url = self._url(raw, name, line)
            if url is None:
                continue
            totals = self._page(url, Origin(name, line))
            if backlink_mode:
                source = cells[columns["source"]] if columns["source"] < len(cells) else ""
                host = (urlsplit(source.strip()).hostname or "").lower().removeprefix("www.")
                linking_hosts.setdefault(page_key(url), set()).add(host or source.strip())
                totals.add("backlinks", 1)
                continue
            for metric in METRICS:
                i = columns.get(metric)
                if i is not None and i < len(cells):
                    totals.add(metric, parse_number(cells[i]))
        for key, hosts in linking_hosts.items():
            self.pages[key].add("referring_domains", len(hosts))
        if self.rows == before:
            raise InputError("priority export has a header but no rows", file=name)


def read_priority(
    paths: Iterable[str | Path],
    base_url: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> PriorityIndex:
    """Read every export into one :class:`PriorityIndex`.

    ``columns`` names header columns explicitly (metric → header, metrics: ``url``,
    ``source``, ``referring_domains``, ``backlinks``, ``clicks``, ``impressions``,
    ``traffic``). Relative URLs (``/page``, as analytics exports write them) need
    ``base_url``. InputError names the file (and line) when a file cannot be used at all:
    unreadable, no URL column, no metric, or not one usable URL."""
    reader = _Reader(base_url)
    files: list[str] = []
    for path in paths:
        files.append(str(path))
        reader.read(path, columns or {})
    if not reader.pages and reader.first_problem is not None:
        raise reader.first_problem
    return PriorityIndex(
        values={k: t.frozen() for k, t in reader.pages.items()},
        urls={k: t.url for k, t in reader.pages.items()},
        files=tuple(files),
        rows=reader.rows,
        skipped=reader.skipped,
    )

"""Redirect map files of any supported format: the format guessed from a file's name and first
data line (:func:`detect_format`), and the one reader that dispatches to the CSV/TSV reader
(:mod:`migrationaudit.inputs.maps`) or a host rule file's reader
(:mod:`migrationaudit.inputs.hosting`, or the pre-flight package's exact-row readers)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from migrationaudit.errors import InputError
from migrationaudit.inputs.common import SNIFF, sniff_encoding, split_lines
from migrationaudit.inputs.hosting import SkippedRow, detect_rule_format
from migrationaudit.inputs.maps import iter_map
from migrationaudit.models.inputs import RedirectRule

MAP_FORMATS = ("auto", "csv", "netlify", "amplify")


def detect_format(path: str | Path) -> str:
    """Guess a map file's format from its name, then its first data line; a host rule file
    (:func:`~migrationaudit.inputs.hosting.detect_rule_format`) by its name or content. A file
    that fits two rule-file formats is an InputError asking for ``--map-format``."""
    p = Path(str(path))
    if str(path) == "-":
        return "csv"
    try:
        with open(p, "rb") as fh:
            data = fh.read(SNIFF)
    except OSError:
        data = b""
    codec, bom = sniff_encoding(data)
    # The head may end inside a character: "replace" only spoils its last line.
    head = data[bom:].decode(codec, errors="replace")
    kinds = detect_rule_format(p, head)
    if len(kinds) > 1:
        raise InputError(
            f"the file could be a rule file of {' or '.join(kinds)}: "
            f"give --map-format {'|'.join(kinds)}",
            file=str(path),
        )
    if kinds:
        return kinds[0]
    if p.suffix.lower() == ".json":
        return "amplify"
    for line in split_lines(head):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("["):
            return "amplify"
        if "," not in s and "\t" not in s and ";" not in s and len(s.split()) >= 2:
            return "netlify"
        return "csv"
    return "csv"


# Readers of the exact rows of host rule files that only the pre-flight package reads (it
# registers them when imported, as ``audit`` and ``check-map`` do: inputs never imports it).
ExactRowReader = Callable[
    [str | Path, str | None], tuple[tuple[RedirectRule, ...], tuple[SkippedRow, ...]]
]
EXACT_ROW_READERS: dict[str, ExactRowReader] = {}


def read_map_file(
    path: str | Path,
    base_url: str | None = None,
    target_base_url: str | None = None,
    fmt: str = "auto",
) -> tuple[tuple[RedirectRule, ...], tuple[SkippedRow, ...]]:
    """Read a redirect map of any supported format: (rules, rows that cannot be audited).

    A row that cannot be read is one of those rows (``unreadable``), and every other row is
    read; a file without one readable row raises the first row's InputError."""
    from migrationaudit.inputs.hosting import read_amplify, read_netlify

    kind = detect_format(path) if fmt == "auto" else fmt
    if kind == "netlify" and str(path).lower().endswith(".toml"):
        kind = "netlify.toml"
    if kind in ("netlify", "cloudflare"):  # exact rows read alike (preflight/ for semantics)
        rules, skipped = read_netlify(path, base_url, target_base_url)
    elif kind == "amplify":
        rules, skipped = read_amplify(path, base_url, target_base_url)
    elif kind in EXACT_ROW_READERS:
        rules, skipped = EXACT_ROW_READERS[kind](path, base_url)
    elif kind in ("vercel", "nginx", "apache", "cloudflare-bulk", "netlify.toml"):
        raise InputError(
            f"a {kind} rule file is read by check-map (its chains predicted, docs/preflight.md)"
            "; to audit it live, give the URLs it redirects as a map or --urls",
            file=str(path),
        )
    else:
        bad: list[tuple[InputError, str]] = []
        rules = tuple(iter_map(path, base_url, target_base_url, bad_rows=bad))
        if not rules and bad:
            raise bad[0][0]
        return rules, tuple(SkippedRow.from_error(exc, text) for exc, text in bad)
    unreadable = [row for row in skipped if row.unreadable]
    if not rules and unreadable:
        first = unreadable[0]
        raise InputError(first.reason, file=first.origin.file, line=first.origin.line)
    if not rules:
        raise InputError(
            f"no auditable rules ({len(skipped)} pattern/rewrite rules skipped)", file=str(path)
        )
    return rules, skipped

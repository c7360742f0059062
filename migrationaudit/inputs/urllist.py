"""Plain URL lists: one URL per line, ``#`` comments and blank lines skipped, ``-`` = stdin.

Decoded by the policy of :mod:`migrationaudit.inputs.common` and streamed line by line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from migrationaudit.inputs.common import check_url, iter_lines, open_text
from migrationaudit.models.inputs import LegacyURL, Origin


def iter_url_list(path: str | Path, base_url: str | None = None) -> Iterator[LegacyURL]:
    """Stream a URL list; InputError (file and line) at the first bad URL."""
    with open_text(path) as src:
        for lineno, line in enumerate(iter_lines(src.stream, src.name), start=1):
            value = line.strip()
            if not value or value.startswith("#"):
                continue
            yield LegacyURL(
                url=check_url(value, base_url, src.name, lineno), origin=Origin(src.name, lineno)
            )


def read_url_list(path: str | Path, base_url: str | None = None) -> tuple[LegacyURL, ...]:
    """Read a URL list. Every URL is validated before any request is sent (InputError)."""
    return tuple(iter_url_list(path, base_url))

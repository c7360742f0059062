"""Plain URL lists: one URL per line, ``#`` comments and blank lines skipped, ``-`` = stdin."""

from __future__ import annotations

from pathlib import Path

from migrationaudit.inputs.common import check_url, read_text
from migrationaudit.models import LegacyURL, Origin


def read_url_list(path: str | Path, base_url: str | None = None) -> tuple[LegacyURL, ...]:
    """Read a URL list. Every URL is validated before any request is sent (InputError)."""
    name, text = read_text(path)
    out: list[LegacyURL] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        value = line.strip()
        if not value or value.startswith("#"):
            continue
        url = check_url(value, base_url, name, lineno)
        out.append(LegacyURL(url=url, origin=Origin(name, lineno)))
    return tuple(out)

"""``--history DIR``: the last N runs kept side by side, so a scheduled audit compares itself
with the run before without anyone naming it.

Each run adds a folder named by its UTC time (``20261207T193000Z``, ``-2`` on a clash) holding
its ``findings.json``; the oldest are removed beyond ``keep``. Only folders of that name form
are ever read or removed: anything else in DIR is left alone.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from migrationaudit.errors import ConfigError
from migrationaudit.rundir.layout import HISTORY_FINDINGS_FILE, atomic_write

KEEP = 10  # runs kept by default (--history-keep)
_ENTRY = re.compile(r"^\d{8}T\d{6}Z(?:-\d+)?$")


def entries(folder: Path) -> list[Path]:
    """The runs kept in ``folder``, oldest first (only complete ones: with findings.json)."""
    if not folder.is_dir():
        return []

    def key(p: Path) -> tuple[str, int]:
        stamp, _, n = p.name.partition("-")
        return stamp, int(n or 1)

    found = [
        p
        for p in folder.iterdir()
        if p.is_dir() and _ENTRY.match(p.name) and (p / HISTORY_FINDINGS_FILE).is_file()
    ]
    return sorted(found, key=key)


def newest(folder: Path) -> Path | None:
    """The findings.json of the newest run kept, or None (a first run)."""
    runs = entries(folder)
    return runs[-1] / HISTORY_FINDINGS_FILE if runs else None


def record(folder: Path, findings_json: str, keep: int = KEEP, now: datetime | None = None) -> Path:
    """Add this run (its findings.json text) and remove the oldest beyond ``keep``; the new
    folder. ConfigError when ``folder`` cannot be written."""
    if keep < 1:
        raise ConfigError("--history-keep must be at least 1")
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        entry = folder / stamp
        n = 1
        while entry.exists() and n < 1000:
            n += 1
            entry = folder / f"{stamp}-{n}"
        entry.mkdir()
        atomic_write(entry / HISTORY_FINDINGS_FILE, findings_json, sync=True)
        runs = entries(folder)
        for old in runs[: max(0, len(runs) - keep)]:
            shutil.rmtree(old)
    except OSError as exc:
        raise ConfigError(f"--history {folder}: cannot keep this run: {exc}") from None
    return entry

"""``hops.csv``, ``verdicts.csv``, ``findings.csv``: the tables of :mod:`migrationaudit.tables`.

Formula-safe (a cell starting with ``= + - @ \\t \\r`` gets a ``'`` prefix), UTF-8 without a
BOM, ``\\n`` line ends, ``None`` as an empty cell, text such as ``NA`` kept as text.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from migrationaudit.models import AuditResult
from migrationaudit.tables import findings_frame, hops_frame, to_csv_text, verdicts_frame

# File name → the frame it holds; the "csv" format writes all of them.
FRAMES: dict[str, Callable[[AuditResult], pd.DataFrame]] = {
    "hops.csv": hops_frame,
    "verdicts.csv": verdicts_frame,
    "findings.csv": findings_frame,
}
FILENAMES = tuple(FRAMES)


def render_files(result: AuditResult) -> dict[str, str]:
    """File name → CSV text, for every table."""
    return {name: to_csv_text(frame(result)) for name, frame in FRAMES.items()}

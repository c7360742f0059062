"""Numbers, counts and durations as people write them: ``90s``, ``15m``, ``1h30m`` read for
and config files, written back the same way in reports and messages."""

from __future__ import annotations

import re
from typing import Any, overload

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([smh]?)")



_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}



def parse_duration(text: str | float) -> float:
    """Seconds of a duration: ``90s``, ``15m``, ``2h``, ``1h30m``, or plain seconds (``90``,
    ``2.5``; a number in a config file too). ValueError when it is none of those or is 0."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration")
    if isinstance(text, int | float):
        total = float(text)
    else:
        value = text.strip().lower()
        parts = _DURATION.findall(value)
        if not parts or "".join(f"{n}{u}" for n, u in parts) != value.replace(" ", ""):
            raise ValueError(f"{text!r} is not a duration like 90s, 15m, 2h or seconds")
        total = sum(float(n) * _UNIT_S[u] for n, u in parts)
    if not total > 0 or total == float("inf"):
        raise ValueError(f"{text!r}: a duration must be more than 0 seconds")
    return total



def format_duration(seconds: float) -> str:
    """``900`` → ``15m``, ``5400`` → ``1h30m``, ``3`` → ``3s`` (the inverse of
    :func:`parse_duration`, as a person writes it)."""
    if seconds != int(seconds):
        return f"{seconds:g}s"
    left, out = int(seconds), ""
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        if left >= size:
            out += f"{left // size}{unit}"
            left %= size
    return out or "0s"


def plural(n: int, word: str) -> str:
    """``1 URL`` / ``2 URLs`` (the CLI's stderr lines say numbers in words that agree)."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# OWASP "CSV injection": a cell starting with one of these is a formula to Excel/LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@overload
def formula_safe(value: str) -> str: ...
@overload
def formula_safe(value: Any) -> Any: ...
def formula_safe(value: Any) -> Any:
    """A spreadsheet cell shown as text, never run: text starting with ``= + - @ \\t \\r``
    gets a leading ``'``; anything else comes back as it is. Every CSV the product writes
    (reports, tables, the corrected map) goes through this one function."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value

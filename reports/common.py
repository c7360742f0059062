"""Helpers shared by the output formats: hostile-text hygiene and run-metadata fallbacks.

Every URL, title and header in an :class:`~migrationaudit.models.AuditResult` may come from a
crawled site, so it is treated as hostile text by every format.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

from migrationaudit import __version__
from migrationaudit.models import AuditResult, RuleInfo

TOOL_NAME = "migrationaudit"

# Characters XML 1.0 forbids, C1 controls (terminal escapes) and lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Whitespace or controls anywhere make a URL unfit for an href (browsers strip them, so
# "java\tscript:" would become a script URL).
_UNSAFE_IN_HREF = re.compile(r"[\x00-\x20\x7f-\x9f\"'<>`\\]")


def strip_control(text: str) -> str:
    """``text`` without control characters (except tab, LF, CR) and lone surrogates."""
    return _CONTROL.sub("", text)


# Bidi overrides/isolates and invisible formatting characters can make a hostile URL *look*
# like another one; shown as visible \uXXXX escapes instead.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def display_text(text: str) -> str:
    """``text`` for showing to a human: controls stripped, invisible/bidi characters made
    visible as ``\\uXXXX``."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04X}", strip_control(text))


def one_line(text: str) -> str:
    """``text`` with controls stripped and any whitespace run folded into one space."""
    return " ".join(strip_control(text).split())


def safe_href(url: str | None) -> str | None:
    """``url`` if it is a plain absolute http(s) URL fit for an ``href``, else None."""
    if not url or _UNSAFE_IN_HREF.search(url) or _INVISIBLE.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def host_of(url: str) -> str:
    """The host of ``url`` (lower-case), or ``""`` when it has none or does not parse."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def rule_lookup(result: AuditResult) -> dict[str, RuleInfo]:
    """Rule id → its registry entry."""
    return {r.rule_id: r for r in result.rules}


def doc_paragraphs(doc: str, title: str = "") -> list[str]:
    """A rule docstring as paragraphs (each folded onto one line), without its title line.

    By convention the first line of a rule's docstring is its title, shown separately; it is
    dropped only when it matches ``title``, so a doc written otherwise loses nothing."""
    lines = inspect.cleandoc(doc or "").splitlines()
    if lines and title and lines[0].strip().rstrip(".") == title.strip().rstrip("."):
        lines = lines[1:]
    paragraphs = re.split(r"\n\s*\n", "\n".join(lines))
    return [" ".join(p.split()) for p in paragraphs if p.strip()]


def rule_title(result: AuditResult, rule_id: str) -> str:
    """The rule's title, falling back to the first docstring line, then to its id."""
    info = rule_lookup(result).get(rule_id)
    if info is None:
        return rule_id
    if info.title:
        return info.title
    lines = inspect.cleandoc(info.doc or "").splitlines()
    return lines[0].strip() if lines and lines[0].strip() else rule_id


def gate_label(result: AuditResult) -> str:
    """``"FAIL"`` when a finding is at or above ``fail_on``, else ``"PASS"``."""
    return "FAIL" if result.gate_failed else "PASS"


def gate_count(result: AuditResult) -> int:
    """How many findings are at or above ``fail_on``."""
    return sum(1 for f in result.findings if f.severity >= result.fail_on)


def tool_version(result: AuditResult) -> str:
    """The version that produced the result (from ``run``), else this package's."""
    return str(result.run.get("version") or __version__)


def run_partial(result: AuditResult) -> bool:
    """True when the run says it was interrupted or some chains are incomplete."""
    return bool(result.run.get("partial", False))


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: mappings → dicts with str keys, sequences → lists, sets →
    sorted lists, enums → values, paths/dates → strings, anything else unknown → ``str``."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return jsonable(to_dict())
    return str(value)

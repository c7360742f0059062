"""The report's lead block after a ``--compare-to`` run: what changed since the earlier run
(``run.watch``, see :mod:`migrationaudit.watch`), as plain escaped-later text for the
template."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrationaudit.models.result import AuditResult
from migrationaudit.reports.common import display_text

ROWS = 50  # URLs per kind in the report (the diff.html beside it lists more)


def _text(value: object) -> str:
    return "" if value is None else display_text(str(value))


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


KINDS = (
    ("regressed", "Regressed"),
    ("new", "New and failing"),
    ("fixed", "Fixed"),
    ("still_failing", "Still failing"),
)


def watch_view(result: AuditResult) -> dict[str, Any] | None:
    """None without a comparison; else the headline counts and the rows of each kind."""
    info = result.run.watch
    if info is None:
        return None
    counts = _mapping(info.get("counts"))
    findings = _mapping(info.get("findings"))
    groups = []
    for key, title in KINDS:
        rows = [r for r in info.get(key) or [] if isinstance(r, Mapping)]
        groups.append(
            {
                "key": key,
                "title": title,
                "count": int(counts.get(key, len(rows))),
                "rows": [
                    {
                        "url": _text(r.get("url")),
                        "before": _text(r.get("before") or "not audited"),
                        "after": _text(r.get("after") or "not audited"),
                    }
                    for r in rows[:ROWS]
                ],
            }
        )
    return {
        "since": _text(info.get("since")),
        "regression": bool(info.get("regression")),
        "groups": groups,
        "findings": {k: int(findings.get(k, 0)) for k in ("new", "regressed", "fixed")},
    }


def hosts_view(result: AuditResult) -> dict[str, Any] | None:
    """None without host checks (``--launched``); else the launch, the date until which the
    redirects must stay, and one row per legacy host: its DNS answer and its certificate."""
    info = result.run.hosts
    if info is None:
        return None
    launched = result.run.launched
    rows = []
    for h in info.get("hosts") or []:
        if not isinstance(h, Mapping):
            continue
        addresses = ", ".join(str(a) for a in h.get("addresses") or [])
        days = h.get("days_left")
        if h.get("not_after"):
            cert = f"until {h.get('not_after')} ({days} days left)"
        else:
            cert = h.get("tls_error") or (
                "—" if str(h.get("origin", "")).startswith("http:") else ""
            )
        rows.append(
            {
                "origin": _text(h.get("origin")),
                "dns": _text(h.get("dns_error") or f"{addresses} ({h.get('resolved_by')})"),
                "certificate": _text(cert),
                "expiring": isinstance(days, int) and days < 30,
            }
        )
    return {
        "checked_at": _text(info.get("checked_at")),
        "launched": _text(launched.date if launched else None),
        "keep_until": _text(launched.keep_redirects_until if launched else None),
        "rows": rows,
    }

"""Suggested targets in ``fixes/``: ``suggested-map.csv`` (``old_url,suggested_url,score,why``)
and, above ``--accept-suggestions SCORE``, their merge into the corrected map and server
rules (a suggestion replaces the URL's review entry or its fix to the catch-all)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from migrationaudit.fixes.plan import STATUS, Fix, FixPlan
from migrationaudit.fixes.wire import csv_text
from migrationaudit.humanize import formula_safe
from migrationaudit.models.result import AuditResult, Suggestion
from migrationaudit.web.plainurls import normal_form as normalize

SUGGESTED_FILE = "suggested-map.csv"


def render_suggestions(suggestions: Iterable[Suggestion]) -> str:
    """``suggested-map.csv``: one row per suggestion (spreadsheet-safe cells)."""
    rows = [["old_url", "suggested_url", "score", "why"]]
    rows += [
        [
            formula_safe(s.old_url),
            formula_safe(s.suggested_url),
            f"{s.score:.3f}",
            formula_safe(s.why),
        ]
        for s in suggestions
    ]
    return csv_text(rows)


def accept_suggestions(plan: FixPlan, result: AuditResult, threshold: float) -> FixPlan:
    """``plan`` with every suggestion scoring at least ``threshold`` as a fix of its URL."""
    accepted = {normalize(s.old_url): s for s in result.suggestions if s.score >= threshold}
    if not accepted:
        return plan
    fixes = [f for f in plan.fixes if normalize(f.source) not in accepted]
    for s in accepted.values():
        chain = result.chains.get(s.old_url)
        hops = chain.hop_count if chain is not None else 0
        fixes.append(Fix(s.old_url, s.suggested_url, hops, f"suggested ({s.score:.2f})", STATUS))
    review = tuple(r for r in plan.review if normalize(r.url) not in accepted)
    return replace(plan, fixes=tuple(fixes), review=review)

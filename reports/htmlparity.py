"""The report's content parity and suggestion sections: old and new page side by side for each
pair failing a parity rule, and the suggested targets (plain data for the template)."""

from __future__ import annotations

from typing import Any

from migrationaudit.models.result import AuditResult

MAX_SHOWN = 200  # pairs and suggestions shown; the rest are in findings.json / fixes/


def parity_context(result: AuditResult) -> dict[str, Any]:
    """``parity_pairs`` (url, new_url, rules, rows of (fact, old, new, changed)) and
    ``suggestions`` (old_url, suggested_url, score, why) for the template."""
    pairs = [
        {
            "url": p.url,
            "new_url": p.new_url,
            "rules": list(p.rules),
            "rows": [
                (name, value, p.new.get(name, ""), value != p.new.get(name, ""))
                for name, value in p.old.items()
                if value or p.new.get(name)
            ],
        }
        for p in result.parity[:MAX_SHOWN]
    ]
    suggestions = [
        {"old_url": s.old_url, "suggested_url": s.suggested_url, "score": f"{s.score:.2f}",
         "why": s.why}
        for s in result.suggestions[:MAX_SHOWN]
    ]
    return {
        "parity_pairs": pairs,
        "parity_total": len(result.parity),
        "suggestions": suggestions,
        "suggestion_total": len(result.suggestions),
    }

"""``findings.json``: the machine-readable result (a documented contract, ``schema_version`` 1).

Shape::

    {
      "schema_version": 1,
      "tool": {"name": "migrationaudit", "version": "..."},
      "run": {...run metadata as given (tool, version, started_at, inputs, options, ...)},
      "summary": {
        "legacy_urls": n,
        "verdicts": {"ok": n, "notice": n, "warning": n, "error": n, "incomplete": n},
        "findings": {"error": n, "warning": n, "notice": n},
        "rules": {"rule-id": n, ...},
        "fail_on": "error", "gate": "pass" | "fail", "partial": bool,
        "gate_reasons": ["budget redirect-chain: 31 finding(s) > max 25", ...],   # added
        "suppressed": {"ignored": n, "baselined": n},                            # added
        "budgets": [{"rule": id, "max": n, "count": n, "exceeded": bool}, ...]    # added
      },
      "findings": [Finding.to_dict(), ...],       # rule, severity, url, final_url,
                                                  # expected_url, hops, message, fix, origin,
                                                  # fingerprint
      "verdicts": [Verdict.to_dict(), ...],
      "skipped_rules": [{"rule": id, "reason": text}, ...],
      "suppressed": [Finding.to_dict() + {"suppressed": {"kind": "ignored" | "baselined",
                                                        "reason": text}}, ...]     # added
    }

``findings`` holds the findings the gate counts; ignored and baselined ones are in
``suppressed`` (keys marked "added" came after the first release; schema_version stays 1:
every earlier key keeps its meaning).

Keys are sorted, text is UTF-8 (``ensure_ascii=False``), indent 2: two renders of the same
result are byte-identical. Strings are kept verbatim (JSON escapes control characters).
"""

from __future__ import annotations

import json
from typing import Any

from migrationaudit.gate import gate_reasons
from migrationaudit.models import AuditResult
from migrationaudit.reports.common import TOOL_NAME, jsonable, run_partial, tool_version

FILENAME = "findings.json"
SCHEMA_VERSION = 1


def summary(result: AuditResult) -> dict[str, Any]:
    """The ``summary`` block: counts, gate and partial flag."""
    return {
        "legacy_urls": len(result.verdicts),
        "verdicts": result.counts_by_verdict(),
        "findings": result.counts_by_severity(),
        "rules": result.counts_by_rule(),
        "fail_on": result.fail_on.label,
        "gate": "fail" if result.gate_failed else "pass",
        "gate_reasons": gate_reasons(result),
        "partial": run_partial(result),
        "suppressed": result.counts_suppressed(),
        "budgets": [b.to_dict() for b in result.budget_statuses()],
    }


def document(result: AuditResult) -> dict[str, Any]:
    """The whole ``findings.json`` document as plain data."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version(result)},
        "run": jsonable(result.run),
        "summary": summary(result),
        "findings": [jsonable(f.to_dict()) for f in result.findings],
        "verdicts": [jsonable(v.to_dict()) for v in result.verdicts],
        "skipped_rules": [{"rule": s.rule_id, "reason": s.reason} for s in result.skipped],
        "suppressed": [jsonable(s.to_dict()) for s in result.suppressed],
    }


def render(result: AuditResult) -> str:
    """``findings.json`` text, deterministic, ending in a newline."""
    return json.dumps(document(result), sort_keys=True, ensure_ascii=False, indent=2) + "\n"

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
        "fail_on": "error", "gate": "pass" | "fail", "partial": bool
      },
      "findings": [Finding.to_dict(), ...],       # rule, severity, url, final_url,
                                                  # expected_url, hops, message, fix, origin,
                                                  # fingerprint
      "verdicts": [Verdict.to_dict(), ...],
      "skipped_rules": [{"rule": id, "reason": text}, ...]
    }

Keys are sorted, text is UTF-8 (``ensure_ascii=False``), indent 2: two renders of the same
result are byte-identical. Strings are kept verbatim (JSON escapes control characters).
"""

from __future__ import annotations

import json
from typing import Any

from migrationaudit.reports.common import TOOL_NAME, jsonable, run_partial, tool_version

from migrationaudit.models import AuditResult

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
        "partial": run_partial(result),
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
    }


def render(result: AuditResult) -> str:
    """``findings.json`` text, deterministic, ending in a newline."""
    return json.dumps(document(result), sort_keys=True, ensure_ascii=False, indent=2) + "\n"

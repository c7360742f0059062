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
        "gate_status": "pass" | "fail" | "incomplete",   # added: "incomplete" = partial
                                                         # run, nothing failed among what it judged
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

:func:`chunks` writes the document item by item (:mod:`~migrationaudit.reports.streamjson`):
the text is the same as one ``json.dumps`` of :func:`document`, but memory stays at one item
instead of the whole document and its string (gigabytes at a million legacy URLs).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from migrationaudit.gate import gate_reasons
from migrationaudit.models.result import AuditResult, jsonable
from migrationaudit.reports.common import TOOL_NAME, gate_label, run_partial, tool_version
from migrationaudit.reports.streamjson import placeholder, stream_document

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
        "gate_status": gate_label(result).lower(),
        "gate_reasons": gate_reasons(result),
        "partial": run_partial(result),
        "suppressed": result.counts_suppressed(),
        "budgets": [b.to_dict() for b in result.budget_statuses()],
    }


def _skeleton(result: AuditResult, lists: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version(result)},
        "run": jsonable(result.run),
        "summary": summary(result),
        "findings": lists["findings"],
        "verdicts": lists["verdicts"],
        "skipped_rules": [{"rule": s.rule_id, "reason": s.reason} for s in result.skipped],
        "suppressed": lists["suppressed"],
    }


def _items(result: AuditResult) -> dict[str, Iterator[Any]]:
    """The big lists, one entry at a time, as the models' ``to_dict`` give them: those are
    plain data already (text, numbers, None, lists and dicts of them, enums as their values),
    which :func:`~migrationaudit.reports.streamjson.pretty` encodes as it would their
    :func:`jsonable` copy, without a second walk over a million entries (:func:`document`
    keeps that walk, and a test compares both texts)."""
    return {
        "findings": (f.to_dict() for f in result.findings),
        "verdicts": (v.to_dict() for v in result.verdicts),
        "suppressed": (s.to_dict() for s in result.suppressed),
    }


def document(result: AuditResult) -> dict[str, Any]:
    """The whole ``findings.json`` document as plain data (all of it in memory: for tests and
    small results; :func:`chunks` writes the same text without building it)."""
    lists = {name: [jsonable(item) for item in items] for name, items in _items(result).items()}
    return _skeleton(result, lists)


def chunks(result: AuditResult) -> Iterator[str]:
    """``findings.json`` text in chunks, item by item; joined, exactly :func:`render`'s text."""
    lists = {name: placeholder(name) for name in ("findings", "verdicts", "suppressed")}
    return stream_document(_skeleton(result, lists), _items(result), sort_keys=True)


def render(result: AuditResult) -> str:
    """``findings.json`` text, deterministic, ending in a newline."""
    return "".join(chunks(result))

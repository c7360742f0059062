"""``report.html``: one self-contained page (inline CSS/JS, no network) for humans.

The template gets plain data only (dicts, lists, str, int), built here by :func:`context`.
Every string from the crawl is hostile: Jinja autoescapes it, controls are stripped,
invisible/bidi characters are shown as ``\\uXXXX``, and only plain http(s) URLs become links
(``rel="noopener noreferrer nofollow"``). A Content-Security-Policy meta tag forbids any
network request, so even a missed escape could not phone home.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from migrationaudit.reports.common import (
    TOOL_NAME,
    display_text,
    doc_paragraphs,
    gate_count,
    gate_label,
    jsonable,
    rule_lookup,
    rule_title,
    run_partial,
    safe_href,
    tool_version,
)

from migrationaudit.models import AuditResult, Chain, Finding, Hop, HopKind, Outcome, Verdict
from migrationaudit.tables import finding_chain

FILENAME = "report.html"
TEMPLATE = "report.html.j2"
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)
VERDICT_ORDER = ("ok", "notice", "warning", "error", "incomplete")
# A browser chokes on a page with a million table rows: past these limits the page shows the
# first rows and points to the CSV/JSON files, which always hold everything.
MAX_RULE_ROWS = 1_000
MAX_VERDICT_ROWS = 10_000
# Run keys shown in the header; any other key is listed under "Run details".
SHOWN_RUN_KEYS = frozenset(
    {"tool", "version", "started_at", "finished_at", "inputs", "connect_to", "partial", "base_url"}
)
# ``code`` (reST) or `code` (Markdown) inside a rule docstring.
_DOC_CODE = re.compile(r"``(.+?)``|`([^`]+)`")
# A paragraph that starts "Why:" / "Fix:" gets its label in bold.
_DOC_LABEL = re.compile(r"^(Why|Fix|How to fix|Symptom|Detects|Note|Example):\s*")


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment (templates ship in the package's ``templates/`` folder).

    ``select_autoescape()`` alone matches names *ending* in ``.html``, so ``report.html.j2``
    would render unescaped; ``.j2`` is listed and the default is on for anything else."""
    return Environment(
        loader=PackageLoader("migrationaudit.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _text(value: object) -> str:
    return "" if value is None else display_text(str(value))


def _link(url: str | None) -> dict[str, Any]:
    """A URL for the template: its display text and an href only when it is safe."""
    return {"text": _text(url), "href": safe_href(url)}


def _status_class(status: int | None, error: str | None = None) -> str:
    if error is not None or status is None:
        return "serr"
    return f"s{min(max(status // 100, 1), 5)}"


def _hop_title(h: Hop) -> str:
    bits = [h.kind.value]
    if h.status is not None:
        bits.append(f"status {h.status}")
    if h.location:
        bits.append(f"Location: {h.location}")
    if h.error:
        bits.append(f"error: {h.error}")
    bits.append(f"{h.elapsed_ms:.0f} ms")
    return _text(" · ".join(bits))


def path_view(hops: Sequence[Hop], chain: Chain | None) -> dict[str, Any]:
    """A hop path as steps (URL, then the arrow badge leaving it) and an end badge.

    Drawn as ``a --301--> b --302--> c [200]``; with a chain its outcome decides the end
    (``[loop]``, ``[hop limit]``, ``[not fetched]``)."""
    steps: list[dict[str, Any]] = []
    end: dict[str, str] | None = None
    for h in hops:
        step: dict[str, Any] = {"url": _link(h.url), "title": _hop_title(h), "arrow": None}
        if h.is_redirect:
            meta = h.kind is HopKind.META_REFRESH
            label = "meta" if meta else str(h.status)
            step["arrow"] = {"label": label, "cls": "smeta" if meta else _status_class(h.status)}
        steps.append(step)
    last = hops[-1] if hops else None
    outcome = chain.outcome if chain is not None else None
    if outcome is Outcome.LOOP and chain is not None and chain.loop_at:
        steps.append({"url": _link(chain.loop_at), "title": "revisited", "arrow": None})
        end = {"label": "loop", "cls": "sloop"}
    elif outcome is Outcome.HOP_LIMIT:
        end = {"label": "hop limit", "cls": "sloop"}
    elif outcome is Outcome.INCOMPLETE and chain is not None:
        if chain.missing:
            steps.append({"url": _link(chain.missing), "title": "never fetched", "arrow": None})
        end = {"label": "not fetched", "cls": "sinc"}
    elif last is not None and last.is_redirect:
        steps.append({"url": _link(last.target), "title": "", "arrow": None})
    elif last is not None:
        if last.error is not None:
            label = _text(last.error)
        else:
            label = "no status" if last.status is None else str(last.status)
        end = {"label": label, "cls": _status_class(last.status, last.error)}
    return {"steps": steps, "end": end}


def _finding_path(result: AuditResult, f: Finding) -> dict[str, Any]:
    chain = finding_chain(result, f)
    return path_view(chain.hops if chain is not None else f.evidence, chain)


def doc_view(paragraph: str) -> dict[str, Any]:
    """A docstring paragraph as a bold label (``Why``, ``Fix``…) and text/code parts."""
    label = None
    m = _DOC_LABEL.match(paragraph)
    if m:
        label = m.group(1)
        paragraph = paragraph[m.end() :]
    parts: list[dict[str, Any]] = []
    pos = 0
    for code in _DOC_CODE.finditer(paragraph):
        if code.start() > pos:
            parts.append({"text": _text(paragraph[pos : code.start()]), "code": False})
        parts.append({"text": _text(code.group(1) or code.group(2)), "code": True})
        pos = code.end()
    if pos < len(paragraph):
        parts.append({"text": _text(paragraph[pos:]), "code": False})
    return {"label": label, "parts": parts}


def _bars(counts: dict[str, int]) -> list[dict[str, Any]]:
    top = max(counts.values(), default=0)
    return [
        {"name": name, "count": n, "pct": round(100 * n / top) if top else 0}
        for name, n in counts.items()
    ]


def _sections(result: AuditResult, max_rows: int) -> list[dict[str, Any]]:
    infos = rule_lookup(result)
    grouped: dict[str, list[Finding]] = {}
    for f in result.findings:
        grouped.setdefault(f.rule_id, []).append(f)
    # The worst severity first (overrides may make it differ from the registry default).
    order = sorted(grouped, key=lambda r: (-max(f.severity for f in grouped[r]), r))
    sections = []
    for rule_id in order:
        findings = grouped[rule_id]
        info = infos.get(rule_id)
        title = rule_title(result, rule_id)
        rows = [
            {
                "url": _link(f.url),
                "path": _finding_path(result, f),
                "final": _link(f.final_url),
                "expected": _link(f.expected_url),
                "message": _text(f.message),
                "fix": _text(f.fix),
                "origin": _text(f.origin),
                "severity": f.severity.label,
            }
            for f in findings[:max_rows]
        ]
        sections.append(
            {
                "id": _text(rule_id),
                "anchor": anchor(rule_id),
                "title": _text(title),
                "severity": max(f.severity for f in findings).label,
                "paragraphs": [
                    doc_view(p) for p in doc_paragraphs(info.doc if info else "", title)
                ],
                "count": len(findings),
                "rows": rows,
                "hidden": max(len(findings) - max_rows, 0),
            }
        )
    return sections


def anchor(rule_id: str) -> str:
    """An element id for a rule section (only ``[a-z0-9-]``, whatever the id holds)."""
    return "rule-" + "".join(
        c if c.isascii() and (c.isalnum() or c == "-") else "_" for c in rule_id
    )


def _tristate(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _verdict_row(result: AuditResult, v: Verdict) -> dict[str, Any]:
    chain = result.chains.get(v.url)
    path = path_view(chain.hops, chain) if chain is not None else {"steps": [], "end": None}
    return {
        "url": _link(v.url),
        "verdict": v.verdict if v.verdict in VERDICT_ORDER else "incomplete",
        "verdict_text": _text(v.verdict),
        "outcome": _text(v.outcome.value),
        "hop_count": v.hop_count,
        "final_status": "" if v.final_status is None else str(v.final_status),
        "final": _link(v.final_url),
        "expected": _link(v.expected_url),
        "target_match": _tristate(v.target_match),
        "indexable": _tristate(v.indexable),
        "canonical": _link(v.canonical),
        "rules": [{"id": _text(r), "anchor": anchor(r)} for r in v.rules],
        "origin": _text(v.origin),
        "path": path,
        "path_text": _text(v.path),
    }


def _run(result: AuditResult) -> dict[str, Any]:
    run = result.run
    options = jsonable(run.get("options") or {})
    if not isinstance(options, dict):
        options = {"options": options}
    inputs = run.get("inputs") or []
    connect_to = run.get("connect_to") or []
    details = [
        {
            "name": _text(k),
            "value": _text(
                v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)
            ),
        }
        for k, v in sorted(jsonable(run).items())
        if k not in SHOWN_RUN_KEYS and k != "options"
    ]
    return {
        "details": details,
        "started_at": _text(run.get("started_at")),
        "finished_at": _text(run.get("finished_at")),
        "base_url": _link(run.get("base_url")),
        "inputs": [_text(i) for i in (inputs if isinstance(inputs, list | tuple) else [inputs])],
        "connect_to": [
            _text(c) for c in (connect_to if isinstance(connect_to, list | tuple) else [connect_to])
        ],
        "options": [
            {
                "name": _text(k),
                "value": _text(
                    v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)
                ),
            }
            for k, v in sorted(options.items())
        ],
    }


def _verdict_rows(result: AuditResult, max_rows: int) -> tuple[list[dict[str, Any]], int]:
    """Rows of the verdict table and how many were left out.

    Over the limit, URLs with a finding (or incomplete) come first, in input order: an
    ``ok`` row is the least useful one to show."""
    verdicts = list(result.verdicts)
    if len(verdicts) > max_rows:
        flagged = [v for v in verdicts if v.verdict != "ok"]
        ok = [v for v in verdicts if v.verdict == "ok"]
        verdicts = (flagged + ok)[:max_rows]
    rows = [_verdict_row(result, v) for v in verdicts]
    return rows, len(result.verdicts) - len(rows)


def context(
    result: AuditResult,
    max_rule_rows: int = MAX_RULE_ROWS,
    max_verdict_rows: int = MAX_VERDICT_ROWS,
) -> dict[str, Any]:
    """Everything the template shows, as plain data (tables cut at the row limits)."""
    verdict_counts = result.counts_by_verdict()
    total = len(result.verdicts)
    by_rule = result.counts_by_rule()
    infos = rule_lookup(result)
    sections = _sections(result, max_rule_rows)
    verdict_rows, verdicts_hidden = _verdict_rows(result, max_verdict_rows)
    severity_of = {s["id"]: s["severity"] for s in sections}
    rule_bars = _bars(dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))))
    for bar in rule_bars:
        bar["anchor"] = anchor(bar["name"])
        bar["severity"] = severity_of.get(bar["name"], "notice")
        bar["title"] = _text(rule_title(result, bar["name"]))
        bar["name"] = _text(bar["name"])
    return {
        "csp": CSP,
        "tool": {"name": TOOL_NAME, "version": _text(tool_version(result))},
        "gate": {
            "label": gate_label(result),
            "fail_on": result.fail_on.label,
            "count": gate_count(result),
        },
        "partial": run_partial(result),
        "run": _run(result),
        "total": total,
        "verdict_counts": [
            {
                "name": name,
                "count": n,
                "pct": round(100 * n / total, 1) if total else 0,
            }
            for name, n in verdict_counts.items()
        ],
        "severity_counts": _bars(result.counts_by_severity()),
        "finding_total": len(result.findings),
        "rule_bars": rule_bars,
        "sections": sections,
        "skipped": [
            {
                "id": _text(s.rule_id),
                "title": _text(rule_title(result, s.rule_id)) if s.rule_id in infos else "",
                "reason": _text(s.reason),
            }
            for s in result.skipped
        ],
        "verdicts": verdict_rows,
        "verdicts_hidden": verdicts_hidden,
    }


def render(result: AuditResult) -> str:
    """The whole ``report.html`` page."""
    return environment().get_template(TEMPLATE).render(context(result))

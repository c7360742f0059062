"""``report.html``: one self-contained page (inline CSS, JS and SVG; no network) for humans.

Top to bottom: the migration's verdict against the gate, counts, four inline-SVG charts, the
failures that cost the most (ranked by links and clicks with ``--priority``), one section per
rule explaining symptom, cost and action, the corrected map's summary, then every finding and
every legacy URL in tables that can be searched, filtered, sorted and paged.

Every row is embedded once as JSON (:mod:`migrationaudit.reports.htmldata`); report.js draws
the tables page by page. The template renders the first page of each table itself, so the
page reads (and prints) without JavaScript too.

A big audit stays small and fast: above ``max_rows`` legacy URLs or findings (``--html-rows``,
default :data:`HTML_ROWS`), the summary, charts, rule sections and the corrected map still
count everything, but the tables embed only the worst ``max_rows`` legacy URLs and the worst
``max_rows`` findings of each rule, and say so at the top with links to verdicts.csv,
findings.csv and findings.json beside the report, which hold every row.

The template gets plain data only (dicts, lists, str, int). Every string from the crawl is
hostile: Jinja autoescapes it, controls are stripped, invisible/bidi characters are shown as
``\\uXXXX``, only vetted http(s) URLs become links (``rel="noopener noreferrer nofollow"``),
report.js writes text with ``textContent`` only, and a Content-Security-Policy forbids any
network request, so even a missed escape could not phone home.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from migrationaudit.models.result import AuditResult, jsonable
from migrationaudit.reports import charts as charts_mod
from migrationaudit.reports.common import (
    TOOL_NAME,
    doc_paragraphs,
    rule_lookup,
    rule_title,
    run_partial,
    run_warnings,
    tool_version,
    triage_of,
)
from migrationaudit.reports.htmldata import (
    FAILING,
    SEVERITY_ORDER,
    VERDICT_ORDER,
    F,
    ReportData,
    V,
    build,
)
from migrationaudit.reports.htmlparity import parity_context
from migrationaudit.reports.htmlselect import Selection, build_selected, select_rows
from migrationaudit.reports.htmlviews import (
    _bars,
    _gate,
    _link,
    _suppressed,
    _text,
    _Views,
    anchor,
    doc_view,
    failure_order,
)
from migrationaudit.reports.htmlwatch import hosts_view, watch_view

FILENAME = "report.html"
TEMPLATE = "report.html.j2"
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)
PAGE_SIZE = 50  # rows per page of the findings and verdict tables
FAILURE_PAGE = 10  # rows per page of "the failures that cost the most"
EXAMPLES = 5  # example rows under each rule's explanation
REVIEW_ROWS = 50  # URLs for a human listed in the corrected-map section
PAGE_SIZES = (10, 25, 50, 100, 250)
# Above this many legacy URLs or findings the tables embed only the worst rows (--html-rows;
# 0 = never cap). ~300-600 bytes of page per embedded row: 1,000 keeps a 100,000-URL report at
# a few MB that opens in a second; everything is in the CSVs and findings.json anyway.
HTML_ROWS = 1000
# The files beside report.html that hold every row (linked from a capped report).
FULL_DATA = ("verdicts.csv", "findings.csv", "findings.json")
# Run keys shown in the header, the warnings or the gate card; any other key is listed under
# "Run details".
SHOWN_RUN_KEYS = frozenset(
    {
        "watch",
        "hosts",
        "tool",
        "version",
        "started_at",
        "finished_at",
        "inputs",
        "connect_to",
        "partial",
        "base_url",
        "gate",
        "resumed",
        "rewrite_host",
    }
)


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


def _sections(result: AuditResult, data: ReportData, views: _Views) -> list[dict[str, Any]]:
    infos = rule_lookup(result)
    totals = result.counts_by_rule()  # a capped report embeds fewer rows than the rule has
    grouped: dict[int, list[int]] = {}
    for j, row in enumerate(data.findings):
        grouped.setdefault(row[F["rule"]], []).append(j)
    # The worst severity first (overrides may make it differ from the registry default).
    order = sorted(
        grouped,
        key=lambda c: (
            -max(data.findings[j][F["severity"]] for j in grouped[c]),
            data.rules[c]["id"],
        ),
    )
    sections = []
    for code in order:
        rows = grouped[code]
        rule = data.rules[code]
        rule_id = result.findings[rows[0]].rule_id
        info = infos.get(rule_id)
        title = rule_title(result, rule_id)
        triage = triage_of(rule_id)
        sections.append(
            {
                "code": code,
                "id": rule["id"],
                "anchor": rule["anchor"],
                "title": _text(title),
                "severity": SEVERITY_ORDER[max(data.findings[j][F["severity"]] for j in rows)],
                "paragraphs": [
                    doc_view(p) for p in doc_paragraphs(info.doc if info else "", title)
                ],
                "triage": {
                    "key": triage.key,
                    "label": triage.label,
                    "symptom": triage.symptom,
                    "cost": triage.cost,
                    "action": triage.action,
                },
                "count": totals.get(rule_id, len(rows)),
                "shown": len(rows),
                "examples": [views.finding(j) for j in rows[:EXAMPLES]],
            }
        )
    return sections


def _run(result: AuditResult) -> dict[str, Any]:
    run = result.run
    recorded = jsonable(run)  # every key, as run.json holds it (the details list them all)
    options = recorded.get("options") or {}
    if not isinstance(options, dict):
        options = {"options": options}

    def shown(v: Any) -> str:
        return _text(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True))

    return {
        "details": [
            {"name": _text(k), "value": shown(v)}
            for k, v in sorted(recorded.items())
            if k not in SHOWN_RUN_KEYS and k != "options"
        ],
        "started_at": _text(run.started_at),
        "finished_at": _text(run.finished_at),
        "base_url": _link(run.base_url or None),
        "inputs": [_text(i) for i in run.inputs],
        "connect_to": [_text(str(c)) for c in run.connect_to],
        "options": [{"name": _text(k), "value": shown(v)} for k, v in sorted(options.items())],
    }


def _fix_plan(result: AuditResult) -> dict[str, Any] | None:
    """The corrected map's summary (only after a crawl: the plan needs observed chains)."""
    if not result.chains:
        return None
    from migrationaudit.fixes.plan import build_fixes

    plan = build_fixes(result)
    return {
        "fixes": len(plan.fixes),
        "flattened": sum(1 for f in plan.fixes if f.hops_today != 1),
        "review": [
            {"url": _link(r.url), "reason": _text(r.reason), "detail": _text(r.detail)}
            for r in plan.review[:REVIEW_ROWS]
        ],
        "review_total": len(plan.review),
        "kept": plan.kept,
    }


def _options(data: ReportData, result: AuditResult) -> dict[str, Any]:
    fired = {row[F["rule"]] for row in data.findings}
    fired |= {c for row in data.verdicts for c in row[V["rules"]]}
    return {
        "rules": sorted(
            ({"code": c, "id": data.rules[c]["id"]} for c in fired), key=lambda r: str(r["id"])
        ),
        "severities": list(reversed(SEVERITY_ORDER)),
        "verdicts": list(VERDICT_ORDER),
        "hosts": sorted(
            ({"code": i, "name": h} for i, h in enumerate(data.hosts)), key=lambda h: str(h["name"])
        ),
        "statuses": sorted(
            ({"code": i, "key": k} for i, k in enumerate(data.statuses)),
            key=lambda s: (not str(s["key"]).isdigit(), str(s["key"])),
        ),
        "page_sizes": list(PAGE_SIZES),
    }


def capped(result: AuditResult, max_rows: int | None = None) -> bool:
    """Whether report.html embeds only the worst rows: more than ``max_rows`` (None:
    :data:`HTML_ROWS`; 0: never) legacy URLs or findings."""
    cap = HTML_ROWS if max_rows is None else max_rows
    return cap > 0 and (len(result.verdicts) > cap or len(result.findings) > cap)


def _cap_view(
    result: AuditResult, selection: Selection, cap: int, files: tuple[str, ...] = FULL_DATA
) -> dict[str, Any]:
    counts = result.counts_by_verdict()
    return {
        "rows": cap,
        "verdicts_shown": selection.listed,
        "failures_shown": sum(
            1 for v in selection.verdicts[: selection.listed] if v.verdict in FAILING
        ),
        "failures_total": sum(counts.get(k, 0) for k in FAILING),
        "findings_shown": len(selection.findings),
        "files": list(files),
    }


def context(
    result: AuditResult,
    page_size: int = PAGE_SIZE,
    max_rows: int | None = None,
    files: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Everything the template shows, as plain data (tables: their first page). Above
    ``max_rows`` legacy URLs or findings (None: :data:`HTML_ROWS`; 0: never) the tables hold
    the worst rows only (:func:`~migrationaudit.reports.htmldata.select_rows`). ``files``:
    the files written beside the report (None: all of them); a note that a table is cut
    names only those of :data:`FULL_DATA` among them."""
    data_files = tuple(f for f in FULL_DATA if files is None or f in files)
    infos = rule_lookup(result)
    severities: dict[str, str] = {}
    for f in result.findings:
        if f.severity.label not in SEVERITY_ORDER:
            continue
        best = severities.get(f.rule_id)
        if best is None or SEVERITY_ORDER.index(f.severity.label) > SEVERITY_ORDER.index(best):
            severities[f.rule_id] = f.severity.label

    def meta(rule_id: str) -> tuple[str, str, str]:
        info = infos.get(rule_id)
        default = info.severity.label if info else "notice"
        return rule_title(result, rule_id), severities.get(rule_id, default), anchor(rule_id)

    cap_view = None
    if capped(result, max_rows):
        cap = HTML_ROWS if max_rows is None else max_rows
        selection = select_rows(result, cap)
        data = build_selected(result, selection, meta)
        cap_view = _cap_view(result, selection, cap, data_files)
    else:
        data = build(result, meta)
    views = _Views(data)
    priority = bool(data.values)
    total = len(result.verdicts)
    verdict_counts = result.counts_by_verdict()
    failures = failure_order(data, priority)
    listed = len(data.verdicts) if data.listed is None else data.listed
    anchors = {r: anchor(r) for r in result.counts_by_rule()}
    return {
        "csp": CSP,
        "data_files": list(data_files),
        "tool": {"name": TOOL_NAME, "version": _text(tool_version(result))},
        "gate": _gate(result),
        "watch": watch_view(result),
        "hosts": hosts_view(result),
        "partial": run_partial(result),
        "warnings": [
            {
                "key": w.key,
                "title": w.title,
                "text": w.text,
                "names": [_text(i) for i in w.items],
            }
            for w in run_warnings(result)
        ],
        "suppressed": _suppressed(result),
        "run": _run(result),
        "total": total,
        "verdict_counts": [
            {"name": name, "count": n, "pct": round(100 * n / total, 1) if total else 0}
            for name, n in verdict_counts.items()
        ],
        "severity_counts": _bars(result.counts_by_severity()),
        "finding_total": len(result.findings),
        "failing_total": cap_view["failures_total"] if cap_view else len(failures),
        "cap": cap_view,
        "charts": charts_mod.charts(result, anchors, severities),
        "priority": priority,
        "sections": _sections(result, data, views),
        "skipped": [
            {
                "id": _text(s.rule_id),
                "title": _text(rule_title(result, s.rule_id)) if s.rule_id in infos else "",
                "reason": _text(s.reason),
            }
            for s in result.skipped
        ],
        "fixplan": _fix_plan(result),
        "options": _options(data, result),
        "page_size": page_size,
        "failure_page": FAILURE_PAGE,
        "failures": [views.verdict(i, n + 1) for n, i in enumerate(failures[:FAILURE_PAGE])],
        "findings": [views.finding(j) for j in range(min(page_size, len(data.findings)))],
        "verdicts": [views.verdict(i) for i in range(min(page_size, listed))],
        "data_json": data.to_json(),
        **parity_context(result),
    }


def render(
    result: AuditResult, max_rows: int | None = None, files: Sequence[str] | None = None
) -> str:
    """The whole ``report.html`` page; tables capped above ``max_rows`` rows (None:
    :data:`HTML_ROWS`; 0: never), see :func:`context`; ``files``: the files written with it
    (None: every format), so that it names no file that was not written."""
    return (
        environment().get_template(TEMPLATE).render(context(result, max_rows=max_rows, files=files))
    )

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
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from migrationaudit.gate import gate_reasons
from migrationaudit.models import AuditResult, Chain, Hop
from migrationaudit.reports import charts as charts_mod
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
    Selection,
    Strings,
    V,
    build,
    build_selected,
    path_steps,
    select_rows,
    value_label,
)

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
SUPPRESSED_ROWS = 500  # ignored / baselined findings listed (all of them are in findings.json)
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


def _link(url: object) -> dict[str, Any]:
    """A URL for the template: display text, and an href only when it is a vetted http(s) URL."""
    strings = Strings()
    view: dict[str, Any] = strings.link(strings.add(url))
    return view


def anchor(rule_id: str) -> str:
    """An element id for a rule section (only ``[a-z0-9-]``, whatever the id holds)."""
    return "rule-" + "".join(
        c if c.isascii() and (c.isalnum() or c == "-") else "_" for c in rule_id
    )


def path_view(hops: Sequence[Hop], chain: Chain | None) -> dict[str, Any]:
    """A hop path for the template: steps (URL, then the arrow badge leaving it, and whether
    that hop changes host) and an end badge, drawn as ``a --301--> b --302--> c [200]``."""
    strings = Strings()
    steps, end = path_steps(hops, chain)
    return _path_from_record(
        strings,
        [strings.add(end[0]) if end else -1, end[1] if end else ""]
        + [[strings.add(s.url), s.arrow, s.arrow_cls, int(s.host_change)] for s in steps],
    )


def _path_from_record(strings: Strings, record: Sequence[Any] | None) -> dict[str, Any]:
    if not record:
        return {"steps": [], "end": None}
    steps = [
        {
            "url": strings.link(url),
            "arrow": {"label": label, "cls": cls} if label else None,
            "host_change": bool(change),
        }
        for url, label, cls, change in record[2:]
    ]
    end = {"label": strings.text(record[0]), "cls": record[1]} if record[0] >= 0 else None
    return {"steps": steps, "end": end}


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


class _Views:
    """Template dicts for table rows, from the same records report.js reads."""

    def __init__(self, data: ReportData) -> None:
        self.data = data
        self.s = data.strings

    def _path(self, chain_index: int) -> dict[str, Any]:
        return _path_from_record(
            self.s, self.data.chains[chain_index] if chain_index >= 0 else None
        )

    def _value(self, value_index: int) -> str:
        return value_label(self.data.values[value_index]) if value_index >= 0 else ""

    def _rules(self, codes: Sequence[int]) -> list[dict[str, str]]:
        return [
            {"id": self.data.rules[c]["id"], "anchor": self.data.rules[c]["anchor"]} for c in codes
        ]

    def _curl(self, index: int) -> str:
        return self.s.text(index) if index >= 0 else ""

    def verdict(self, i: int, position: int = 0) -> dict[str, Any]:
        row = self.data.verdicts[i]
        verdict = VERDICT_ORDER[row[V["verdict"]]]
        tri = {-1: "", 0: "no", 1: "yes"}
        status = row[V["status"]]
        return {
            "position": position,
            "url": self.s.link(row[V["url"]]),
            "value": self._value(row[V["value"]]),
            "verdict": verdict,
            "path": self._path(row[V["chain"]]),
            "outcome": self.s.text(row[V["outcome"]]),
            "hop_count": row[V["hops"]],
            "final_status": "" if status is None else str(status),
            "final": self.s.link(row[V["final"]]),
            "expected": self.s.link(row[V["expected"]]),
            "target_match": tri[row[V["match"]]],
            "indexable": tri[row[V["indexable"]]],
            "self_canonical": tri[row[V["self_canonical"]]],
            "in_sitemap": tri[row[V["in_sitemap"]]],
            "robots_allowed": tri[row[V["robots_allowed"]]],
            "canonical": self.s.link(row[V["canonical"]]),
            "rules": self._rules(row[V["rules"]]),
            "origin": self.s.text(row[V["origin"]]),
            "curl": self._curl(row[V["curl"]]),
        }

    def finding(self, j: int) -> dict[str, Any]:
        row = self.data.findings[j]
        rule = self.data.rules[row[F["rule"]]]
        vi = row[F["verdict_row"]]
        verdict_row = self.data.verdicts[vi] if vi >= 0 else None
        return {
            "severity": SEVERITY_ORDER[row[F["severity"]]],
            "rule": {"id": rule["id"], "anchor": rule["anchor"]},
            "url": self.s.link(row[F["url"]]),
            "value": self._value(verdict_row[V["value"]]) if verdict_row else "",
            "path": self._path(row[F["chain"]]),
            "final": self.s.link(row[F["final"]]),
            "expected": self.s.link(row[F["expected"]]),
            "message": self.s.text(row[F["message"]]),
            "fix": self.s.text(row[F["fix"]]),
            "origin": self.s.text(row[F["origin"]]),
            "curl": self._curl(verdict_row[V["curl"]]) if verdict_row else "",
        }


def failure_order(data: ReportData, priority: bool) -> list[int]:
    """Failing verdict rows (error, warning), most costly first: by link value when the
    exports were given, else by severity; input order breaks ties (report.js sorts alike).
    Only the listed rows of a capped report (:attr:`ReportData.listed`)."""
    listed = data.verdicts if data.listed is None else data.verdicts[: data.listed]
    rows = [i for i, r in enumerate(listed) if VERDICT_ORDER[r[V["verdict"]]] in FAILING]

    def key(i: int) -> tuple[int, int, int]:
        r = data.verdicts[i]
        value = r[V["value"]]
        rank = data.values[value][5] if value >= 0 else len(data.values)
        return (rank if priority else 0, -r[V["verdict"]], i)

    return sorted(rows, key=key)


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
    options = jsonable(run.get("options") or {})
    if not isinstance(options, dict):
        options = {"options": options}
    inputs = run.get("inputs") or []
    connect_to = run.get("connect_to") or []

    def shown(v: Any) -> str:
        return _text(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True))

    return {
        "details": [
            {"name": _text(k), "value": shown(v)}
            for k, v in sorted(jsonable(run).items())
            if k not in SHOWN_RUN_KEYS and k != "options"
        ],
        "started_at": _text(run.get("started_at")),
        "finished_at": _text(run.get("finished_at")),
        "base_url": _link(run.get("base_url") or None),
        "inputs": [_text(i) for i in (inputs if isinstance(inputs, list | tuple) else [inputs])],
        "connect_to": [
            _text(c) for c in (connect_to if isinstance(connect_to, list | tuple) else [connect_to])
        ],
        "options": [{"name": _text(k), "value": shown(v)} for k, v in sorted(options.items())],
    }


def _fix_plan(result: AuditResult) -> dict[str, Any] | None:
    """The corrected map's summary (only after a crawl: the plan needs observed chains)."""
    if not result.chains:
        return None
    from migrationaudit.fixes import build_fixes

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


def _gate(result: AuditResult) -> dict[str, Any]:
    """The gate as the gate decides it (:meth:`AuditResult.gating_findings`,
    :func:`migrationaudit.gate.gate_reasons`): the findings that fail it, every budget with
    its count, why it failed, and what it did not count (ignored, baselined; always shown)."""
    suppressed = result.counts_suppressed()
    info = result.run.get("gate")
    baseline = info.get("baseline") if isinstance(info, dict) else None
    budgets = [
        {
            "rule": _text(b.rule_id),
            "anchor": anchor(b.rule_id),
            "fired": b.count > 0,
            "count": b.count,
            "limit": b.limit,
            "exceeded": b.exceeded,
        }
        for b in result.budget_statuses()
    ]
    return {
        "label": gate_label(result),
        "fail_on": result.fail_on.label,
        "count": gate_count(result),
        "reasons": [_text(r) for r in gate_reasons(result)],
        "budgets": budgets,
        "budget_failed": any(b["exceeded"] for b in budgets),
        "ignored": suppressed.get("ignored", 0),
        "baselined": suppressed.get("baselined", 0),
        "baseline": _text(baseline) if baseline else "",
    }


def _suppressed(result: AuditResult) -> dict[str, Any]:
    """The ignore entries (with how many findings each matched) and the findings the gate did
    not count, each with its reason; at most :data:`SUPPRESSED_ROWS` rows of each kind."""
    info = result.run.get("gate")
    entries = info.get("ignores") if isinstance(info, dict) else None
    ignores = [
        {
            "rule": _text(e.get("rule", "*")),
            "url": _text(e.get("url", "*")),
            "reason": _text(e.get("reason", "")),
            "matched": int(e.get("matched", 0) or 0),
        }
        for e in (entries if isinstance(entries, list) else [])
        if isinstance(e, dict)
    ]
    active = set(result.counts_by_rule())  # rules with a section to link to
    kinds: dict[str, list[dict[str, Any]]] = {"ignored": [], "baselined": []}
    totals = {"ignored": 0, "baselined": 0}
    for s in result.suppressed:
        kind = s.kind if s.kind in kinds else "ignored"
        totals[kind] += 1
        if len(kinds[kind]) < SUPPRESSED_ROWS:
            f = s.finding
            kinds[kind].append(
                {
                    "rule": {
                        "id": _text(f.rule_id),
                        "anchor": anchor(f.rule_id) if f.rule_id in active else "",
                    },
                    "severity": f.severity.label,
                    "url": _link(f.url),
                    "reason": _text(s.reason),
                    "message": _text(f.message),
                }
            )
    return {
        "ignores": ignores,
        "ignored": kinds["ignored"],
        "ignored_total": totals["ignored"],
        "baselined": kinds["baselined"],
        "baselined_total": totals["baselined"],
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
    }


def render(
    result: AuditResult, max_rows: int | None = None, files: Sequence[str] | None = None
) -> str:
    """The whole ``report.html`` page; tables capped above ``max_rows`` rows (None:
    :data:`HTML_ROWS`; 0: never), see :func:`context`; ``files``: the files written with it
    (None: every format), so that it names no file that was not written."""
    return environment().get_template(TEMPLATE).render(
        context(result, max_rows=max_rows, files=files)
    )

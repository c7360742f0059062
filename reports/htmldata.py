"""The data behind report.html's tables: every row once, as compact JSON, plus the same rows as
plain dicts for the first page the template renders itself (readable without JavaScript).

Shape of the embedded JSON (arrays, not objects: a 100,000-URL audit stays a few MB)::

    s        string table: every URL and text, display-safe (controls stripped, bidi shown)
    h        one "1"/"0" per string: "1" when the string is a vetted http(s) href
    rules    [{id, title, sev, anchor, triage}] (a rule code is an index here)
    hosts    legacy-URL hosts; statuses: final-status keys ("200", "loop", ...)
    chains   [end_label|-1, end_cls, [url, arrow_label, arrow_cls, host_change], ...]
    V        verdict rows: VERDICT_FIELDS below
    F        finding rows: FINDING_FIELDS below
    values   [referring_domains, backlinks, clicks, impressions, traffic, rank] (--priority)

report.js reads the same field positions; a test renders a page both ways and compares.

A big audit is embedded capped (:func:`select_rows`): the worst N legacy URLs and the worst N
findings of each rule. ``vn`` then says how many of the ``V`` rows the tables list; the rows
after them are the verdicts of embedded findings (their value, curl command and verdict),
which the findings table needs but the legacy-URL tables do not list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from migrationaudit.models.findings import Finding
from migrationaudit.models.hops import Chain, Hop
from migrationaudit.models.result import AuditResult
from migrationaudit.reports.charts import status_key
from migrationaudit.reports.common import display_text, safe_href, triage_of
from migrationaudit.reports.htmlpaths import _host, curl_command, path_steps
from migrationaudit.tables import finding_chain

VERDICT_ORDER = ("ok", "notice", "warning", "error", "incomplete")
SEVERITY_ORDER = ("notice", "warning", "error")
VERDICT_FIELDS = (
    "url",
    "verdict",
    "outcome",
    "hops",
    "status",
    "final",
    "expected",
    "match",
    "indexable",
    "self_canonical",
    "in_sitemap",
    "robots_allowed",
    "canonical",
    "rules",
    "origin",
    "chain",
    "host",
    "status_key",
    "value",
    "curl",
)
FINDING_FIELDS = (
    "rule",
    "severity",
    "url",
    "verdict_row",
    "message",
    "fix",
    "origin",
    "chain",
    "final",
    "expected",
    "host",
    "status_key",
)
V = {name: i for i, name in enumerate(VERDICT_FIELDS)}
F = {name: i for i, name in enumerate(FINDING_FIELDS)}
FAILING = ("error", "warning")


class Strings:
    """An interned string table: each distinct text once, with its href flag."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.flags: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, value: object) -> int:
        """Index of ``value`` (added if new); -1 for None."""
        if value is None:
            return -1
        raw = str(value)
        i = self._index.get(raw)
        if i is None:
            text = display_text(raw)
            href = safe_href(raw)
            i = len(self.items)
            self.items.append(text)
            # A vetted href has no control or invisible character, so it reads as shown.
            self.flags.append("1" if href is not None and href == text else "0")
            self._index[raw] = i
        return i

    def text(self, i: int) -> str:
        return "" if i < 0 else self.items[i]

    def link(self, i: int) -> dict[str, Any]:
        """A link view for the template: display text and href (None unless vetted)."""
        if i < 0:
            return {"text": "", "href": None}
        return {"text": self.items[i], "href": self.items[i] if self.flags[i] == "1" else None}


def value_label(value: Sequence[int | None] | None) -> str:
    """``"57 ref. domains · 1,204 clicks"`` (report.js writes the same)."""
    if not value:
        return ""
    rd, bl, clicks, impressions, traffic = value[:5]
    parts = []
    if rd:
        parts.append(f"{rd:,} ref. domain{'s' if rd != 1 else ''}")
    if clicks:
        parts.append(f"{clicks:,} click{'s' if clicks != 1 else ''}")
    if traffic:
        parts.append(f"{traffic:,} visit{'s' if traffic != 1 else ''}")
    if not parts and bl:
        parts.append(f"{bl:,} backlink{'s' if bl != 1 else ''}")
    if not parts and impressions:
        parts.append(f"{impressions:,} impression{'s' if impressions != 1 else ''}")
    return " · ".join(parts) or "—"


@dataclass
class ReportData:
    """Everything the tables need, built once per render."""

    strings: Strings = field(default_factory=Strings)
    rules: list[dict[str, str]] = field(default_factory=list)
    rule_index: dict[str, int] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)
    host_index: dict[str, int] = field(default_factory=dict)
    statuses: list[str] = field(default_factory=list)
    status_index: dict[str, int] = field(default_factory=dict)
    chains: list[list[Any]] = field(default_factory=list)
    verdicts: list[list[Any]] = field(default_factory=list)
    findings: list[list[Any]] = field(default_factory=list)
    values: list[list[int | None]] = field(default_factory=list)
    # How many ``verdicts`` rows the legacy-URL tables list (None: all of them); see
    # :func:`select_rows`.
    listed: int | None = None

    meta: Callable[[str], tuple[str, str, str]] = lambda r: (r, "notice", r)

    def rule(self, rule_id: str) -> int:
        """The code of a rule (its index in ``rules``), added with its meta data if new."""
        i = self.rule_index.get(rule_id)
        if i is None:
            title, severity, anchor = self.meta(rule_id)
            i = self.rule_index[rule_id] = len(self.rules)
            triage = triage_of(rule_id)
            self.rules.append(
                {
                    "id": display_text(rule_id),
                    "title": display_text(title),
                    "sev": severity,
                    "anchor": anchor,
                    "triage": triage.label,
                }
            )
        return i

    def host(self, url: str) -> int:
        name = display_text(_host(url)) or "(no host)"
        if name not in self.host_index:
            self.host_index[name] = len(self.hosts)
            self.hosts.append(name)
        return self.host_index[name]

    def status(self, key: str) -> int:
        if key not in self.status_index:
            self.status_index[key] = len(self.statuses)
            self.statuses.append(key)
        return self.status_index[key]

    def chain_index(self, chain: Chain, seen: dict[int, int]) -> int:
        """The record of a legacy URL's chain, added once however many rows show it."""
        i = seen.get(id(chain))
        if i is None:
            i = seen[id(chain)] = self.chain(chain.hops, chain)
        return i

    def chain(self, hops: Sequence[Hop], chain: Chain | None) -> int:
        steps, end = path_steps(hops, chain)
        record: list[Any] = [self.strings.add(end[0]) if end else -1, end[1] if end else ""]
        record += [
            [self.strings.add(s.url), s.arrow, s.arrow_cls, 1 if s.host_change else 0]
            for s in steps
        ]
        self.chains.append(record)
        return len(self.chains) - 1

    def to_json(self) -> Markup:
        """The JSON text, safe inside ``<script type="application/json">``: ``<``, ``>``,
        ``&`` and the JS line separators are escaped, so no string can close the element."""
        data: dict[str, Any] = {
            "s": self.strings.items,
            "h": "".join(self.strings.flags),
            "rules": self.rules,
            "hosts": self.hosts,
            "statuses": self.statuses,
            "chains": self.chains,
            "V": self.verdicts,
            "F": self.findings,
            "values": self.values,
            "fields": {"V": list(VERDICT_FIELDS), "F": list(FINDING_FIELDS)},
            "verdictOrder": list(VERDICT_ORDER),
            "severityOrder": list(SEVERITY_ORDER),
        }
        if self.listed is not None:  # capped: only then, so a small report is unchanged
            data["vn"] = self.listed
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        for char, escape in (
            ("<", "\\u003c"),
            (">", "\\u003e"),
            ("&", "\\u0026"),
            ("\u2028", "\\u2028"),
            ("\u2029", "\\u2029"),
        ):
            text = text.replace(char, escape)
        # Markup: every character that could end the <script> element is escaped above.
        return Markup(text)


def _tri(value: bool | None) -> int:
    """A tri-state cell: 1 yes, 0 no, -1 unknown (report.js's TRI shows "yes"/"no"/"")."""
    return -1 if value is None else int(value)


def build(result: AuditResult, meta: Callable[[str], tuple[str, str, str]]) -> ReportData:
    """Intern every verdict, finding and chain of ``result``; ``meta(rule_id)`` gives a rule's
    (title, severity shown, anchor)."""
    data = ReportData(meta=meta)
    s = data.strings
    for info in result.rules:
        data.rule(info.rule_id)
    chain_of: dict[int, int] = {}
    row_of: dict[str, int] = {}
    for v in result.verdicts:
        chain = result.chains.get(v.url)
        ci = -1
        if chain is not None:
            ci = data.chain_index(chain, chain_of)
        value = -1
        if v.value is not None:
            value = len(data.values)
            data.values.append(
                [
                    v.value.referring_domains,
                    v.value.backlinks,
                    v.value.clicks,
                    v.value.impressions,
                    v.value.traffic,
                    0,
                ]
            )
        verdict = v.verdict if v.verdict in VERDICT_ORDER else "incomplete"
        curl = -1
        if verdict != "ok":
            curl = s.add(curl_command(v.url, chain.hops if chain else (), result.run))
        row_of.setdefault(v.url, len(data.verdicts))
        data.verdicts.append(
            [
                s.add(v.url),
                VERDICT_ORDER.index(verdict),
                s.add(v.outcome.value),
                v.hop_count,
                v.final_status,
                s.add(v.final_url),
                s.add(v.expected_url),
                _tri(v.target_match),
                _tri(v.indexable),
                _tri(v.self_canonical),
                _tri(v.in_sitemap),
                _tri(v.robots_allowed),
                s.add(v.canonical),
                [data.rule(r) for r in v.rules],
                s.add(v.origin),
                ci,
                data.host(v.url),
                data.status(status_key(v)),
                value,
                curl,
            ]
        )
    # value rank: 0 = the most valuable URL (sorted like the pipeline ranks verdicts)
    ranked = sorted(
        range(len(data.values)),
        key=lambda i: tuple(
            n or 0
            for n in (
                data.values[i][0],
                data.values[i][2],
                data.values[i][4],
                data.values[i][1],
                data.values[i][3],
            )
        ),
        reverse=True,
    )
    for rank, i in enumerate(ranked):
        data.values[i][5] = rank
    for f in result.findings:
        data.findings.append(_finding_row(data, result, f, row_of, chain_of))
    return data


def _finding_row(
    data: ReportData,
    result: AuditResult,
    f: Finding,
    row_of: Mapping[str, int],
    chain_of: dict[int, int],
) -> list[Any]:
    s = data.strings
    chain = finding_chain(result, f)
    if chain is not None:
        ci = data.chain_index(chain, chain_of)
    elif f.evidence:
        ci = data.chain(f.evidence, None)
    else:
        ci = -1
    vi = row_of.get(f.url, -1)
    status = data.verdicts[vi][V["status_key"]] if vi >= 0 else -1
    rule = data.rule(f.rule_id)
    return [
        rule,
        SEVERITY_ORDER.index(f.severity.label),
        s.add(f.url),
        vi,
        s.add(f.message),
        s.add(f.fix),
        s.add(f.origin),
        ci,
        s.add(f.final_url),
        s.add(f.expected_url),
        data.host(f.url),
        status,
    ]


# --- a capped report: the worst rows only -------------------------------------------------------



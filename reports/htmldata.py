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

import heapq
import json
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from migrationaudit.models import (
    AuditResult,
    Chain,
    Finding,
    Hop,
    HopKind,
    LinkValue,
    Outcome,
    Verdict,
)
from migrationaudit.reports.charts import status_key
from migrationaudit.reports.common import display_text, host_of, safe_href, triage_of
from migrationaudit.tables import finding_chain
from migrationaudit.web.urls import normalize

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


def status_class(status: int | None, error: str | None = None) -> str:
    """The badge colour class of an HTTP status (``s2``…) or of a failure (``serr``)."""
    if error is not None or status is None:
        return "serr"
    return f"s{min(max(status // 100, 1), 5)}"


@dataclass(frozen=True)
class Step:
    """One URL of a drawn path and the arrow leaving it (raw text, escaped later)."""

    url: str | None
    arrow: str = ""
    arrow_cls: str = ""
    host_change: bool = False


@lru_cache(maxsize=65536)
def _host(url: str) -> str:
    return str(host_of(url))


def path_steps(
    hops: Sequence[Hop], chain: Chain | None
) -> tuple[list[Step], tuple[str, str] | None]:
    """A hop path as steps and an end badge ``(label, cls)``: ``a --301--> b [200]``; with a
    chain its outcome decides the end (``loop``, ``hop limit``, ``not fetched``)."""
    steps: list[Step] = []
    for h in hops:
        if h.is_redirect:
            meta = h.kind is HopKind.META_REFRESH
            steps.append(
                Step(
                    h.url,
                    "meta" if meta else str(h.status),
                    "smeta" if meta else status_class(h.status),
                    bool(h.target) and _host(h.url) != _host(str(h.target)),
                )
            )
        else:
            steps.append(Step(h.url))
    last = hops[-1] if hops else None
    outcome = chain.outcome if chain is not None else None
    end: tuple[str, str] | None = None
    if outcome is Outcome.LOOP and chain is not None and chain.loop_at:
        steps.append(Step(chain.loop_at))
        end = ("loop", "sloop")
    elif outcome is Outcome.HOP_LIMIT:
        end = ("hop limit", "sloop")
    elif outcome is Outcome.INCOMPLETE and chain is not None:
        if chain.missing:
            steps.append(Step(chain.missing))
        end = ("not fetched", "sinc")
    elif outcome is Outcome.OFFSITE:
        end = ("offsite: not requested", "sinc")  # the last step: outside the audit's scope
    elif last is not None and last.is_redirect:
        steps.append(Step(last.target))
    elif last is not None:
        if last.error is not None:
            label = last.error
        else:
            label = "no status" if last.status is None else str(last.status)
        end = (label, status_class(last.status, last.error))
    return steps, end


def parse_connect(spec: str) -> tuple[str, list[str]] | None:
    """A run's ``connect_to`` entry (``HOST:PORT:ADDR`` or ``HOST:PORT:ADDR:PORT2``) as
    (host, curl arguments)."""
    host, _, rest = spec.partition(":")
    port, _, target = rest.partition(":")
    if not host or not port.isdigit() or not target:
        return None
    addr, sep, port2 = target.rpartition(":")
    single_colon = sep and port2.isdigit() and ":" not in addr.strip("[]")
    bracketed = sep and port2.isdigit() and addr.startswith("[") and addr.endswith("]")
    if single_colon or bracketed:
        if ":" in addr and not addr.startswith("["):
            addr = f"[{addr}]"
        return host.lower(), ["--connect-to", f"{host}:{port}:{addr}:{port2}"]
    return host.lower(), ["--resolve", f"{host}:{port}:{target}"]


def curl_command(url: str, hops: Sequence[Hop], run: Mapping[str, Any]) -> str:
    """A shell command reproducing ``url``'s chain hop by hop: curl follows the redirects and
    prints every answer's headers, with the audit's User-Agent, hop limit and any
    ``--resolve``/``--connect-to`` entry for a host on the chain. Every argument goes through
    :func:`shlex.quote` (URLs are hostile text); the URL is written in its wire form."""
    options = run.get("options") if isinstance(run.get("options"), Mapping) else {}
    assert isinstance(options, Mapping)
    max_hops = options.get("max_hops", 10)
    args = ["curl", "-sS", "-o", "/dev/null", "-D", "-", "-L", "--max-redirs", str(max_hops)]
    agent = options.get("user_agent")
    if isinstance(agent, str) and agent:
        args += ["-A", agent]
    hosts = {_host(url)} | {_host(h.url) for h in hops}
    hosts |= {_host(h.target) for h in hops if h.target}
    entries = run.get("connect_to") or []
    for spec in entries if isinstance(entries, list | tuple) else []:
        parsed = parse_connect(str(spec))
        if parsed is not None and parsed[0] in hosts:
            args += parsed[1]
    args.append(normalize(url))
    return " ".join(shlex.quote(a) for a in args)


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

# How bad a verdict is, worst first: errors, warnings, then URLs whose chain was never
# completed (they may hide either), notices, and clean URLs last.
VERDICT_RANK = {"error": 0, "warning": 1, "incomplete": 2, "notice": 3, "ok": 4}


def _value_key(value: LinkValue | None) -> tuple[int, ...]:
    """Most valuable first (as the pipeline ranks ``--priority`` values), for an ascending
    sort; no value sorts last."""
    if value is None:
        return (0, 0, 0, 0, 0)
    return tuple(-n for n in value.rank_key)


@dataclass(frozen=True)
class Selection:
    """What a capped report embeds: ``verdicts`` = the listed rows (worst first) followed by
    the verdicts of embedded findings that are not listed; ``listed`` = how many are listed."""

    verdicts: tuple[Verdict, ...]
    listed: int
    findings: tuple[Finding, ...]
    per_rule: dict[str, int]  # rule id → findings embedded (at most the cap)


def worst_verdicts(verdicts: Iterable[Verdict], n: int) -> list[Verdict]:
    """The ``n`` worst verdicts, worst first: by verdict (error, warning, incomplete, notice,
    ok), then link value (``--priority``), then URL."""
    return heapq.nsmallest(
        n, verdicts, key=lambda v: (VERDICT_RANK.get(v.verdict, 2), _value_key(v.value), v.url)
    )


def worst_findings(
    findings: Iterable[Finding], n: int, values: Mapping[str, LinkValue]
) -> list[Finding]:
    """The ``n`` worst findings of *each* rule, worst first overall: by severity, then the
    legacy URL's link value (``values``: URL → value), then rule id and URL."""
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule_id, []).append(f)

    def key(f: Finding) -> tuple[int, tuple[int, ...], str, str]:
        return (-int(f.severity), _value_key(values.get(f.url)), f.rule_id, f.url)

    kept = [f for rows in by_rule.values() for f in heapq.nsmallest(n, rows, key=key)]
    return sorted(kept, key=key)


def select_rows(result: AuditResult, n: int) -> Selection:
    """The rows a report capped at ``n`` embeds: the worst ``n`` legacy URLs, the worst ``n``
    findings of each rule, and the verdicts those findings need (see :class:`Selection`)."""
    values = {v.url: v.value for v in result.verdicts if v.value is not None}
    listed = worst_verdicts(result.verdicts, n)
    findings = worst_findings(result.findings, n, values)
    have = {v.url for v in listed}
    wanted = {f.url for f in findings} - have
    extra = []
    for v in result.verdicts:
        if v.url in wanted:
            extra.append(v)
            wanted.discard(v.url)
    per_rule: dict[str, int] = {}
    for f in findings:
        per_rule[f.rule_id] = per_rule.get(f.rule_id, 0) + 1
    return Selection(tuple(listed) + tuple(extra), len(listed), tuple(findings), per_rule)


def build_selected(
    result: AuditResult, selection: Selection, meta: Callable[[str], tuple[str, str, str]]
) -> ReportData:
    """:func:`build` over the selected rows only (``listed`` set for report.js)."""
    data = build(replace(result, verdicts=selection.verdicts, findings=selection.findings), meta)
    data.listed = selection.listed
    return data

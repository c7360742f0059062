"""The result of an audit: one :class:`Verdict` per legacy URL and the :class:`AuditResult` every
report renders, and :func:`jsonable` (plain JSON data of any of them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import PurePath
from typing import Any, cast

from migrationaudit.models.findings import (
    BudgetStatus,
    Finding,
    RuleInfo,
    Severity,
    SkippedRule,
    SuppressedFinding,
)
from migrationaudit.models.hops import Chain, Outcome
from migrationaudit.models.inputs import LinkValue, Origin
from migrationaudit.models.runinfo import RunInfo


@dataclass(frozen=True, slots=True)
class Verdict:
    """The acceptance row for one legacy URL. ``value`` is set when ``--priority`` exports
    were given and one of them has this URL."""

    url: str
    verdict: str  # "ok" | "notice" | "warning" | "error" | "incomplete"
    outcome: Outcome
    hop_count: int
    final_url: str | None
    final_status: int | None
    expected_url: str | None
    target_match: bool | None  # None when there is no expected target
    indexable: bool | None  # None when the chain did not end on a page
    canonical: str | None
    rules: tuple[str, ...]
    origin: Origin | None
    path: str
    value: LinkValue | None = None
    # The new site's side (added): None when not known (no final page, or the input missing:
    # no canonical declared, no new sitemap found, no robots.txt read).
    self_canonical: bool | None = None  # the final page's canonical is its own URL
    in_sitemap: bool | None = None  # the final URL is listed in a new sitemap
    robots_allowed: bool | None = None  # robots.txt lets Googlebot and * fetch every hop
    # The status the map row asks for (None: any permanent redirect); not in to_dict.
    expected_status: int | None = None
    # Content parity (--snapshot): "ok", or the parity rules that failed without their
    # "parity-" prefix ("title, content"); None without a snapshot of this URL.
    parity: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # "value" only when set: without --priority, findings.json keeps its original keys.
        extra = {"value": self.value.to_dict()} if self.value is not None else {}
        return {
            "url": self.url,
            "verdict": self.verdict,
            "outcome": self.outcome.value,
            "hop_count": self.hop_count,
            "final_url": self.final_url,
            "final_status": self.final_status,
            "expected_url": self.expected_url,
            "target_match": self.target_match,
            "indexable": self.indexable,
            "canonical": self.canonical,
            "rules": list(self.rules),
            "origin": self.origin.to_dict() if self.origin else None,
            "path": self.path,
            "self_canonical": self.self_canonical,
            "in_sitemap": self.in_sitemap,
            "robots_allowed": self.robots_allowed,
            **({"parity": self.parity} if self.parity is not None else {}),
            **extra,
        }


@dataclass(frozen=True)
class Suggestion:
    """A new page offered as the target of a legacy URL that has none that works (no map
    row, a broken end, a catch-all, the home page, a many-to-one funnel): the best match among
    the new site's pages, checked live (2xx, indexable, self-canonical) in this run."""

    old_url: str
    suggested_url: str
    score: float  # 0..1
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_url": self.old_url,
            "suggested_url": self.suggested_url,
            "score": self.score,
            "why": self.why,
        }


@dataclass(frozen=True)
class ParityPair:
    """A legacy URL whose new page fails a parity rule: the facts of both pages side by side
    (fact name → text, the same names on both sides)."""

    url: str
    new_url: str
    rules: tuple[str, ...]
    old: Mapping[str, str]
    new: Mapping[str, str]


@dataclass(frozen=True)
class AuditResult:
    """Everything a report needs, as plain data. ``run`` holds run metadata (tool version,
    timestamps, inputs, options, resolve entries, ``partial`` flag): a :class:`RunInfo`; a
    mapping given instead (a ``run.json`` object) is read with :meth:`RunInfo.from_dict`.

    ``findings`` are the active findings (the ones the gate judges); ``suppressed`` holds the
    ignored and baselined ones (see :mod:`migrationaudit.gate`). ``budgets`` maps a rule id to
    the most findings it may have: a rule with a budget fails the gate when it has more,
    whatever ``fail_on`` says; every other rule fails it at or above ``fail_on``."""

    findings: tuple[Finding, ...]
    verdicts: tuple[Verdict, ...]
    chains: Mapping[str, Chain]
    skipped: tuple[SkippedRule, ...]
    rules: tuple[RuleInfo, ...]
    fail_on: Severity
    run: RunInfo
    suppressed: tuple[SuppressedFinding, ...] = ()
    budgets: Mapping[str, int] = field(default_factory=dict)
    # Suggested targets for legacy URLs without a working one (migrationaudit.parity.suggest).
    suggestions: tuple[Suggestion, ...] = ()
    # Old and new page side by side for each pair failing a parity rule (--snapshot).
    parity: tuple[ParityPair, ...] = ()

    def __post_init__(self) -> None:
        run: object = self.run
        if not isinstance(run, RunInfo):  # code written when ``run`` was a mapping
            object.__setattr__(self, "run", RunInfo.from_dict(cast(Mapping[str, Any], run)))

    def budget_statuses(self) -> tuple[BudgetStatus, ...]:
        """Every budget with its rule's active finding count, sorted by rule id."""
        counts = self.counts_by_rule()
        return tuple(
            BudgetStatus(rule_id, limit, counts.get(rule_id, 0))
            for rule_id, limit in sorted(self.budgets.items())
        )

    def gating_findings(self) -> tuple[Finding, ...]:
        """The findings that fail the gate: those of an exceeded budget, and those at or above
        ``fail_on`` of rules without a budget."""
        exceeded = {b.rule_id for b in self.budget_statuses() if b.exceeded}
        return tuple(
            f
            for f in self.findings
            if (f.rule_id in exceeded)
            or (f.rule_id not in self.budgets and f.severity >= self.fail_on)
        )

    @property
    def gate_failed(self) -> bool:
        return bool(self.gating_findings())

    def counts_suppressed(self) -> dict[str, int]:
        """``{"ignored": n, "baselined": n}``."""
        out = {"ignored": 0, "baselined": 0}
        for s in self.suppressed:
            out[s.kind] = out.get(s.kind, 0) + 1
        return out

    def counts_by_severity(self) -> dict[str, int]:
        out = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for f in self.findings:
            out[f.severity.label] += 1
        return out

    def counts_by_rule(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.rule_id] = out.get(f.rule_id, 0) + 1
        return dict(sorted(out.items()))

    def counts_by_verdict(self) -> dict[str, int]:
        out = {k: 0 for k in ("ok", "notice", "warning", "error", "incomplete")}
        for v in self.verdicts:
            out[v.verdict] = out.get(v.verdict, 0) + 1
        return out


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: mappings → dicts with str keys, sequences → lists, sets →
    sorted lists, enums → values, paths/dates → strings, anything else unknown → ``str``."""
    # Exact types first: a report turns millions of plain values, most already plain.
    kind = type(value)
    if kind is str or kind is int or value is None:
        return value
    if kind is dict:
        return {str(k): jsonable(v) for k, v in value.items()}
    if kind is list:
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return jsonable(to_dict())
    return str(value)

"""Core data types: frozen dataclasses that flow through the pipeline.

inputs → :class:`RedirectRule` / :class:`LegacyURL`; crawl → :class:`Hop` records (one per
fetched URL, streamed to the run directory); graph → :class:`Chain` per legacy URL; checks →
:class:`Finding`; verdicts → :class:`Verdict`; all of it → :class:`AuditResult` for reports.

Nothing here imports Scrapy, Jinja or pandas. ``to_dict``/``from_dict`` give the JSON shape
used in the run directory and in ``findings.json``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any


class Severity(IntEnum):
    """Ordered severities, so a CI threshold is just ``>=``."""

    NOTICE = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``"error"`` / ``"WARNING"`` / ``"notice"`` → Severity; ValueError otherwise."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None

    def __str__(self) -> str:
        return self.label


class HopKind(str, Enum):
    """How one fetched URL answered."""

    HTTP_REDIRECT = "http-redirect"  # 3xx with a usable Location
    META_REFRESH = "meta-refresh"  # a page whose <meta http-equiv=refresh> sends elsewhere
    FINAL = "final"  # any other answer: the chain ends here
    NETWORK_ERROR = "network-error"  # no HTTP answer (DNS, refused, timeout, TLS, bad scheme)
    OFFSITE = "offsite"  # not requested: the URL is outside the audit's scope (``error`` says why)

    def __str__(self) -> str:
        return self.value


class Outcome(str, Enum):
    """How a chain from a legacy URL ended."""

    FINAL = "final"  # reached a non-redirecting answer (any status)
    ERROR = "error"  # reached a network error
    LOOP = "loop"  # revisited a URL
    HOP_LIMIT = "hop-limit"  # more than max_hops redirects
    INCOMPLETE = "incomplete"  # a hop was never fetched (interrupted crawl)
    OFFSITE = "offsite"  # left the audit's scope: the last hop was recorded, not requested

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an input came from: a file (or ``-`` for stdin) and a 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line}


@dataclass(frozen=True, slots=True)
class RedirectRule:
    """One row of a redirect map: ``source`` should land on ``expected_target``.

    ``expected_target`` is None for a row that removes a URL on purpose (its
    ``expected_status`` is then 404 or 410)."""

    source: str
    expected_target: str | None
    origin: Origin
    expected_status: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class LegacyURL:
    """A URL to audit. ``rule`` is its (first) map rule, None for a plain list entry."""

    url: str
    origin: Origin
    rule: RedirectRule | None = None

    @property
    def expected_target(self) -> str | None:
        return self.rule.expected_target if self.rule else None


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What a non-redirecting page says about itself (HTML head and headers)."""

    content_type: str | None = None
    title: str | None = None
    canonical: str | None = None  # <link rel=canonical>, resolved to an absolute URL
    canonical_header: str | None = None  # Link: <...>; rel="canonical", resolved
    meta_robots: str | None = None  # content of <meta name=robots|googlebot>
    x_robots_tag: str | None = None  # X-Robots-Tag header value(s)
    meta_refresh: str | None = None  # raw content of <meta http-equiv=refresh>
    # hreflang alternates as (language, absolute URL): <link rel=alternate hreflang> in the
    # head, then Link: <...>; rel="alternate"; hreflang="..." headers (added; () when none).
    hreflang: tuple[tuple[str, str], ...] = ()
    # <a href> / <area href> targets, absolute, fragment dropped, in page order, deduplicated;
    # None when links were not collected (only pages of a --crawl'ed site are read for them).
    links: tuple[str, ...] | None = None

    @property
    def canonical_url(self) -> str | None:
        """The effective canonical: the HTML one, else the Link header one."""
        return self.canonical or self.canonical_header

    @property
    def noindex(self) -> bool:
        for value in (self.meta_robots, self.x_robots_tag):
            if value:
                tokens = {t.strip().lower() for t in value.replace(";", ",").split(",")}
                # X-Robots-Tag may be "googlebot: noindex"
                tokens |= {t.split(":", 1)[-1].strip() for t in tokens}
                if "noindex" in tokens or "none" in tokens:
                    return True
        return False

    def to_dict(self) -> dict[str, Any]:
        return {
            "content_type": self.content_type,
            "title": self.title,
            "canonical": self.canonical,
            "canonical_header": self.canonical_header,
            "meta_robots": self.meta_robots,
            "x_robots_tag": self.x_robots_tag,
            "meta_refresh": self.meta_refresh,
            # Added keys only when set: hop records of a plain audit keep their shape.
            **({"hreflang": [list(p) for p in self.hreflang]} if self.hreflang else {}),
            **({"links": list(self.links)} if self.links is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PageFacts:
        plain = {k: d.get(k) for k in cls.__dataclass_fields__ if k not in ("hreflang", "links")}
        links = d.get("links")
        return cls(
            **plain,
            hreflang=tuple((str(a), str(b)) for a, b in d.get("hreflang") or ()),
            links=tuple(str(u) for u in links) if links is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Hop:
    """One fetch of one URL: the unit the crawl records and streams to disk.

    Each distinct URL is fetched once per run, so a Hop is also a node of the redirect graph.
    ``location`` is the raw Location header; ``target`` the absolute URL of the next hop
    (from Location or a meta refresh), None when the chain ends here. A failure on the
    audited site is data: ``kind`` is network-error and ``error`` says what happened.
    """

    url: str
    status: int | None
    kind: HopKind
    location: str | None = None
    target: str | None = None
    error: str | None = None
    elapsed_ms: float = 0.0
    headers: Mapping[str, str] = field(default_factory=dict)
    page: PageFacts | None = None
    # How browsers (WHATWG URL) and RFC 3986 disagree about ``location`` (backslashes,
    # control characters, several Location headers...); ``target`` follows the browsers.
    ambiguity: str | None = None
    # The body was not read whole: "truncated" (over the cap for its kind of fetch),
    # "dataloss" (the server broke off before Content-Length / the last chunk),
    # "undecodable" (its Content-Encoding could not be decoded). None: read whole.
    body: str | None = None

    @property
    def is_redirect(self) -> bool:
        return self.kind in (HopKind.HTTP_REDIRECT, HopKind.META_REFRESH) and bool(self.target)

    @property
    def is_healthy(self) -> bool:
        """A final answer a user and a crawler are happy to land on (2xx, no error)."""
        return (
            self.kind is HopKind.FINAL
            and self.error is None
            and self.status is not None
            and 200 <= self.status < 300
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "kind": self.kind.value,
            "location": self.location,
            "target": self.target,
            "error": self.error,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "headers": dict(self.headers),
            "page": self.page.to_dict() if self.page else None,
            # Only when set: hop records of ordinary runs keep their shape.
            **({"ambiguity": self.ambiguity} if self.ambiguity is not None else {}),
            **({"body": self.body} if self.body is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Hop:
        page = d.get("page")
        return cls(
            url=d["url"],
            status=d.get("status"),
            kind=HopKind(d["kind"]),
            location=d.get("location"),
            target=d.get("target"),
            error=d.get("error"),
            elapsed_ms=float(d.get("elapsed_ms") or 0.0),
            headers=dict(d.get("headers") or {}),
            page=PageFacts.from_dict(page) if page else None,
            ambiguity=d.get("ambiguity"),
            body=d.get("body"),
        )


@dataclass(frozen=True, slots=True)
class Chain:
    """The path a legacy URL takes: every Hop in order, and how it ended.

    For FINAL/ERROR the last hop is the answer; for LOOP the path stops at the first revisit
    (``loop_at`` names the revisited URL); for HOP_LIMIT it holds max_hops + 1 fetches;
    for INCOMPLETE ``hops`` ends before the unfetched URL ``missing``.
    """

    start: str
    hops: tuple[Hop, ...]
    outcome: Outcome
    loop_at: str | None = None
    missing: str | None = None

    @property
    def last(self) -> Hop | None:
        return self.hops[-1] if self.hops else None

    @property
    def final(self) -> Hop | None:
        """The answering hop when the chain ended on one (FINAL or ERROR), else None."""
        if self.outcome in (Outcome.FINAL, Outcome.ERROR) and self.hops:
            return self.hops[-1]
        return None

    @property
    def final_url(self) -> str | None:
        f = self.final
        return f.url if f else None

    @property
    def final_status(self) -> int | None:
        f = self.final
        return f.status if f else None

    @property
    def redirects(self) -> tuple[Hop, ...]:
        """The hops that sent the client elsewhere (HTTP redirects and meta refreshes)."""
        return tuple(h for h in self.hops if h.is_redirect)

    @property
    def hop_count(self) -> int:
        return len(self.redirects)

    def path_text(self) -> str:
        """``a --301--> b --302--> c [200]`` (loops end in ``[loop]``)."""
        parts: list[str] = []
        for h in self.hops:
            parts.append(h.url)
            if h.is_redirect:
                label = "meta" if h.kind is HopKind.META_REFRESH else str(h.status)
                parts.append(f"--{label}-->")
        if self.outcome is Outcome.LOOP and self.loop_at:
            parts.append(f"{self.loop_at} [loop]")
        elif self.outcome is Outcome.HOP_LIMIT:
            parts.append("[hop limit]")
        elif self.outcome is Outcome.INCOMPLETE:
            parts.append(f"{self.missing} [not fetched]")
        elif self.outcome is Outcome.OFFSITE:
            parts.append("[offsite: not requested]")
        elif self.hops:
            last = self.hops[-1]
            text = str(last.status) if last.error is None else last.error
            parts.append(f"[{text}; body {last.body}]" if last.body else f"[{text}]")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Finding:
    """One defect: a rule id, a severity, the legacy (requested) URL and the evidence."""

    rule_id: str
    severity: Severity
    url: str
    message: str
    fix: str = ""
    evidence: tuple[Hop, ...] = ()
    final_url: str | None = None
    expected_url: str | None = None
    origin: Origin | None = None

    @property
    def fingerprint(self) -> str:
        """Stable id for baselines: rule + requested URL."""
        return hashlib.sha256(f"{self.rule_id}\n{self.url}".encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "severity": self.severity.label,
            "url": self.url,
            "final_url": self.final_url,
            "expected_url": self.expected_url,
            "hops": [
                {"url": h.url, "status": h.status, "location": h.location, "kind": h.kind.value}
                for h in self.evidence
            ],
            "message": self.message,
            "fix": self.fix,
            "origin": self.origin.to_dict() if self.origin else None,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True, slots=True)
class LinkValue:
    """What a legacy URL is worth in links and search traffic, joined from ``--priority``
    exports (Ahrefs/Semrush top pages or backlinks, Google Search Console pages). A metric no
    export had is None; ``origin`` is the first export row that matched."""

    referring_domains: int | None = None
    backlinks: int | None = None
    clicks: int | None = None
    impressions: int | None = None
    traffic: int | None = None  # estimated organic visits (Ahrefs/Semrush) or sessions
    origin: Origin | None = None

    @property
    def rank_key(self) -> tuple[int, int, int, int, int]:
        """Sort key (sort descending for "most valuable first"): referring domains, then
        clicks, traffic, backlinks, impressions; a missing metric counts as 0."""
        return (
            self.referring_domains or 0,
            self.clicks or 0,
            self.traffic or 0,
            self.backlinks or 0,
            self.impressions or 0,
        )

    @property
    def valuable(self) -> bool:
        """Has links, clicks or traffic (impressions alone earn nothing worth a redirect)."""
        return any(
            (n or 0) > 0
            for n in (self.referring_domains, self.backlinks, self.clicks, self.traffic)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "referring_domains": self.referring_domains,
            "backlinks": self.backlinks,
            "clicks": self.clicks,
            "impressions": self.impressions,
            "traffic": self.traffic,
            "origin": self.origin.to_dict() if self.origin else None,
        }


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
            **extra,
        }


@dataclass(frozen=True)
class SkippedRule:
    """A rule that could not run on this audit's inputs, and why (shown in the report)."""

    rule_id: str
    reason: str


@dataclass(frozen=True)
class RuleInfo:
    """Registry entry as plain data (for reports and the README catalogue)."""

    rule_id: str
    severity: Severity
    title: str
    doc: str


@dataclass(frozen=True)
class SuppressedFinding:
    """A finding the gate does not count: ``kind`` is ``"ignored"`` (an ignore entry of the
    configuration matched it; ``reason`` is the entry's reason) or ``"baselined"`` (its
    fingerprint is in the baseline file; ``reason`` names the file)."""

    finding: Finding
    kind: str  # "ignored" | "baselined"
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.finding.to_dict(), "suppressed": {"kind": self.kind, "reason": self.reason}}


@dataclass(frozen=True)
class BudgetStatus:
    """One per-rule budget (``--max RULE=N``): how many active findings the rule has."""

    rule_id: str
    limit: int
    count: int

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "max": self.limit,
            "count": self.count,
            "exceeded": self.exceeded,
        }


@dataclass(frozen=True)
class AuditResult:
    """Everything a report needs, as plain data. ``run`` holds run metadata (tool version,
    timestamps, inputs, options, resolve entries, ``partial`` flag).

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
    run: Mapping[str, Any]
    suppressed: tuple[SuppressedFinding, ...] = ()
    budgets: Mapping[str, int] = field(default_factory=dict)

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

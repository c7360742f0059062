"""Core data types: frozen dataclasses that flow through the pipeline.

inputs → :class:`RedirectRule` / :class:`LegacyURL`; crawl → :class:`Hop` records (one per
fetched URL, streamed to the run directory); graph → :class:`Chain` per legacy URL; checks →
:class:`Finding`; verdicts → :class:`Verdict`; all of it → :class:`AuditResult` for reports.

:mod:`~migrationaudit.models.inputs`, :mod:`~migrationaudit.models.hops`,
:mod:`~migrationaudit.models.findings`, :mod:`~migrationaudit.models.result` and
:mod:`~migrationaudit.models.runinfo` (the run's metadata, :class:`RunInfo`) hold them by
stage; every name is importable from ``migrationaudit.models`` too.

Nothing here imports Scrapy, Jinja or pandas. ``to_dict``/``from_dict`` give the JSON shape
used in the run directory and in ``findings.json``.
"""

from migrationaudit.models.findings import (
    BudgetStatus,
    Finding,
    RuleInfo,
    Severity,
    SkippedRule,
    SuppressedFinding,
)
from migrationaudit.models.hops import (
    Chain,
    Hop,
    HopKind,
    Outcome,
    PageFacts,
)
from migrationaudit.models.inputs import (
    LegacyURL,
    LinkValue,
    Origin,
    RedirectRule,
)
from migrationaudit.models.result import (
    AuditResult,
    Verdict,
    jsonable,
)
from migrationaudit.models.runinfo import (
    CrawlStats,
    GateInfo,
    LaunchInfo,
    OnlyFailedInfo,
    RunInfo,
    RunOptions,
    TlsInfo,
)

__all__ = [
    "AuditResult",
    "BudgetStatus",
    "Chain",
    "CrawlStats",
    "Finding",
    "GateInfo",
    "Hop",
    "HopKind",
    "LaunchInfo",
    "LegacyURL",
    "LinkValue",
    "OnlyFailedInfo",
    "Origin",
    "Outcome",
    "PageFacts",
    "RedirectRule",
    "RuleInfo",
    "RunInfo",
    "RunOptions",
    "Severity",
    "SkippedRule",
    "SuppressedFinding",
    "TlsInfo",
    "Verdict",
    "jsonable",
]

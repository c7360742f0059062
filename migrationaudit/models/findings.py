"""Findings and what the rules and the gate say about them: severities, findings, skipped rules,
rule infos, suppressed findings and budgets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from migrationaudit.models.hops import Hop
from migrationaudit.models.inputs import Origin


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

"""Input readers: redirect maps and URL lists → RedirectRule / LegacyURL, and the validated
:class:`Inputs` of one audit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from migrationaudit.inputs.hosting import SkippedRow
from migrationaudit.inputs.priorityindex import PriorityIndex
from migrationaudit.inputs.traffic import TrafficIndex
from migrationaudit.models.inputs import LegacyURL, RedirectRule

if TYPE_CHECKING:
    from migrationaudit.parity.probes import Probe
    from migrationaudit.parity.snapshot import OldPage
    from migrationaudit.preflight.model import RuleFileFacts


def collect_legacy(
    rules: Sequence[RedirectRule], lists: Iterable[LegacyURL]
) -> tuple[LegacyURL, ...]:
    """Map sources first (the first rule of a source wins; conflicts are findings), then list
    URLs not already mapped. One LegacyURL per distinct URL, in input order."""
    out: dict[str, LegacyURL] = {}
    for r in rules:
        if r.source not in out:
            out[r.source] = LegacyURL(url=r.source, origin=r.origin, rule=r)
    for item in lists:
        out.setdefault(item.url, item)
    return tuple(out.values())



@dataclass(frozen=True)
class Inputs:
    """Validated inputs: the map rules, the URLs to judge, and map rows that cannot be audited
    as one URL (pattern rules of hosting redirect files), kept to be reported."""

    rules: tuple[RedirectRule, ...]
    legacy: tuple[LegacyURL, ...]
    skipped_rows: tuple[SkippedRow, ...] = ()
    priority: PriorityIndex | None = None  # link/traffic values from --priority exports
    # What the host rule files among the maps hold (shadowed, ignored, chain-source rules):
    # None when no map is a host rule file (migrationaudit.preflight).
    rule_file: RuleFileFacts | None = None
    traffic: TrafficIndex | None = None  # requests per URL from --access-log files
    # The legacy pages' facts before cutover (--snapshot), by legacy URL; None without one.
    snapshot: Mapping[str, OldPage] | None = None
    # The catch-all probes' answers (--catch-all-probes); None when none were requested.
    probes: tuple[Probe, ...] | None = None

    def notes(self) -> dict[str, Any]:
        reasons: dict[str, int] = {}
        for row in self.skipped_rows:
            reasons[row.reason] = reasons.get(row.reason, 0) + 1
        extra: dict[str, Any] = {}
        if self.priority is not None:
            extra["priority"] = self.priority.notes()
        if self.traffic is not None:
            extra["access_logs"] = self.traffic.notes()
        return {
            "map_rules": len(self.rules),
            "legacy_urls": len(self.legacy),
            "skipped_rows": len(self.skipped_rows),
            "unreadable_rows": sum(1 for r in self.skipped_rows if r.unreadable),
            "skipped_reasons": reasons,
            "skipped_examples": [f"{r.origin}: {r.reason}" for r in self.skipped_rows[:20]],
            **extra,
        }

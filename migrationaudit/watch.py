"""The watch after launch: this audit compared with an earlier one (``--compare-to RUN``), as
the few lines the report and the terminal lead with, and the short message ``--notify`` sends.

The comparison itself is :func:`migrationaudit.diff.compare` (the ``diff`` command's): legacy
URLs by verdict, findings by fingerprint. Here it is boiled down to four lists of legacy URLs:

- ``regressed``: the verdict got worse (``ok`` → ``error``, ``warning`` → ``incomplete``…);
- ``fixed``: the verdict got better;
- ``new``: the URL was not audited before and fails now (verdict warning or worse);
- ``still_failing``: failing (warning or worse) before and now, with the same verdict.

A regression is what :attr:`~migrationaudit.diff.RunDiff.regressed` says: a worse verdict, a
worse finding or a new finding. No I/O here: the caller reads the sides and sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from migrationaudit.diff import VERDICT_RANK, RunDiff, Side, compare, side_from_document

FAILING = VERDICT_RANK["warning"]  # a verdict at or above warning is "failing"
SHOWN = 10  # URLs per list in the summary lines and the notification


@dataclass(frozen=True)
class Change:
    """One legacy URL's verdict before and after (``None``: not audited then)."""

    url: str
    before: str | None
    after: str | None

    def text(self) -> str:
        return f"{self.url} ({self.before or 'not audited'} → {self.after or 'not audited'})"


@dataclass(frozen=True)
class WatchSummary:
    """What changed since the earlier run ``since``."""

    since: str
    regressed: tuple[Change, ...]
    fixed: tuple[Change, ...]
    new: tuple[Change, ...]
    still_failing: tuple[Change, ...]
    findings: Mapping[str, int]  # finding changes by kind (regressed, new, fixed, unchanged)
    regression: bool

    def counts(self) -> dict[str, int]:
        return {
            "regressed": len(self.regressed),
            "fixed": len(self.fixed),
            "new": len(self.new),
            "still_failing": len(self.still_failing),
        }

    def headline(self) -> str:
        """``since RUN: 2 regressed, 1 fixed, 0 new, 5 still failing (findings: …)``."""
        c = self.counts()
        f = self.findings
        return (
            f"since {self.since}: {c['regressed']} regressed, {c['fixed']} fixed, "
            f"{c['new']} new, {c['still_failing']} still failing "
            f"(findings: {f.get('new', 0)} new, {f.get('regressed', 0)} worse, "
            f"{f.get('fixed', 0)} fixed)"
        )

    def lines(self, limit: int = SHOWN) -> list[str]:
        """The headline, then the regressed, new and fixed URLs (``limit`` of each)."""
        out = [self.headline()]
        for label, changes in (
            ("regressed", self.regressed),
            ("new", self.new),
            ("fixed", self.fixed),
        ):
            for c in changes[:limit]:
                out.append(f"  {label}: {c.text()}")
            if len(changes) > limit:
                out.append(f"  {label}: … and {len(changes) - limit} more")
        return out

    def to_dict(self, limit: int = 200) -> dict[str, Any]:
        """Plain data for ``run.json`` and the report (``limit`` URLs per list)."""

        def rows(changes: tuple[Change, ...]) -> list[dict[str, Any]]:
            return [{"url": c.url, "before": c.before, "after": c.after} for c in changes[:limit]]

        return {
            "since": self.since,
            "regression": self.regression,
            "counts": self.counts(),
            "findings": dict(self.findings),
            "regressed": rows(self.regressed),
            "fixed": rows(self.fixed),
            "new": rows(self.new),
            "still_failing": rows(self.still_failing),
        }


def _failing(verdict: str | None) -> bool:
    return verdict is not None and VERDICT_RANK.get(verdict, 4) >= FAILING


def summarize(diff: RunDiff) -> WatchSummary:
    """The watch's view of ``diff`` (A: the earlier run, B: this one)."""
    lists: dict[str, list[Change]] = {"regressed": [], "fixed": [], "new": [], "still": []}
    for c in diff.urls:
        change = Change(c.url, c.a.verdict if c.a else None, c.b.verdict if c.b else None)
        if c.kind in ("regressed", "fixed"):
            lists[c.kind].append(change)
        elif c.kind == "new" and _failing(change.after):
            lists["new"].append(change)
        elif c.kind == "unchanged" and _failing(change.after):
            lists["still"].append(change)
    return WatchSummary(
        since=diff.a,
        regressed=tuple(lists["regressed"]),
        fixed=tuple(lists["fixed"]),
        new=tuple(lists["new"]),
        still_failing=tuple(lists["still"]),
        findings=diff.finding_counts(),
        regression=diff.regressed,
    )


def watch(previous: Side, current: Mapping[str, Any], label: str = "this run") -> WatchSummary:
    """Compare the earlier side with this audit's ``findings.json`` document."""
    return summarize(compare(previous, side_from_document(label, current)))


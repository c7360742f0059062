"""What the inputs give: a redirect rule (a map row) with its origin (file and line), a legacy
URL, and the link and traffic value of a URL (``--priority`` exports)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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

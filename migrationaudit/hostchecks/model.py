"""What the host checks found, as frozen plain data (no I/O): one :class:`HostProbe` per
legacy host, and the :class:`HostReport` the rules of :mod:`migrationaudit.checks.hosts` read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

EXPIRY_DAYS = 30  # legacy-host-certificate-expiring: fewer days left than this
CUTOVER_DAYS = 90  # permanent-redirect-uncached: the window after --launched


@dataclass(frozen=True, slots=True)
class HostProbe:
    """One legacy host (``scheme://host:port``): its DNS answer and, over https, its
    certificate as the TLS handshake presented it.

    ``resolved_by``: "system resolver", or the ``--resolve``/``--connect-to`` entry that
    pointed the audit at an address (then no DNS query was made). ``days_left``: whole days
    from the check until the certificate's notAfter (negative once expired)."""

    origin: str
    addresses: tuple[str, ...] = ()
    resolved_by: str = "system resolver"
    dns_error: str | None = None
    not_after: str | None = None  # ISO 8601, UTC
    days_left: int | None = None
    subject: str | None = None  # the certificate's names (SAN DNS names, else CN)
    tls_error: str | None = None

    @property
    def https(self) -> bool:
        return self.origin.startswith("https://")

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "addresses": list(self.addresses),
            "resolved_by": self.resolved_by,
            "dns_error": self.dns_error,
            "not_after": self.not_after,
            "days_left": self.days_left,
            "subject": self.subject,
            "tls_error": self.tls_error,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HostProbe:
        days = d.get("days_left")
        return cls(
            origin=str(d["origin"]),
            addresses=tuple(str(a) for a in d.get("addresses") or ()),
            resolved_by=str(d.get("resolved_by") or "system resolver"),
            dns_error=d.get("dns_error"),
            not_after=d.get("not_after"),
            days_left=int(days) if days is not None else None,
            subject=d.get("subject"),
            tls_error=d.get("tls_error"),
        )


def days_between(now: datetime, not_after: datetime) -> int:
    """Whole days from ``now`` until ``not_after`` (floor: 29.9 days left is 29)."""
    return (not_after - now) // timedelta(days=1)


@dataclass(frozen=True, slots=True)
class HostReport:
    """The host checks of one run: when they ran, the launch date (``--launched``) and every
    legacy host probed, in the order first met."""

    checked_at: str  # ISO 8601, UTC
    launched: date | None
    hosts: tuple[HostProbe, ...]

    @property
    def checked_on(self) -> date:
        return datetime.fromisoformat(self.checked_at.replace("Z", "+00:00")).date()

    def in_cutover(self) -> bool:
        """Within :data:`CUTOVER_DAYS` days after the launch (or before it): redirects may
        still change, so a permanent one must not be cached for good."""
        if self.launched is None:
            return True
        return self.checked_on <= self.launched + timedelta(days=CUTOVER_DAYS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at,
            "launched": self.launched.isoformat() if self.launched else None,
            "cutover_days": CUTOVER_DAYS,
            "hosts": [h.to_dict() for h in self.hosts],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HostReport:
        launched = d.get("launched")
        return cls(
            checked_at=str(d["checked_at"]),
            launched=date.fromisoformat(launched) if launched else None,
            hosts=tuple(HostProbe.from_dict(h) for h in d.get("hosts") or ()),
        )

"""Catch-all hosts: random URLs that cannot exist must answer 404 or 410 (``--catch-all-probes``,
:mod:`migrationaudit.parity.probes`)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from migrationaudit.checks import AuditContext, Need, rule
from migrationaudit.checks.common import finding, judged
from migrationaudit.checks.site import site_finding
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.parity.probes import Probe
from migrationaudit.web.plainurls import normal_form as normalize

_NEEDS = Need.PROBES


def _is_home(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def _by_scope(ctx: AuditContext, kind: str) -> dict[str, Probe]:
    """The first probe of each scope that answered as ``kind`` ("catch_all", "soft_404")."""
    out: dict[str, Probe] = {}
    for probe in ctx.probes or ():
        if getattr(probe, kind):
            out.setdefault(probe.scope, probe)
    return out


@rule("catch-all-redirect", Severity.ERROR, needs=_NEEDS)
def catch_all_redirects(ctx: AuditContext) -> Iterator[Finding]:
    """URLs that cannot exist are redirected (a catch-all)

    Random URLs that cannot exist on a host (or under a directory) are redirected to a page
    that answers, typically the home page; and each legacy URL whose chain ends where those
    probes end is flagged as landing on the catch-all, not as healthy. Why: with a catch-all,
    every unmapped or mistyped old URL looks fine in a crawl while search engines treat the
    redirect as a soft 404 and drop the old page's links. Fix: answer 404 or 410 for unknown
    URLs, and map each legacy URL to its own replacement."""
    probes = _by_scope(ctx, "catch_all")
    for scope, probe in probes.items():
        yield site_finding(
            scope,
            f"a URL that cannot exist ({probe.url}) is redirected to {probe.final_url} "
            f"[{probe.status}]",
            "Answer 404 or 410 for URLs that do not exist instead of redirecting them.",
        )
    ends = {normalize(p.final_url) for p in probes.values() if p.final_url}
    if not ends:
        return
    for item, chain in judged(ctx):
        final = chain.final_url
        if not chain.hop_count or final is None or normalize(final) not in ends:
            continue
        if item.expected_target and normalize(item.expected_target) == normalize(final):
            continue  # mapped there on purpose: homepage-redirect's business
        if _is_home(item.url):
            continue  # the old home page moving to the new one is no catch-all
        yield finding(
            item,
            chain,
            f"lands on {final}, where URLs that cannot exist land too: the catch-all, not a "
            "page that replaces it",
            "Map this URL to the page that replaces it (see fixes/suggested-map.csv).",
        )


@rule("soft-404", Severity.WARNING, needs=_NEEDS)
def soft_404s(ctx: AuditContext) -> Iterator[Finding]:
    """URLs that cannot exist answer 200 (soft 404)

    Random URLs that cannot exist on a host (or under a directory) answer 200 instead of 404
    or 410. Why: every broken or unmapped URL then looks healthy to the audit and to users'
    tools, while search engines classify the pages as soft 404s and crawl them in vain.
    Fix: answer 404 (or 410) with the error page."""
    for scope, probe in _by_scope(ctx, "soft_404").items():
        yield site_finding(
            scope,
            f"a URL that cannot exist ({probe.url}) answers {probe.status}",
            "Answer 404 or 410 for URLs that do not exist.",
        )

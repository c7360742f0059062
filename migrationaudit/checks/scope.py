"""Rules about the audit's scope: redirects that lead to hosts the inputs do not name (see
:mod:`migrationaudit.web.scope`). Such a hop is recorded, never requested, so nothing is known
about where the chain ends: the rules about the landing page stay silent on it (correctness over
coverage). What is known is still judged: the hops before it (``temporary-redirect``, ...) and
a first redirect that already differs from the map's target (``target-mismatch``)."""

from __future__ import annotations

from collections.abc import Iterator

from migrationaudit.checks import AuditContext, rule
from migrationaudit.checks.common import finding, judged
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import HopKind, Outcome


@rule("offsite-redirect", Severity.NOTICE)
def offsite_redirects(ctx: AuditContext) -> Iterator[Finding]:
    """Redirects that leave the audit's scope

    The legacy URL's chain reaches a host (or a port) that none of the inputs names: not the
    map, the URL lists, ``--crawl``, the sitemaps, ``--new-host``, ``--staging-host``,
    ``--rewrite-host``, ``--resolve`` / ``--connect-to`` or ``--allow-host``. The audit
    records that hop and does not request it (an auditor that followed any redirect could be
    sent to internal services or a cloud metadata address), so where the chain ends, and
    whether it lands well, is not known; no rule judges the landing page. The hops before it
    are judged as usual, and a first redirect that already differs from the map's target is
    also a ``target-mismatch``.

    Why: the redirect may be right (a partner site, a new domain missing from the inputs) or
    a mistake (a typo in the host, a staging or internal host leaking into production rules);
    either way the audit cannot vouch for it.

    Fix: if the host belongs to the migration, name it with ``--allow-host HOST[:PORT]`` (or
    in the map) and audit again; otherwise check the redirect.
    """
    for item, chain in judged(ctx):
        if chain.outcome is not Outcome.OFFSITE:
            continue
        last = chain.hops[-1]
        if last.kind is not HopKind.OFFSITE:
            continue
        yield finding(
            item,
            chain,
            f"redirects to {last.url}, outside the audit's scope (not requested): "
            f"{chain.path_text()}",
            f"If {last.url} belongs to the migration, add its host with --allow-host and "
            f"audit again; otherwise check the redirect of {item.url}.",
        )

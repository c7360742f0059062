"""Rules over the demand the server logs show (``--access-log``, see
:mod:`migrationaudit.inputs.accesslog`): old URLs people and crawlers still request."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from migrationaudit.checks import AuditContext, Need, rule
from migrationaudit.checks.common import finding, judged, removed_on_purpose, status_text
from migrationaudit.humanize import plural
from migrationaudit.inputs.traffic import TrafficIndex
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, Outcome
from migrationaudit.models.result import Verdict

_BROKEN = {
    Outcome.LOOP: "loops",
    Outcome.HOP_LIMIT: "exceeds the hop limit",
    Outcome.ERROR: "ends on a network error",
}


def failure_text(chain: Chain) -> str | None:
    """How the chain fails today ("answers 404", "loops"), None when it lands on a healthy
    page, or when the audit could not tell (an incomplete or out-of-scope chain)."""
    if chain.outcome in _BROKEN:
        return _BROKEN[chain.outcome]
    final = chain.final
    if chain.outcome is not Outcome.FINAL or final is None:
        return None
    if final.is_healthy:
        return None
    via = f" after {plural(chain.hop_count, 'redirect')}" if chain.hop_count else ""
    return f"answers {status_text(final)}{via}"


@rule("legacy-url-still-failing", Severity.WARNING, needs=Need.ACCESS_LOG)
def legacy_urls_still_failing(ctx: AuditContext) -> Iterator[Finding]:
    """Legacy URLs still requested and still failing

    A legacy URL that the ``--access-log`` files show being requested (GET or HEAD) and whose
    chain today ends on a 4xx/5xx answer, a network error, a loop or the hop limit. The message
    gives the number of requests in the logs and how many came from search-engine crawlers
    (Googlebot, bingbot… by user agent), so the list reads as a to-do ranked by demand. A URL
    the map removes on purpose (no target, 404/410) is not reported.

    Why: every request in those logs is a visitor or a crawler that met an error page after the
    move; crawler hits mean the old URL is still indexed or linked, and its rankings drain away
    while it fails. Severity warning, not error: the defect itself is already judged by the
    chain rules at their own severity (a mapped URL answering 404 is an error there), and logs
    also hold noise that rightly answers 404 (vulnerability scanners, typos); this finding adds
    the demand, so it should rank work, not fail a gate by itself (raise it with
    ``--severity legacy-url-still-failing=error`` for a watch after launch).

    Fix: redirect the URL (301/308, one hop) to its closest equivalent page, starting with the
    most requested ones; or answer 410 on purpose and say so in the map.
    """
    traffic = ctx.traffic
    if traffic is None:  # run_checks skips the rule then; this keeps it total
        return
    for item, chain in judged(ctx):
        totals = traffic.get(item.url)
        hits, crawler_hits = traffic.demand(totals) if totals is not None else (0, 0)
        if hits == 0:  # not requested (since the launch, with --launched)
            continue
        failing = failure_text(chain)
        if failing is None:
            continue
        if (
            removed_on_purpose(item)
            and chain.final is not None
            and chain.final.status in (404, 410)
        ):
            continue  # gone on purpose, and it says so
        crawlers = f", {crawler_hits} by search-engine crawlers" if crawler_hits else ""
        since = f" since {traffic.since.date().isoformat()}" if traffic.since else ""
        yield finding(
            item,
            chain,
            f"requested {plural(hits, 'time')}{since} in the access logs{crawlers}; "
            f"today it {failing}",
            f"Redirect {item.url} (301/308, one hop) to its closest equivalent page, or answer "
            "410 on purpose and record it in the map.",
        )


def rank_by_demand(
    findings: Sequence[Finding], verdicts: Sequence[Verdict], traffic: TrafficIndex
) -> tuple[tuple[Finding, ...], tuple[Verdict, ...]]:
    """Without ``--priority`` exports, the access logs rank: verdicts most requested by
    search-engine crawlers first, then by hits; findings by severity, rule, then the same
    (ties keep their order). Like ``rank_by_value``, for the report's "fix these first"."""
    keys: dict[str, tuple[int, int]] = {}

    def key(url: str) -> tuple[int, int]:
        if url not in keys:
            totals = traffic.get(url)
            keys[url] = totals.rank_key if totals is not None else (0, 0)
        return keys[url]

    ranked = sorted(verdicts, key=lambda v: key(v.url), reverse=True)
    ordered = sorted(
        findings, key=lambda f: (-int(f.severity), f.rule_id, tuple(-n for n in key(f.url)))
    )
    return tuple(ordered), tuple(ranked)

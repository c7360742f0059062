"""One acceptance row per legacy URL: how its chain ended, where it landed, and the worst
severity among its findings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from migrationaudit.checks import AuditContext, Need, skip_reason
from migrationaudit.checks.common import accepted_targets, counted, map_index
from migrationaudit.checks.site import robots_for, sitemap_listings
from migrationaudit.checks.traffic import rank_by_demand
from migrationaudit.inputs.priorityindex import PriorityIndex
from migrationaudit.inputs.traffic import TrafficIndex
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, Hop, Outcome
from migrationaudit.models.inputs import LegacyURL, RedirectRule
from migrationaudit.models.result import Verdict
from migrationaudit.parity.snapshot import parity_column
from migrationaudit.web.plainurls import normal_form as normalize

OK = "ok"
INCOMPLETE = "incomplete"
UNKNOWN_END = (Outcome.INCOMPLETE, Outcome.OFFSITE)  # how the chain ends is not known


def _target_match(
    item: LegacyURL, chain: Chain | None, index: Mapping[str, RedirectRule]
) -> bool | None:
    expected = item.expected_target
    if expected is None or chain is None or chain.outcome in UNKNOWN_END:
        # Nothing expected, or not known: no crawl, the chain not fully fetched, or it left
        # the audit's scope (where it lands was never asked).
        return None
    final = chain.final_url
    if final is None:
        return False  # a loop or a hop-limit chain lands nowhere
    return normalize(final) in accepted_targets(index, expected)


def _verdict(chain: Chain | None, severities: list[Severity]) -> str:
    if chain is not None and chain.outcome is Outcome.INCOMPLETE:
        return INCOMPLETE
    if chain is not None and chain.outcome is Outcome.OFFSITE:
        # Never "ok": where the chain lands is not known (offsite-redirect says so, and a
        # disabled or baselined rule does not make it known).
        severities = [*severities, Severity.NOTICE]
    return max(severities).label if severities else OK


def build_verdicts(ctx: AuditContext, findings: Iterable[Finding]) -> tuple[Verdict, ...]:
    """One Verdict per ``ctx.legacy`` entry, in input order.

    - ``verdict``: ``"incomplete"`` when the chain was not fully fetched; otherwise the worst
      severity label among the URL's findings, ``"ok"`` when it has none; at least
      ``"notice"`` when the chain left the audit's scope (outcome ``offsite``).
    - Without a crawl (map-only check) a URL has no chain: its outcome is ``incomplete`` (it
      was not requested) while ``verdict`` still comes from its (map) findings, so a clean map
      row reads "ok" and a conflicting one "error".
    - ``target_match``: the final URL is the map's target after normalisation (or where the map
      sends that target on, as ``target-mismatch`` judges it); None when there is no expected
      target or the outcome is unknown (no crawl, incomplete, offsite); False for loops and
      hop-limit chains.
    - ``indexable``: the final page is healthy (2xx) and not noindex; None when the chain did
      not end on an HTTP answer (loop, hop limit, network error, incomplete, no crawl).
    - ``canonical``: the final page's effective canonical (HTML, else Link header).
    - ``self_canonical``: that canonical is the final URL itself (after normalisation); None
      without a healthy final page or without a canonical.
    - ``in_sitemap``: a new sitemap lists the healthy final URL; None when no new sitemap was
      read (or no healthy final page).
    - ``robots_allowed``: robots.txt lets Googlebot and ``*`` fetch every hop of the chain
      (the legacy URL to see its redirect, the final page to index it); False when one hop is
      disallowed, None when a robots.txt is unknown (not read, no answer) and none disallows.
    """
    index = map_index(ctx.rules)
    by_url: dict[str, list[Finding]] = {}
    for f in findings:
        by_url.setdefault(f.url, []).append(f)
    out: list[Verdict] = []
    # The redirect counts the rules already took (same order as ctx.legacy, chains with hops
    # only): counting them again was a tenth of judging a million URLs.
    counts = iter(counted(ctx))
    known = next(counts, None)
    for item in ctx.legacy:
        chain = ctx.chains.get(item.url)
        own = by_url.get(item.url, [])
        final = chain.final if chain is not None else None
        if known is not None and known[0] is item:
            hop_count = known[2]
            known = next(counts, None)
        else:
            hop_count = chain.hop_count if chain is not None else 0
        answered = final is not None and final.status is not None
        site_columns = _site_columns(ctx, chain, final)
        page = final.page if final is not None else None
        out.append(
            Verdict(
                url=item.url,
                verdict=_verdict(chain, [f.severity for f in own]),
                outcome=chain.outcome if chain is not None else Outcome.INCOMPLETE,
                hop_count=hop_count,
                final_url=final.url if final is not None else None,
                final_status=final.status if final is not None else None,
                expected_url=item.expected_target,
                expected_status=item.rule.expected_status if item.rule is not None else None,
                target_match=_target_match(item, chain, index),
                indexable=(
                    (final.is_healthy and not (page is not None and page.noindex))
                    if final is not None and answered
                    else None
                ),
                canonical=page.canonical_url if page is not None else None,
                rules=tuple(sorted({f.rule_id for f in own})),
                origin=item.origin,
                path=chain.path_text() if chain is not None else "",
                self_canonical=site_columns[0],
                in_sitemap=site_columns[1],
                robots_allowed=site_columns[2],
                parity=parity_column(ctx.snapshot, item.url, own),
            )
        )
    return tuple(out)


def _site_columns(
    ctx: AuditContext, chain: Chain | None, final: Hop | None
) -> tuple[bool | None, bool | None, bool | None]:
    """``self_canonical``, ``in_sitemap``, ``robots_allowed`` of one chain (``final``: its
    final hop, already at hand)."""
    healthy = final if final is not None and final.is_healthy else None
    canonical = healthy.page.canonical_url if healthy and healthy.page else None
    self_canonical = (
        normalize(canonical) == normalize(healthy.url) if healthy and canonical else None
    )
    in_sitemap: bool | None = None
    allowed: bool | None = None
    if ctx.site is None or ctx.graph is None or chain is None:
        return self_canonical, in_sitemap, allowed
    if healthy is not None and skip_reason(Need.SITEMAP_READ, ctx) is None:
        in_sitemap = normalize(healthy.url) in sitemap_listings(ctx)
    if ctx.site.robots:
        answers = [robots_allowed(ctx, h.url) for h in chain.hops if h.status is not None]
        if False in answers:
            allowed = False
        elif answers and all(a is True for a in answers):
            allowed = True
    return self_canonical, in_sitemap, allowed


def robots_allowed(ctx: AuditContext, url: str) -> bool | None:
    """Googlebot and ``*`` may fetch ``url`` (None: its robots.txt is unknown)."""
    robots = robots_for(ctx, url)
    if robots is None or robots.state == "unknown":
        return None
    return not robots.blocked_for(url)


def rank_by_value(
    findings: Sequence[Finding],
    verdicts: Sequence[Verdict],
    priority: PriorityIndex | None,
    traffic: TrafficIndex | None = None,
) -> tuple[tuple[Finding, ...], tuple[Verdict, ...]]:
    """With ``--priority`` exports: every verdict carries its URL's value, verdicts are sorted
    most valuable first and findings by severity, rule, then value (ties keep input order).
    Without exports, access logs (``traffic``) rank them by requests, else they come back
    unchanged."""
    if priority is None and traffic is not None:
        return rank_by_demand(findings, verdicts, traffic)
    if priority is None:
        return tuple(findings), tuple(verdicts)
    valued = [replace(v, value=priority.get(v.url)) for v in verdicts]
    key = {v.url: (v.value.rank_key if v.value else (0,) * 5) for v in valued}
    ranked = sorted(valued, key=lambda v: key[v.url], reverse=True)
    ordered = sorted(
        findings,
        key=lambda f: (-int(f.severity), f.rule_id, tuple(-n for n in key.get(f.url, (0,) * 5))),
    )
    return tuple(ordered), tuple(ranked)

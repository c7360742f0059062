"""Helpers shared by the rule modules: building findings and the questions several rules ask
about a legacy URL and its chain (so that rules agree on them and do not double-report)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from migrationaudit.checks import AuditContext
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, Hop, Outcome
from migrationaudit.models.inputs import LegacyURL, RedirectRule
from migrationaudit.web.plainurls import normal_form as normalize

REMOVED_STATUSES = frozenset({404, 410})
TEMPORARY_STATUSES = frozenset({302, 303, 307})
PERMANENT_STATUSES = frozenset({301, 308})


def finding(item: LegacyURL, chain: Chain | None, message: str, fix: str) -> Finding:
    """A finding about ``item``: evidence = its chain's hops, final and expected URL, origin.

    Rule id and severity are placeholders: :func:`~migrationaudit.checks.run_checks` stamps
    the registered id and the effective severity.
    """
    return Finding(
        rule_id="",
        severity=Severity.NOTICE,
        url=item.url,
        message=message,
        fix=fix,
        evidence=chain.hops if chain else (),
        final_url=chain.final_url if chain else None,
        expected_url=item.expected_target,
        origin=item.origin,
    )


def _judged_columns(
    ctx: AuditContext,
) -> tuple[list[LegacyURL], list[Chain], list[int], list[Hop | None]]:
    """The legacy URLs that have a chain (in input order), their chains, redirect counts and
    final hops, as four parallel lists: computed once per context, and read back through
    ``zip`` (C speed, and half the memory of a tuple per URL)."""

    def make() -> tuple[list[LegacyURL], list[Chain], list[int], list[Hop | None]]:
        items: list[LegacyURL] = []
        chains: list[Chain] = []
        counts: list[int] = []
        finals: list[Hop | None] = []
        known = ctx.chains
        for item in ctx.legacy:
            c = known.get(item.url)
            if c is not None and c.hops:
                items.append(item)
                chains.append(c)
                counts.append(c.hop_count)
                finals.append(c.final)
        return items, chains, counts, finals

    return ctx.memo("judged", make)


def counted(ctx: AuditContext) -> Iterator[tuple[LegacyURL, Chain, int, Hop | None]]:
    """Every legacy URL that has a chain, with the chain's redirect count (``hop_count``) and
    its ``final`` hop, in input order. Most rules start here: at a million legacy URLs every
    rule looking the chains up and asking them again cost seconds."""
    return zip(*_judged_columns(ctx), strict=True)


def judged(ctx: AuditContext) -> Iterator[tuple[LegacyURL, Chain]]:
    """Every legacy URL that has a chain, in input order."""
    items, chains, _, _ = _judged_columns(ctx)
    return zip(items, chains, strict=True)


def landed(ctx: AuditContext) -> list[tuple[LegacyURL, Chain, Hop]]:
    """``(item, chain, page)`` for every judged legacy URL that has a :func:`landing` page, in
    input order (computed once per context: the rules about final pages all start here)."""

    def make() -> list[tuple[LegacyURL, Chain, Hop]]:
        out: list[tuple[LegacyURL, Chain, Hop]] = []
        for item, c, _, _ in counted(ctx):
            page = landing(item, c)
            if page is not None:
                out.append((item, c, page))
        return out

    return ctx.memo("landed", make)


def map_index(rules: Iterable[RedirectRule]) -> dict[str, RedirectRule]:
    """``{normalize(source): first row of that source}``."""
    index: dict[str, RedirectRule] = {}
    for r in rules:
        index.setdefault(normalize(r.source), r)
    return index


def accepted_targets(index: Mapping[str, RedirectRule], expected: str) -> list[str]:
    """The normalised URLs a chain may end on for a row expecting ``expected``: the target
    itself, then wherever the map sends that target on (A → B and B → C: landing on C is what
    the map asks for, and the one-hop fix ``map-chain`` suggests; not a wrong target).

    Examples
    --------
    >>> from migrationaudit.models.inputs import Origin
    >>> rows = [RedirectRule("https://x.test/a", "https://x.test/b", Origin("map.csv", 2)),
    ...         RedirectRule("https://x.test/b", "https://x.test/c", Origin("map.csv", 3))]
    >>> accepted_targets(map_index(rows), "HTTPS://X.test/a")
    ['https://x.test/a', 'https://x.test/b', 'https://x.test/c']
    """
    out = [normalize(expected)]
    while (row := index.get(out[-1])) is not None and row.expected_target is not None:
        nxt = normalize(row.expected_target)
        if nxt in out:
            break
        out.append(nxt)
    return out


def removed_on_purpose(item: LegacyURL) -> bool:
    """The map row says the URL is gone on purpose (no target; status 404 or 410)."""
    return item.rule is not None and item.rule.expected_target is None


def maps_elsewhere(item: LegacyURL) -> bool:
    """The map sends this URL to another URL (not to itself)."""
    target = item.expected_target
    return target is not None and normalize(target) != normalize(item.url)


def answers_itself(chain: Chain) -> bool:
    """The URL answered a healthy page itself: no redirect at all."""
    final = chain.final
    return chain.hop_count == 0 and final is not None and final.is_healthy


def not_redirected(item: LegacyURL, chain: Chain) -> bool:
    """A mapped URL that answers 2xx itself instead of redirecting (rule ``not-redirected``).
    Rules judging the landing page stay silent then: the page is the old one."""
    return maps_elsewhere(item) and answers_itself(chain)


def landing(item: LegacyURL, chain: Chain) -> Hop | None:
    """The healthy page the chain lands on, or None (no final page, an unhealthy one, or a
    mapped URL that was never redirected)."""
    final = chain.final
    if chain.outcome is not Outcome.FINAL or final is None or not final.is_healthy:
        return None
    if not_redirected(item, chain):
        return None
    return final


def multi_hop(chain: Chain, hop_count: int | None = None) -> bool:
    """The chain takes two or more redirects before its end. Loops and hop-limit chains are
    excluded: their own rules explain them, a chain warning would only repeat it. An
    incomplete chain counts when two redirects were already fetched (that much is certain).
    ``hop_count``: the chain's, when already known (:func:`counted`)."""
    n = chain.hop_count if hop_count is None else hop_count
    return n >= 2 and chain.outcome not in (Outcome.LOOP, Outcome.HOP_LIMIT)


def status_text(hop: Hop) -> str:
    """``"404"`` / ``"connection refused"`` / ``"301 (invalid redirect: no Location header)"``."""
    if hop.status is None:
        return hop.error or "no answer"
    return f"{hop.status} ({hop.error})" if hop.error else str(hop.status)

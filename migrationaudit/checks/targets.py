"""Rules about where a legacy URL ends up compared with the map: wrong targets, a wrong first
status, and query strings lost on the way (broken targets and URLs that do not redirect:
:mod:`~.broken`).

Examples
--------
A map row expects ``/a`` on the new site; the old URL redirects to the home page instead:

>>> from migrationaudit.graph import build_graph, chains_for
>>> from migrationaudit.models.hops import Hop, HopKind
>>> from migrationaudit.models.inputs import Origin
>>> from migrationaudit.settings import CheckOptions
>>> row = RedirectRule("http://old.test/a", "https://new.test/a", Origin("map.csv", 2))
>>> g = build_graph([Hop(row.source, 301, HopKind.HTTP_REDIRECT, target="https://new.test/"),
...                  Hop("https://new.test/", 200, HopKind.FINAL)])
>>> legacy = (LegacyURL(row.source, row.origin, row),)
>>> ctx = AuditContext((row,), legacy, g, chains_for(g, [row.source], 10), CheckOptions())
>>> [f.message for f in target_mismatches(ctx)]
['lands on https://new.test/ instead of https://new.test/a (different page)']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from urllib.parse import parse_qsl, urlsplit

from migrationaudit.checks import AuditContext, rule
from migrationaudit.checks.broken import gone_as_planned
from migrationaudit.checks.common import (
    PERMANENT_STATUSES,
    TEMPORARY_STATUSES,
    accepted_targets,
    counted,
    finding,
    judged,
    map_index,
    removed_on_purpose,
)
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, HopKind, Outcome
from migrationaudit.models.inputs import LegacyURL, RedirectRule
from migrationaudit.web.plainurls import difference, host_of
from migrationaudit.web.plainurls import normal_form as normalize


@rule("target-mismatch", Severity.ERROR)
def target_mismatches(ctx: AuditContext) -> Iterator[Finding]:
    """Redirects that land somewhere else than the map says

    After one or more redirects the chain ends on a URL that differs from the map's expected
    target (compared after normalisation: scheme and host case, default port, percent-escape
    case). The message says how: only a trailing slash, only case, only www/non-www, only the
    scheme, only the query, or a different page. Landing where the map itself sends the
    expected target on (rows A → B and B → C, landing on C) is not a mismatch: that is
    ``map-chain``.

    A chain that leaves the audit's scope (``offsite-redirect``: a host no input names, never
    requested) has no known landing page; it is a mismatch when its first redirect already
    points somewhere else than the expected target, wherever that is. A map of paths read
    without ``--target-base-url`` expects its targets on the ``--base-url`` host, so a redirect
    to another domain is a mismatch until the map says that domain.

    Why: the old URL's rankings and links go to a page that was not planned for it; even
    "small" differences (slash, host, scheme) leave the target to a further redirect or to a
    duplicate URL.

    Fix: point the redirect at the exact expected URL, or correct the map if the landing page is
    the intended one.
    """
    index = map_index(ctx.rules)
    for item, chain, n, final in counted(ctx):
        expected = item.expected_target
        if expected is None or n == 0:
            continue
        if final is None:
            if chain.outcome is Outcome.OFFSITE:
                offsite = _offsite_mismatch(item, chain, expected, index)
                if offsite is not None:
                    yield offsite
            continue
        how = difference(expected, final.url)
        if how is None or normalize(final.url) in accepted_targets(index, expected):
            continue
        yield finding(
            item,
            chain,
            f"lands on {final.url} instead of {expected} ({how})",
            f"Redirect {item.url} to exactly {expected}, or correct the map if {final.url} is "
            "the intended target.",
        )


def _offsite_mismatch(
    item: LegacyURL, chain: Chain, expected: str, index: Mapping[str, RedirectRule]
) -> Finding | None:
    """``target-mismatch`` of a chain that left the audit's scope: its first redirect (the
    first ``Location``, or refresh target) already differs from the expected target. Where the
    chain ends is not known, so only that first redirect is judged; the offsite host is never
    requested."""
    first = chain.hops[0]
    location = first.target
    if not first.is_redirect or location is None:
        return None
    how = difference(expected, location)
    if how is None or normalize(location) in accepted_targets(index, expected):
        return None
    left = chain.hops[-1].url
    if normalize(left) == normalize(location):
        where = f"{location} is outside the audit's scope (not requested)"
    else:
        where = f"the chain then leaves the audit's scope at {left} (not requested)"
    fix = (
        f"Redirect {item.url} to exactly {expected}, or correct the map if {location} is the "
        "intended target"
    )
    target_host = host_of(expected)
    if target_host == host_of(item.url) != host_of(location):
        # What a map of paths read without --target-base-url gives: targets on the old host.
        fix += (
            f"; if the map's targets are paths on another host, give that host with "
            f"--target-base-url (without it they are read against {target_host})"
        )
    return finding(
        item,
        chain,
        f"redirects to {location} instead of {expected} ({how}); {where}",
        fix + ".",
    )


def _status_problem(item: LegacyURL, chain: Chain) -> str | None:
    """What is wrong with the first answer compared with the map's status column, when no
    other rule already says it (None otherwise)."""
    if item.rule is None or item.rule.expected_status is None:
        return None
    expected = item.rule.expected_status
    first = chain.hops[0]
    got = first.status
    if got == expected and first.error is None:
        return None
    if removed_on_purpose(item):
        if first.is_redirect:
            how = "refresh" if first.kind is HopKind.META_REFRESH else str(got)
            return f"redirects ({how}) to {first.target}; the map removes it with {expected}"
        if first.is_healthy:
            return f"still answers {got}; the map removes it with {expected}"
        if gone_as_planned(item, first):
            return f"answers {got}; the map says {expected}"
        return None  # 5xx, other 4xx, network error: legacy-url-broken
    if not (first.is_redirect and first.kind is HopKind.HTTP_REDIRECT):
        return None  # not-redirected, legacy-url-broken or meta-refresh say it
    if expected in PERMANENT_STATUSES and got in PERMANENT_STATUSES | TEMPORARY_STATUSES:
        # 301 vs 308 mean the same to search engines; temporary ones: temporary-redirect.
        return None
    return f"redirects with {got}; the map says {expected}"


@rule("status-mismatch", Severity.WARNING)
def status_mismatches(ctx: AuditContext) -> Iterator[Finding]:
    """First answers that differ from the map's status column

    The legacy URL's first answer differs from the status the map asks for, where no other
    rule already explains it: a URL removed on purpose that answers 404 instead of 410 (or the
    reverse), still answers 200, or redirects; or a redirect the map wants temporary (302, 303,
    307) that answers another code, e.g. a permanent 301. A 301 where the map says 308 (or the
    reverse) is not reported: search engines treat both as permanent.

    Why: 410 removes a page from the index faster than 404; a permanent redirect where a
    temporary one was planned is cached by browsers and moves rankings for good.

    Fix: make the server answer the status in the map, or correct the map's status column.
    """
    for item, chain in judged(ctx):
        problem = _status_problem(item, chain)
        if problem is None:
            continue
        expected = item.rule.expected_status if item.rule else None
        yield finding(
            item,
            chain,
            problem,
            f"Make {item.url} answer {expected} as the map says, or correct the map's status.",
        )


def _query_names(url: str) -> list[str]:
    if "?" not in url:
        return []  # no query (the common case; spares the parse)
    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    return list(dict.fromkeys(k for k, _ in parse_qsl(query, keep_blank_values=True)))


@rule("query-dropped", Severity.NOTICE)
def dropped_queries(ctx: AuditContext) -> Iterator[Finding]:
    """Query strings lost on the way

    The legacy URL has a query string and the final URL lacks some of its parameters. With a
    mapped target, only the parameters the map's target keeps count (a map target without a
    query drops it on purpose and is not reported).

    Why: search, filter, pagination and campaign parameters stop working; pages addressed by a
    parameter all collapse into one URL.

    Fix: carry the query string over in the redirect rule (e.g. nginx ``$is_args$args``,
    Apache's ``QSA`` flag), or map each parameterised URL to its own target.
    """
    for item, chain, n, final in counted(ctx):
        if chain.outcome is not Outcome.FINAL or final is None or n == 0:
            continue
        wanted = _query_names(item.url)
        if not wanted:
            continue
        if item.expected_target is not None:
            wanted = _query_names(item.expected_target)
            if not wanted:
                continue
        kept = set(_query_names(final.url))
        lost = [k for k in wanted if k not in kept]
        if not lost:
            continue
        yield finding(
            item,
            chain,
            f"lost query {'parameter' if len(lost) == 1 else 'parameters'} "
            f"{', '.join(lost)} on the way to {final.url}",
            f"Keep the query string when redirecting {item.url}"
            + (f" (the map expects {item.expected_target})." if item.expected_target else "."),
        )

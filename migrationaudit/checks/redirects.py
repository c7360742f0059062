"""Rules about the redirects themselves: loops, hop limit, chains, temporary and meta-refresh
redirects and https downgrades (the extra slash / case / host / scheme hops: :mod:`~.extra_hops`).

Examples
--------
A legacy URL whose redirects come back to where they started:

>>> from migrationaudit.graph import build_graph, chains_for
>>> from migrationaudit.models.hops import Hop, HopKind
>>> from migrationaudit.models.inputs import LegacyURL, Origin
>>> from migrationaudit.settings import CheckOptions
>>> a, b = "http://old.test/a", "http://old.test/b"
>>> g = build_graph([Hop(a, 301, HopKind.HTTP_REDIRECT, target=b),
...                  Hop(b, 301, HopKind.HTTP_REDIRECT, target=a)])
>>> legacy = (LegacyURL(a, Origin("urls.txt", 1)),)
>>> ctx = AuditContext((), legacy, g, chains_for(g, [a], 10), CheckOptions())
>>> [f.message for f in redirect_loops(ctx)]
['redirect loop: http://old.test/a is requested again after 2 redirects']
"""

from __future__ import annotations

from collections.abc import Iterator

from migrationaudit.checks import AuditContext, rule
from migrationaudit.checks.common import TEMPORARY_STATUSES, counted, finding, judged, multi_hop
from migrationaudit.humanize import plural
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, Hop, HopKind, Outcome
from migrationaudit.models.inputs import LegacyURL
from migrationaudit.web.plainurls import scheme_of


def _target_hint(item: LegacyURL, chain: Chain) -> str:
    """The URL a fix should point at: the map's target, else the chain's final page."""
    return item.expected_target or chain.final_url or "the page that replaces it"


@rule("redirect-loop", Severity.ERROR)
def redirect_loops(ctx: AuditContext) -> Iterator[Finding]:
    """Redirect loops

    The chain of a legacy URL comes back to a URL it already visited, so it never reaches a
    page.

    Why: browsers show "too many redirects" and crawlers give up; the old URL's rankings and
    every link pointing at it are lost. Search Console reports it as a redirect error.

    Fix: make one URL of the loop answer the page (200) and redirect the legacy URL straight
    to it with one 301/308. Loops usually come from two rules rewriting the same path back and
    forth (trailing slash, case, www, or an old and a new rule for the same URL).
    """
    for item, chain in judged(ctx):
        if chain.outcome is not Outcome.LOOP:
            continue
        yield finding(
            item,
            chain,
            f"redirect loop: {chain.loop_at} is requested again after "
            f"{plural(chain.hop_count, 'redirect')}",
            f"Break the loop at {chain.loop_at}: redirect {item.url} straight to "
            f"{_target_hint(item, chain)} with one 301/308 and make that URL answer 200.",
        )


@rule("hop-limit", Severity.ERROR)
def hop_limits(ctx: AuditContext) -> Iterator[Finding]:
    """Chains longer than the hop limit

    The chain is still redirecting after the maximum number of redirects (``--max-hops``,
    default 10, the number Googlebot follows).

    Why: crawlers stop following and treat the URL as an error, so the target never inherits
    the old URL's signals; every extra hop also costs users time.

    Fix: redirect the legacy URL to its final destination in one hop; collapse the stacked
    rules of past migrations into one rule per old URL.
    """
    for item, chain in judged(ctx):
        if chain.outcome is not Outcome.HOP_LIMIT:
            continue
        last = chain.hops[-1]
        yield finding(
            item,
            chain,
            f"no final page within {plural(len(chain.hops) - 1, 'redirect')}: "
            f"{last.url} still redirects ({last.status}) to {last.target}",
            f"Redirect {item.url} straight to {_target_hint(item, chain)} with one 301/308.",
        )


@rule("redirect-chain", Severity.WARNING)
def redirect_chains(ctx: AuditContext) -> Iterator[Finding]:
    """Redirect chains (more than one hop)

    The legacy URL reaches its final answer only after two or more redirects. Loops and
    hop-limit chains are reported by their own rules instead.

    Why: each hop adds a round trip, and crawlers may stop early or pass on fewer signals;
    Google recommends one redirect from each old URL to its new home.

    Fix: point the legacy URL directly at the final URL with one 301/308 (update the old rule
    rather than stacking a new one on top of it).
    """
    for item, chain, n, _ in counted(ctx):
        if not multi_hop(chain, n):
            continue
        if chain.final is not None:
            message = f"{plural(n, 'redirect')} before the final answer at {chain.final_url}"
        else:
            message = f"at least {n} redirects (the rest of the chain was not fetched)"
        yield finding(
            item,
            chain,
            message,
            f"Redirect {item.url} straight to {_target_hint(item, chain)} with one 301/308.",
        )


def _temporary_hops(item: LegacyURL, chain: Chain) -> list[tuple[int, Hop]]:
    expected = item.rule.expected_status if item.rule else None
    out: list[tuple[int, Hop]] = []
    for i, hop in enumerate(chain.hops):
        if hop.status not in TEMPORARY_STATUSES:
            continue  # first: the cheapest test, and most hops are 301s and pages
        if not (hop.is_redirect and hop.kind is HopKind.HTTP_REDIRECT):
            continue
        if i == 0 and expected == hop.status:
            continue  # the map asks for exactly this temporary redirect
        out.append((i, hop))
    return out


@rule("temporary-redirect", Severity.WARNING)
def temporary_redirects(ctx: AuditContext) -> Iterator[Finding]:
    """Temporary redirects (302, 303, 307)

    A hop of the chain answers 302, 303 or 307 instead of a permanent 301 or 308. The first hop
    is exempt when the map's status column asks for exactly that code.

    Why: a temporary redirect tells search engines the old URL will come back, so they may
    keep the old URL indexed and consolidate signals slowly or not at all.

    Fix: answer 301 (or 308 to keep the method) for moves that are permanent.
    """
    for item, chain, n, _ in counted(ctx):
        if n == 0:
            continue  # no redirect, no temporary one
        temporary = _temporary_hops(item, chain)
        if not temporary:
            continue
        where = ", ".join(f"hop {i + 1} {h.url} answers {h.status}" for i, h in temporary)
        yield finding(
            item,
            chain,
            f"temporary redirect: {where}",
            "Use a permanent redirect (301, or 308) for "
            + ", ".join(dict.fromkeys(h.url for _, h in temporary))
            + ".",
        )


@rule("https-downgrade", Severity.ERROR)
def https_downgrades(ctx: AuditContext) -> Iterator[Finding]:
    """Redirects from https to http

    A hop of the chain sends the client from an https URL to an http URL.

    Why: the redirect leaves the encrypted site: browsers warn or block mixed content,
    HSTS-enabled hosts cannot be reached as intended, and search engines prefer (and may
    canonicalise to) the https version, so signals split between two URLs.

    Fix: redirect to the https URL of the target; make the target site serve https.
    """
    for item, chain, n, _ in counted(ctx):
        if n == 0:
            continue  # no redirect, no downgrade
        down = [
            h
            for h in chain.hops
            if h.is_redirect
            and h.target
            and scheme_of(h.url) == "https"
            and scheme_of(h.target) == "http"
        ]
        if not down:
            continue
        where = ", ".join(f"{h.url} → {h.target}" for h in down)
        yield finding(
            item,
            chain,
            f"https → http downgrade: {where}",
            "Redirect to the https version of "
            + ", ".join(dict.fromkeys(str(h.target) for h in down))
            + ".",
        )


@rule("meta-refresh", Severity.WARNING)
def meta_refreshes(ctx: AuditContext) -> Iterator[Finding]:
    """Meta refreshes instead of HTTP redirects

    A hop of the chain is a page that sends the browser on with ``<meta http-equiv=refresh>``
    or a ``Refresh`` header instead of an HTTP 301/308.

    Why: the old URL answers 200, so crawlers first index a thin page and only later (and not
    always) treat the refresh as a redirect; a delayed refresh is treated as temporary. Tools
    and clients that do not run HTML never follow it.

    Fix: replace the refresh page with a server-side 301/308 redirect.
    """
    for item, chain, n, _ in counted(ctx):
        if n == 0:
            continue  # no redirect, no refresh (a refresh counts as one)
        hops = [h for h in chain.hops if h.kind is HopKind.META_REFRESH and h.is_redirect]
        if not hops:
            continue
        parts = []
        for h in hops:
            how = f'"{h.page.meta_refresh}"' if h.page and h.page.meta_refresh else "refresh"
            parts.append(f"{h.url} answers {h.status} with {how} to {h.target}")
        yield finding(
            item,
            chain,
            "meta refresh: " + "; ".join(parts),
            "Answer a 301/308 with Location: "
            + ", ".join(f"{h.url} → {h.target}" for h in hops)
            + ".",
        )

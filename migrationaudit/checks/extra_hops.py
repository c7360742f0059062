"""Rules about extra hops: in chains of two or more redirects, the redirects that change only
one aspect of the URL (the trailing slash, the letter case of the path, www or the bare host,
http to https), one rule per aspect.
"""

from __future__ import annotations

from collections.abc import Iterator

from migrationaudit.checks import AuditContext, rule
from migrationaudit.checks.common import counted, finding, multi_hop
from migrationaudit.humanize import plural
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, Hop
from migrationaudit.models.inputs import LegacyURL
from migrationaudit.web.plainurls import difference, may_differ_only_by, normal_form, scheme_of
from migrationaudit.web.urls import ONLY_CASE, ONLY_HOST_WWW, ONLY_SCHEME, ONLY_SLASH

_ONE_ASPECT = (ONLY_SLASH, ONLY_CASE, ONLY_HOST_WWW, ONLY_SCHEME)


def _query_of(normal: str) -> str:
    """The query of a URL in normal form (no fragment there; a path holds no raw ``?``)."""
    return normal.partition("?")[2]


def _one_aspect_hops(
    ctx: AuditContext,
) -> list[tuple[LegacyURL, Chain, int, list[tuple[int, Hop, str]]]]:
    """``(item, chain, hop count, [(index, hop, label)])`` for chains of two or more redirects
    holding redirects that change only one aspect of the URL (a :data:`_ONE_ASPECT` label;
    ``only case`` means the letter case of the path: a hop changing the case of the query is
    not one). Computed once for the four rules that report them: one pass and one
    ``difference`` per hop instead of four."""

    def make() -> list[tuple[LegacyURL, Chain, int, list[tuple[int, Hop, str]]]]:
        out: list[tuple[LegacyURL, Chain, int, list[tuple[int, Hop, str]]]] = []
        for item, chain, n, _ in counted(ctx):
            if not multi_hop(chain, n):
                continue
            labelled: list[tuple[int, Hop, str]] = []
            for i, h in enumerate(chain.hops):
                if not (h.is_redirect and h.target):
                    continue
                # A cheap test on the normal forms first: most hops change the page.
                na, nb = normal_form(h.url), normal_form(h.target)
                if not any(may_differ_only_by(na, nb, label) for label in _ONE_ASPECT):
                    continue
                how = difference(h.url, h.target)
                if how == ONLY_CASE and _query_of(na) != _query_of(nb):
                    continue  # the query's letters changed case, not (only) the path's
                if how in _ONE_ASPECT:
                    labelled.append((i, h, how))
            if labelled:
                out.append((item, chain, n, labelled))
        return out

    return ctx.memo("one-aspect-hops", make)


def _extra_hops(
    ctx: AuditContext, label: str, what: str, want: str | None = None
) -> Iterator[Finding]:
    """Findings for redirects that only change one aspect (``label``) of the URL, in chains of
    two or more redirects (a single such hop is the one hop the URL is allowed)."""
    for item, chain, n, labelled in _one_aspect_hops(ctx):
        hops = [
            (i, h)
            for i, h, how in labelled
            if how == label and (want is None or scheme_of(str(h.target)) == want)
        ]
        if not hops:
            continue
        where = ", ".join(f"hop {i + 1} {h.url} → {h.target}" for i, h in hops)
        # The URL form the site serves in the end: what the first hop should point at.
        dest = chain.final_url or hops[-1][1].target
        yield finding(
            item,
            chain,
            f"extra hop that only {what}: {where} (chain of {plural(n, 'redirect')})",
            f"Redirect {item.url} in one hop to {dest}, the form the site serves.",
        )


@rule("slash-hop", Severity.WARNING)
def slash_hops(ctx: AuditContext) -> Iterator[Finding]:
    """Extra hops that only add or remove a trailing slash

    In a chain of two or more redirects, one hop only adds or removes the trailing slash
    (``/contact`` → ``/contact/``). A single such hop, the only redirect of its chain, is fine.

    Why: the redirect rule points at a URL form the new site does not serve, so every visit
    costs an extra hop, and the chain weakens the redirect.

    Fix: write the target in the map and in the redirect rule exactly as the new site serves
    it (with or without the slash), so the old URL lands in one hop.
    """
    yield from _extra_hops(ctx, ONLY_SLASH, "adds or removes the trailing slash")


@rule("case-hop", Severity.WARNING)
def case_hops(ctx: AuditContext) -> Iterator[Finding]:
    """Extra hops that only change the letter case of the path

    In a chain of two or more redirects, one hop only changes the case of letters in the path
    (``/Case/`` → ``/case/``); scheme, host, trailing slash and query stay as they are. A single
    such hop, the only redirect of its chain, is fine.

    Why: the redirect rule points at a spelling of the path the new site does not serve (a map
    written in another case, a server that lower-cases every URL), so every visit costs an
    extra hop and the chain weakens the redirect; to search engines, paths that differ in case
    are different URLs.

    Fix: write the target in the map and in the redirect rule in exactly the case the new site
    serves, so the old URL lands in one hop.
    """
    yield from _extra_hops(ctx, ONLY_CASE, "changes the letter case of the path")


@rule("host-hop", Severity.WARNING)
def host_hops(ctx: AuditContext) -> Iterator[Finding]:
    """Extra hops that only switch www and non-www

    In a chain of two or more redirects, one hop only switches the host between ``www.`` and
    the bare domain. A single such hop, the only redirect of its chain, is fine.

    Why: the redirect rule points at the host variant the new site does not use, adding a hop
    to every visit of every old URL.

    Fix: redirect to the host variant the new site serves (the one in its canonicals).
    """
    yield from _extra_hops(ctx, ONLY_HOST_WWW, "switches between www and the bare host")


@rule("scheme-hop", Severity.WARNING)
def scheme_hops(ctx: AuditContext) -> Iterator[Finding]:
    """Extra hops that only switch http to https

    In a chain of two or more redirects, one hop only switches http to https. A single such
    hop (an http list URL whose only redirect goes to its https twin) is fine.

    Why: the redirect rule points at the http URL of the new site, which then upgrades it:
    one extra hop for every visit of every old URL.

    Fix: redirect the old URLs straight to the https URLs.
    """
    yield from _extra_hops(ctx, ONLY_SCHEME, "switches http to https", want="https")

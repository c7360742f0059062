"""Rules about URL variants (``--variants``): the same page answered under several URLs,
variants of legacy URLs that take a detour, and kinds of variants an old server answers 404 for.

Variants are computed the way the crawl requested them (:func:`~migrationaudit.newsite.work.
legacy_variants`, :func:`~migrationaudit.newsite.variants.page_variants`); a variant that was not
fetched (an interrupted run) is not judged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from migrationaudit.checks import AuditContext, Need, rule
from migrationaudit.checks.common import REMOVED_STATUSES, finding, judged, not_redirected
from migrationaudit.checks.site import (
    end_text,
    follow,
    graph,
    healthy_end,
    judged_pages,
    named,
    site_finding,
)
from migrationaudit.graph import lookup
from migrationaudit.humanize import plural
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, Hop, HopKind, Outcome
from migrationaudit.models.inputs import LegacyURL
from migrationaudit.newsite.variants import legacy_variants, page_variants
from migrationaudit.web.plainurls import difference, host_of
from migrationaudit.web.plainurls import normal_form as normalize
from migrationaudit.web.urls import HOST_WWW, SCHEME, SLASH


@rule("duplicate-variant", Severity.WARNING, needs=Need.VARIANTS)
def duplicate_variants(ctx: AuditContext) -> Iterator[Finding]:
    """Pages answered under several URL variants

    A page of the new site also answers 200 under a variant of its URL — the trailing slash
    added or removed, the path in another case, ``index.html`` added or removed — and neither
    URL's canonical names the other.

    Why: search engines see duplicate pages: links and rankings split between the URLs, and
    the one they choose to index may not be the one the redirects point at.

    Fix: redirect (301) every variant to the one URL the site uses, or at least make the
    variants' canonical name it.
    """
    g = graph(ctx)
    for page in judged_pages(ctx):
        own = page.page.canonical_url if page.page else None
        dupes: list[str] = []
        for variant in page_variants(page.url):
            hop = lookup(g, variant)
            if hop is None or not hop.is_healthy or hop.kind is not HopKind.FINAL:
                continue
            theirs = hop.page.canonical_url if hop.page else None
            if theirs and normalize(theirs) == normalize(page.url):
                continue  # the variant names the page as canonical
            if own and normalize(own) == normalize(hop.url):
                continue  # the page names the variant: the variant is the one to index
            dupes.append(hop.url)
        if not dupes:
            continue
        yield site_finding(
            page.url,
            f"{page.url} is also answered (200, not canonicalised) at {named(dupes)}",
            f"Redirect {named(dupes)} to {page.url} with a 301.",
        )


def _answers_not_found(variant: Chain) -> bool:
    """The variant answers 404 or 410 itself, without redirecting: the server does not know
    that spelling (an old site that never served it, or whose redirect rules do not match it)."""
    first = variant.hops[0] if variant.hops else None
    return (
        first is not None
        and not first.is_redirect
        and first.error is None
        and first.status in REMOVED_STATUSES
    )


def _variant_problem(variant: Chain, landing_url: str, allowed: int) -> str | None:
    """What is wrong with a variant's chain compared with its legacy URL's landing page (None
    when nothing is, or when the variant only answers 404/410: ``variant-not-found``)."""
    if variant.outcome in (Outcome.INCOMPLETE, Outcome.OFFSITE) or not variant.hops:
        return None
    first = variant.hops[0]
    if first.status is None:
        return None  # the variant's host is not served at all (DNS, refused, TLS): nothing to see
    if _answers_not_found(variant):
        return None
    final = healthy_end(variant)
    if final is None:
        return f"ends on {end_text(variant)}"
    if normalize(final.url) != normalize(landing_url):
        if variant.hop_count == 0:
            return f"answers {final.status} itself instead of redirecting to {landing_url}"
        return f"lands on {final.url} instead of {landing_url}"
    if variant.hop_count > allowed:
        return f"takes {variant.hop_count} redirects"
    return None


def _legacy_variants(
    ctx: AuditContext,
) -> list[tuple[LegacyURL, Chain, Hop, list[tuple[str, Chain]]]]:
    """``(item, chain, landing page, [(variant, its chain)])`` for every legacy URL that is
    redirected to a healthy page, its variants as the crawl requested them; variants that are
    legacy URLs of their own are left to their own judgement. Computed once for both rules."""

    def make() -> list[tuple[LegacyURL, Chain, Hop, list[tuple[str, Chain]]]]:
        own = {normalize(item.url) for item in ctx.legacy}
        out: list[tuple[LegacyURL, Chain, Hop, list[tuple[str, Chain]]]] = []
        for item, chain in judged(ctx):
            final = healthy_end(chain)
            if final is None or not_redirected(item, chain):
                continue
            variants = [
                (v, follow(ctx, v)) for v in legacy_variants(item.url) if normalize(v) not in own
            ]
            out.append((item, chain, final, variants))
        return out

    return ctx.memo("legacy-variants", make)


@rule("variant-chain", Severity.WARNING, needs=Need.VARIANTS)
def variant_chains(ctx: AuditContext) -> Iterator[Finding]:
    """Variants of legacy URLs that take a detour

    A variant of a legacy URL — the other scheme (http/https), the host with or without
    ``www.``, the trailing slash added or removed — needs more than one redirect (more than the
    legacy URL itself takes), redirects somewhere else than the page the legacy URL lands on
    (or to an error), or answers a page or an error other than 404/410 itself. A variant that
    answers 404 or 410 without redirecting is not a detour: the old server does not know that
    spelling, often because it never served it (``variant-not-found`` counts those, once per
    host and kind). Variants on hosts that do not answer at all, and variants that are legacy
    URLs of their own, are not judged. One finding per legacy URL, naming its variants.

    Why: old links and bookmarks use all these spellings; each one that chains or ends
    elsewhere loses the rankings and visitors the redirect map was meant to keep.

    Fix: make the redirect rules match every variant (scheme, host, slash) and send each one to
    the final URL in one hop.
    """
    for item, chain, final, variants in _legacy_variants(ctx):
        problems: list[tuple[str, Chain, str]] = []
        for variant, c in variants:
            problem = _variant_problem(c, final.url, max(1, chain.hop_count))
            if problem is not None:
                problems.append((variant, c, problem))
        if not problems:
            continue
        text = named([f"{v} {p}" for v, _, p in problems])
        shown = finding(
            item,
            problems[0][1],
            f"variants take a detour: {text}",
            f"Redirect every variant of {item.url} to {final.url} in one hop.",
        )
        yield replace(shown, final_url=problems[0][1].final_url)


# How a variant differs from its legacy URL (an aspect of urls.difference), in messages.
_KIND_TEXT = {
    SCHEME: "http/https",
    HOST_WWW: "www/non-www",
    SLASH: "trailing-slash",
}


def _kind(url: str, variant: str) -> str:
    """``"trailing-slash"``, ``"http/https and www/non-www"``: what the variant changes."""
    how = difference(url, variant) or ""
    aspects = how.removeprefix("only ").split(" and ")
    return " and ".join(_KIND_TEXT.get(a, a) for a in aspects)


@rule("variant-not-found", Severity.NOTICE, needs=Need.VARIANTS)
def variants_not_found(ctx: AuditContext) -> Iterator[Finding]:
    """Variants of legacy URLs that answer 404

    A kind of variant of the legacy URLs — the trailing slash added or removed, the other
    scheme (http/https), the host with or without ``www.``, or a mix of these — answers 404 or
    410 itself, without redirecting, on a host. One notice per host (of the legacy URLs) and
    kind of variant, with the number of legacy URLs concerned and a few examples; it is keyed
    by the first example (in URL order). A variant that redirects badly is a ``variant-chain``
    of its legacy URL instead.

    Why: usually nothing is lost: the old site answered 404 for that spelling before the
    migration too, and no link uses it. But when old links did use it (an old site that served
    both ``/page`` and ``/page/``, or http and https), those visitors and that link value now
    end on a 404.

    Fix: if the old site served the variant (check its logs, its old sitemap or a backlink
    export), extend the redirect rules to match it, one hop to the same target as the legacy
    URL; otherwise nothing needs doing.
    """
    groups: dict[tuple[str, str], list[tuple[str, Chain]]] = {}
    for item, _, _, variants in _legacy_variants(ctx):
        for variant, c in variants:
            if not _answers_not_found(c):
                continue
            groups.setdefault((host_of(item.url), _kind(item.url, variant)), []).append(
                (variant, c)
            )
    for (host, kind), found in groups.items():
        found.sort(key=lambda vc: vc[0])
        first, c = found[0]
        statuses = "/".join(sorted({str(x.hops[0].status) for _, x in found}))
        n = len(found)
        yield site_finding(
            first,
            f"the {kind} variant of {plural(n, 'legacy URL')} on {host} answers {statuses} "
            f"without redirecting: {named([v for v, _ in found])}",
            f"If old links used the {kind} variant of these URLs, redirect each one in one hop "
            "to the page its legacy URL lands on; if the old site never served it, nothing "
            "needs doing.",
            evidence=c,
        )

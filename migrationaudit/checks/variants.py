"""Rules about URL variants (``--variants``): the same page answered under several URLs, and
variants of legacy URLs that take a detour.

Variants are computed the way the crawl requested them (:func:`~migrationaudit.sitework.
legacy_variants`, :func:`~migrationaudit.sitework.page_variants`); a variant that was not
fetched (an interrupted run) is not judged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from migrationaudit.checks import AuditContext, rule
from migrationaudit.checks.common import finding, judged, not_redirected
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
from migrationaudit.models import Chain, Finding, HopKind, Outcome, Severity
from migrationaudit.sitework import legacy_variants, page_variants
from migrationaudit.web.plainurls import normal_form as normalize


@rule("duplicate-variant", Severity.WARNING, needs="variants")
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


def _variant_problem(variant: Chain, landing_url: str, allowed: int) -> str | None:
    """What is wrong with a variant's chain compared with its legacy URL's landing page."""
    if variant.outcome in (Outcome.INCOMPLETE, Outcome.OFFSITE) or not variant.hops:
        return None
    first = variant.hops[0]
    if first.status is None:
        return None  # the variant's host is not served at all (DNS, refused, TLS): nothing to see
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


@rule("variant-chain", Severity.WARNING, needs="variants")
def variant_chains(ctx: AuditContext) -> Iterator[Finding]:
    """Variants of legacy URLs that take a detour

    A variant of a legacy URL — the other scheme (http/https), the host with or without
    ``www.``, the trailing slash added or removed — needs more than one redirect (more than the
    legacy URL itself takes) or does not end on the page the legacy URL lands on. Variants on
    hosts that do not answer at all, and variants that are legacy URLs of their own, are not
    judged. One finding per legacy URL, naming its variants.

    Why: old links and bookmarks use all these spellings; each one that chains or ends
    elsewhere loses the rankings and visitors the redirect map was meant to keep.

    Fix: make the redirect rules match every variant (scheme, host, slash) and send each one to
    the final URL in one hop.
    """
    own = {normalize(item.url) for item in ctx.legacy}
    for item, chain in judged(ctx):
        final = healthy_end(chain)
        if final is None or not_redirected(item, chain):
            continue
        problems: list[tuple[str, Chain, str]] = []
        for variant in legacy_variants(item.url):
            if normalize(variant) in own:
                continue
            c = follow(ctx, variant)
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

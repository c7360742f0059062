"""Rules about hreflang alternates (``<link rel=alternate hreflang>``, ``Link`` headers and
sitemap ``xhtml:link``): alternates that redirect, end on errors, or do not link back.

The pages judged are the new site's healthy pages the audit knows (final pages, sitemap
entries, crawled pages). An alternate is judged by its own chain; only one that answers a page
itself is checked for the return link (an alternate must name the page back, exactly). An
alternate that was not fetched (another site) is not judged. One finding per page and rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from migrationaudit.checks import AuditContext, Need, rule
from migrationaudit.checks.site import (
    end_text,
    follow,
    graph,
    healthy_end,
    is_broken,
    judged_pages,
    named,
    site_finding,
    spellings,
)
from migrationaudit.graph import HREFLANG, lookup, related
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, Hop, Outcome
from migrationaudit.web.plainurls import normal_form as normalize


def _alternates(ctx: AuditContext) -> Iterator[tuple[Hop, list[tuple[str, str, Chain]]]]:
    """(page, [(language, alternate, its chain)]) for judged pages that declare alternates
    other than themselves (alternates not fetched are left out)."""
    g = graph(ctx)
    for page in judged_pages(ctx):
        out: list[tuple[str, str, Chain]] = []
        seen: set[str] = set()
        for node in _spellings(ctx, page.url):
            for href, data in related(g, node, HREFLANG):
                key = normalize(href)
                if key == normalize(page.url) or key in seen:
                    continue
                seen.add(key)
                c = follow(ctx, href)
                if c.outcome not in (Outcome.INCOMPLETE, Outcome.OFFSITE):
                    out.append(("/".join(data.get("langs", ())), href, c))
        if out:
            yield page, out


def _spellings(ctx: AuditContext, url: str) -> list[str]:
    """Every node of the same URL (a sitemap may spell it differently from the fetch)."""
    return spellings(ctx, url)


def _declared_by(ctx: AuditContext, page: str) -> set[str]:
    """Normalised alternates a page names (HTML, header and sitemap annotations)."""
    g = graph(ctx)
    out: set[str] = set()
    for node in _spellings(ctx, page):
        out.update(normalize(href) for href, _ in related(g, node, HREFLANG))
    return out


def _names(items: list[tuple[str, str, str]]) -> str:
    return named([f"{href} ({lang}) {what}" for lang, href, what in items])


@rule("hreflang-to-redirect", Severity.WARNING, needs=Need.NEW_SITE)
def hreflang_to_redirects(ctx: AuditContext) -> Iterator[Finding]:
    """hreflang alternates that redirect

    A page of the new site names, as an hreflang alternate (HTML, ``Link`` header or sitemap
    ``xhtml:link``), a URL that redirects to a healthy page.

    Why: search engines ignore hreflang annotations whose URLs redirect; the language versions
    are no longer tied together and the wrong one may rank in each country.

    Fix: name every alternate by its final URL, on every page of the set.
    """
    for page, alts in _alternates(ctx):
        bad = [(lang, href, c) for lang, href, c in alts if c.hop_count and healthy_end(c)]
        if not bad:
            continue
        items = [(lang, href, f"→ {c.final_url}") for lang, href, c in bad]
        yield site_finding(
            page.url,
            f"{page.url} names alternates that redirect: {_names(items)}",
            f"Name the final URLs in the hreflang annotations of {page.url}.",
            bad[0][2],
        )


@rule("hreflang-broken", Severity.WARNING, needs=Need.NEW_SITE)
def hreflang_broken(ctx: AuditContext) -> Iterator[Finding]:
    """hreflang alternates that end on an error

    A page of the new site names, as an hreflang alternate, a URL that ends (after any
    redirects) on a 4xx/5xx answer, a network error, a loop or the hop limit.

    Why: the annotation is invalid; search engines may drop the whole hreflang set of the page.

    Fix: remove the alternate or point it at the existing language version.
    """
    for page, alts in _alternates(ctx):
        bad = [(lang, href, c) for lang, href, c in alts if is_broken(c)]
        if not bad:
            continue
        items = [(lang, href, f"ends on {end_text(c)}") for lang, href, c in bad]
        yield site_finding(
            page.url,
            f"{page.url} names alternates that end on errors: {_names(items)}",
            f"Fix or remove these hreflang alternates of {page.url}.",
            bad[0][2],
        )


@rule("hreflang-no-return", Severity.WARNING, needs=Need.NEW_SITE)
def hreflang_without_return(ctx: AuditContext) -> Iterator[Finding]:
    """hreflang alternates without the return link

    A page of the new site names an alternate that answers a page itself, but that page does
    not name the first page back as one of its alternates (exact URL, after normalisation).

    Why: hreflang must be reciprocal; search engines ignore an annotation the other page does
    not confirm ("no return tags" in Search Console's International Targeting report).

    Fix: give every page of a language set the same, complete list of alternates (itself
    included), with final URLs.
    """
    g = graph(ctx)
    for page, alts in _alternates(ctx):
        missing: list[tuple[str, str, str]] = []
        for lang, href, c in alts:
            final = healthy_end(c)
            if final is None or c.hop_count:
                continue
            target = lookup(g, final.url)
            if target is None or normalize(page.url) in _declared_by(ctx, final.url):
                continue
            missing.append((lang, href, "does not name it back"))
        if not missing:
            continue
        yield site_finding(
            page.url,
            f"{page.url} names alternates that do not link back: {_names(missing)}",
            f"Add an hreflang link to {page.url} on {named([h for _, h, _ in missing])}.",
        )

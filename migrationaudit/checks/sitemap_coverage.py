"""Rules about what the sitemaps leave out: new pages that no sitemap lists, and legacy URLs that
neither redirect nor are mapped."""

from __future__ import annotations

from collections.abc import Iterator

from migrationaudit.checks import AuditContext, Need, rule
from migrationaudit.checks.common import answers_itself, finding, judged, landing, map_index
from migrationaudit.checks.site import (
    scope,
    site,
    sitemap_listings,
)
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.newsite.variants import site_of
from migrationaudit.web.plainurls import normal_form as normalize


@rule("target-not-in-sitemap", Severity.NOTICE, needs=Need.SITEMAP_READ)
def targets_not_in_sitemap(ctx: AuditContext) -> Iterator[Finding]:
    """Redirect targets missing from the new sitemaps

    A legacy URL redirects to a healthy, indexable page of the new site that no new sitemap
    lists (compared after normalisation).

    Why: the pages that inherit the old URLs' rankings are the ones to get indexed quickly;
    listing them in the sitemap helps search engines find and re-crawl them.

    Fix: add the page to the sitemap (or point the redirect at the URL the sitemap lists).
    """
    listings = sitemap_listings(ctx)
    sc = scope(ctx)
    for item, chain in judged(ctx):
        page = landing(item, chain)
        if page is None or chain.hop_count == 0 or not sc.is_new(page.url):
            continue
        if page.page is not None and page.page.noindex:
            continue  # noindex-target says it; a noindex page does not belong in a sitemap
        if normalize(page.url) in listings:
            continue
        yield finding(
            item,
            chain,
            f"lands on {page.url}, which no new sitemap lists",
            f"Add {page.url} to the new site's sitemap.",
        )


@rule("old-sitemap-unredirected", Severity.ERROR, needs=Need.OLD_SITEMAP)
def old_sitemap_unredirected(ctx: AuditContext) -> Iterator[Finding]:
    """Legacy URLs that neither redirect nor are mapped

    A legacy URL that is not in the redirect map — a URL of the legacy site's sitemap
    (``--old-sitemap``) or of a URL list (``--urls``) — still answers a page itself (no
    redirect), on a host that is not one of the new site's. Every mode judges it alike. URLs
    the new site keeps (a map target, listed in a new sitemap, or on a new-site host) are fine,
    and so is a URL the map names itself (mapped to itself: ``map-self``); one answering an
    error is ``legacy-url-broken``. A listed URL is judged only when the new site's hosts are
    known (a map with targets, ``--new-host``, ``--crawl``, ``--sitemap``): without them it
    cannot be told from a new-site URL. A legacy sitemap's URLs are the old site's.

    Why: every old URL was indexed (the legacy sitemap's, the list's from analytics or
    backlinks); one left behind keeps competing with the new page, or drops out of the index
    with its rankings when the old site goes.

    Fix: redirect it (301/308) to its new URL and add the row to the map.
    """
    sc = scope(ctx)
    old = site(ctx).old_sitemap_urls
    index = map_index(ctx.rules)
    targets = {normalize(r.expected_target) for r in ctx.rules if r.expected_target}
    listed = sitemap_listings(ctx)
    for item, chain in judged(ctx):
        key = normalize(item.url)
        if key in index or key in targets or key in listed or sc.is_new(item.url):
            continue
        in_old_sitemap = key in old
        if not in_old_sitemap and not sc.new_sites:
            continue  # a listed URL, and no way to tell the new site's hosts from the old's
        if not answers_itself(chain):
            continue
        if in_old_sitemap:
            where = "listed in the legacy sitemap"
        else:
            where = f"on {site_of(item.url)}, not a new-site host"
        yield finding(
            item,
            chain,
            f"{where}, answers {chain.final_status} itself and is not in the redirect map",
            f"Redirect {item.url} to its new URL with a 301/308 and add it to the map.",
        )

"""Rules about sitemaps: what the new site's sitemaps list (every URL fetched and judged), the
sitemap files themselves, the map's targets missing from them, and the legacy sitemap's URLs
that go nowhere.

Every entry rule fires wherever its own definition holds, whatever else the entry is (CI
budgets such as ``--max sitemap-redirect=0`` count on it): a listed legacy URL
(``sitemap-legacy-url``) on another host (``sitemap-foreign-host``) that redirects
(``sitemap-redirect``) gets all three. ``sitemap-broken`` and ``sitemap-redirect`` exclude each
other (an entry ends on an error or on a page); only a URL that answers a page itself is judged
for ``sitemap-noindex`` and ``sitemap-non-canonical``; an entry whose chain is not known (not
fetched, or out of the audit's scope) is judged only for its host and for being a legacy URL.
The entries are read and classified once, in :mod:`~.sitemap_entries`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from migrationaudit.checks import AuditContext, Need, rule
from migrationaudit.checks.site import (
    end_text,
    healthy_end,
    is_broken,
    redirect_text,
    site_finding,
)
from migrationaudit.checks.sitemap_entries import (
    declared_files,
    entries,
    foreign,
    legacy_items,
    page_facts,
)
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Outcome, PageFacts
from migrationaudit.web.plainurls import normal_form as normalize
from migrationaudit.web.urls import difference


@rule("sitemap-redirect", Severity.WARNING, needs=Need.SITEMAP)
def sitemap_redirects(ctx: AuditContext) -> Iterator[Finding]:
    """Sitemaps listing URLs that redirect

    A URL listed in a new sitemap redirects (to a healthy page) instead of answering itself.
    A sitemap file that itself redirects (named in robots.txt, an index or ``--sitemap``) is
    reported too. A listed legacy URL (``sitemap-legacy-url``) or a URL on another host or
    scheme (``sitemap-foreign-host``) that redirects is reported here as well.

    Why: a sitemap tells search engines which URLs to index; redirecting URLs waste crawl
    budget and send mixed signals about the canonical URL (Search Console flags them as "Page
    with redirect"). A redirecting sitemap file may not be read at all.

    Fix: list the final URL of every page (regenerate the sitemap from the new site's routes);
    name sitemap files by their final URL in robots.txt and in indexes.
    """
    for entry in entries(ctx, "redirect"):
        yield site_finding(
            entry.loc,
            f"listed in {entry.where()}, {redirect_text(entry.chain)}",
            f"List {entry.chain.final_url} in the sitemap instead of {entry.loc}.",
            entry.chain,
            entry.origin,
        )
    for url, c, who in declared_files(ctx):
        if healthy_end(c) is not None and c.hop_count:
            yield site_finding(
                url,
                f"the sitemap file named by {who} {redirect_text(c)}",
                f"Name the sitemap by its final URL {c.final_url}.",
                c,
            )


@rule("sitemap-broken", Severity.ERROR, needs=Need.SITEMAP)
def sitemap_broken(ctx: AuditContext) -> Iterator[Finding]:
    """Sitemaps listing URLs that end on an error

    A URL listed in a new sitemap ends (after any redirects) on a 4xx/5xx answer, a network
    error, a redirect loop or the hop limit. A sitemap file named in robots.txt, an index or
    ``--sitemap`` that cannot be fetched is reported too.

    Why: search engines fetch what the sitemap lists; errors there are reported as sitemap
    errors, cost crawl budget and lower trust in the sitemap. A sitemap that cannot be fetched
    tells them nothing about the new URLs.

    Fix: remove URLs that no longer exist from the sitemap (or make them answer 200); make the
    sitemap files themselves answer 200.
    """
    for entry in entries(ctx, "broken"):
        how = "ends on" if entry.chain.hop_count else "answers"
        yield site_finding(
            entry.loc,
            f"listed in {entry.where()}, {how} {end_text(entry.chain)}",
            f"Remove {entry.loc} from the sitemap, or make it answer 200.",
            entry.chain,
            entry.origin,
        )
    for url, c, who in declared_files(ctx):
        if is_broken(c):
            yield site_finding(
                url,
                f"the sitemap file named by {who} ends on {end_text(c)}",
                f"Make {url} answer 200 with the sitemap, or stop naming it.",
                c,
            )


@rule("sitemap-noindex", Severity.WARNING, needs=Need.SITEMAP)
def sitemap_noindex(ctx: AuditContext) -> Iterator[Finding]:
    """Sitemaps listing noindex pages

    A URL listed in a new sitemap answers a page that tells search engines not to index it
    (meta robots or ``X-Robots-Tag`` with ``noindex`` or ``none``).

    Why: the sitemap asks for indexing and the page refuses it; Search Console reports it as
    "Submitted URL marked noindex". Often a staging leftover on pages that should be indexed.

    Fix: remove the noindex from pages that should rank, or drop the others from the sitemap.
    """
    for entry in entries(ctx, "page"):
        facts = page_facts(entry)
        if facts is None or not facts[1].noindex:
            continue
        page = facts[1]
        sources = (("meta robots", page.meta_robots), ("X-Robots-Tag", page.x_robots_tag))
        what = ", ".join(
            f"{label} {value!r}"
            for label, value in sources
            if value and PageFacts(meta_robots=value).noindex
        )
        yield site_finding(
            entry.loc,
            f"listed in {entry.where()}, but noindex ({what})",
            f"Remove the noindex from {entry.loc}, or remove it from the sitemap.",
            entry.chain,
            entry.origin,
        )


@rule("sitemap-non-canonical", Severity.WARNING, needs=Need.SITEMAP)
def sitemap_non_canonicals(ctx: AuditContext) -> Iterator[Finding]:
    """Sitemaps listing pages whose canonical points elsewhere

    A URL listed in a new sitemap answers a page whose canonical (``<link rel=canonical>``, else
    the ``Link`` header) names another URL (compared after normalisation).

    Why: the sitemap and the canonical disagree about which URL to index; search engines pick
    one themselves, and the sitemap loses their trust.

    Fix: list only self-canonical URLs: the URL the canonical names, or fix the canonical.
    """
    for entry in entries(ctx, "page"):
        facts = page_facts(entry)
        canonical = facts[1].canonical_url if facts else None
        if facts is None or canonical is None:
            continue
        how = difference(facts[0], canonical)
        if how is None:
            continue
        yield site_finding(
            entry.loc,
            f"listed in {entry.where()}, but its canonical is {canonical} ({how})",
            f"List {canonical} instead, or make the canonical of {entry.loc} name itself.",
            entry.chain,
            entry.origin,
        )


@rule("sitemap-legacy-url", Severity.WARNING, needs=Need.SITEMAP)
def sitemap_legacy_urls(ctx: AuditContext) -> Iterator[Finding]:
    """New sitemaps listing legacy URLs

    A new sitemap lists a URL the redirect map sends elsewhere (or removes): an old URL kept in
    the new site's sitemap, typically from a sitemap generated from the old site's database.

    Why: search engines are asked to index a URL that redirects (or is gone); the new URL's
    signals are diluted and the old URL lingers in the index.

    Fix: list the new URLs (the map's targets) instead of the old ones.
    """
    legacy = legacy_items(ctx)
    for entry in entries(ctx, "legacy"):
        item = legacy[normalize(entry.loc)]
        target = item.expected_target
        where = f"the map sends it to {target}" if target else "the map removes it"
        origin = f" ({item.rule.origin})" if item.rule else ""
        fix = f"List {target} instead." if target else f"Remove {item.url} from the sitemap."
        yield Finding(
            rule_id="",
            severity=Severity.NOTICE,
            url=item.url,
            message=f"listed in new sitemap {entry.where()}; {where}{origin}",
            fix=fix,
            evidence=entry.chain.hops,
            final_url=entry.chain.final_url,
            expected_url=target,
            origin=entry.origin,
        )


@rule("sitemap-foreign-host", Severity.WARNING, needs=Need.SITEMAP)
def sitemap_foreign_hosts(ctx: AuditContext) -> Iterator[Finding]:
    """Sitemaps listing URLs on another host or scheme

    A new sitemap lists a URL whose scheme or host differs from the sitemap file's own (or, for
    a sitemap given as a local file, a URL outside the new site's hosts): ``http://`` URLs in an
    https site's sitemap, the bare host in the ``www.`` site's sitemap, another domain.

    Why: the sitemap protocol only accepts URLs of the sitemap's own host and scheme; search
    engines ignore the others (unless robots.txt of that host names the sitemap), and such URLs
    are usually variants that redirect.

    Fix: list each URL with the scheme and host the new site serves (the URL it redirects to,
    when it does).
    """
    for entry in entries(ctx, "foreign"):
        how = foreign(ctx, entry)
        c = entry.chain
        end = healthy_end(c) if c.hop_count else None
        if end is not None:
            message = f"listed in {entry.where()}: {how}; it {redirect_text(c)}"
            if foreign(ctx, replace(entry, loc=end.url)) is None:
                fix = f"List {end.url} (where {entry.loc} redirects) instead of {entry.loc}."
            else:  # it lands on another foreign URL: name it, and what is wrong with it
                fix = (
                    f"List the page {entry.loc} redirects to ({end.url}) with the scheme and "
                    "host of the sitemap (the site's own)."
                )
        else:
            message = f"listed in {entry.where()}: {how}"
            if c.outcome is Outcome.OFFSITE and c.hop_count == 0:
                message += " (outside the audit's scope: not requested)"
            fix = f"List {entry.loc} with the scheme and host of the sitemap (the site's own)."
        yield site_finding(entry.loc, message, fix, c if c.hops else None, entry.origin)

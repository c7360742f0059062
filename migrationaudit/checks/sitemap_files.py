"""Rules about the new site's sitemap files themselves: files that cannot be read as sitemaps, and
files past the protocol's limits."""

from __future__ import annotations

from collections.abc import Iterator

from migrationaudit.checks import AuditContext, Need, rule
from migrationaudit.checks.site import (
    follow,
    site_finding,
    sitemap_files,
)
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.newsite.records import SitemapFile


def _problem_files(ctx: AuditContext) -> Iterator[SitemapFile]:
    yield from sitemap_files(ctx)
    yield from sitemap_files(ctx, old=True)


@rule("sitemap-invalid", Severity.ERROR, needs=Need.SITEMAP_FILE)
def sitemap_invalid(ctx: AuditContext) -> Iterator[Finding]:
    """Sitemap files that cannot be read (in full)

    A sitemap file (new, or given with ``--old-sitemap``) is not a sitemap (an HTML page,
    binary data), is malformed XML, has a DOCTYPE or entity declaration (refused: entity
    expansion and external entities are attack vectors), cannot be inflated, lists entries that
    are not absolute http(s) URLs, or is an index that includes itself or nests too deep.

    Why: search engines reject invalid sitemaps, in part or whole, so the URLs in them are not
    submitted; a hostile sitemap is never expanded by the audit.

    Fix: serve a valid sitemap (urlset or sitemapindex, UTF-8, absolute URLs, no DOCTYPE);
    make every index list only its child sitemaps, one level deep.
    """
    for sm in _problem_files(ctx):
        if sm.unread is not None or (sm.readable and not sm.error_count):
            continue
        what = "; ".join(sm.errors) or "not a sitemap"
        more = sm.error_count - len(sm.errors)
        if more > 0:
            what += f" (and {more} more)"
        kind = "legacy sitemap" if sm.old else "sitemap"
        evidence = follow(ctx, sm.url) if "://" in sm.url else None
        yield site_finding(
            sm.url,
            f"{kind} {sm.url}: {what}",
            f"Serve {sm.url} as a valid sitemap (absolute URLs, no DOCTYPE, one index level).",
            evidence if evidence is not None and evidence.hops else None,
        )


@rule("sitemap-too-large", Severity.WARNING, needs=Need.SITEMAP_FILE)
def sitemap_too_large(ctx: AuditContext) -> Iterator[Finding]:
    """Sitemap files over the protocol's limits

    A sitemap file lists more than 50,000 URLs or is larger than 50 MB uncompressed (a file
    that inflates beyond that is not inflated further: the first 50 MB are read).

    Why: search engines reject files over the limits, so none of their URLs are submitted.

    Fix: split the sitemap into files under both limits and list them in a sitemap index.
    """
    for sm in _problem_files(ctx):
        if not sm.over_limit:
            continue
        yield site_finding(
            sm.url,
            f"{sm.url} has {' and '.join(sm.over_limit)}",
            f"Split {sm.url} into sitemaps of at most 50,000 URLs and 50 MB, listed in an index.",
        )

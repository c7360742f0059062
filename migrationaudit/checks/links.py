"""Rules about what the new site's pages point at: canonicals and internal links that redirect,
end on errors, or leak the old domain or a staging host.

The pages judged are the new site's healthy pages the audit knows: final pages of legacy
chains, sitemap entries and crawled pages. A canonical or link target is judged by its own
chain (fetched once, like every URL). Each rule fires wherever its own definition holds: a
link to the old domain that redirects is ``internal-link-legacy-host`` and
``internal-link-to-redirect``, and both show the hops and name the final URL to link to (a
chain ends on an error or on a page, so a target is never both broken and a redirect).
``canonical-mismatch`` still
says, per legacy URL, that its final page is not self-canonical; these rules say what is wrong
with the canonical itself.
"""

from __future__ import annotations

from collections import defaultdict
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
    redirect_text,
    scope,
    site_finding,
)
from migrationaudit.graph import LINK, related
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, Hop, Outcome
from migrationaudit.models.inputs import Origin
from migrationaudit.web.plainurls import normal_form as normalize


def _canonicals(ctx: AuditContext) -> Iterator[tuple[Hop, str]]:
    """(page, canonical) for judged pages whose canonical names another URL."""
    for page in judged_pages(ctx):
        canonical = page.page.canonical_url if page.page else None
        if canonical and normalize(canonical) != normalize(page.url):
            yield page, canonical


def _canonical_state(ctx: AuditContext, canonical: str) -> tuple[str, Chain]:
    """``"broken"``, ``"redirect"``, ``"ok"`` or ``"unknown"`` (not fetched, or out of the
    audit's scope), and the canonical's chain. A canonical on the old domain or a staging host
    is judged by its chain too (``canonical-foreign-host`` says where it is)."""
    c = follow(ctx, canonical)
    if c.outcome in (Outcome.INCOMPLETE, Outcome.OFFSITE):
        return "unknown", c
    if is_broken(c):
        return "broken", c
    if c.hop_count:
        return "redirect", c
    return "ok", c


def _redirect_end(c: Chain) -> Hop | None:
    """The healthy page a chain redirects to (None: it does not redirect, or ends on none)."""
    return healthy_end(c) if c.hop_count else None


@rule("canonical-to-redirect", Severity.ERROR, needs=Need.NEW_SITE)
def canonicals_to_redirects(ctx: AuditContext) -> Iterator[Finding]:
    """Canonicals that point at a redirecting URL

    A page of the new site declares a canonical URL that redirects (to a healthy page), e.g.
    the http or non-slash variant of itself, or a URL of the old structure (on the old domain
    it is ``canonical-foreign-host`` too).

    Why: a canonical must name the URL to index; one that redirects is a contradictory signal
    that search engines may ignore, choosing a canonical themselves.

    Fix: make the canonical name the final URL exactly (scheme, host, trailing slash as served).
    """
    for page, canonical in _canonicals(ctx):
        state, c = _canonical_state(ctx, canonical)
        if state != "redirect":
            continue
        yield site_finding(
            page.url,
            f"{page.url} declares canonical {canonical}, which {redirect_text(c)}",
            f"Set the canonical of {page.url} to {c.final_url}.",
            c,
        )


@rule("canonical-to-broken", Severity.ERROR, needs=Need.NEW_SITE)
def canonicals_to_broken(ctx: AuditContext) -> Iterator[Finding]:
    """Canonicals that point at an error

    A page of the new site declares a canonical URL that ends (after any redirects) on a
    4xx/5xx answer, a network error, a loop or the hop limit.

    Why: search engines drop a canonical that does not resolve to a page, or worse, drop the
    page in favour of a dead URL.

    Fix: point the canonical at the page's own final URL.
    """
    for page, canonical in _canonicals(ctx):
        state, c = _canonical_state(ctx, canonical)
        if state != "broken":
            continue
        yield site_finding(
            page.url,
            f"{page.url} declares canonical {canonical}, which ends on {end_text(c)}",
            f"Set the canonical of {page.url} to {page.url}.",
            c,
        )


@rule("canonical-foreign-host", Severity.ERROR, needs=Need.NEW_SITE)
def canonicals_to_foreign_hosts(ctx: AuditContext) -> Iterator[Finding]:
    """Canonicals that point at the old domain or a staging host

    A page of the new site declares a canonical URL on the old site's domain or on a staging
    host (``--staging-host``).

    Why: the canonical hands the page's signals to the old domain (which redirects back) or to
    a staging host that should never be indexed; the migration's consolidation is undone.

    Fix: build canonicals from the production host name of the new site (check the CMS's site
    URL setting after cloning from staging). When the canonical redirects, the finding shows
    its hops and names the URL it ends on.
    """
    sc = scope(ctx)
    for page, canonical in _canonicals(ctx):
        leak = sc.leak(canonical)
        if leak is None:
            continue
        c = follow(ctx, canonical)
        end = _redirect_end(c)
        if end is not None:
            message = f"{page.url} declares canonical {canonical}, on {leak}; it {redirect_text(c)}"
            fix = f"Set the canonical of {page.url} to {end.url} (where {canonical} redirects)."
        else:
            message = f"{page.url} declares canonical {canonical}, on {leak}"
            fix = f"Set the canonical of {page.url} to its own URL on the new host."
        yield site_finding(page.url, message, fix, c if c.hops else None)


def _links(ctx: AuditContext) -> dict[str, list[str]]:
    """Link target → the pages linking to it (new-site pages whose links were collected)."""
    out: dict[str, list[str]] = defaultdict(list)
    g = graph(ctx)
    sc = scope(ctx)
    for url, attrs in g.nodes(data=True):
        hop = attrs.get("hop")
        if hop is None or not hop.is_healthy or not sc.is_new(url):
            continue
        for target, _ in related(g, url, LINK):
            if normalize(target) != normalize(url):
                out[target].append(url)
    return out


def _legacy_origins(ctx: AuditContext) -> dict[str, Origin]:
    """Where each legacy URL comes from (map row, list line), by normalised URL: a link to a
    legacy URL joins its verdict with that origin."""

    def make() -> dict[str, Origin]:
        out: dict[str, Origin] = {}
        for item in ctx.legacy:
            out.setdefault(normalize(item.url), item.origin)
        return out

    return ctx.memo("legacy_origins", make)


def _link_findings(ctx: AuditContext, want: str) -> Iterator[Finding]:
    sc = scope(ctx)
    origins = _legacy_origins(ctx)
    for target, pages in _links(ctx).items():
        origin = origins.get(normalize(target))
        where = f"linked from {named(pages)}"
        leak = sc.leak(target)
        if leak is None and not sc.is_new(target):
            continue  # an external link: not the new site's business here
        c = follow(ctx, target)
        known = c.outcome not in (Outcome.INCOMPLETE, Outcome.OFFSITE)
        end = _redirect_end(c) if known else None
        if want == "leak" and leak is not None:
            if end is not None:
                message = f"{where}: a link to {leak}, which {redirect_text(c)}"
                fix = f"Link straight to {end.url} on {named(pages)} (not to {leak})."
            else:
                message = f"{where}: a link to {leak}"
                fix = "Link to the new site's URL (the old one's redirect target) instead."
            yield site_finding(target, message, fix, c if c.hops else None, origin)
        elif want == "broken" and known and is_broken(c):
            yield site_finding(
                target,
                f"{where}, ends on {end_text(c)}",
                f"Fix or remove the link to {target} on {named(pages)}.",
                c,
                origin,
            )
        elif want == "redirect" and end is not None:
            yield site_finding(
                target,
                f"{where}, {redirect_text(c)}",
                f"Link straight to {end.url} on {named(pages)}.",
                c,
                origin,
            )


@rule("internal-link-to-redirect", Severity.WARNING, needs=Need.SITE_CRAWL)
def internal_links_to_redirects(ctx: AuditContext) -> Iterator[Finding]:
    """Internal links that redirect

    A page of the crawled new site links to a URL of the new site (or of the old domain or a
    staging host, ``internal-link-legacy-host`` too) that redirects to a healthy page: an old
    URL in a template, a missing trailing slash, http instead of https. One finding per link
    target, naming the pages that hold the link and the final URL to link to.

    Why: every click and every crawl of the link costs a hop; crawlers treat internal links to
    redirects as weaker signals and spend crawl budget on them.

    Fix: update the links (templates, navigation, content) to the final URL.
    """
    yield from _link_findings(ctx, "redirect")


@rule("internal-link-broken", Severity.ERROR, needs=Need.SITE_CRAWL)
def internal_links_broken(ctx: AuditContext) -> Iterator[Finding]:
    """Internal links that end on an error

    A page of the crawled new site links to a URL of the new site (or of the old domain or a
    staging host, ``internal-link-legacy-host`` too) that ends (after any redirects) on a
    4xx/5xx answer, a network error, a loop or the hop limit. One finding per link target,
    naming the pages that hold the link.

    Why: users hit errors; crawlers waste budget and the link's value is lost.

    Fix: point the link at the page that exists, or remove it.
    """
    yield from _link_findings(ctx, "broken")


@rule("internal-link-legacy-host", Severity.WARNING, needs=Need.SITE_CRAWL)
def internal_links_to_legacy_hosts(ctx: AuditContext) -> Iterator[Finding]:
    """Internal links to the old domain or a staging host

    A page of the crawled new site links to a URL on the old site's domain or on a staging
    host (``--staging-host``). One finding per link target, naming the pages that hold it;
    when the link redirects, its hops and the final URL to link to (it is then
    ``internal-link-to-redirect`` too).

    Why: links to the old domain cost a redirect on every click and keep the old domain alive
    in search engines' eyes; links to staging leak an unfinished site (and may 404 or ask for
    a password in production).

    Fix: replace absolute links to the old or staging host with the new site's URLs (search
    the content database for the old host name).
    """
    yield from _link_findings(ctx, "leak")

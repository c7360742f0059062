"""Rules about robots.txt: new pages crawlers may not fetch, legacy URLs whose redirect they
cannot see, and a new host closed to every crawler.

robots.txt is read as Googlebot reads it (:mod:`migrationaudit.inputs.robots`), for two user
agents: ``Googlebot`` and ``*``. The robots.txt that governs a URL is the one of its scheme,
host and port, after the redirects its fetch took (an old host redirecting ``/robots.txt`` to
the new one is governed by the new file).
"""

from __future__ import annotations

from collections.abc import Iterator

from migrationaudit.checks import AuditContext, Need, rule
from migrationaudit.checks.common import finding, judged, landed, maps_elsewhere
from migrationaudit.checks.site import follow, robots_for, site, site_finding, target_sites
from migrationaudit.inputs.robots import RobotsTxt, robots_url
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.newsite.variants import site_of


def _why(robots: RobotsTxt, agents: tuple[str, ...]) -> str:
    if robots.state == "disallow-all":
        return f"{robots.url} answers {robots.status}, which crawlers read as 'disallow all'"
    return f"{robots.url} disallows it for {' and '.join(agents)}"


@rule("robots-blocked-target", Severity.ERROR, needs=Need.ROBOTS)
def robots_blocked_targets(ctx: AuditContext) -> Iterator[Finding]:
    """Final pages that robots.txt closes to crawlers

    The healthy page a legacy URL lands on (on the new site, or on any other host a redirect
    lands it on that is neither the old site nor staging: a second new host such as
    ``shop.new.example``) is disallowed for ``Googlebot`` or ``*`` by the robots.txt of its
    host (a 5xx robots.txt counts as "disallow all").

    Why: search engines may not fetch the page, so they cannot index it or pass the old URL's
    rankings on; the page shows up as "Blocked by robots.txt" or drops out.

    Fix: remove the Disallow rule that matches the new pages (often ``Disallow: /`` left from
    staging); check the file with a robots.txt tester.
    """
    sites = target_sites(ctx)
    for item, chain, page in landed(ctx):
        if site_of(page.url) not in sites:
            continue
        robots = robots_for(ctx, page.url)
        blocked = robots.blocked_for(page.url) if robots is not None else ()
        if robots is None or not blocked:
            continue
        yield finding(
            item,
            chain,
            f"lands on {page.url}, but {_why(robots, blocked)}",
            f"Allow {page.url} in {robots.url} for Googlebot and all crawlers.",
        )


@rule("robots-blocked-legacy", Severity.WARNING, needs=Need.ROBOTS)
def robots_blocked_legacy(ctx: AuditContext) -> Iterator[Finding]:
    """Legacy URLs whose redirect robots.txt hides

    A legacy URL that redirects (or that the map sends elsewhere) is disallowed for
    ``Googlebot`` or ``*`` by the robots.txt of its own host (the old host's, or the file that
    host's ``/robots.txt`` redirects to).

    Why: a crawler that may not fetch the old URL never sees its redirect: the old URL stays in
    the index ("Indexed, though blocked by robots.txt") and its rankings are not passed on.

    Fix: allow the old URLs in the old host's robots.txt (redirect the old ``/robots.txt`` only
    to a file that allows them) until search engines have followed the redirects.
    """
    for item, chain in judged(ctx):
        if chain.hop_count == 0 and not maps_elsewhere(item):
            continue
        robots = robots_for(ctx, item.url)
        blocked = robots.blocked_for(item.url) if robots is not None else ()
        if robots is None or not blocked:
            continue
        yield finding(
            item,
            chain,
            f"{_why(robots, blocked)}: crawlers cannot see its redirect",
            f"Allow {item.url} in {robots.url} so crawlers can follow its redirect.",
        )


@rule("robots-disallow-all", Severity.ERROR, needs=Need.ROBOTS)
def robots_disallow_all(ctx: AuditContext) -> Iterator[Finding]:
    """A new host's robots.txt that disallows everything

    A host of the new site (or one a redirect lands legacy URLs on, as for
    ``robots-blocked-target``) answers its own ``/robots.txt`` with rules that disallow the whole
    site (``/`` and every other path) for ``Googlebot`` or ``*`` — a staging ``Disallow: /``
    left in place — or with a 5xx / 429 error, which crawlers read the same way.

    Why: search engines stop crawling the host: no new page is indexed and none of the
    redirects' targets can take over the old rankings.

    Fix: deploy the production robots.txt (``Allow`` what should be crawled, a ``Sitemap:``
    line); make ``/robots.txt`` answer 200 (or 404 when there are no rules).
    """
    sites = target_sites(ctx)
    known = site(ctx).robots_texts
    for url, robots in known.items():
        origin = robots_url(url)
        if origin != url or site_of(url) not in sites:
            continue  # a host redirecting its robots.txt is judged by the file it lands on
        agents = robots.disallows_everything(url)
        if not agents:
            continue
        c = follow(ctx, url)
        if robots.state == "disallow-all":
            message = f"{url} answers {robots.status}: crawlers treat the whole host as disallowed"
        else:
            message = f"{url} disallows the whole host for {' and '.join(agents)}"
        yield site_finding(
            url,
            message,
            f"Deploy the production robots.txt at {url} (no 'Disallow: /').",
            c if c.hops else None,
        )

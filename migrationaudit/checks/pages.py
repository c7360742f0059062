"""Rules about the pages the legacy URLs land on: the home page, funnels, mixed host and scheme
variants, canonicals and noindex."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from migrationaudit.checks import AuditContext, rule
from migrationaudit.checks.common import counted, finding, landed
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, Hop, Outcome, PageFacts
from migrationaudit.models.inputs import LegacyURL
from migrationaudit.web.plainurls import difference, host_of, is_homepage, scheme_of
from migrationaudit.web.plainurls import normal_form as normalize
from migrationaudit.web.urls import www_variant


def _without_query(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


@rule("homepage-redirect", Severity.WARNING)
def homepage_redirects(ctx: AuditContext) -> Iterator[Finding]:
    """Deep URLs redirected to the home page

    A legacy URL that is not a home page is redirected to a home page. A home page is a site
    root (``/`` or an index file such as ``/index.php``) whose query is empty or holds only
    tracking parameters (``utm_*``, ``gclid``, ``fbclid``, ``msclkid``, ``ref``, ...); a root
    whose query names a page is that page: WordPress ``/?p=123``, Joomla
    ``/index.php?option=com_content&id=7``, DotNetNuke ``/default.aspx?tabid=5``. The message
    notes when the map itself asks for it.

    Why: search engines treat mass redirects to the home page as soft 404s: the old page's
    rankings are dropped rather than passed on, and users lose the content they came for.

    Fix: redirect to the closest equivalent page (a category, the successor product); if the
    content is gone for good, answer 410 instead.
    """
    for item, chain, n, final in counted(ctx):
        if chain.outcome is not Outcome.FINAL or final is None or n == 0:
            continue
        if is_homepage(item.url) or not is_homepage(final.url):
            continue
        what = "deep URL"
        if "?" in item.url and is_homepage(_without_query(item.url)):
            what = "page URL (a home path whose query names a page)"
        message = f"{what} redirected to the home page {final.url}"
        if item.expected_target is not None and is_homepage(item.expected_target):
            origin = f" ({item.rule.origin})" if item.rule else ""
            message += f"; the map asks for this{origin}"
        yield finding(
            item,
            chain,
            message,
            f"Redirect {item.url} to its closest equivalent page, or answer 410 if the content "
            "is gone.",
        )


@rule("many-to-one", Severity.WARNING)
def many_to_one_funnels(ctx: AuditContext) -> Iterator[Finding]:
    """Many legacy URLs funnelled into one page

    More than ``--many-to-one`` (default 10) legacy URLs are redirected to the same final URL
    (home pages excluded: ``homepage-redirect`` covers them; a root URL whose query names a
    page, such as ``/?p=7``, is a page, not the home page). One finding per funnelled URL.

    Why: when many distinct old pages land on one generic page, search engines treat the
    redirects like soft 404s and drop the old pages' signals instead of consolidating them.

    Fix: redirect each old URL to its own closest equivalent; let the ones without any answer
    410.
    """
    groups: dict[str, list[tuple[LegacyURL, Chain]]] = defaultdict(list)
    for item, chain, n, final in counted(ctx):
        if chain.outcome is not Outcome.FINAL or final is None or n == 0:
            continue
        if is_homepage(final.url):
            continue
        groups[normalize(final.url)].append((item, chain))
    for members in groups.values():
        n = len(members)
        if n <= ctx.options.many_to_one:
            continue
        for item, chain in members:
            yield finding(
                item,
                chain,
                f"one of {n} legacy URLs redirected to {chain.final_url} "
                f"(threshold {ctx.options.many_to_one})",
                f"Redirect {item.url} to its own closest equivalent page, or answer 410.",
            )


def _with(url: str, scheme: str | None = None, host: str | None = None) -> str:
    """``url`` (normalised) with another scheme and/or host."""
    parts = urlsplit(normalize(url))
    netloc = parts.netloc
    if host is not None:
        old = parts.hostname or ""
        netloc = netloc.replace(old, host, 1)
    return urlunsplit((scheme or parts.scheme, netloc, parts.path, parts.query, ""))


@rule("inconsistent-final-urls", Severity.WARNING)
def inconsistent_final_urls(ctx: AuditContext) -> Iterator[Finding]:
    """Final URLs that mix host or scheme variants

    Across the audit, the healthy final pages mix the ``www.`` and the bare host of one domain,
    or http and https on one host. Each legacy URL landing on the minority variant is reported
    (on a tie: for www, both sides; for the scheme, the http side).

    Why: two variants of one site split links and rankings between duplicate URLs and leave
    search engines to pick a canonical host themselves; every request to the wrong variant
    also costs an extra hop once it is fixed.

    Fix: pick one scheme and host (the one in the canonicals) and redirect every old URL
    straight to it.
    """
    finals: list[tuple[LegacyURL, Chain, Hop, str, str]] = []
    schemes: Counter[tuple[str, str]] = Counter()
    variants: Counter[tuple[str, bool]] = Counter()
    for item, chain, page in landed(ctx):
        scheme = scheme_of(page.url)
        if scheme not in ("http", "https"):
            continue
        host = host_of(page.url)
        finals.append((item, chain, page, host, scheme))
        schemes[(host, scheme)] += 1
        variants[www_variant(host)] += 1
    for item, chain, page, host, scheme in finals:
        reasons: list[str] = []
        better = page.url
        other = "https" if scheme == "http" else "http"
        mine, theirs = schemes[(host, scheme)], schemes[(host, other)]
        if theirs and (mine < theirs or (mine == theirs and scheme == "http")):
            reasons.append(
                f"{scheme} while {theirs} legacy URL(s) land on {other}://{host} "
                f"and {mine} on {scheme}://{host}"
            )
            better = _with(better, scheme=other)
        site, is_www = www_variant(host)
        mine, theirs = variants[(site, is_www)], variants[(site, not is_www)]
        if theirs and mine <= theirs:
            other_host = site if is_www else f"www.{site}"
            reasons.append(
                f"host {host} while {theirs} legacy URL(s) land on {other_host} "
                f"and {mine} on {host}"
            )
            if mine < theirs:
                better = _with(better, host=other_host)
        if not reasons:
            continue
        target = f"{better}" if better != page.url else "one scheme and host variant for every URL"
        yield finding(
            item,
            chain,
            f"lands on {page.url}: " + "; ".join(reasons),
            f"Pick one variant and redirect {item.url} straight to {target}.",
        )


@rule("canonical-mismatch", Severity.WARNING)
def canonical_mismatches(ctx: AuditContext) -> Iterator[Finding]:
    """Final pages whose canonical points elsewhere

    The healthy page a legacy URL lands on declares a canonical URL (``<link rel=canonical>``,
    else a ``Link: rel="canonical"`` header) that is not the page's own URL, compared after
    normalisation. Pages without a canonical are not reported.

    Why: the canonical tells search engines which URL to index. Pointing it elsewhere (the old
    URL, a staging host, another page) sends the signals the redirect carried to that URL, or
    makes search engines ignore the redirect target.

    Fix: make the canonical of every new page its own final URL (scheme, host and trailing
    slash as served).

    Two facts at two levels, not one problem counted twice: this warning is about the legacy
    URL (where its redirect's signals go); a canonical that redirects, is broken or names a
    foreign host is also an error on the page itself (``canonical-to-redirect``,
    ``canonical-to-broken``, ``canonical-foreign-host``), once per page however many legacy
    URLs land there. One fix, the page's canonical, clears both.
    """
    for item, chain, page in landed(ctx):
        canonical = page.page.canonical_url if page.page else None
        if canonical is None or normalize(canonical) == normalize(page.url):
            continue  # no canonical, or the page's own URL (difference() would say None)
        how = difference(page.url, canonical)
        if how is None:
            continue
        note = (
            "; it is the legacy URL itself" if normalize(canonical) == normalize(item.url) else ""
        )
        yield finding(
            item,
            chain,
            f"{page.url} declares canonical {canonical} ({how}){note}",
            f"Set the canonical of {page.url} to {page.url}. (This is the legacy URL's side; "
            "a canonical-* error on that page, if any, is the page's side of the same fix.)",
        )


@rule("noindex-target", Severity.ERROR)
def noindex_targets(ctx: AuditContext) -> Iterator[Finding]:
    """Final pages marked noindex

    The healthy page a legacy URL lands on tells search engines not to index it
    (``<meta name=robots|googlebot>`` or an ``X-Robots-Tag`` header with ``noindex`` or
    ``none``), often a leftover from a staging site.

    Why: the page drops out of the index, and with it every ranking the redirects were meant to
    carry over.

    Fix: remove the noindex from the meta robots tag and the X-Robots-Tag header of the new
    pages.
    """
    for item, chain, page in landed(ctx):
        facts = page.page
        if facts is None or not facts.noindex:
            continue
        sources = []
        if PageFacts(meta_robots=facts.meta_robots).noindex:
            sources.append(f'meta robots "{facts.meta_robots}"')
        if PageFacts(x_robots_tag=facts.x_robots_tag).noindex:
            sources.append(f'X-Robots-Tag "{facts.x_robots_tag}"')
        yield finding(
            item,
            chain,
            f"{page.url} is noindex ({', '.join(sources)})",
            f"Remove the noindex from {page.url}.",
        )

"""Rules about legacy URLs that reach no working page: redirects that end on an error, legacy
URLs that answer an error themselves, and mapped URLs that still answer themselves instead of
redirecting.
"""

from __future__ import annotations

from collections.abc import Iterator

from migrationaudit.checks import AuditContext, rule
from migrationaudit.checks.common import (
    REMOVED_STATUSES,
    counted,
    finding,
    judged,
    maps_elsewhere,
    not_redirected,
    removed_on_purpose,
    status_text,
)
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Hop
from migrationaudit.models.inputs import LegacyURL
from migrationaudit.web.plainurls import difference


def gone_as_planned(item: LegacyURL, hop: Hop) -> bool:
    """A URL removed on purpose (map row without target) that answers 404 or 410. Which of the
    two is a detail for ``status-mismatch``; either way the URL is not broken."""
    return removed_on_purpose(item) and hop.error is None and hop.status in REMOVED_STATUSES


@rule("broken-target", Severity.ERROR)
def broken_targets(ctx: AuditContext) -> Iterator[Finding]:
    """Redirects that end on an error

    After one or more redirects the chain ends on a 4xx/5xx answer, a network error (refused,
    timeout, DNS, TLS, unsupported scheme) or an invalid redirect (a 3xx without a usable
    Location). A URL removed on purpose (map row without target, status 404/410) that is
    redirected to a 404/410 page is not reported here (see ``status-mismatch``).

    Why: a redirect to a broken page throws away the old URL's rankings and links just like a
    404, and users land on an error.

    Fix: make the target page answer 200, or point the redirect at a page that exists.
    """
    for item, chain, n, final in counted(ctx):
        if final is None or n == 0 or final.is_healthy:
            continue
        if gone_as_planned(item, final):
            continue
        expected = item.expected_target
        if expected is None or difference(expected, final.url) is None:
            fix = f"Make {final.url} answer 200, or redirect {item.url} to a page that exists."
        else:
            fix = f"Redirect {item.url} to {expected} (the map's target), which must answer 200."
        yield finding(
            item, chain, f"redirected to {final.url}, which answers {status_text(final)}", fix
        )


@rule("legacy-url-broken", Severity.ERROR)
def broken_legacy_urls(ctx: AuditContext) -> Iterator[Finding]:
    """Legacy URLs that answer an error without redirecting

    The legacy URL itself answers 4xx/5xx, a network error or an invalid redirect, with no
    redirect at all. A map row that removes the URL on purpose (no target, status 404 or 410)
    is satisfied by a 404 or 410 answer.

    Why: every link, bookmark and ranking of the old URL now ends on an error; its signals are
    lost instead of passed to the new page.

    Fix: add a 301/308 redirect to the page that replaces it; if the content is gone for good,
    answer 410 and record that in the map (empty new_url, status 410).
    """
    for item, chain, n, first in counted(ctx):
        if first is None or n != 0 or first.is_healthy:
            continue
        if gone_as_planned(item, first):
            continue
        if maps_elsewhere(item):
            message = (
                f"answers {status_text(first)} instead of redirecting to {item.expected_target}"
            )
            fix = f"Add a 301/308 redirect from {item.url} to {item.expected_target}."
        elif removed_on_purpose(item) and item.rule is not None:
            message = (
                f"answers {status_text(first)}; the map removes it with status "
                f"{item.rule.expected_status}"
            )
            fix = f"Make {item.url} answer {item.rule.expected_status}."
        else:
            message = f"answers {status_text(first)} and does not redirect"
            fix = (
                f"Redirect {item.url} to the page that replaces it (301/308), or answer 410 if it "
                "is gone on purpose and list it in the map with status 410."
            )
        yield finding(item, chain, message, fix)


@rule("not-redirected", Severity.ERROR)
def unredirected_urls(ctx: AuditContext) -> Iterator[Finding]:
    """Mapped URLs that still answer themselves

    The map sends the legacy URL to another URL, but it answers 2xx itself instead of
    redirecting (the old page is still live, or the redirect rule was never deployed).

    Why: the old and the new page compete as duplicates; links and rankings stay on the old
    URL and the new one starts from zero. When the old site is switched off, they are lost.

    Fix: deploy the 301/308 from the legacy URL to the map's target (check that a page still
    stored at the old path does not shadow the redirect rule).
    """
    for item, chain in judged(ctx):
        if not not_redirected(item, chain):
            continue
        yield finding(
            item,
            chain,
            f"answers {status_text(chain.hops[0])} itself instead of redirecting to "
            f"{item.expected_target}",
            f"Add a 301/308 redirect from {item.url} to {item.expected_target}.",
        )

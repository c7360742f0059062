"""Rules that weigh legacy URLs by what they are worth: links and search clicks from the
``--priority`` exports (see :mod:`migrationaudit.inputs.priority`)."""

from __future__ import annotations

from collections.abc import Iterator

from migrationaudit.checks import AuditContext, Need, rule
from migrationaudit.checks.common import finding, status_text
from migrationaudit.humanize import plural
from migrationaudit.inputs.priorityindex import page_key
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, Outcome
from migrationaudit.models.inputs import LinkValue
from migrationaudit.web.plainurls import is_homepage

_OUTCOME_TEXT = {
    "loop": "loops",
    "hop-limit": "exceeds the hop limit",
    "incomplete": "was not fully fetched",
    "offsite": "leaves the audit's scope (not requested)",
}


def _lands_well(url: str, chain: Chain) -> bool:
    """The chain ends on a healthy page that is not a home page standing in for a deep URL."""
    final = chain.final
    if chain.outcome is not Outcome.FINAL or final is None or not final.is_healthy:
        return False
    return is_homepage(url) or not is_homepage(final.url)


def value_text(value: LinkValue) -> str:
    """``"12 referring domains, 340 clicks"``: the metrics the exports had, biggest first."""
    parts = []
    for n, word in (
        (value.referring_domains, "referring domain"),
        (value.backlinks, "backlink"),
        (value.clicks, "click"),
        (value.traffic, "visit"),
    ):
        if n:
            parts.append(plural(n, word))
    return ", ".join(parts) or "no links or clicks"


@rule("valuable-url-unmapped", Severity.ERROR, needs=Need.PRIORITY)
def valuable_urls_unmapped(ctx: AuditContext) -> Iterator[Finding]:
    """Valuable legacy URLs missing from the map

    A URL that the ``--priority`` export credits with backlinks, referring domains, clicks or
    traffic has no row in the redirect map (scheme, ``www.`` and a trailing slash are ignored
    when matching). Such URLs are audited too, so the finding shows where they land today. A URL
    whose chain already ends on a healthy page is not reported (its links still pass), unless a
    deep URL is dumped on a home page, which search engines treat as a soft 404.

    Why: the links and rankings a page earned are the migration's capital; an unmapped URL
    answers 404 (or a catch-all redirect to the home page, a soft 404) after the move, and
    every link to it stops passing value. These are the first URLs to reclaim.

    Fix: add a row to the map sending the URL to its closest equivalent page (a 301 or 308 in
    one hop), or keep the page.
    """
    if ctx.priority is None:  # run_checks skips the rule then; this keeps it total
        return
    mapped = {page_key(r.source) for r in ctx.rules}
    for item in ctx.legacy:
        if item.rule is not None or page_key(item.url) in mapped:
            continue
        value = ctx.priority.get(item.url)
        if value is None or not value.valuable:
            continue
        chain = ctx.chains.get(item.url)
        if chain is not None and _lands_well(item.url, chain):
            continue
        today = ""
        if chain is not None and chain.final is not None:
            today = f"; today it ends on {chain.final.url} ({status_text(chain.final)})"
        elif chain is not None and chain.hops:
            today = f"; today its chain {_OUTCOME_TEXT.get(chain.outcome.value, 'has no end')}"
        yield finding(
            item,
            chain,
            f"{value_text(value)} but no row in the redirect map{today}",
            f"Add a map row redirecting {item.url} (301/308, one hop) to its closest "
            "equivalent page.",
        )

"""Suggested targets: for each legacy URL without a working target (no map row and no
healthy landing, a broken end, a catch-all, the home page, a many-to-one funnel), the new
page that best matches it (:mod:`~migrationaudit.parity.similar`: URL words, title, H1s and
description, the snapshot's when there is one, and text fingerprints).

Candidates are the new site's pages this run fetched and found healthy: 2xx HTML, indexable,
self-canonical (sitemap entries, ``--crawl``'ed pages, map targets, where chains land), never
a home page and never a legacy URL. A suggestion is only made when a candidate shares a word
with the legacy URL; there is no fallback."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from migrationaudit.checks import AuditContext
from migrationaudit.models.findings import Finding
from migrationaudit.models.hops import Chain, Hop, HopKind
from migrationaudit.models.inputs import LegacyURL
from migrationaudit.models.result import Suggestion
from migrationaudit.parity.pairs import media_family
from migrationaudit.parity.similar import Doc, doc_text, nearest
from migrationaudit.web.plainurls import normal_form as normalize

MIN_SCORE = 0.15  # a weaker match is no suggestion
# Findings that make a legacy URL's current landing no answer, and how the CSV says so.
REASONS = {
    "catch-all-redirect": "lands on a catch-all",
    "homepage-redirect": "lands on the home page",
    "many-to-one": "one of a many-to-one funnel",
    "broken-target": "its target is broken",
    "legacy-url-broken": "ends broken",
    "redirect-loop": "loops",
    "hop-limit": "never ends",
}
# Reasons whose current landing is never suggested back.
_AWAY = {"catch-all-redirect", "homepage-redirect", "many-to-one"}


def _is_home(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return True
    return parts.path in ("", "/") and not parts.query


def candidate(hop: Hop) -> bool:
    """A page worth offering: 2xx HTML, indexable, self-canonical, not a home page."""
    page = hop.page
    if hop.kind is not HopKind.FINAL or not hop.is_healthy or page is None:
        return False
    if media_family(page) != "html" or page.noindex or _is_home(hop.url):
        return False
    canonical = page.canonical_url
    return canonical is None or normalize(canonical) == normalize(hop.url)


def _needing(
    ctx: AuditContext, findings: Iterable[Finding]
) -> Iterator[tuple[LegacyURL, Chain | None, str, set[str]]]:
    """(legacy URL, chain, why it needs a target, rule ids) of the URLs needing a target."""
    flagged: dict[str, set[str]] = {}
    for f in findings:
        if f.rule_id in REASONS:
            flagged.setdefault(f.url, set()).add(f.rule_id)
    for item in ctx.legacy:
        chain = ctx.chains.get(item.url)
        rules = flagged.get(item.url, set())
        if rules:
            yield item, chain, "; ".join(REASONS[r] for r in sorted(rules)), rules
        elif item.rule is None and chain is not None:
            final = chain.final
            if final is None or not final.is_healthy or not chain.hop_count:
                if final is not None and final.is_healthy:
                    continue  # a live page at its own address: nothing to redirect
                yield item, chain, "no map row and no working landing", rules


def _query(ctx: AuditContext, item: LegacyURL) -> Doc:
    old = ctx.snapshot.get(item.url) if ctx.snapshot is not None else None
    page = old.page if old is not None and old.healthy else None
    if page is None:
        return Doc(item.url, doc_text(item.url))
    text = doc_text(item.url, page.title, *page.h1, page.description)
    return Doc(item.url, text, page.fingerprint)


def candidates(ctx: AuditContext) -> list[Doc]:
    """The new site's healthy pages of this run (see :func:`candidate`), legacy URLs left
    out."""
    graph = ctx.graph
    if graph is None:
        return []
    legacy = {item.url for item in ctx.legacy}
    out: list[Doc] = []
    for url, attrs in graph.nodes(data=True):
        hop = attrs.get("hop")
        if hop is None or url in legacy or not candidate(hop):
            continue
        page = hop.page
        out.append(Doc(url, doc_text(url, page.title, *page.h1, page.description),
                       page.fingerprint))
    return out


def suggest_targets(ctx: AuditContext, findings: Iterable[Finding]) -> tuple[Suggestion, ...]:
    """One suggestion per legacy URL that needs a target and has a match, in input order."""
    needing = list(_needing(ctx, findings))
    if not needing:
        return ()
    pages = candidates(ctx)
    queries = [_query(ctx, item) for item, _, _, _ in needing]
    out: list[Suggestion] = []
    for (item, chain, reason, rules), matches in zip(needing, nearest(queries, pages),
                                                     strict=True):
        landed = normalize(chain.final_url) if chain is not None and chain.final_url else None
        for match in matches:
            url = pages[match.index].url
            if match.score < MIN_SCORE or (rules & _AWAY and normalize(url) == landed):
                continue
            words = ", ".join(match.words)
            out.append(Suggestion(item.url, url, match.score,
                                  f"{reason}; shares: {words}" if words else reason))
            break
    return tuple(out)

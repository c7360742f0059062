"""The pairs the parity rules judge: each legacy URL's page before cutover (the snapshot) and
the page its chain lands on now, both healthy answers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from migrationaudit.checks import AuditContext
from migrationaudit.models.findings import Finding
from migrationaudit.models.hops import Chain, PageFacts
from migrationaudit.models.inputs import LegacyURL
from migrationaudit.models.result import ParityPair
from migrationaudit.parity.snapshot import OldPage

_HTML = frozenset({"text/html", "application/xhtml+xml"})
_FEEDS = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json"})


@dataclass(frozen=True, slots=True)
class Pair:
    """One legacy URL, its old page and its new one (both answered 2xx)."""

    item: LegacyURL
    chain: Chain
    old: OldPage
    old_page: PageFacts
    new_url: str
    new_page: PageFacts

    @property
    def both_html(self) -> bool:
        return media_family(self.old_page) == "html" == media_family(self.new_page)


def media_type(page: PageFacts | None) -> str | None:
    """The content type without parameters, lower-case; None when not given."""
    ctype = page.content_type if page is not None else None
    if not ctype:
        return None
    return ctype.split(";", 1)[0].strip().lower() or None


def media_family(page: PageFacts | None) -> str | None:
    """"html", "feed", "image", "pdf" or the media type itself (None: not given)."""
    kind = media_type(page)
    if kind is None or kind in _HTML:
        return "html" if kind else None
    if kind in _FEEDS or kind.endswith(("+rss", "/rss")):
        return "feed"
    if kind.startswith("image/"):
        return "image"
    if kind == "application/pdf":
        return "pdf"
    return kind


def pairs(ctx: AuditContext) -> Iterator[Pair]:
    """Every legacy URL whose old page (snapshot) and new page (end of its chain) both
    answered 2xx, in input order. A URL that ends broken is the redirect rules' to report."""
    snapshot = ctx.snapshot
    if snapshot is None:
        return
    for item in ctx.legacy:
        old = snapshot.get(item.url)
        chain = ctx.chains.get(item.url)
        if old is None or old.page is None or not old.healthy or chain is None:
            continue
        final = chain.final
        if final is None or not final.is_healthy or final.page is None:
            continue
        yield Pair(item, chain, old, old.page, final.url, final.page)


def all_pairs(ctx: AuditContext) -> list[Pair]:
    """:func:`pairs`, computed once per context for the eight rules."""
    return ctx.memo("parity-pairs", lambda: list(pairs(ctx)))


def facts_text(page: PageFacts) -> dict[str, str]:
    """A page's facts as the report shows them side by side."""
    return {
        "type": media_type(page) or "",
        "title": page.title or "",
        "h1": " | ".join(page.h1),
        "description": page.description or "",
        "lang": page.lang or "",
        "hreflang": ", ".join(sorted({lang for lang, _ in page.hreflang})),
        "JSON-LD": ", ".join(page.jsonld_types),
        "words": "" if page.word_count is None else str(page.word_count),
        "robots": ", ".join(v for v in (page.meta_robots, page.x_robots_tag) if v),
        "canonical": page.canonical_url or "",
    }


def failing_pairs(ctx: AuditContext, findings: Iterable[Finding]) -> tuple[ParityPair, ...]:
    """Old and new facts of every pair with a parity finding, in input order."""
    failed: dict[str, list[str]] = {}
    for f in findings:
        if f.rule_id.startswith("parity-"):
            failed.setdefault(f.url, []).append(f.rule_id)
    if not failed:
        return ()
    return tuple(
        ParityPair(p.item.url, p.new_url, tuple(sorted(failed[p.item.url])),
                   facts_text(p.old_page), facts_text(p.new_page))
        for p in all_pairs(ctx)
        if p.item.url in failed
    )

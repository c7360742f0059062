"""Content parity: does the page a legacy URL lands on replace the page it had before
cutover (``audit --snapshot``)? Thresholds: ``--parity-threshold NAME=VALUE``."""

from __future__ import annotations

from collections.abc import Iterator

from migrationaudit.checks import AuditContext, Need, rule
from migrationaudit.checks.common import finding
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.parity.pairs import Pair, all_pairs, media_family, media_type
from migrationaudit.parity.text import string_similarity, text_similarity
from migrationaudit.web.plainurls import normal_form as normalize

_NEEDS = Need.SNAPSHOT


def _html_pairs(ctx: AuditContext) -> Iterator[Pair]:
    return (p for p in all_pairs(ctx) if p.both_html)


def _changed(pair: Pair, what: str, old: str, new: str | None, score: float, fix: str) -> Finding:
    if not new:
        message = f"the {what} {old!r} is gone on {pair.new_url}"
    else:
        message = f"the {what} changed: {old!r} -> {new!r} (similarity {score:.2f})"
    return finding(pair.item, pair.chain, message, fix)


@rule("parity-title", Severity.WARNING, needs=_NEEDS)
def titles_changed(ctx: AuditContext) -> Iterator[Finding]:
    """Page title changed or gone

    The page a legacy URL lands on has a title unlike the old page's (similarity below the
    ``title`` threshold), or none. Why: the title is the strongest on-page signal of what a
    page is about; a different one says the target is another page, and search engines may
    treat the redirect as a soft 404. Fix: redirect to the page that replaces this one, or
    carry its title over."""
    limit = ctx.options.parity_threshold("title")
    for p in _html_pairs(ctx):
        old, new = p.old_page.title, p.new_page.title
        if old:
            score = string_similarity(old, new)
            if score < limit:
                yield _changed(
                    p,
                    "title",
                    old,
                    new,
                    score,
                    "Redirect to the equivalent page, or keep its title.",
                )


@rule("parity-h1", Severity.NOTICE, needs=_NEEDS)
def headings_changed(ctx: AuditContext) -> Iterator[Finding]:
    """Main heading (H1) changed or gone

    The old page's first H1 has no close match (``h1`` threshold) among the new page's H1s.
    Why: the main heading tells readers and search engines what the page is about; losing it
    weakens the new page's relevance for what the old one ranked for. Fix: keep the heading,
    or redirect to the page that has it."""
    limit = ctx.options.parity_threshold("h1")
    for p in _html_pairs(ctx):
        if not p.old_page.h1:
            continue
        old = p.old_page.h1[0]
        best = max(p.new_page.h1, key=lambda h: string_similarity(old, h), default=None)
        score = string_similarity(old, best)
        if score < limit:
            yield _changed(p, "H1", old, best, score, "Keep the main heading on the new page.")


@rule("parity-description", Severity.NOTICE, needs=_NEEDS)
def descriptions_changed(ctx: AuditContext) -> Iterator[Finding]:
    """Meta description changed or gone

    The new page's meta description is unlike the old page's (``description`` threshold),
    or missing. Why: the description is often the snippet in search results; a lost one is
    replaced by whatever text the engine picks, and a different one hints at another page.
    Fix: carry the description over (or write one for the new page on purpose)."""
    limit = ctx.options.parity_threshold("description")
    for p in _html_pairs(ctx):
        old, new = p.old_page.description, p.new_page.description
        if old:
            score = string_similarity(old, new)
            if score < limit:
                yield _changed(p, "description", old, new, score, "Keep the meta description.")


@rule("parity-content", Severity.WARNING, needs=_NEEDS)
def contents_lost(ctx: AuditContext) -> Iterator[Finding]:
    """Page text lost or replaced

    The new page's text is unlike the old page's (fingerprint similarity below the
    ``content`` threshold) or has less than the ``words`` share of its words (old pages with
    fewer than ``min-words`` words are not compared). Why: search engines pass a page's
    signals on only to an equivalent page; a product that redirects to a category or an
    article that lost its body is a soft 404. Fix: redirect to the page with the same
    content, or migrate the content."""
    limit = ctx.options.parity_threshold("content")
    share = ctx.options.parity_threshold("words")
    least = ctx.options.parity_threshold("min-words")
    for p in _html_pairs(ctx):
        old_words, new_words = p.old_page.word_count or 0, p.new_page.word_count or 0
        if old_words < least:
            continue
        score = text_similarity(p.old_page.fingerprint, p.new_page.fingerprint)
        if new_words < old_words * share:
            message = f"the text shrank from {old_words} to {new_words} words on {p.new_url}"
        elif score is not None and score < limit:
            message = f"the text is another page's (similarity {score:.2f}) on {p.new_url}"
        else:
            continue
        yield finding(
            p.item,
            p.chain,
            message,
            "Redirect to the page with this content, or migrate the content.",
        )


@rule("parity-structured-data", Severity.WARNING, needs=_NEEDS)
def structured_data_lost(ctx: AuditContext) -> Iterator[Finding]:
    """Structured data (JSON-LD types) lost

    JSON-LD ``@type``s of the old page (Product, Article, FAQPage, BreadcrumbList...) are
    missing on the new one. Added types are fine. Why: rich results (prices, ratings, FAQ,
    breadcrumbs) depend on them; losing them costs click-through even when rankings hold.
    Fix: emit the same structured data on the new page."""
    for p in _html_pairs(ctx):
        lost = [t for t in p.old_page.jsonld_types if t not in set(p.new_page.jsonld_types)]
        if lost:
            yield finding(
                p.item,
                p.chain,
                f"JSON-LD type(s) lost on {p.new_url}: {', '.join(lost)}",
                "Emit the same JSON-LD on the new page.",
            )


@rule("parity-media-type", Severity.ERROR, needs=_NEEDS)
def media_types_changed(ctx: AuditContext) -> Iterator[Finding]:
    """A file or feed now lands on something else

    A legacy URL that served a PDF, an image, a feed or another non-HTML file now lands on
    another kind of answer (typically an HTML page). Why: links and search results pointing
    at a document or a feed expect that document; an HTML stub in its place is a soft 404 for
    search engines and breaks feed readers. Fix: serve the file at its new URL and redirect
    to it."""
    for p in all_pairs(ctx):
        old, new = media_family(p.old_page), media_family(p.new_page)
        if old is not None and old != "html" and new != old:
            yield finding(
                p.item,
                p.chain,
                f"{media_type(p.old_page)} now lands on "
                f"{media_type(p.new_page) or 'an answer without a type'} at "
                f"{p.new_url}",
                "Redirect to the same file on the new site.",
            )


def _locale(tag: str | None) -> str | None:
    return tag.strip().lower().replace("_", "-") or None if tag else None


@rule("parity-language", Severity.WARNING, needs=_NEEDS)
def languages_changed(ctx: AuditContext) -> Iterator[Finding]:
    """Language or locale changed

    The new page declares another ``lang`` than the old one, or drops hreflang locales the
    old page had. Why: a German page redirected to the English one loses its German
    audience and rankings; lost hreflang sends searchers to the wrong locale. Fix: redirect
    each locale to its own page and keep the hreflang set."""
    for p in _html_pairs(ctx):
        old, new = _locale(p.old_page.lang), _locale(p.new_page.lang)
        lost = sorted(
            {_locale(a) for a, _ in p.old_page.hreflang}
            - {_locale(a) for a, _ in p.new_page.hreflang}
            - {None}
        )  # type: ignore[type-var]
        if old and new != old:
            message = f"lang {old} -> {new or 'none'} on {p.new_url}"
        elif lost:
            message = f"hreflang locale(s) lost on {p.new_url}: {', '.join(map(str, lost))}"
        else:
            continue
        yield finding(p.item, p.chain, message, "Redirect to the page of the same locale.")


@rule("parity-indexability", Severity.ERROR, needs=_NEEDS)
def indexability_lost(ctx: AuditContext) -> Iterator[Finding]:
    """An indexable page now lands on one that is not

    The old page could be indexed (no noindex; no canonical, or its own) and its target
    cannot (noindex, or a canonical naming another URL). Why: the old page's rankings have
    nowhere to go; the URL drops out of the index. Fix: make the target indexable and
    self-canonical, or redirect to the page that is."""
    for p in all_pairs(ctx):
        old_canonical = p.old_page.canonical_url
        own = {normalize(u) for u in (p.old.url, p.old.final_url) if u}
        if p.old_page.noindex or (old_canonical and normalize(old_canonical) not in own):
            continue
        new_canonical = p.new_page.canonical_url
        if p.new_page.noindex:
            why = "noindex"
        elif new_canonical and normalize(new_canonical) != normalize(p.new_url):
            why = f"canonical {new_canonical}"
        else:
            continue
        yield finding(
            p.item,
            p.chain,
            f"the old page was indexable; {p.new_url} is not ({why})",
            "Make the target indexable and self-canonical.",
        )

"""The new sitemaps' entries, classified once for the sitemap rules: every URL the urlset/text
sitemaps list (where, and how it answers), what each entry is (a legacy URL, on a foreign host,
broken, a redirect or a page), and the sitemap files named by ``--sitemap``, robots.txt or an
index.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from migrationaudit.checks import AuditContext
from migrationaudit.checks.common import map_index
from migrationaudit.checks.site import (
    follow,
    graph,
    healthy_end,
    is_broken,
    named,
    scope,
    site,
    sitemap_files,
)
from migrationaudit.graph import LISTED, related
from migrationaudit.models.hops import Chain, Outcome, PageFacts
from migrationaudit.models.inputs import LegacyURL, Origin
from migrationaudit.newsite.records import SitemapFile
from migrationaudit.web.plainurls import normal_form as normalize


@dataclass(frozen=True)
class Listed:
    """One URL the new sitemaps list: where (every file and line) and how it answers."""

    loc: str
    places: tuple[tuple[SitemapFile, int], ...]
    chain: Chain

    @property
    def origin(self) -> Origin:
        sm, line = self.places[0]
        return Origin(sm.url, line)

    def where(self) -> str:
        return named([f"{sm.url} (line {line})" for sm, line in self.places])


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        p = urlsplit(url)
        port = p.port
    except ValueError:
        return ("", "", None)
    return (p.scheme.lower(), (p.hostname or "").lower(), port)


def listed(ctx: AuditContext) -> list[Listed]:
    """Every URL of the new site's urlset/text sitemaps, once (first spelling)."""
    return ctx.memo("sitemap_listed", lambda: list(_listing(ctx)))


def _listing(ctx: AuditContext) -> Iterator[Listed]:
    g = graph(ctx)
    groups: dict[str, tuple[str, list[tuple[SitemapFile, int]]]] = {}
    for sm in sitemap_files(ctx):
        if sm.is_index:
            continue
        for entry, data in related(g, sm.url, LISTED):
            key = normalize(entry)
            groups.setdefault(key, (entry, []))[1].append((sm, int(data.get("line") or 0)))
    for loc, places in groups.values():
        yield Listed(loc, tuple(places), follow(ctx, loc))


def legacy_items(ctx: AuditContext) -> dict[str, LegacyURL]:
    """Mapped sources (rows sending a URL elsewhere), by normalised URL."""
    return ctx.memo("mapped_sources", lambda: _mapped_sources(ctx))


def _mapped_sources(ctx: AuditContext) -> dict[str, LegacyURL]:
    out: dict[str, LegacyURL] = {}
    index = map_index(ctx.rules)
    for item in ctx.legacy:
        key = normalize(item.url)
        row = index.get(key)
        if row is not None and (
            row.expected_target is None or normalize(row.expected_target) != key
        ):
            out.setdefault(key, item)
    return out


def foreign(ctx: AuditContext, entry: Listed) -> str | None:
    """How an entry's host/scheme differs from its sitemap's, or None."""
    mine = _origin(entry.loc)
    refs = site(ctx).sitemap_refs
    for sm, _ in entry.places:
        if "://" not in sm.url:  # a local file: the new site's hosts are the reference
            if scope(ctx).is_new(entry.loc):
                return None
            continue
        allowed = {_origin(sm.url)}
        # robots.txt may vouch for a sitemap on another host (cross-submission)
        allowed |= {_origin(r.by) for r in refs if r.source == "robots" and r.by}
        if mine in allowed:
            return None
        theirs = _origin(sm.url)
        if mine[1] == theirs[1] and mine[2] == theirs[2]:
            return f"{mine[0]} while the sitemap is on {theirs[0]}://{theirs[1]}"
    host = _origin(entry.places[0][0].url)[1] or "the new site"
    return f"host {mine[1]} while the sitemap is on {host}"


def _kinds(ctx: AuditContext, entry: Listed, legacy: dict[str, LegacyURL]) -> set[str]:
    """What an entry is: ``legacy``, ``foreign`` (either or both), and how it answers:
    ``broken``, ``redirect`` or ``page`` (none when its chain is not known)."""
    kinds: set[str] = set()
    if normalize(entry.loc) in legacy:
        kinds.add("legacy")
    if foreign(ctx, entry):
        kinds.add("foreign")
    if entry.chain.outcome in (Outcome.INCOMPLETE, Outcome.OFFSITE):
        return kinds
    if is_broken(entry.chain):
        kinds.add("broken")
    elif entry.chain.hop_count:
        kinds.add("redirect")
    else:
        kinds.add("page")
    return kinds


def entries(ctx: AuditContext, kind: str) -> Iterator[Listed]:
    def classify() -> list[tuple[set[str], Listed]]:
        legacy = legacy_items(ctx)
        return [(_kinds(ctx, entry, legacy), entry) for entry in listed(ctx)]

    for got, entry in ctx.memo("sitemap_kinds", classify):
        if kind in got:
            yield entry


def declared_files(ctx: AuditContext) -> Iterator[tuple[str, Chain, str]]:
    """Sitemap URLs named by --sitemap, a robots.txt or an index (not guesses), once each:
    (url, its chain, who named it)."""
    seen: set[str] = set()
    for ref in site(ctx).sitemap_refs:
        if ref.old or ref.source == "probe" or ref.url in seen or "://" not in ref.url:
            continue
        seen.add(ref.url)
        who = {"cli": "--sitemap", "robots": f"robots.txt {ref.by}", "index": f"index {ref.by}"}
        yield ref.url, follow(ctx, ref.url), who.get(ref.source, ref.source)


def page_facts(entry: Listed) -> tuple[str, PageFacts] | None:
    final = healthy_end(entry.chain)
    if final is None or final.page is None:
        return None
    return final.url, final.page

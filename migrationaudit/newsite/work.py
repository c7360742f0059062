"""The new site's side of a crawl, as a state machine the hop spider drives (no Scrapy here).

The audit fetches every URL once, hop by hop, whatever made it interesting: a legacy URL, the
robots.txt of an audited host, a sitemap, a URL a sitemap lists, a link of a crawled page, a
canonical or hreflang target, a URL variant. :class:`SiteWork` decides what else to fetch as
records arrive, and keeps why each URL was wanted (its *roles*) along redirects until the chain
ends, where the role acts:

- ``robots``: parse the robots.txt answer; on a new-site host that answers it itself, follow its
  ``Sitemap:`` lines (or try ``/sitemap.xml`` when it has none). A host a legacy URL lands on
  after a redirect (a second new host the map targets, ``shop.new.example``) counts as a
  new-site host here, unless it is an old-site host: its robots.txt is read and its sitemaps
  looked for, as far as the audit's scope lets them be requested;
- ``sitemap``: parse the file (:mod:`migrationaudit.inputs.sitemaps`); an index wants its child
  sitemaps (with a depth limit and loop detection), a urlset its URLs;
- ``legacy``: as ``expand``; where the chain lands after a redirect is a *landing* host;
- ``expand``: a new-site page wants its canonical and hreflang targets (and, with variants on,
  its slash / case / index variants);
- ``crawl``: a new-site page of the ``--crawl`` also wants its links, up to depth and page limits
  (a link to the old site is only fetched);
- ``ref`` / ``variant``: only fetched (their answers are what the rules judge).

The spider tells SiteWork about every legacy seed (:meth:`SiteWork.legacy_seed`) and every record
(:meth:`SiteWork.on_record`, with the body when :meth:`SiteWork.wants_body` said so) and fetches
the URLs it returns. What the rules need beyond hop records (robots texts, sitemap contents,
crawled pages) is emitted as JSON records (``site.jsonl``, read by
:mod:`migrationaudit.newsite`).

With ``--workers N`` each crawl process has a *part* of the job (``SiteJob.part``): the
per-seed work (a legacy landing page's expansion, ``--variants``, the robots.txt of the hosts
it meets) is done by every process for its own seeds; the work that needs the whole crawl in
view (given and legacy sitemaps, ``--crawl``, sitemap discovery) by process 0, the *lead*. The
other processes (*peers*) tell the lead which new-site origins they meet
(:data:`ORIGINS_FILE`), so it discovers the sitemaps of every origin the whole crawl meets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag

from migrationaudit.inputs.robots import RobotsTxt, decode_robots, robots_url
from migrationaudit.inputs.sitemaps import (
    SitemapDoc,
    SitemapEntry,
)
from migrationaudit.models.hops import Hop
from migrationaudit.newsite.job import Emit, SiteJob
from migrationaudit.newsite.roles import BODY_ROLES, Page, Role
from migrationaudit.newsite.sitemapside import SitemapSide
from migrationaudit.newsite.variants import (
    legacy_variants,
    page_variants,
    site_of,
    sitemap_probe_url,
)
from migrationaudit.web.scope import Scope
from migrationaudit.web.urls import normalize

# -- URL helpers shared with the rules ------------------------------------------------------


# -- the job --------------------------------------------------------------------------------


# -- roles ----------------------------------------------------------------------------------


@dataclass
class SiteWork(SitemapSide):
    """See the module docstring. ``emit`` receives each JSON record for ``site.jsonl``."""

    job: SiteJob
    emit: Emit
    pending: dict[str, list[Role]] = field(default_factory=dict)
    recorded: dict[str, str | None] = field(default_factory=dict)  # url → redirect target
    pages: dict[str, Page] = field(default_factory=dict)
    robots_origins: set[str] = field(default_factory=set)
    robots_read: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    sitemaps_read: set[str] = field(default_factory=set)
    expanded: set[str] = field(default_factory=set)
    crawled: dict[str, int] = field(default_factory=dict)
    link_pages: int = 0  # pages whose links were collected (bounded by max_pages)
    listed: int = 0  # sitemap URLs wanted so far (bounded by fetch_limit)
    # A resumed run: robots.txt texts and sitemaps the interrupted run read (its bodies are
    # not fetched again), by URL.
    restored_robots: dict[str, str] = field(default_factory=dict)
    restored_sitemaps: dict[str, SitemapDoc] = field(default_factory=dict)
    # The audit's scope (migrationaudit.web.scope; what a sitemap lists does not join it). None: no
    # scope (every URL may be requested).
    scope: Scope | None = None
    # A peer (--workers): called once with the robots.txt URL of each new-site origin met,
    # for the lead's sitemap discovery.
    relay: Callable[[str], None] | None = None
    relayed: set[str] = field(default_factory=set)
    # Sites (hosts without www.) legacy URLs land on after a redirect, neither new nor old:
    # their robots.txt and sitemaps are read as a new-site host's.
    landed: set[str] = field(default_factory=set)
    # Legacy URLs a legacy sitemap listed, for the spider's progress total (it drains them).
    found_legacy: list[str] = field(default_factory=list)

    def restore(self, records: Iterable[dict[str, Any]]) -> None:
        """Resume: what the interrupted run read (its ``site.jsonl`` records), so replayed
        robots.txt and sitemap records act as if their bodies had been read again."""
        for r in records:
            if r.get("t") == "robots" and r.get("text") is not None:
                self.restored_robots[r["url"]] = r["text"]
            elif r.get("t") == "sitemap" and not r.get("unread") and "://" in r["url"]:
                self.restored_sitemaps.setdefault(
                    r["url"],
                    SitemapDoc(
                        source=r["url"],
                        format=r.get("format"),
                        entries=tuple(SitemapEntry.from_dict(e) for e in r.get("entries", ())),
                        count=int(r.get("count") or 0),
                        size=int(r.get("size") or 0),
                        compressed=bool(r.get("compressed")),
                        over_limit=tuple(r.get("over_limit") or ()),
                        errors=tuple(r.get("errors") or ()),
                        error_count=int(r.get("error_count") or 0),
                    ),
                )

    # -- scopes --

    def in_new(self, url: str) -> bool:
        return site_of(url) in self.job.new_sites

    def in_target(self, url: str) -> bool:
        """A new-site host, or a host legacy URLs land on (robots.txt and sitemaps read)."""
        site = site_of(url)
        return site in self.job.new_sites or site in self.landed

    def audited(self, url: str) -> bool:
        site = site_of(url)
        return site in self.job.new_sites or site in self.job.old_sites

    @property
    def discovers(self) -> bool:
        """Whether this process looks for the new site's sitemaps (a peer leaves it to the
        lead)."""
        return self.job.discover and self.job.part != "peer"

    def _robots_wanted(self, url: str) -> bool:
        # robots.txt of the new site is also where its sitemaps are found.
        if self.job.robots and self.audited(url):
            return True
        return (self.job.robots or self.discovers) and self.in_target(url)

    # -- entry points --

    def start(self) -> list[str]:
        """URLs to fetch once the legacy seeds are queued."""
        out: list[str] = []
        for url in self.job.sitemaps:
            out += self._declare(url, Role("sitemap"), "cli", None)
        for path in self.job.local_sitemaps:
            out += self._local_sitemap(path)
        for url in self.job.old_sitemaps:
            out += self._declare(url, Role("sitemap", old=True), "cli", None)
        for url in self.job.crawl:
            out += self._want(url, Role("crawl", depth=0))
        return out

    def legacy_seed(self, url: str) -> list[str]:
        """A legacy URL was queued: its landing page is expanded, its variants fetched."""
        out = self._want(url, Role("legacy", requested=urldefrag(url.strip())[0]))
        if self.job.variants:
            for v in legacy_variants(url):
                out += self._want(v, Role("variant"))
        return out

    def peer_origin(self, robots: str) -> list[str]:
        """The lead (--workers): a peer met the new-site origin of ``robots`` (its robots.txt
        URL); look for its sitemaps as if this process had met it."""
        if not self.discovers or robots in self.robots_origins:
            return []
        self.robots_origins.add(robots)
        if not self.audited(robots) and site_of(robots) not in self.job.staging_sites:
            self.landed.add(site_of(robots))  # a peer's landing host
        return self._want(robots, Role("robots", requested=robots))

    def wants_body(self, url: str) -> bool:
        """Whether the answer's body is needed (robots.txt or sitemap at the end of a chain)."""
        return any(r.kind in BODY_ROLES for r in self.pending.get(url, ()))

    def fetch_kind(self, url: str) -> str | None:
        """What a request for ``url`` fetches, for its body cap: "sitemap" or "robots" when a
        role waiting on it reads the body (a sitemap wins: it has the larger cap), else None
        (a page)."""
        kinds = {r.kind for r in self.pending.get(url, ())}
        return "sitemap" if "sitemap" in kinds else "robots" if "robots" in kinds else None

    def wants_links(self, url: str) -> bool:
        """Whether to collect the links of this page (a new-site page of a crawled site, while
        the page budget lasts)."""
        return bool(self.job.crawl) and self.in_new(url) and self.link_pages < self.job.max_pages

    def on_record(
        self, hop: Hop, body: bytes | None = None, flags: Iterable[str] = ()
    ) -> list[str]:
        """``hop`` was recorded: the URLs to fetch now."""
        roles = self.pending.pop(hop.url, [])
        target = hop.target if hop.is_redirect else None
        self.recorded[hop.url] = target
        out: list[str] = []
        if target is not None:
            # The spider follows the redirect itself (within the hop limit): the roles only
            # travel along; a URL returned here would restart the chain at depth 0.
            for role in roles:
                out += self._want(target, role, fetch=False)
        else:
            page = hop.page
            if hop.is_healthy and page is not None and self.in_new(hop.url):
                if page.links is not None:
                    self.link_pages += 1
                self.pages[hop.url] = Page(
                    page.canonical_url, tuple(h for _, h in page.hreflang), page.links
                )
            for role in roles:
                out += self._apply(hop.url, role, hop, body, tuple(flags))
        # After the roles: the robots.txt of this hop's host may be this very record.
        if hop.status is not None and self._robots_wanted(hop.url):
            out += self._want_robots(hop.url)
        if (
            self.relay is not None
            and hop.status is not None
            and self.job.discover
            and self.in_target(hop.url)
        ):
            origin = robots_url(hop.url)
            if origin is not None and origin not in self.relayed:
                self.relayed.add(origin)
                self.relay(origin)
        return out

    # -- internals --

    def _want_robots(self, url: str) -> list[str]:
        """The robots.txt of ``url``'s origin, once."""
        origin = robots_url(url)
        if origin is None or origin in self.robots_origins:
            return []
        self.robots_origins.add(origin)
        return self._want(origin, Role("robots", requested=origin))

    def _land(self, url: str, role: Role, hop: Hop | None) -> list[str]:
        """A legacy chain ended on a healthy page ``url``: after a redirect, on a host neither
        new, old nor staging, that host is a landing host (its robots.txt is wanted now)."""
        # hop None: the end was recorded before, and the legacy URL that got there first (if
        # any) has landed it already.
        if not role.requested or url == role.requested or hop is None or not hop.is_healthy:
            return []
        site = site_of(url)
        if not site or self.in_target(url) or self.audited(url) or site in self.job.staging_sites:
            return []
        self.landed.add(site)
        return self._want_robots(url) if self._robots_wanted(url) else []

    def _want(self, url: str, role: Role, *, fetch: bool = True) -> list[str]:
        """Attach ``role`` to the end of ``url``'s chain: act now when that end is recorded,
        else when it is. Returns ``[url]`` to fetch (``fetch``) when it was not recorded."""
        url = urldefrag(url.strip())[0] if "#" in url else url.strip()
        start = url
        seen: set[str] = set()
        while url in self.recorded:
            target = self.recorded[url]
            if target is None:
                return self._apply(url, role, None, None, ())
            if url in seen:
                return []  # a redirect loop: the role ends with it
            seen.add(url)
            url = target
        self.pending.setdefault(url, []).append(role)
        # Reaching ``start`` again (depth 0) also fetches a tail an earlier, longer chain had
        # cut off at the hop limit: ``start`` begins a chain of its own.
        return [start] if fetch else []

    def _apply(
        self, url: str, role: Role, hop: Hop | None, body: bytes | None, flags: tuple[str, ...]
    ) -> list[str]:
        if role.kind == "robots":
            return self._robots(url, role, hop, body, "truncated" in flags)
        if role.kind == "sitemap":
            return self._sitemap(url, role, hop, body, flags)
        if role.kind == "legacy":
            return self._land(url, role, hop) + self._expand(url)
        if role.kind == "expand":
            return self._expand(url)
        if role.kind == "crawl":
            return self._crawl(url, role.depth)
        return []

    def _robots(
        self, url: str, role: Role, hop: Hop | None, body: bytes | None, cut: bool = False
    ) -> list[str]:
        if url not in self.robots_read:
            self.robots_read[url] = self._read_robots(url, hop, body, cut)
        declared = self.robots_read[url]
        # Sitemaps are looked for only on a new-site host that answers its own robots.txt: a
        # host redirecting it elsewhere is a variant the site does not serve.
        if (
            not self.discovers
            or declared is None
            or robots_url(url) != role.requested
            or not self.in_target(url)
        ):
            return []
        out: list[str] = []
        for sitemap in declared:
            out += self._declare(sitemap, Role("sitemap"), "robots", url)
        if not declared:
            out += self._declare(sitemap_probe_url(role.requested), Role("sitemap"), "probe", url)
        return out

    def _read_robots(
        self, url: str, hop: Hop | None, body: bytes | None, cut: bool = False
    ) -> tuple[str, ...] | None:
        """Emit the robots record; its Sitemap: lines (() for none, or no file at all: a 4xx),
        None when nothing should be looked for (unread, 5xx, no answer). ``cut``: the body was
        longer than the 500 KiB read (Google ignores the rest too: said, not an error)."""
        if hop is None:
            self.emit({"t": "robots", "url": url, "unread": True})
            return None
        text = decode_robots(body) if hop.is_healthy and body is not None else None
        if text is None and body is None and url in self.restored_robots:
            return RobotsTxt.from_answer(url, 200, self.restored_robots[url]).sitemaps
        record: dict[str, Any] = {
            "t": "robots",
            "url": url,
            "status": hop.status,
            "error": hop.error,
            "text": text,
        }
        if cut and text is not None:
            record["truncated"] = True  # only when set: robots records keep their shape
        self.emit(record)
        if text is not None:
            return RobotsTxt.from_answer(url, 200, text).sitemaps
        if hop.status is not None and 400 <= hop.status < 500 and hop.status != 429:
            return ()
        return None

    def _end(self, url: str) -> str:
        """Where the recorded redirects from ``url`` lead so far (``url`` when unrecorded)."""
        seen: set[str] = set()
        while (target := self.recorded.get(url)) is not None and url not in seen:
            seen.add(url)
            url = target
        return url

    def _expand(self, url: str) -> list[str]:
        page = self.pages.get(url)
        if page is None or url in self.expanded:
            return []
        self.expanded.add(url)
        out: list[str] = []
        refs = [page.canonical, *page.hreflang]
        for ref in dict.fromkeys(r for r in refs if r):
            if self.audited(ref) and normalize(ref) != normalize(url):
                out += self._want(ref, Role("ref"))
        if self.job.variants:
            for v in page_variants(url):
                out += self._want(v, Role("variant"))
        return out

    def _crawl(self, url: str, depth: int) -> list[str]:
        page = self.pages.get(url)
        if page is None or page.links is None:
            return []
        known = self.crawled.get(url)
        if known is not None and known <= depth:
            return []
        if known is None and len(self.crawled) >= self.job.max_pages:
            return []
        self.crawled[url] = depth
        self.emit({"t": "crawled", "url": url, "depth": depth})
        out = self._expand(url)
        if depth < self.job.depth:
            for link in page.links:
                if self.in_new(link):
                    out += self._want(link, Role("crawl", depth=depth + 1))
                elif self.audited(link):
                    # A link to the old domain: fetched (not crawled) so that its finding
                    # shows where it redirects and the URL to link to instead.
                    out += self._want(link, Role("ref"))
        return out

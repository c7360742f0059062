"""The sitemap half of the new site's side, read as the hop spider drives
:class:`~migrationaudit.newsite.work.SiteWork` (a base class of it): a sitemap file declared,
fetched or local, parsed (:mod:`migrationaudit.inputs.sitemaps`), its entries wanted (an index:
its child sitemaps, with a depth limit and loop detection), its record emitted."""

from __future__ import annotations

from dataclasses import replace

from migrationaudit.errors import InputError
from migrationaudit.inputs.sitemaps import (
    SitemapDoc,
    parse_sitemap,
    read_sitemap_file,
)
from migrationaudit.models.hops import Hop
from migrationaudit.newsite.job import Emit, SiteJob
from migrationaudit.newsite.roles import Page, Role
from migrationaudit.newsite.variants import (
    legacy_variants,
)
from migrationaudit.settings import (
    SITEMAP_MAX_BYTES,
)
from migrationaudit.web.urls import normalize

# -- URL helpers shared with the rules ------------------------------------------------------

class SitemapSide:
    """Sitemap handling; the state it uses is :class:`SiteWork`'s (declared here for the type
    checker), and :meth:`_want`, :meth:`_expand`, :meth:`_end` are SiteWork's."""

    job: SiteJob
    emit: Emit
    pages: dict[str, Page]
    sitemaps_read: set[str]
    expanded: set[str]
    crawled: dict[str, int]
    listed: int
    recorded: dict[str, str | None]
    restored_sitemaps: dict[str, SitemapDoc]
    found_legacy: list[str]

    def audited(self, url: str) -> bool:
        raise NotImplementedError

    def in_new(self, url: str) -> bool:
        raise NotImplementedError

    def _want(self, url: str, role: Role, *, fetch: bool = True) -> list[str]:
        raise NotImplementedError

    def _expand(self, url: str) -> list[str]:
        raise NotImplementedError

    def _end(self, url: str) -> str:
        raise NotImplementedError

    def _declare(self, url: str, role: Role, source: str, by: str | None) -> list[str]:
        self.emit({"t": "sitemap-ref", "url": url, "source": source, "by": by, "old": role.old})
        return self._want(url, replace(role, source=source, requested=url))

    def _local_sitemap(self, path: str) -> list[str]:
        try:
            doc = read_sitemap_file(path)
        except InputError as exc:  # checked before the crawl; gone since: say so, go on
            doc = SitemapDoc(path, None, errors=(exc.reason,), error_count=1)
        return self._sitemap_doc(path, doc, Role("sitemap"), truncated=False)

    def _sitemap(
        self,
        url: str,
        role: Role,
        hop: Hop | None,
        body: bytes | None,
        flags: tuple[str, ...],
    ) -> list[str]:
        if url in self.sitemaps_read:
            return []
        if hop is not None and not hop.is_healthy:
            return []  # the chain's end says it all (sitemap-broken)
        self.sitemaps_read.add(url)
        if body is None and url in self.restored_sitemaps:
            doc = self.restored_sitemaps[url]
            return self._sitemap_doc(url, doc, role, truncated=False)
        if hop is None or body is None:
            reason = "fetched for another purpose before it was known as a sitemap"
            self.emit({"t": "sitemap", "url": url, "old": role.old, "unread": reason})
            return []
        if "undecodable" in flags:
            reason = "the compressed body could not be decoded (corrupt, or too large inflated)"
            doc = SitemapDoc(url, None, errors=(reason,), error_count=1)
        else:
            doc = parse_sitemap(body, url)
        if role.source == "probe" and doc.format is None and doc.count == 0:
            return []  # e.g. an HTML page served for every path: not a sitemap, not a defect
        if "truncated" in flags:
            doc = _cut_sitemap(doc, "inflated-over-cap" in flags)
        return self._sitemap_doc(url, doc, role, truncated="truncated" in flags)

    def _sitemap_doc(self, url: str, doc: SitemapDoc, role: Role, truncated: bool) -> list[str]:
        # What a sitemap lists does not join the audit's scope: a host that only a sitemap
        # names is never looked up (no DNS, no request); its entries are offsite hops
        # (sitemap-foreign-host says so).
        out: list[str] = []
        errors = list(doc.errors)
        unfetched = 0
        me = {normalize(url), normalize(role.requested or url)}
        above = {*role.ancestors, *me}
        if doc.is_index:
            for entry in doc.entries:
                # A child that is (or redirects to) this index or one above it is a loop.
                ends = {normalize(entry.loc), normalize(self._end(entry.loc))}
                if ends & above:
                    errors.append(f"line {entry.line}: index includes {entry.loc} again (loop)")
                elif role.depth + 1 > self.job.max_sitemap_depth:
                    errors.append(
                        f"line {entry.line}: {entry.loc} nested deeper than "
                        f"{self.job.max_sitemap_depth} index levels (not read)"
                    )
                else:
                    child_role = Role(
                        "sitemap",
                        old=role.old,
                        depth=role.depth + 1,
                        ancestors=tuple(sorted(above)),
                    )
                    out += self._declare(entry.loc, child_role, "index", url)
        else:
            for entry in doc.entries:
                if self.listed >= self.job.fetch_limit:
                    unfetched += 1
                    continue
                self.listed += 1
                wanted = Role("legacy", requested=entry.loc) if role.old else Role("expand")
                out += self._want(entry.loc, wanted)
                if role.old:
                    self.found_legacy.append(entry.loc)
                for _, href in entry.alternates:
                    if self.audited(href):
                        out += self._want(href, Role("ref"))
        self.emit(
            {
                "t": "sitemap",
                "url": url,
                "old": role.old,
                "format": doc.format,
                "entries": [e.to_dict() for e in doc.entries],
                "count": doc.count,
                "size": doc.size,
                "compressed": doc.compressed,
                "over_limit": list(doc.over_limit),
                "errors": errors[: max(len(doc.errors), 10)],
                "error_count": doc.error_count + len(errors) - len(doc.errors),
                "unfetched": unfetched,
                "truncated": truncated,
            }
        )
        if role.old and self.job.variants:
            for entry in doc.entries[: self.job.fetch_limit]:
                for v in legacy_variants(entry.loc):
                    out += self._want(v, Role("variant"))
        return out



def _cut_sitemap(doc: SitemapDoc, inflated: bool) -> SitemapDoc:
    """``doc`` of a body the crawl cut at the sitemap cap (50 MiB, the protocol's own limit):
    over the size limit (sitemap-too-large), and not read in full (sitemap-invalid)."""
    mb = SITEMAP_MAX_BYTES // (1024 * 1024)
    if inflated:
        why = (
            f"the compressed body could not be decoded in full: it inflates to more than "
            f"{mb} MB (the first {mb} MB were read)"
        )
    else:
        why = f"the body is larger than {mb} MB: only the first {mb} MB were read"
    over = doc.over_limit if doc.over_limit else (f"more than {mb} MB uncompressed (read stopped)",)
    return replace(doc, over_limit=over, errors=(why, *doc.errors), error_count=doc.error_count + 1)



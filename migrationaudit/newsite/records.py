"""After the crawl: what it found besides hop records (robots.txt texts, sitemap contents,
crawled pages), read back from ``site.jsonl``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrationaudit.inputs.robots import RobotsTxt
from migrationaudit.inputs.sitemaps import INDEX, SitemapEntry
from migrationaudit.models.inputs import LegacyURL, Origin
from migrationaudit.rundir.layout import SITE_RECORDS_FILE as RECORDS_FILE
from migrationaudit.settings import SiteOptions
from migrationaudit.web.urls import normalize


@dataclass(frozen=True)
class SitemapFile:
    """One sitemap file as the crawl read it (``url``: its final URL, or a local path)."""

    url: str
    old: bool
    format: str | None
    entries: tuple[SitemapEntry, ...] = ()
    count: int = 0
    size: int = 0
    compressed: bool = False
    over_limit: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    error_count: int = 0
    unfetched: int = 0
    truncated: bool = False
    unread: str | None = None

    @property
    def is_index(self) -> bool:
        return self.format == INDEX

    @property
    def readable(self) -> bool:
        return self.format is not None and self.unread is None

    @classmethod
    def from_record(cls, r: Mapping[str, Any]) -> SitemapFile:
        return cls(
            url=str(r["url"]),
            old=bool(r.get("old")),
            format=r.get("format"),
            entries=tuple(SitemapEntry.from_dict(e) for e in r.get("entries") or ()),
            count=int(r.get("count") or 0),
            size=int(r.get("size") or 0),
            compressed=bool(r.get("compressed")),
            over_limit=tuple(r.get("over_limit") or ()),
            errors=tuple(r.get("errors") or ()),
            error_count=int(r.get("error_count") or 0),
            unfetched=int(r.get("unfetched") or 0),
            truncated=bool(r.get("truncated")),
            unread=r.get("unread"),
        )



@dataclass(frozen=True)
class SitemapRef:
    """A sitemap URL the audit was pointed at: by ``--sitemap`` (source ``cli``), a robots.txt
    ``Sitemap:`` line (``robots``), an index (``index``) or a guess (``probe``: /sitemap.xml);
    ``by`` is the robots.txt or index URL that named it."""

    url: str
    source: str
    by: str | None
    old: bool



@dataclass(frozen=True)
class SiteRecords:
    """What the crawl found besides hop records (``site.jsonl``)."""

    robots: Mapping[str, RobotsTxt] = field(default_factory=dict)  # by final robots.txt URL
    sitemaps: Mapping[str, SitemapFile] = field(default_factory=dict)  # by final URL / path
    refs: tuple[SitemapRef, ...] = ()
    crawled: Mapping[str, int] = field(default_factory=dict)  # page → depth

    @classmethod
    def parse(cls, records: Iterable[Mapping[str, Any]]) -> SiteRecords:
        robots: dict[str, RobotsTxt] = {}
        sitemaps: dict[str, SitemapFile] = {}
        refs: list[SitemapRef] = []
        crawled: dict[str, int] = {}
        for r in records:
            kind = r.get("t")
            if kind == "robots" and not r.get("unread"):
                robots[r["url"]] = RobotsTxt.from_answer(
                    r["url"], r.get("status"), r.get("text"), r.get("error")
                )
            elif kind == "sitemap":
                sitemaps.setdefault(r["url"], SitemapFile.from_record(r))
            elif kind == "sitemap-ref":
                refs.append(SitemapRef(r["url"], r["source"], r.get("by"), bool(r.get("old"))))
            elif kind == "crawled":
                depth = int(r["depth"])
                crawled[r["url"]] = min(depth, crawled.get(r["url"], depth))
        return cls(robots, sitemaps, tuple(dict.fromkeys(refs)), crawled)



def read_records(run_dir: Path) -> SiteRecords:
    """The run's ``site.jsonl`` (empty records when there is none; a line cut off by an
    interrupted run is skipped)."""
    path = Path(run_dir) / RECORDS_FILE
    if not path.is_file():
        return SiteRecords()
    lines: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return SiteRecords.parse(lines)



def remote_old_legacy(records: SiteRecords, known: Sequence[LegacyURL]) -> tuple[LegacyURL, ...]:
    """URLs of fetched legacy sitemaps that are not legacy URLs yet (origin: sitemap, line)."""
    seen = {normalize(item.url) for item in known}
    out: list[LegacyURL] = []
    for sm in records.sitemaps.values():
        if not sm.old or sm.is_index:
            continue
        for entry in sm.entries:
            key = normalize(entry.loc)
            if key not in seen:
                seen.add(key)
                out.append(LegacyURL(entry.loc, Origin(sm.url, entry.line)))
    return tuple(out)


@dataclass(frozen=True)
class SiteRun:
    """The new-site stage of one run, as the judge needs it: the options and the records."""

    options: SiteOptions
    records: SiteRecords = field(default_factory=SiteRecords)

"""Request totals read from server access logs (:mod:`migrationaudit.inputs.accesslog`): one
:class:`LogTotals` per requested URL, the :class:`TrafficIndex` of them all, and the logged URLs
that no input covers, as legacy URLs to audit (:func:`logged_legacy`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from migrationaudit.inputs.crawlerranges import CrawlerRanges
from migrationaudit.inputs.priorityindex import page_key
from migrationaudit.models.inputs import LegacyURL, Origin
from migrationaudit.web.hosts import host_key
from migrationaudit.web.scope import www_twin


@dataclass
class LogTotals:
    """Requests of one URL over every log: hits, search-engine crawler hits, error answers,
    and (with a launch date) the hits since launch."""

    url: str
    origin: Origin
    hits: int = 0
    crawler_hits: int = 0
    error_hits: int = 0  # answered 4xx/5xx according to the log
    last_status: int | None = None
    hits_since: int = 0  # dated at or after the launch (only counted with one)
    crawler_hits_since: int = 0

    @property
    def rank_key(self) -> tuple[int, int]:
        """Sort descending for "most requested first": crawler hits, then all hits."""
        return (self.crawler_hits, self.hits)


@dataclass(frozen=True)
class TrafficIndex:
    """Every requested URL of the logs with its totals, keyed loosely (:func:`page_key`)."""

    totals: Mapping[str, LogTotals]
    files: tuple[str, ...]
    lines: int = 0
    requests: int = 0
    other_methods: int = 0
    malformed: int = 0
    examples: tuple[str, ...] = ()  # "file:line: reason" of the first malformed lines
    dropped_requests: int = 0  # requests of new URLs past ACCESS_LOG_MAX_URLS (not kept)
    since: datetime | None = None  # the launch (--launched), None without one
    undated: int = 0  # requests without a readable time (with a launch date: not "since")
    # URLs left out of the audit because their host is not the inputs' (see logged_legacy)
    other_hosts: Mapping[str, int] = field(default_factory=dict)
    ranges: CrawlerRanges | None = None  # --crawler-ranges, None without
    unverified: int = 0  # with ranges: crawler agents from addresses outside them

    def get(self, url: str) -> LogTotals | None:
        """The totals of ``url`` (any scheme, www or trailing-slash variant), None if unseen."""
        return self.totals.get(page_key(url))

    def demand(self, totals: LogTotals) -> tuple[int, int]:
        """(hits, crawler hits) that count after launch: since the launch date when one was
        given, else every request of the logs."""
        if self.since is None:
            return totals.hits, totals.crawler_hits
        return totals.hits_since, totals.crawler_hits_since

    def ranked(self) -> list[LogTotals]:
        """Every URL's totals, most requested by crawlers first, then by hits."""
        return sorted(self.totals.values(), key=lambda t: t.rank_key, reverse=True)

    def notes(self) -> dict[str, Any]:
        """Counts for the run metadata (the report shows them with the inputs)."""
        since = {}
        if self.since is not None:
            since = {
                "since": self.since.isoformat(),
                "requests_since": sum(t.hits_since for t in self.totals.values()),
                "undated_requests": self.undated,
            }
        return {
            "files": list(self.files),
            "lines": self.lines,
            "requests": self.requests,
            "urls": len(self.totals),
            "crawler_requests": sum(t.crawler_hits for t in self.totals.values()),
            "other_methods": self.other_methods,
            "malformed_lines": self.malformed,
            "malformed_examples": list(self.examples),
            "dropped_requests": self.dropped_requests,
            "urls_on_other_hosts": sum(self.other_hosts.values()),
            "other_hosts": dict(sorted(self.other_hosts.items(), key=lambda kv: -kv[1])[:20]),
            **since,
            **self._ranges_notes(),
        }

    def _ranges_notes(self) -> dict[str, Any]:
        if self.ranges is None:
            return {}
        return {
            "crawler_ranges": list(self.ranges.files),
            "crawler_prefixes": self.ranges.prefixes,
            "unverified_crawler_requests": self.unverified,
        }


def _host_of(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host_key(host) if host else None


def logged_legacy(
    index: TrafficIndex, legacy: Iterable[LegacyURL], hosts: Iterable[str | None] = ()
) -> tuple[TrafficIndex, list[LegacyURL]]:
    """The logged URLs no legacy URL covers (by the loose key), as legacy URLs to audit, most
    requested by search-engine crawlers first, then by hits (origin: the first line seen).

    Only URLs on the inputs' own hosts are kept: the hosts of ``legacy`` (the map and lists)
    and ``hosts`` (``--base-url`` and ``--allow-host`` values), ``www.`` twins included. A
    log is anyone's text: a ``Host:`` header or a proxy-style ``GET http://169.254.169.254/``
    must not make the audit request another host. The index comes back with the URLs left
    out counted by host (``other_hosts``)."""
    legacy = tuple(legacy)
    covered = {page_key(item.url) for item in legacy}
    netlocs = {item.url.split("/", 3)[2] for item in legacy if item.url.count("/") >= 2}
    own: set[str] = set()
    named = [h if "://" in h else f"//{h}" for h in hosts if h]  # a base URL or HOST[:PORT]
    for value in (*(f"//{n}" for n in netlocs), *named):
        key = _host_of(value)
        if key:
            own |= {key, *filter(None, [www_twin(key)])}
    kept: list[LegacyURL] = []
    other: dict[str, int] = {}
    for t in index.ranked():
        if page_key(t.url) in covered:
            continue
        key = _host_of(t.url)
        if key is None or key not in own:
            other[key or "?"] = other.get(key or "?", 0) + 1
            continue
        kept.append(LegacyURL(url=t.url, origin=t.origin))
    return replace(index, other_hosts=other), kept

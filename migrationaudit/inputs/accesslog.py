"""Server access logs (``--access-log``): which legacy URLs are still requested, and by whom.

Formats, detected per file from its first non-blank line (``.gz`` files are read compressed):

- nginx / Apache **combined** and **common** log formats (``$remote_addr - $remote_user
  [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"``; an
  Apache ``vhost_combined`` leading ``host:port`` is accepted). These lines carry a path only:
  the host comes from ``--base-url``.
- **JSON lines** (nginx ``log_format ... escape=json``, or any one-object-per-line log). The
  fields are found among the usual names (``request_uri``/``uri``/``url``/``request``,
  ``host``/``http_host``, ``status``, ``http_user_agent``/``user_agent``, ``request_method``,
  ``scheme``, ``time_iso8601``/``time``/``timestamp``) or named with
  ``--access-log-field FIELD=NAME`` (FIELD one of
  :data:`~migrationaudit.inputs.logformats.FIELDS`).
- **Cloudflare Logpush** JSON (``ClientRequestHost``, ``ClientRequestURI``,
  ``EdgeResponseStatus``, ``ClientRequestUserAgent``, ``ClientRequestMethod``,
  ``ClientRequestScheme``), recognised by its field names.
- **Akamai DataStream 2** JSON (``reqHost``, ``reqPath``, ``queryStr``, ``statusCode``,
  ``UA``, ``proto``), recognised by its field names.
- **CloudFront standard logs**: tab-separated W3C with a ``#Fields:`` line (``x-host-header``,
  ``cs-uri-stem``, ``cs-uri-query``, ``sc-status``, ``cs(User-Agent)``, ``cs-protocol``).

With ``--crawler-ranges FILE`` (the address ranges the search engines publish, see
:mod:`migrationaudit.inputs.crawlerranges`) a crawler hit is one whose agent says crawler *and*
whose client address (``$remote_addr``, ``ClientIP``, ``c-ip``, ...) is inside the ranges; the
others are counted apart as unverified.

With ``--launched DATE`` every request also counts as before or since launch (by the line's
own time: ``$time_iso8601``/``$time_local``, ``EdgeStartTimestamp``, CloudFront's ``date`` and
``time``); an undated line counts in the totals only. The line formats themselves are
:mod:`migrationaudit.inputs.logformats`.

Reading streams line by line and keeps one :class:`LogTotals` per distinct URL (at most
:data:`~migrationaudit.settings.ACCESS_LOG_MAX_URLS`; later new URLs are counted, not kept), so
memory follows the number of URLs, not of lines. Only GET and HEAD requests count. A line that
cannot be read is counted and named (``file:line: reason``, the first few kept), never an error:
a log is written by a server under load, not by a person.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from migrationaudit import settings
from migrationaudit.errors import InputError
from migrationaudit.inputs.common import check_url
from migrationaudit.inputs.crawlerranges import CrawlerRanges
from migrationaudit.inputs.logformats import (
    LogRequest,
    Malformed,
    kind_of,
    parse_cloudfront,
    parse_combined,
    parse_json,
)
from migrationaudit.inputs.priority import page_key
from migrationaudit.models.inputs import LegacyURL, Origin
from migrationaudit.web.hosts import host_key
from migrationaudit.web.scope import www_twin

# Search-engine crawlers by user agent (no reverse-DNS lookup: the audit sends no request that
# the inputs do not ask for). Without --crawler-ranges a spoofed agent counts too; the hit
# totals stay the first key.
CRAWLERS = re.compile(
    r"googlebot|google-inspectiontool|googleother|storebot-google|adsbot-google|bingbot|"
    r"bingpreview|adidxbot|msnbot|slurp|duckduckbot|baiduspider|yandex(?:bot|images)|applebot|"
    r"seznambot|petalbot|yeti/|sogou|qwant",
    re.IGNORECASE,
)
COUNTED_METHODS = frozenset({"GET", "HEAD"})
MAX_EXAMPLES = 20


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


def _open(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"  # gzip magic, whatever the name says
    # Logs hold whatever clients sent; nginx escapes it, others may not: never a decode error.
    if gzipped:
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return path.open(encoding="utf-8", errors="replace", newline="")


class _Reader:
    """Accumulates request totals over one or more logs."""

    def __init__(
        self,
        base_url: str | None,
        fields: Mapping[str, str],
        since: datetime | None,
        ranges: CrawlerRanges | None = None,
    ) -> None:
        self.base_url = base_url
        self.ranges = ranges
        self.unverified = 0
        self.fields = dict(fields)
        self.since = since
        self.totals: dict[str, LogTotals] = {}
        self.lines = self.requests = self.other_methods = self.malformed = 0
        self.dropped = self.undated = 0
        self.examples: list[str] = []

    def bad(self, name: str, line: int, reason: str) -> None:
        self.malformed += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{name}:{line}: {reason}")

    def url_of(self, req: LogRequest, name: str, line: int) -> str:
        target, host = req.target, req.host
        if not target or target == "-":
            raise Malformed("no request URL")
        if target.startswith("/") and host and host != "-":
            scheme = req.scheme.lower().rstrip(":/") if req.scheme != "-" else ""
            if scheme not in ("http", "https"):
                scheme = (self.base_url or "https://").split(":", 1)[0]
            target = f"{scheme}://{host}{target}"
        try:
            return check_url(target, self.base_url, name, line, what="request URL")
        except InputError as exc:
            raise Malformed(exc.reason) from None

    def add(self, req: LogRequest, name: str, line: int) -> None:
        """Count one request."""
        if req.method and req.method.upper() not in COUNTED_METHODS:
            self.other_methods += 1
            return
        url = self.url_of(req, name, line)
        self.requests += 1
        key = page_key(url)
        totals = self.totals.get(key)
        if totals is None:
            if len(self.totals) >= settings.ACCESS_LOG_MAX_URLS:
                self.dropped += 1  # memory stays bounded: requests of unkept URLs are counted
                return
            totals = self.totals[key] = LogTotals(url, Origin(name, line))
        crawler = bool(req.agent) and CRAWLERS.search(req.agent) is not None
        if crawler and self.ranges is not None and not self.ranges.contains(req.client):
            crawler = False  # the agent says crawler, the address says otherwise
            self.unverified += 1
        totals.hits += 1
        totals.crawler_hits += crawler
        if req.status is not None:
            totals.last_status = req.status
            totals.error_hits += req.status >= 400
        if self.since is not None:
            if req.time is None:
                self.undated += 1
            elif req.time >= self.since:
                totals.hits_since += 1
                totals.crawler_hits_since += crawler

    def read(self, path: str | Path) -> None:
        name = str(path)
        try:
            stream = _open(Path(path))
        except OSError as exc:
            raise InputError(f"cannot read access log: {exc.strerror or exc}", file=name) from None
        kind = ""
        columns: list[str] = []
        with stream:
            try:
                for lineno, text in enumerate(stream, start=1):
                    if not kind and text.strip():
                        kind = kind_of(text)
                    self._line(name, lineno, text, kind, columns)
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                raise InputError(f"cannot read access log: {exc}", file=name) from None

    def _line(self, name: str, lineno: int, text: str, kind: str, columns: list[str]) -> None:
        if not text.strip():
            return
        if kind == "cloudfront" and text.startswith("#"):
            if text.startswith("#Fields:"):
                columns[:] = text.split(":", 1)[1].split()
            return
        self.lines += 1
        try:
            if len(text) > settings.ACCESS_LOG_MAX_LINE:
                raise Malformed(f"line longer than {settings.ACCESS_LOG_MAX_LINE} characters")
            if kind == "json":
                req = parse_json(text, self.fields)
            elif kind == "cloudfront":
                if not columns:
                    raise Malformed("no #Fields line before the first record")
                req = parse_cloudfront(text, columns)
            else:
                req = parse_combined(text.rstrip("\r\n"))
            self.add(req, name, lineno)
        except Malformed as exc:
            self.bad(name, lineno, str(exc))


def read_access_logs(
    paths: Iterable[str | Path],
    base_url: str | None = None,
    fields: Mapping[str, str] | None = None,
    since: datetime | None = None,
    ranges: CrawlerRanges | None = None,
) -> TrafficIndex:
    """Read every log into one :class:`TrafficIndex`. Paths without a host (combined and
    common formats) are joined to ``base_url``; without one such lines are malformed.
    ``since``: the launch (aware datetime), to count the requests since then apart. An
    InputError only when a file cannot be read at all, or not one line is a usable request.
    ``ranges``: crawler address ranges; with them a crawler agent counts only from inside."""
    reader = _Reader(base_url, fields or {}, since, ranges)
    files = []
    for path in paths:
        files.append(str(path))
        reader.read(path)
    if not reader.requests and reader.examples:
        # Not one usable request: a wrong file or, for combined logs, no --base-url.
        hint = "" if base_url else " (paths without a host need --base-url)"
        raise InputError(f"no usable request in the access logs{hint}; first: {reader.examples[0]}")
    return TrafficIndex(
        totals=reader.totals,
        files=tuple(files),
        lines=reader.lines,
        requests=reader.requests,
        other_methods=reader.other_methods,
        malformed=reader.malformed,
        examples=tuple(reader.examples),
        dropped_requests=reader.dropped,
        since=since,
        undated=reader.undated,
        ranges=ranges,
        unverified=reader.unverified,
    )


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

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

Reading streams line by line and keeps one :class:`~migrationaudit.inputs.traffic.LogTotals`
per distinct URL (at most :data:`~migrationaudit.settings.ACCESS_LOG_MAX_URLS`; later new URLs
are counted, not kept), so memory follows the number of URLs, not of lines. Only GET and HEAD
requests count. A line that cannot be read is counted and named (``file:line: reason``, the
first few kept), never an error: a log is written by a server under load, not by a person.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO

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
from migrationaudit.inputs.priorityindex import page_key
from migrationaudit.inputs.traffic import LogTotals, TrafficIndex
from migrationaudit.models.inputs import Origin

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

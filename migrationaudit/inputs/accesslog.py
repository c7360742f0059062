"""Server access logs (``--access-log``): which legacy URLs are still requested, and by whom.

Formats, detected per file from its first non-blank line (``.gz`` files are read compressed):

- nginx / Apache **combined** and **common** log formats (``$remote_addr - $remote_user
  [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"``; an
  Apache ``vhost_combined`` leading ``host:port`` is accepted). These lines carry a path only:
  the host comes from ``--base-url``.
- **JSON lines** (nginx ``log_format ... escape=json``, or any one-object-per-line log). The
  fields are found among the usual names (``request_uri``/``uri``/``url``/``request``,
  ``host``/``http_host``, ``status``, ``http_user_agent``/``user_agent``, ``request_method``,
  ``scheme``) or named with ``--access-log-field FIELD=NAME`` (FIELD one of :data:`FIELDS`).
- **Cloudflare Logpush** JSON (``ClientRequestHost``, ``ClientRequestURI``,
  ``EdgeResponseStatus``, ``ClientRequestUserAgent``, ``ClientRequestMethod``,
  ``ClientRequestScheme``), recognised by its field names.
- **CloudFront standard logs**: tab-separated W3C with a ``#Fields:`` line (``x-host-header``,
  ``cs-uri-stem``, ``cs-uri-query``, ``sc-status``, ``cs(User-Agent)``, ``cs-protocol``).

Reading streams line by line and keeps one :class:`LogTotals` per distinct URL (at most
:data:`~migrationaudit.settings.ACCESS_LOG_MAX_URLS`; later new URLs are counted, not kept), so
memory follows the number of URLs, not of lines. Only GET and HEAD requests count. A line that
cannot be read is counted and named (``file:line: reason``, the first few kept), never an error:
a log is written by a server under load, not by a person.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote

from migrationaudit import settings
from migrationaudit.errors import InputError
from migrationaudit.inputs.common import check_url
from migrationaudit.inputs.priority import page_key
from migrationaudit.models.inputs import LegacyURL, Origin

FIELDS = ("url", "host", "scheme", "status", "agent", "method")
# Usual JSON field names, first match wins (nginx variables, then common spellings).
JSON_NAMES: dict[str, tuple[str, ...]] = {
    "url": ("request_uri", "uri", "url", "path", "request"),
    "host": ("host", "http_host", "server_name", "vhost"),
    "scheme": ("scheme", "protocol"),
    "status": ("status", "status_code", "response_status"),
    "agent": ("http_user_agent", "user_agent", "agent", "ua"),
    "method": ("request_method", "method"),
}
CLOUDFLARE = {
    "url": "ClientRequestURI",
    "host": "ClientRequestHost",
    "scheme": "ClientRequestScheme",
    "status": "EdgeResponseStatus",
    "agent": "ClientRequestUserAgent",
    "method": "ClientRequestMethod",
}
CLOUDFRONT = {
    "url": "cs-uri-stem",
    "query": "cs-uri-query",
    "host": "x-host-header",
    "scheme": "cs-protocol",
    "status": "sc-status",
    "agent": "cs(User-Agent)",
    "method": "cs-method",
}
# Search-engine crawlers by user agent (no reverse-DNS lookup: the audit sends no request that
# the inputs do not ask for). A spoofed agent counts too; the hit totals stay the first key.
CRAWLERS = re.compile(
    r"googlebot|google-inspectiontool|googleother|storebot-google|adsbot-google|bingbot|"
    r"bingpreview|adidxbot|msnbot|slurp|duckduckbot|baiduspider|yandex(?:bot|images)|applebot|"
    r"seznambot|petalbot|yeti/|sogou|qwant",
    re.IGNORECASE,
)
_Q = r'"((?:[^"\\]|\\.)*)"'
COMBINED = re.compile(
    r"^(?:\S+:\d+ )?\S+ \S+ \S+ \[[^\]]*\] " + _Q + r" (\d{3}|-) \S+(?: " + _Q + " " + _Q + ")?"
)
COUNTED_METHODS = frozenset({"GET", "HEAD"})
MAX_EXAMPLES = 20


class _Malformed(Exception):
    """One line that cannot be used (the reason is the message)."""


@dataclass
class LogTotals:
    """Requests of one URL over every log: hits, search-engine crawler hits, error answers."""

    url: str
    origin: Origin
    hits: int = 0
    crawler_hits: int = 0
    error_hits: int = 0  # answered 4xx/5xx according to the log
    last_status: int | None = None

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

    def get(self, url: str) -> LogTotals | None:
        """The totals of ``url`` (any scheme, www or trailing-slash variant), None if unseen."""
        return self.totals.get(page_key(url))

    def ranked(self) -> list[LogTotals]:
        """Every URL's totals, most requested by crawlers first, then by hits."""
        return sorted(self.totals.values(), key=lambda t: t.rank_key, reverse=True)

    def notes(self) -> dict[str, Any]:
        """Counts for the run metadata (the report shows them with the inputs)."""
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
        }


def parse_field(value: str) -> tuple[str, str]:
    """``FIELD=NAME`` of ``--access-log-field`` (FIELD one of :data:`FIELDS`)."""
    key, sep, name = value.partition("=")
    key = key.strip().lower()
    if not sep or not name.strip() or key not in FIELDS:
        raise ValueError(f"{value!r}: expected FIELD=NAME, FIELD one of: {', '.join(FIELDS)}")
    return key, name.strip()


def _open(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"  # gzip magic, whatever the name says
    # Logs hold whatever clients sent; nginx escapes it, others may not: never a decode error.
    if gzipped:
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return path.open(encoding="utf-8", errors="replace", newline="")


def _unescape(text: str) -> str:
    """nginx writes ``\\xHH`` (and Apache ``\\"``) for unsafe bytes in quoted fields."""
    if "\\" not in text:
        return text
    return re.sub(
        r"\\x([0-9A-Fa-f]{2})|\\(.)", lambda m: chr(int(m[1], 16)) if m[1] else m[2], text
    )


def _status(raw: Any) -> int | None:
    text = str(raw).strip() if raw is not None else ""
    if text in ("", "-"):
        return None
    if not text.isdigit() or not 100 <= int(text) <= 599:
        raise _Malformed(f"status {text[:20]!r} is not an HTTP status")
    return int(text)


class _Reader:
    """Accumulates request totals over one or more logs."""

    def __init__(self, base_url: str | None, fields: Mapping[str, str]) -> None:
        self.base_url = base_url
        self.fields = dict(fields)
        self.totals: dict[str, LogTotals] = {}
        self.lines = self.requests = self.other_methods = self.malformed = self.dropped = 0
        self.examples: list[str] = []

    def bad(self, name: str, line: int, reason: str) -> None:
        self.malformed += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{name}:{line}: {reason}")

    def add(
        self,
        name: str,
        line: int,
        target: str,
        host: str,
        scheme: str,
        status: int | None,
        agent: str,
        method: str,
    ) -> None:
        """Count one request (``target``: the request target, a path or an absolute URL)."""
        if method and method.upper() not in COUNTED_METHODS:
            self.other_methods += 1
            return
        if not target or target == "-":
            raise _Malformed("no request URL")
        if target.startswith("/") and host and host != "-":
            scheme = scheme.lower().rstrip(":/") if scheme and scheme != "-" else ""
            if scheme not in ("http", "https"):
                scheme = (self.base_url or "https://").split(":", 1)[0]
            target = f"{scheme}://{host}{target}"
        try:
            url = check_url(target, self.base_url, name, line, what="request URL")
        except InputError as exc:
            raise _Malformed(exc.reason) from None
        self.requests += 1
        key = page_key(url)
        totals = self.totals.get(key)
        if totals is None:
            if len(self.totals) >= settings.ACCESS_LOG_MAX_URLS:
                self.dropped += 1  # memory stays bounded: requests of unkept URLs are counted
                return
            totals = self.totals[key] = LogTotals(url, Origin(name, line))
        totals.hits += 1
        if agent and CRAWLERS.search(agent):
            totals.crawler_hits += 1
        if status is not None:
            totals.last_status = status
            totals.error_hits += status >= 400

    # --- the formats ----------------------------------------------------------------------

    def combined(self, name: str, line: int, text: str) -> None:
        m = COMBINED.match(text)
        if m is None:
            raise _Malformed("not a combined/common log line")
        request = _unescape(m[1]).split(" ")
        if len(request) < 2:
            raise _Malformed(f"request {m[1][:60]!r} has no method and URL")
        status = None if m[2] == "-" else _status(m[2])
        self.add(name, line, request[1], "", "", status, _unescape(m[4] or ""), request[0])

    def json_line(self, name: str, line: int, text: str) -> None:
        try:
            obj = json.loads(text)
        except ValueError:
            raise _Malformed("not valid JSON") from None
        if not isinstance(obj, dict):
            raise _Malformed("not a JSON object")
        names = CLOUDFLARE if CLOUDFLARE["url"] in obj and not self.fields else None

        def get(key: str) -> str:
            if names is not None:
                value = obj.get(names[key])
            elif key in self.fields:
                value = obj.get(self.fields[key])
            else:
                value = next((obj[n] for n in JSON_NAMES[key] if n in obj), None)
            return "" if value is None else str(value)

        target, method = get("url"), get("method")
        if target.count(" ") >= 2 and not method:  # "$request": "GET /path HTTP/1.1"
            method, target = target.split(" ")[0], target.split(" ")[1]
        self.add(
            name,
            line,
            target,
            get("host"),
            get("scheme"),
            _status(get("status")),
            get("agent"),
            method,
        )

    def cloudfront(self, name: str, line: int, text: str, columns: list[str]) -> None:
        cells = text.rstrip("\r\n").split("\t")
        if len(cells) != len(columns):
            raise _Malformed(f"{len(cells)} fields where #Fields names {len(columns)}")
        row = dict(zip(columns, cells, strict=True))

        def get(key: str) -> str:
            value = row.get(CLOUDFRONT[key], "-")
            return "" if value == "-" else value

        target, query = get("url"), get("query")
        if query:
            target = f"{target}?{query}"
        self.add(
            name,
            line,
            target,
            get("host") or row.get("cs(Host)", ""),
            get("scheme"),
            _status(get("status")),
            unquote(unquote(get("agent"))),
            get("method"),
        )

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
                        kind = self.kind_of(text)
                    self._line(name, lineno, text, kind, columns)
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                raise InputError(f"cannot read access log: {exc}", file=name) from None

    @staticmethod
    def kind_of(text: str) -> str:
        stripped = text.lstrip("\ufeff").lstrip()
        if stripped.startswith("#"):
            return "cloudfront"
        return "json" if stripped.startswith("{") else "combined"

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
                raise _Malformed(f"line longer than {settings.ACCESS_LOG_MAX_LINE} characters")
            if kind == "json":
                self.json_line(name, lineno, text)
            elif kind == "cloudfront":
                if not columns:
                    raise _Malformed("no #Fields line before the first record")
                self.cloudfront(name, lineno, text, columns)
            else:
                self.combined(name, lineno, text.rstrip("\r\n"))
        except _Malformed as exc:
            self.bad(name, lineno, str(exc))


def read_access_logs(
    paths: Iterable[str | Path],
    base_url: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> TrafficIndex:
    """Read every log into one :class:`TrafficIndex`. Paths without a host (combined and
    common formats) are joined to ``base_url``; without one such lines are malformed. An
    InputError only when a file cannot be read at all (missing, not gzip after its magic)."""
    reader = _Reader(base_url, fields or {})
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
    )


def logged_legacy(index: TrafficIndex, legacy: Iterable[LegacyURL]) -> list[LegacyURL]:
    """The logged URLs no legacy URL covers (by the loose key), as legacy URLs to audit, most
    requested by search-engine crawlers first, then by hits. Origin: the first line seen."""
    covered = {page_key(item.url) for item in legacy}
    return [
        LegacyURL(url=t.url, origin=t.origin)
        for t in index.ranked()
        if page_key(t.url) not in covered
    ]

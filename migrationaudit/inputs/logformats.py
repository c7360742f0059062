"""One access-log line → one :class:`LogRequest`, for each format :mod:`~migrationaudit.inputs.
accesslog` reads (combined/common, JSON lines, Cloudflare Logpush, CloudFront), or
:class:`Malformed` with the reason. Pure functions over text: no file, no URL checks."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

FIELDS = ("url", "host", "scheme", "status", "agent", "method", "time", "client")
# Usual JSON field names, first match wins (nginx variables, then common spellings).
JSON_NAMES: dict[str, tuple[str, ...]] = {
    "url": ("request_uri", "uri", "url", "path", "request"),
    "host": ("host", "http_host", "server_name", "vhost"),
    "scheme": ("scheme", "protocol"),
    "status": ("status", "status_code", "response_status"),
    "agent": ("http_user_agent", "user_agent", "agent", "ua"),
    "method": ("request_method", "method"),
    "time": ("time_iso8601", "time", "timestamp", "@timestamp", "time_local", "msec"),
    "client": ("remote_addr", "client_ip", "ClientIP", "clientIP", "client", "remote_ip", "ip"),
}
CLOUDFLARE = {
    "url": "ClientRequestURI",
    "host": "ClientRequestHost",
    "scheme": "ClientRequestScheme",
    "status": "EdgeResponseStatus",
    "agent": "ClientRequestUserAgent",
    "method": "ClientRequestMethod",
    "time": "EdgeStartTimestamp",
    "client": "ClientIP",
}
# Akamai DataStream 2, JSON: the path and the query apart, the agent URL-encoded, "proto" is
# the scheme (HTTP/HTTPS), "reqTimeSec" a Unix time.
AKAMAI = {
    "url": "reqPath",
    "query": "queryStr",
    "host": "reqHost",
    "scheme": "proto",
    "status": "statusCode",
    "agent": "UA",
    "method": "reqMethod",
    "time": "reqTimeSec",
    "client": "cliIP",
}
CLOUDFRONT = {
    "url": "cs-uri-stem",
    "query": "cs-uri-query",
    "host": "x-host-header",
    "scheme": "cs-protocol",
    "status": "sc-status",
    "agent": "cs(User-Agent)",
    "method": "cs-method",
    "client": "c-ip",
}
_Q = r'"((?:[^"\\]|\\.)*)"'
COMBINED = re.compile(
    r"^(?:\S+:\d+ )?(\S+) \S+ \S+ \[([^\]]*)\] " + _Q + r" (\d{3}|-) \S+(?: " + _Q + " " + _Q + ")?"
)
_ESCAPE = re.compile(r"\\x([0-9A-Fa-f]{2})|\\(.)")
CLF_TIME = "%d/%b/%Y:%H:%M:%S %z"  # [10/Oct/2000:13:55:36 -0700]


class Malformed(Exception):
    """One line that cannot be used (the reason is the message)."""


@dataclass(frozen=True, slots=True)
class LogRequest:
    """One logged request. ``target``: the request target (a path or an absolute URL);
    ``host``/``scheme``: empty when the line does not say; ``time``: None when undated;
    ``client``: the client address as the line writes it, empty when it has none."""

    target: str
    host: str = ""
    scheme: str = ""
    status: int | None = None
    agent: str = ""
    method: str = ""
    time: datetime | None = None
    client: str = ""


def parse_field(value: str) -> tuple[str, str]:
    """``FIELD=NAME`` of ``--access-log-field`` (FIELD one of :data:`FIELDS`)."""
    key, sep, name = value.partition("=")
    key = key.strip().lower()
    if not sep or not name.strip() or key not in FIELDS:
        raise ValueError(f"{value!r}: expected FIELD=NAME, FIELD one of: {', '.join(FIELDS)}")
    return key, name.strip()


def kind_of(first_line: str) -> str:
    """``cloudfront`` (a ``#Version``/``#Fields`` header), ``json`` or ``combined``."""
    stripped = first_line.lstrip("\ufeff").lstrip()
    if stripped.startswith("#"):
        return "cloudfront"
    return "json" if stripped.startswith("{") else "combined"


def unescape(text: str) -> str:
    """nginx writes ``\\xHH`` (and Apache ``\\"``) for unsafe bytes in quoted fields."""
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m[1], 16)) if m[1] else m[2], text)


def status_of(raw: Any) -> int | None:
    text = str(raw).strip() if raw is not None else ""
    if text in ("", "-"):
        return None
    if not text.isdigit() or not 100 <= int(text) <= 599:
        raise Malformed(f"status {text[:20]!r} is not an HTTP status")
    return int(text)


def time_of(raw: Any) -> datetime | None:
    """A log time: ISO 8601 / RFC 3339, the common log format's, or a Unix time (seconds,
    milliseconds or nanoseconds, as Cloudflare writes them). None when empty or unreadable:
    an undated request is still a request."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float) or (isinstance(raw, str) and re.fullmatch(r"\d+(\.\d+)?", raw)):
        n = float(raw)
        while n > 1e11:  # milliseconds, microseconds, nanoseconds → seconds
            n /= 1000
        return datetime.fromtimestamp(n, UTC)
    text = str(raw).strip().strip("[]")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = datetime.strptime(text, CLF_TIME)
        except ValueError:
            return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_combined(text: str) -> LogRequest:
    m = COMBINED.match(text)
    if m is None:
        raise Malformed("not a combined/common log line")
    client, when, line, code, agent = m[1], m[2], m[3], m[4], m[6]
    request = unescape(line).split(" ")
    if len(request) < 2:
        raise Malformed(f"request {line[:60]!r} has no method and URL")
    status = None if code == "-" else status_of(code)
    return LogRequest(
        request[1],
        status=status,
        agent=unescape(agent or ""),
        method=request[0],
        time=time_of(when),
        client="" if client == "-" else client,
    )


def parse_json(text: str, fields: Mapping[str, str]) -> LogRequest:
    """A JSON-lines record: Cloudflare's names when it has them (and no ``fields`` were
    named), else ``fields`` and the usual names."""
    try:
        obj = json.loads(text)
    except ValueError:
        raise Malformed("not valid JSON") from None
    if not isinstance(obj, dict):
        raise Malformed("not a JSON object")
    preset = None
    if not fields and CLOUDFLARE["url"] in obj:
        preset = CLOUDFLARE
    elif not fields and AKAMAI["url"] in obj and AKAMAI["host"] in obj:
        preset = AKAMAI

    def raw(key: str) -> Any:
        if preset is not None:
            return obj.get(preset[key])
        if key in fields:
            return obj.get(fields[key])
        return next((obj[n] for n in JSON_NAMES[key] if n in obj), None)

    def get(key: str) -> str:
        value = raw(key)
        return "" if value is None else str(value)

    target, method = get("url"), get("method")
    if target.count(" ") >= 2 and not method:  # "$request": "GET /path HTTP/1.1"
        method, target = target.split(" ")[0], target.split(" ")[1]
    agent = get("agent")
    if preset is AKAMAI:
        query = str(obj.get(AKAMAI["query"]) or "")
        target = f"{target}?{query}" if query and query != "-" else target
        agent = unquote(agent.replace("+", " "))
    return LogRequest(
        target,
        get("host"),
        get("scheme"),
        status_of(get("status")),
        agent,
        method,
        time_of(raw("time")),
        "" if get("client") == "-" else get("client"),
    )


def parse_cloudfront(text: str, columns: Sequence[str]) -> LogRequest:
    """A CloudFront standard-log record under its ``#Fields`` ``columns``."""
    cells = text.rstrip("\r\n").split("\t")
    if len(cells) != len(columns):
        raise Malformed(f"{len(cells)} fields where #Fields names {len(columns)}")
    row = dict(zip(columns, cells, strict=True))

    def get(key: str) -> str:
        value = row.get(CLOUDFRONT.get(key, key), "-")
        return "" if value == "-" else value

    target, query = get("url"), get("query")
    if query:
        target = f"{target}?{query}"
    when = time_of(f"{get('date')}T{get('time')}+00:00") if get("date") else None  # UTC
    return LogRequest(
        target,
        get("host") or get("cs(Host)"),
        get("scheme"),
        status_of(get("status")),
        unquote(unquote(get("agent"))),  # CloudFront URL-encodes the agent (twice, for some)
        get("method"),
        when,
        get("client"),
    )

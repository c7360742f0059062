"""A scenario site server: a whole migration (old and new hosts) served from one JSON file.

A site is data (``sample_maps/*/site.json``)::

    {"description": "...",
     "dead_hosts": ["gone.example"],
     "redirect_variants": true,
     "routes": [
       {"url": "http://old.example/a", "status": 301, "location": "https://new.example/a"},
       {"url": "https://new.example/a", "title": "A", "canonical": "https://new.example/a",
        "links": ["/b", "https://new.example/c"], "hreflang": {"de": "https://new.example/de/a"}},
       {"url": "https://new.example/sitemap.xml", "sitemap": ["https://new.example/a",
        {"loc": "https://new.example/b", "alternates": {"de": "https://new.example/de/b"}}]},
       {"url": "https://new.example/sitemap_index.xml.gz", "sitemap_index": ["..."],
        "gzip": "file"},
       {"url": "https://new.example/robots.txt", "body": "User-agent: *\nAllow: /\n",
        "content_type": "text/plain"},
       {"url": "http://old.example/reset", "action": "reset"},
       {"url": "http://old.example/slow", "delay": 5}]}

``redirect_variants``: a request without a route of its own whose scheme / www / trailing-slash
variant has one is answered like a well-kept server does: the same redirect when the route
redirects, else a 301 to the route's URL (and the www twins of routed hosts are served too).
``gzip``: ``"encoding"`` sends the body with ``Content-Encoding: gzip``, ``"file"`` sends it
gzip-compressed as the file itself (a ``.xml.gz`` sitemap). ``zeros_mb``: the body is that many
MiB of NUL bytes (with gzip: a decompression bomb of a few KiB on the wire). In a ``location``,
``{http_port}`` and ``{https_port}`` stand for the server's listening ports.

:class:`ScenarioServer` serves every routed host on one HTTP and one HTTPS listener on
127.0.0.1 (ephemeral ports); :meth:`ScenarioServer.connect_to` gives the ``ConnectTo`` entries
that point the crawler's hostnames at them, so URLs, Host headers and TLS SNI keep the real
names. The demo and the crawl tests both use it; ``python -m migrationaudit.demo site.json``
serves a site by hand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from migrationaudit.errors import InputError

ROUTE_FIELDS = frozenset(
    {
        "url",
        "status",
        "location",
        "title",
        "canonical",
        "robots",
        "refresh",
        "headers",
        "body",
        "content_type",
        "action",
        "delay",
        "after",
        "fail_times",
        "fail_status",
        "fail_headers",
        "note",
        "links",
        "hreflang",
        "sitemap",
        "sitemap_index",
        "gzip",
        "zeros_mb",
    }
)
AFTER_WAIT_S = 60.0  # the longest a route with ``after`` holds its answer
ACTIONS = frozenset({"reset"})
GZIP_MODES = frozenset({"encoding", "file"})
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
DEFAULT_CONTENT_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Route:
    """How the server answers one URL (scheme + host + path + query; port ignored).

    ``fail_times`` answers ``fail_status`` that many times first (for retry scenarios);
    ``action="reset"`` closes the connection without any response; ``delay`` waits before
    answering; ``after`` (a URL) holds the answer until the server has answered that URL (an
    event, for tests that need one answer to come after another whatever the machine's load;
    at most :data:`AFTER_WAIT_S`), then ``delay`` applies. A route without ``body`` gets a
    small generated HTML page carrying ``title``, ``canonical``, ``robots`` and ``refresh``.
    """

    url: str
    status: int = 200
    location: str | None = None
    title: str | None = None
    canonical: str | None = None
    robots: str | None = None
    refresh: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    content_type: str | None = None
    action: str | None = None
    delay: float = 0.0
    after: str | None = None
    fail_times: int = 0
    fail_status: int = 503
    fail_headers: tuple[tuple[str, str], ...] = ()  # sent with the failures (Retry-After)
    links: tuple[str, ...] = ()
    hreflang: tuple[tuple[str, str], ...] = ()
    sitemap: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] | None = None
    sitemap_index: tuple[str, ...] | None = None
    gzip: str | None = None
    zeros_mb: int = 0

    @property
    def key(self) -> tuple[str, str, str]:
        return route_key(self.url)

    @property
    def is_redirect(self) -> bool:
        return self.location is not None and 300 <= self.status < 400


@dataclass(frozen=True)
class Site:
    """A scenario: routes to serve and hosts that refuse connections."""

    routes: tuple[Route, ...]
    dead_hosts: tuple[str, ...] = ()
    description: str = ""
    redirect_variants: bool = False

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every routed host, lower-case, in first-seen order."""
        seen: dict[str, None] = {}
        for r in self.routes:
            seen.setdefault(r.key[1], None)
        return tuple(seen)

    @property
    def served_hosts(self) -> tuple[str, ...]:
        """Routed hosts, plus their www twins when variants are redirected."""
        out = dict.fromkeys(self.hosts)
        if self.redirect_variants:
            for host in self.hosts:
                if "." in host and not host.replace(".", "").isdigit():
                    out.setdefault(host[4:] if host.startswith("www.") else f"www.{host}")
        return tuple(out)

    def resolve(self, scheme: str, host: str, path: str) -> tuple[Route | None, str | None]:
        """The route answering a request, or (None, URL) when a variant is redirected to the
        route at URL (``redirect_variants``); (None, None) for a 404."""
        routes = self._index
        route = routes.get((scheme, host, path))
        if route is not None or not self.redirect_variants:
            return route or _catch_all(routes, scheme, host, path), None
        keys = _variant_keys(scheme, host, path)
        for key in keys:
            found = routes.get(key)
            if found is None:
                continue
            if found.is_redirect or not 200 <= found.status < 300:
                return found, None  # the same answer: one hop to the same place
            return None, found.url
        for key in [(scheme, host, path), *keys]:  # else a catch-all's answer, as is
            found = _catch_all(routes, *key)
            if found is not None:
                return found, None
        return None, None

    @cached_property
    def _index(self) -> dict[tuple[str, str, str], Route]:
        return {r.key: r for r in self.routes}


def _variant_keys(scheme: str, host: str, path: str) -> list[tuple[str, str, str]]:
    """Keys of the scheme × www × trailing-slash variants of a request, nearest first."""
    schemes = [scheme, "https" if scheme == "http" else "http"]
    hosts = [host, host[4:] if host.startswith("www.") else f"www.{host}"]
    base, _, query = path.partition("?")
    paths = [path]
    if base not in ("", "/"):
        toggled = base[:-1] if base.endswith("/") else base + "/"
        paths.append(toggled + (f"?{query}" if query else ""))
    keys = [(s, h, p) for s in schemes for h in hosts for p in paths]
    return keys[1:]


@dataclass(frozen=True)
class RequestLog:
    """One request the server received (for test assertions)."""

    method: str
    scheme: str
    host: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    sni: str | None = None
    at: float = 0.0  # time.monotonic() when the request was read (for timing assertions)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}{self.path}"


def _catch_all(
    routes: dict[tuple[str, str, str], Route], scheme: str, host: str, path: str
) -> Route | None:
    """The catch-all route answering ``path``: ``https://host/dir/*`` answers every path under
    /dir/ without a route of its own, ``https://host/*`` every path of the host (the deepest
    one wins); None when there is none."""
    parts = path.split("?", 1)[0].split("/")[1:-1]
    for depth in range(len(parts), -1, -1):
        prefix = "/" + "".join(p + "/" for p in parts[:depth])
        route = routes.get((scheme, host, prefix + "*"))
        if route is not None:
            return route
    return None


def route_key(url: str) -> tuple[str, str, str]:
    """(scheme, host, path+query) of a URL: how requests are matched to routes."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    # Percent-encode like a client does (non-ASCII as UTF-8, spaces), keeping escapes as they are.
    path = quote(path, safe="!#$%&'()*+,/:;=?@[]~")
    return parts.scheme.lower(), _ascii_host(parts.hostname or ""), path


def _ascii_host(host: str) -> str:
    # IDNs as punycode: that is what a client puts in the Host header and SNI.
    host = host.lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def load_site(path: Path) -> Site:
    """Read a site definition; :class:`InputError` naming the file on bad JSON or fields."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read site definition: {exc}", file=str(path)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
    return parse_site(data, source=str(path))


def parse_site(data: Any, source: str = "<site>") -> Site:
    """Build a :class:`Site` from already-decoded JSON data (``source`` names it in errors)."""
    if not isinstance(data, dict):
        raise InputError("a site definition must be a JSON object", file=source)
    unknown = set(data) - {"description", "dead_hosts", "routes", "redirect_variants"}
    if unknown:
        raise InputError(f"unknown site field(s): {', '.join(sorted(unknown))}", file=source)
    routes_data = data.get("routes", [])
    if not isinstance(routes_data, list):
        raise InputError('"routes" must be a list', file=source)
    routes: list[Route] = []
    seen: set[tuple[str, str, str]] = set()
    for i, item in enumerate(routes_data):
        route = _parse_route(item, f"{source}: route #{i + 1}")
        if route.key in seen:
            raise InputError(f"route #{i + 1}: duplicate route for {route.url}", file=source)
        seen.add(route.key)
        routes.append(route)
    dead = data.get("dead_hosts", [])
    if not isinstance(dead, list) or not all(isinstance(h, str) and h for h in dead):
        raise InputError('"dead_hosts" must be a list of host names', file=source)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InputError('"description" must be a string', file=source)
    variants = data.get("redirect_variants", False)
    if not isinstance(variants, bool):
        raise InputError('"redirect_variants" must be true or false', file=source)
    return Site(tuple(routes), tuple(_ascii_host(h) for h in dead), description, variants)


def _parse_route(item: Any, where: str) -> Route:
    if not isinstance(item, dict):
        raise InputError(f"{where}: must be a JSON object")
    unknown = set(item) - ROUTE_FIELDS
    if unknown:
        raise InputError(f"{where}: unknown field(s): {', '.join(sorted(unknown))}")
    url = item.get("url")
    scheme, host, _ = route_key(url) if isinstance(url, str) else ("", "", "")
    if scheme not in ("http", "https") or not host:
        raise InputError(f"{where}: 'url' must be an absolute http(s) URL, got {url!r}")
    strings = {}
    for name in (
        "location", "title", "canonical", "robots", "refresh", "body", "content_type", "after"
    ):
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            raise InputError(f"{where}: {name!r} must be a string")
        strings[name] = value
    action = item.get("action")
    if action is not None and action not in ACTIONS:
        raise InputError(f"{where}: unknown action {action!r} (expected one of: reset)")
    default_status = 301 if strings["location"] is not None else 200
    status = item.get("status", default_status)
    fail_status = item.get("fail_status", 503)
    for name, value in (("status", status), ("fail_status", fail_status)):
        if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
            raise InputError(f"{where}: {name!r} must be an HTTP status code, got {value!r}")
    delay = item.get("delay", 0)
    if not isinstance(delay, int | float) or isinstance(delay, bool) or delay < 0:
        raise InputError(f"{where}: 'delay' must be a number of seconds >= 0")
    fail_times = item.get("fail_times", 0)
    if not isinstance(fail_times, int) or isinstance(fail_times, bool) or fail_times < 0:
        raise InputError(f"{where}: 'fail_times' must be an integer >= 0")
    gzip_mode = item.get("gzip")
    if gzip_mode is not None and gzip_mode not in GZIP_MODES:
        raise InputError(f'{where}: \'gzip\' must be "encoding" or "file", got {gzip_mode!r}')
    zeros = item.get("zeros_mb", 0)
    if not isinstance(zeros, int) or isinstance(zeros, bool) or not 0 <= zeros <= 1024:
        raise InputError(f"{where}: 'zeros_mb' must be an integer from 0 to 1024")
    return Route(
        url=str(url),
        status=status,
        headers=_parse_headers(item.get("headers", {}), where),
        action=action,
        delay=float(delay),
        fail_times=fail_times,
        fail_status=fail_status,
        fail_headers=_parse_headers(item.get("fail_headers", {}), where),
        links=_string_list(item.get("links", []), "links", where),
        hreflang=_string_map(item.get("hreflang", {}), "hreflang", where),
        sitemap=_parse_sitemap_entries(item.get("sitemap"), where),
        sitemap_index=(
            _string_list(item["sitemap_index"], "sitemap_index", where)
            if item.get("sitemap_index") is not None
            else None
        ),
        gzip=gzip_mode,
        zeros_mb=zeros,
        **strings,
    )


def _string_list(raw: Any, name: str, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise InputError(f"{where}: {name!r} must be a list of strings")
    return tuple(raw)


def _string_map(raw: Any, name: str, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise InputError(f"{where}: {name!r} must be an object of strings")
    return tuple((str(k), v) for k, v in raw.items())


def _parse_sitemap_entries(
    raw: Any, where: str
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise InputError(f"{where}: 'sitemap' must be a list of URLs or {{loc, alternates}}")
    out: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    for entry in raw:
        if isinstance(entry, str):
            out.append((entry, ()))
        elif isinstance(entry, dict) and isinstance(entry.get("loc"), str):
            alternates = _string_map(entry.get("alternates", {}), "alternates", where)
            out.append((entry["loc"], alternates))
        else:
            raise InputError(f"{where}: a sitemap entry must be a URL or {{loc, alternates}}")
    return tuple(out)


def _parse_headers(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    # A list value sends the header once per item (multi-valued headers such as Link).
    if not isinstance(raw, dict):
        raise InputError(f"{where}: 'headers' must be an object")
    out: list[tuple[str, str]] = []
    for name, value in raw.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in values):
            raise InputError(f"{where}: header {name!r} must be a string or a list of strings")
        out.extend((name, v) for v in values)
    return tuple(out)



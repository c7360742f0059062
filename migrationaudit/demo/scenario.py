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
names. The demo and the crawl tests both use it; ``python -m migrationaudit.demo.scenario site.json``
serves a site by hand.
"""

from __future__ import annotations

import datetime
import gzip
import html
import ipaddress
import json
import socket
import socketserver
import ssl
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from migrationaudit.errors import InputError
from migrationaudit.settings import ConnectTo

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
    answering. A route without ``body`` gets a small generated HTML page carrying ``title``,
    ``canonical``, ``robots`` and ``refresh``.
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
            return route, None
        for key in _variant_keys(scheme, host, path):
            found = routes.get(key)
            if found is None:
                continue
            if found.is_redirect or not 200 <= found.status < 300:
                return found, None  # the same answer: one hop to the same place
            return None, found.url
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
    for name in ("location", "title", "canonical", "robots", "refresh", "body", "content_type"):
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


def render_page(route: Route, status: int) -> str:
    """The generated HTML page of a route without an explicit ``body``."""
    esc = html.escape
    title = route.title
    if title is None:
        phrase = _phrase(status)
        title = f"{status} {phrase}".strip()
    head = [f"<meta charset=utf-8><title>{esc(title)}</title>"]
    if route.canonical is not None:
        head.append(f'<link rel="canonical" href="{esc(route.canonical)}">')
    if route.robots is not None:
        head.append(f'<meta name="robots" content="{esc(route.robots)}">')
    if route.refresh is not None:
        head.append(f'<meta http-equiv="refresh" content="{esc(route.refresh)}">')
    for lang, href in route.hreflang:
        head.append(f'<link rel="alternate" hreflang="{esc(lang)}" href="{esc(href)}">')
    body = f"<h1>{esc(title)}</h1>"
    if route.location is not None:
        body += f'<p><a href="{esc(route.location)}">moved here</a></p>'
    if route.links:
        items = "".join(f'<li><a href="{esc(h)}">{esc(h)}</a></li>' for h in route.links)
        body += f"<nav><ul>{items}</ul></nav>"
    return f"<!doctype html>\n<html><head>{''.join(head)}</head><body>{body}</body></html>\n"


def render_sitemap(entries: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]) -> str:
    """A ``<urlset>`` of the entries (with ``xhtml:link`` hreflang alternates)."""
    esc = html.escape
    rows = []
    for loc, alternates in entries:
        alts = "".join(
            f'<xhtml:link rel="alternate" hreflang="{esc(lang)}" href="{esc(href)}"/>'
            for lang, href in alternates
        )
        rows.append(f"<url><loc>{esc(loc)}</loc>{alts}</url>")
    body = "\n".join(rows)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}" '
        f'xmlns:xhtml="{XHTML_NS}">\n{body}\n</urlset>\n'
    )


def render_sitemap_index(locs: tuple[str, ...]) -> str:
    """A ``<sitemapindex>`` of the given sitemap URLs."""
    rows = "\n".join(f"<sitemap><loc>{html.escape(loc)}</loc></sitemap>" for loc in locs)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
        f"{rows}\n</sitemapindex>\n"
    )


_ZEROS: dict[tuple[int, bool], bytes] = {}


def route_body(route: Route, status: int) -> tuple[bytes, list[tuple[str, str]], str | None]:
    """The body bytes of a route's answer, extra headers (Content-Encoding) and the content
    type it implies (None: the route's own or the default)."""
    content_type = route.content_type
    if route.zeros_mb:
        key = (route.zeros_mb, route.gzip is not None)
        data = _ZEROS.get(key)
        if data is None:
            raw = b"\0" * (route.zeros_mb * 1024 * 1024)
            data = _ZEROS[key] = gzip.compress(raw, 9) if route.gzip else raw
        return data, _encoding_header(route), content_type or "application/octet-stream"
    if route.body is not None:
        text = route.body
    elif route.sitemap is not None:
        text = render_sitemap(route.sitemap)
        content_type = content_type or "application/xml"
    elif route.sitemap_index is not None:
        text = render_sitemap_index(route.sitemap_index)
        content_type = content_type or "application/xml"
    else:
        text = render_page(route, status)
    data = text.encode("utf-8")
    if route.gzip is not None:
        data = gzip.compress(data)
        if route.gzip == "file":
            content_type = route.content_type or "application/x-gzip"
    return data, _encoding_header(route), content_type


def _encoding_header(route: Route) -> list[tuple[str, str]]:
    return [("Content-Encoding", "gzip")] if route.gzip == "encoding" else []


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _make_tls(hosts: tuple[str, ...]) -> tuple[bytes, bytes, bytes]:
    """A throwaway CA and a leaf certificate for every host (SAN): (ca_pem, cert_pem, key_pem).

    EC keys keep generation to milliseconds, so every server start gets fresh ones."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "migrationaudit scenario CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    names += [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    names += [x509.IPAddress(ipaddress.ip_address("::1"))]
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host.strip("[]"))))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "scenario")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return ca_cert.public_bytes(pem), cert.public_bytes(pem), key_pem


class _Handler(BaseHTTPRequestHandler):
    """Answers one connection's requests from the scenario's routes."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the crawler's pool expects
    server_version = "scenario/1"
    timeout = 30  # an idle keep-alive connection frees its thread after this
    server: _Server

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_POST(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is self.server.owner.requests

    def _answer(self, *, send_body: bool) -> None:
        owner = self.server.owner
        host = _host_only(self.headers.get("Host", ""))
        sni = getattr(self.connection, "sni_name", None)
        owner.log(
            RequestLog(
                method=self.command,
                scheme=self.server.scheme,
                host=host,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                sni=sni,
                at=time.monotonic(),
            )
        )
        route, hits, moved = owner.match(self.server.scheme, host, self.path)
        if moved is not None:
            page = render_page(Route(url=moved, location=moved), 301)
            self._send(301, [("Location", moved)], page, send_body=send_body)
            return
        if route is None:
            page = render_page(Route(url="http://x/", title="404 Not Found"), 404)
            self._send(404, [], page, send_body=send_body)
            return
        if route.delay and owner.stopping.wait(route.delay):
            self.close_connection = True
            return
        if route.action == "reset":
            self._reset()
            return
        if hits <= route.fail_times:
            page = render_page(Route(url=route.url), route.fail_status)
            self._send(route.fail_status, list(route.fail_headers), page, send_body=send_body)
            return
        headers = list(route.headers)
        if route.location is not None:
            headers.insert(0, ("Location", owner.expand(route.location)))
        body, extra, content_type = route_body(route, route.status)
        self._send(route.status, headers + extra, body, content_type, send_body=send_body)

    def _send(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: str | bytes,
        content_type: str | None = None,
        *,
        send_body: bool = True,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        names = {name.lower() for name, _ in headers}
        if "content-type" not in names:
            self.send_header("Content-Type", content_type or DEFAULT_CONTENT_TYPE)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def _reset(self) -> None:
        # SO_LINGER 0 makes close() send a TCP RST: the client sees a reset, no response.
        sock = self.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RD)
        except OSError:
            pass
        sock.close()
        self.close_connection = True


def expand_location(location: str, http_port: int, https_port: int) -> str:
    """``location`` with ``{http_port}`` / ``{https_port}`` replaced by the given ports."""
    return location.replace("{http_port}", str(http_port)).replace("{https_port}", str(https_port))


def _host_only(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:8080 → ::1, as urlsplit().hostname gives it
        return host[1 : host.find("]")] if "]" in host else host
    return _ascii_host(host.rsplit(":", 1)[0] if ":" in host else host)


class _Server(ThreadingHTTPServer):
    """One listener (HTTP or HTTPS); TLS is negotiated in the connection's own thread so a
    stalled handshake never blocks the accept loop."""

    daemon_threads = True

    def __init__(
        self,
        owner: ScenarioServer,
        host: str,
        scheme: str,
        tls: ssl.SSLContext | None,
    ) -> None:
        self.owner = owner
        self.scheme = scheme
        self.tls = tls
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can stall offline.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        conn = request
        self.owner.track(conn, add=True)
        try:
            if self.tls is not None:
                request.settimeout(10)
                conn = self.tls.wrap_socket(request, server_side=True)
                self.owner.track(conn, add=True)
            self.RequestHandlerClass(conn, client_address, self)  # type: ignore[arg-type]
        except (OSError, ssl.SSLError):
            pass  # a client that hangs up mid-request is not the server's problem
        finally:
            self.owner.track(request, add=False)
            if conn is not request:
                self.owner.track(conn, add=False)
                conn.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        super().handle_error(request, client_address)


class ScenarioServer:
    """Serve a :class:`Site` on 127.0.0.1: one HTTP and one HTTPS listener, threaded.

    Use as a context manager (``with ScenarioServer(site) as server:``) or call
    :meth:`start` / :meth:`stop`. ``requests`` logs every request received.
    """

    def __init__(self, site: Site, host: str = "127.0.0.1") -> None:
        self.site = site
        self.host = host
        self.requests: list[RequestLog] = []
        self.stopping = threading.Event()
        self.ca_pem = b""
        self.cert_pem = b""
        self.http_port = 0
        self.https_port = 0
        self.dead_port = 0
        self._hits: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()
        self._open: set[Any] = set()
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._dead_sock: socket.socket | None = None

    def __enter__(self) -> ScenarioServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> ScenarioServer:
        """Bind the listeners (ephemeral ports) and serve in daemon threads."""
        if self._servers:
            return self
        self.ca_pem, self.cert_pem, key_pem = _make_tls(self.site.served_hosts)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.sni_callback = _remember_sni
        # load_cert_chain only reads files; the key lives on disk for microseconds.
        with tempfile.TemporaryDirectory() as tmp:
            cert_file, key_file = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
            cert_file.write_bytes(self.cert_pem + self.ca_pem)
            key_file.write_bytes(key_pem)
            tls.load_cert_chain(cert_file, key_file)
        http = _Server(self, self.host, "http", None)
        https = _Server(self, self.host, "https", tls)
        self.http_port, self.https_port = http.server_port, https.server_port
        # A bound socket that never listens: connecting to it is refused, and holding it
        # keeps another process from taking the port while the server runs.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._dead_sock = socket.socket(family, socket.SOCK_STREAM)
        self._dead_sock.bind((self.host, 0))
        self.dead_port = self._dead_sock.getsockname()[1]
        for server in (http, https):
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"scenario-{server.scheme}",
                daemon=True,
            )
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and free the ports."""
        self.stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=5)
        if self._dead_sock is not None:
            self._dead_sock.close()
            self._dead_sock = None
        self._servers.clear()
        self._threads.clear()

    def connect_to(self) -> tuple[ConnectTo, ...]:
        """Entries pointing every routed host at this server and every dead host at a port
        that refuses connections (80 → HTTP listener, 443 → HTTPS listener, explicit ports
        in route URLs by their scheme)."""
        entries: dict[tuple[str, int], ConnectTo] = {}
        for host in self.site.served_hosts:
            entries[(host, 80)] = ConnectTo(host, 80, self.host, self.http_port)
            entries[(host, 443)] = ConnectTo(host, 443, self.host, self.https_port)
        for route in self.site.routes:
            parts = urlsplit(route.url)
            if parts.port is not None:
                port = self.https_port if parts.scheme == "https" else self.http_port
                key = (route.key[1], parts.port)
                entries[key] = ConnectTo(route.key[1], parts.port, self.host, port)
        for host in self.site.dead_hosts:
            for port in (80, 443):
                entries[(host, port)] = ConnectTo(host, port, self.host, self.dead_port)
        return tuple(entries.values())

    def expand(self, location: str) -> str:
        """A route's Location with ``{http_port}`` / ``{https_port}`` replaced by this server's
        listening ports (a redirect to e.g. ``http://localhost:{http_port}/``: a host the
        audit does not name that would reach this very server if it were requested)."""
        return expand_location(location, self.http_port, self.https_port)

    def count(self, url: str) -> int:
        """How many requests the server received for ``url`` (matched like routes)."""
        key = route_key(url)
        with self._lock:
            logs = list(self.requests)
        return sum(1 for r in logs if route_key(r.url) == key)

    # -- called from the connection threads --

    def log(self, entry: RequestLog) -> None:
        with self._lock:
            self.requests.append(entry)

    def match(self, scheme: str, host: str, path: str) -> tuple[Route | None, int, str | None]:
        """The route for a request, how many times it has been hit (this one included), and
        the URL a redirected variant is sent to (see :meth:`Site.resolve`)."""
        route, moved = self.site.resolve(scheme, host, path)
        if route is None:
            return None, 0, moved
        with self._lock:
            hits = self._hits[route.key] = self._hits.get(route.key, 0) + 1
        return route, hits, None

    def track(self, conn: Any, *, add: bool) -> None:
        with self._lock:
            if add:
                self._open.add(conn)
            else:
                self._open.discard(conn)


def _remember_sni(sock: Any, server_name: str | None, ctx: ssl.SSLContext) -> None:
    # The SSLSocket outlives the handshake; the request handler reads the name from it.
    sock.sni_name = server_name
    return None


def main(argv: list[str] | None = None) -> int:
    """``python -m migrationaudit.demo.scenario site.json``: serve until Ctrl-C."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m migrationaudit.demo.scenario SITE.json", file=sys.stderr)
        return 2
    try:
        site = load_site(Path(args[0]))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with ScenarioServer(site) as server:
        print(f"HTTP  on 127.0.0.1:{server.http_port}", flush=True)
        print(f"HTTPS on 127.0.0.1:{server.https_port}", flush=True)
        print("connect-to entries:", flush=True)
        for entry in server.connect_to():
            print(f"  {entry}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

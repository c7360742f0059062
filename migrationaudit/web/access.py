"""Staging access: host rewriting and credentials scoped to origins.

``--rewrite-host OLD=NEW`` audits a production map against a staging host: every URL on OLD is
requested on NEW, and what NEW answers (the record's URL, redirect targets, Location,
canonicals) is mapped back to OLD, so hop records, findings and reports speak production
terms. :class:`HostRewriter` does both directions.

``--auth`` / ``--header`` values are secrets: they are held in :class:`Secret` (whose repr is
``***`` and which JSON refuses to serialise, so a slip fails loudly instead of leaking), are
never written to the run directory, and are sent only to requests whose origin (scheme,
host, port) is one they were given for — never to a host a redirect leads to.

Nothing here imports Scrapy.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from migrationaudit.web.hosts import host_key

DEFAULT_PORTS = {"http": 80, "https": 443}
_ORIGIN_SCOPE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/\s=?#@]+/?$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 token

OriginKey = tuple[str, str, int]  # (scheme, host, port), host lower-case ASCII


class Secret:
    """A credential: ``repr``/``str`` show ``***``; :meth:`reveal` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret value (only the download handler needs it)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def origin_of(url: str) -> OriginKey | None:
    """(scheme, host, port) of an http(s) URL, the port made explicit; None otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, host_key(parts.hostname), port or DEFAULT_PORTS[scheme]


def origin_text(origin: OriginKey) -> str:
    """``https://host`` (the port only when it is not the scheme's default)."""
    scheme, host, port = origin
    host = f"[{host}]" if ":" in host else host
    return (
        f"{scheme}://{host}" if DEFAULT_PORTS.get(scheme) == port else f"{scheme}://{host}:{port}"
    )


def parse_origin(text: str) -> OriginKey:
    """``scheme://host[:port]`` → OriginKey; ValueError when it is not exactly an origin."""
    text = text.strip()
    if not _ORIGIN_SCOPE.match(text):
        raise ValueError(f"{text!r} is not an origin (expected scheme://host[:port])")
    origin = origin_of(text)
    if origin is None:
        raise ValueError(f"{text!r}: only http and https origins can be given")
    return origin


# --- host rewriting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One side of a rewrite: a host, optionally with a scheme and a port."""

    host: str
    scheme: str | None = None
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        """``host``, ``host:port`` or ``scheme://host[:port]``; ValueError otherwise."""
        raw = text.strip()
        scheme: str | None = None
        if "://" in raw:
            scheme, _, raw = raw.partition("://")
            scheme = scheme.lower()
            if scheme not in DEFAULT_PORTS:
                raise ValueError(f"{text!r}: scheme must be http or https")
        if not raw or any(c in raw for c in "/?#@ \t"):
            raise ValueError(f"{text!r}: expected HOST, HOST:PORT or SCHEME://HOST[:PORT]")
        try:
            parts = urlsplit(f"//{raw}")
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"{text!r}: {exc}") from None
        if not parts.hostname:
            raise ValueError(f"{text!r}: no host")
        return cls(host_key(parts.hostname), scheme, port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        text = f"{self.scheme}://{host}" if self.scheme else host
        return f"{text}:{self.port}" if self.port is not None else text


@dataclass(frozen=True)
class HostRewrite:
    """``OLD=NEW``: requests for OLD go to NEW; NEW's answers are read back as OLD's."""

    old: Endpoint
    new: Endpoint

    @classmethod
    def parse(cls, text: str) -> HostRewrite:
        """``OLD=NEW`` (see :meth:`Endpoint.parse`); ValueError when malformed."""
        old, sep, new = text.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ValueError(f"{text!r}: expected OLD=NEW, e.g. www.example.com=staging.example")
        rewrite = cls(Endpoint.parse(old), Endpoint.parse(new))
        if (rewrite.old.scheme is None) != (rewrite.new.scheme is None):
            raise ValueError(f"{text!r}: give a scheme on both sides or on neither")
        if rewrite.old == rewrite.new:
            raise ValueError(f"{text!r}: both sides are the same")
        return rewrite

    def __str__(self) -> str:
        return f"{self.old}={self.new}"


def _move(url: str, src: Endpoint, dst: Endpoint) -> str | None:
    """``url`` moved from ``src`` to ``dst``, or None when ``url`` is not on ``src``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if host_key(parts.hostname) != src.host or (src.scheme and scheme != src.scheme):
        return None
    if src.port is not None and (port or DEFAULT_PORTS[scheme]) != src.port:
        return None
    new_scheme = dst.scheme or scheme
    if dst.port is not None:
        new_port: int | None = dst.port
    elif src.port is None and new_scheme == scheme:
        new_port = port  # an explicit port on the URL travels along
    else:
        new_port = None
    if new_port == DEFAULT_PORTS[new_scheme]:
        new_port = None
    host = f"[{dst.host}]" if ":" in dst.host else dst.host
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (f"{userinfo}@" if userinfo else "") + host
    if new_port is not None:
        netloc += f":{new_port}"
    # Only the scheme and netloc change: path and query stay byte for byte as they were.
    return urlunsplit((new_scheme, netloc, parts.path, parts.query, parts.fragment))


class HostRewriter:
    """Apply ``--rewrite-host`` rules: :meth:`forward` (production → staging, before a request)
    and :meth:`back` (staging → production, on what the answer says). The first matching
    rule wins; a URL no rule matches is returned unchanged."""

    def __init__(self, rules: Iterable[HostRewrite]) -> None:
        self.rules = tuple(rules)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def forward(self, url: str) -> str:
        for r in self.rules:
            moved = _move(url, r.old, r.new)
            if moved is not None:
                return moved
        return url

    def back(self, url: str) -> str:
        for r in self.rules:
            moved = _move(url, r.new, r.old)
            if moved is not None:
                return moved
        return url

    def back_optional(self, url: str | None) -> str | None:
        return self.back(url) if url is not None else None

    def forward_origin(self, origin: OriginKey) -> OriginKey:
        """An origin given in production terms, moved to where its requests go."""
        moved = origin_of(self.forward(origin_text(origin) + "/"))
        return moved or origin


def parse_rewrites(specs: Iterable[tuple[str, str] | str]) -> HostRewriter:
    """A rewriter from ``(old, new)`` pairs (as stored in CrawlOptions) or ``OLD=NEW`` texts."""
    rules = [HostRewrite.parse(s if isinstance(s, str) else f"{s[0]}={s[1]}") for s in specs]
    return HostRewriter(rules)


# --- credentials -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopedHeader:
    """A request header sent only to ``origin`` (``scheme://host[:port]``), or — when
    ``origin`` is None — only to the origins of the legacy URLs (as requested, i.e. after
    ``--rewrite-host``). The value is a :class:`Secret`."""

    name: str
    value: Secret
    origin: str | None = None

    def describe(self) -> str:
        """``Name (origin)``, without the value: what reports may say."""
        return f"{self.name} ({self.origin or 'legacy URL origins'})"


def _split_scope(text: str) -> tuple[str | None, str]:
    """``ORIGIN=rest`` → (origin, rest) when the part before the first ``=`` is an origin."""
    head, sep, rest = text.partition("=")
    if sep and _ORIGIN_SCOPE.match(head.strip()):
        parse_origin(head)
        return head.strip().rstrip("/"), rest
    return None, text


def parse_auth(text: str) -> ScopedHeader:
    """``[ORIGIN=]USER:PASS`` → an HTTP basic ``Authorization`` header; ValueError otherwise."""
    origin, creds = _split_scope(text)
    user, sep, password = creds.partition(":")
    if not sep or not user:
        raise ValueError("expected [ORIGIN=]USER:PASS, e.g. https://staging.example.com=me:secret")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return ScopedHeader("Authorization", Secret(f"Basic {token}"), origin)


def parse_header(text: str) -> ScopedHeader:
    """``[ORIGIN=]Name: value`` → a header; ValueError otherwise."""
    origin, line = _split_scope(text)
    name, sep, value = line.partition(":")
    name = name.strip()
    if not sep or not _HEADER_NAME.match(name):
        raise ValueError("expected [ORIGIN=]'Name: value', e.g. 'X-Staging-Token: abc'")
    if any(c in value for c in "\r\n\0"):
        raise ValueError("a header value cannot contain line breaks")
    return ScopedHeader(name, Secret(value.strip()), origin)


def scope_headers(
    headers: Iterable[ScopedHeader],
    seed_origins: Iterable[OriginKey],
    rewriter: HostRewriter | None = None,
) -> dict[OriginKey, list[tuple[str, str]]]:
    """Each origin → the headers to send to it (values revealed: the crawl process only).

    An unscoped header goes to every seed origin (seeds as requested); a scoped one to its
    origin, moved by ``rewriter`` when it names a rewritten production host."""
    seeds = sorted(set(seed_origins))
    out: dict[OriginKey, list[tuple[str, str]]] = {}
    for h in headers:
        if h.origin is None:
            targets = seeds
        else:
            origin = parse_origin(h.origin)
            targets = [rewriter.forward_origin(origin) if rewriter else origin]
        for o in targets:
            out.setdefault(o, []).append((h.name, h.value.reveal()))
    return out


def scoped_to_wire(scoped: Mapping[OriginKey, list[tuple[str, str]]]) -> list[list[object]]:
    """JSON-able form for the crawl process's stdin (never for a file)."""
    return [[s, h, p, [list(x) for x in hs]] for (s, h, p), hs in sorted(scoped.items())]


def scoped_from_wire(data: Iterable[Any]) -> dict[OriginKey, list[tuple[str, str]]]:
    """The inverse of :func:`scoped_to_wire`."""
    out: dict[OriginKey, list[tuple[str, str]]] = {}
    for scheme, host, port, hs in data:
        out[(str(scheme), str(host), int(port))] = [(str(n), str(v)) for n, v in hs]
    return out

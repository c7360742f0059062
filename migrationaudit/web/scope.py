"""The audit's scope: which URLs may be requested, and which addresses may be connected to.

An auditor that follows every redirect of servers it does not control, from CI runners with
cloud credentials nearby, must not be turned into a proxy for them. Two checks keep it in:

**Names (before a request is made).** Scope is per host name, compared case-free, as IDNA
(punycode), without a trailing dot; IP-literal hosts are compared as addresses, every IPv4
notation a resolver accepts (``2130706433``, ``0x7f000001``, ``127.1``) normalised to the
dotted quad. A host is *named* when the inputs name it: the map's old and new URLs, URL lists,
``--crawl`` start pages, ``--sitemap`` / ``--old-sitemap`` URLs, ``--new-host``,
``--staging-host``, the NEW side of ``--rewrite-host``, the hosts of ``--resolve`` /
``--connect-to``, and ``--allow-host HOST[:PORT]``. A URL is in scope when its host is named
and its port is a port named for that host or its scheme's default (80 for http, 443 for
https): an http→https upgrade of a named host stays in scope, ``host:8443`` needs naming.
The ``www.`` / bare counterpart of a named host is in scope too (the www flip-flop is a
finding the audit exists for). A host that only a sitemap lists is not in scope: it is never
looked up (``sitemap-foreign-host`` reports the entry). Any other URL is recorded as an
``offsite`` hop with the reason, and never requested.

**Addresses (at connection time).** Named hosts are *explicit*: the user asked for them, so
they may be anywhere (staging on 10.0.0.5, a test server on 127.0.0.1). Every other host (a
www counterpart of a named host) must not be connected to when it resolves to a loopback,
private (RFC 1918, ULA ``fc00::/7``), link-local (``169.254/16``, ``fe80::/10``:
cloud metadata at ``169.254.169.254`` and ``fd00:ec2::254``), shared (CGNAT ``100.64/10``),
unspecified, multicast, reserved or otherwise non-public address, nor an IPv4-mapped, 6to4
or NAT64 form of one. The download handler checks the addresses a resolution produces (so
its DNS cache only ever holds checked ones, and a name that resolves to a public address
first and a private one later is blocked on the later connection); a blocked request is a
network error ``blocked: ...``.

Nothing here imports Scrapy or aiohttp: :class:`Scope` is plain data, serialised to the run
directory (``scope.json``) by the parent and read by the crawl process.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from migrationaudit.web.access import DEFAULT_PORTS, origin_of
from migrationaudit.web.hosts import IPAddress, host_key, ip_of

SCOPE_FILE = "scope.json"
ALLOW_HINT = "name the host in the inputs or with --allow-host to audit it"

# Cloud metadata services (AWS, GCP, Azure, OpenStack on 169.254.169.254; AWS's IPv6 one):
# named in messages, since an audit that reached them could leak the runner's credentials.
METADATA = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254"))
_PRIVATE = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598, carrier-grade NAT
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix


# -- hosts and addresses ------------------------------------------------------------------


def www_twin(key: str) -> str | None:
    """``www.a.example`` ↔ ``a.example`` for names with a dot (None for addresses)."""
    if ip_of(key) is not None or "." not in key:
        return None
    return key[4:] if key.startswith("www.") else f"www.{key}"


def blocked_kind(ip: IPAddress) -> str | None:
    """Why an address must not be connected to for a host that was not named (``"loopback"``,
    ``"private"``, ``"cloud metadata"``, ``"IPv4-mapped loopback"``...), None for a public
    address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: tuple[str, ipaddress.IPv4Address] | None = None
        if ip.ipv4_mapped is not None:
            embedded = ("IPv4-mapped", ip.ipv4_mapped)
        elif ip.sixtofour is not None:
            embedded = ("6to4", ip.sixtofour)
        elif ip in _NAT64:
            embedded = ("NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if embedded is not None:
            how, inner = embedded
            kind = blocked_kind(inner)
            # A public address behind a translation prefix is that public address.
            return f"{how} {kind}" if kind is not None else None
    if ip in METADATA:
        return "cloud metadata"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        return "shared address space (CGNAT)"
    if any(ip.version == n.version and ip in n for n in _PRIVATE):
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "non-public"
    return None


def blocked_message(host: str, address: str) -> str | None:
    """The network error of a connection to ``address`` for ``host`` (not explicit), or None
    when the address is public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    kind = blocked_kind(ip)
    if kind is None:
        return None
    return f"blocked: {host} resolves to {ip} ({kind}); {ALLOW_HINT}"


def parse_allow_host(text: str) -> tuple[str, int | None]:
    """``HOST`` or ``HOST:PORT`` (``[v6]:PORT`` for IPv6) of ``--allow-host`` → (host key,
    port or None); ValueError with a one-line reason otherwise."""
    raw = text.strip()
    if not raw or any(c in raw for c in "/?#@ \t\r\n") or "://" in raw:
        raise ValueError(f"{text!r} is not HOST or HOST:PORT (e.g. www.example.com:8443)")
    if raw.count(":") > 1 and not raw.startswith("["):
        raw = f"[{raw}]"  # a bare IPv6 address, no port
    try:
        parts = urlsplit(f"//{raw}")
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{text!r} is not HOST or HOST:PORT: {exc}") from None
    if not parts.hostname:
        raise ValueError(f"{text!r} is not HOST or HOST:PORT: no host")
    if port == 0:
        raise ValueError(f"{text!r} is not HOST or HOST:PORT: port 0")
    return host_key(parts.hostname), port


def _split(url: str) -> tuple[str, str, int] | None:
    """(scheme, host key, port) of an http(s) URL, the port made explicit; IP hosts in their
    canonical form (``0x7f000001`` is ``127.0.0.1``)."""
    origin = origin_of(url.strip())
    if origin is None:
        return None
    scheme, host, port = origin
    return scheme, host_key(host), port


def _shown(key: str, port: int | None) -> str:
    host = f"[{key}]" if ":" in key else key
    return host if port is None else f"{host}:{port}"


# -- the scope ------------------------------------------------------------------------------


@dataclass
class Scope:
    """The hosts an audit may request (see the module docstring).

    ``named``: host key → the ports named for it (besides the scheme defaults, always in
    scope); these hosts are explicit. ``listed``: (host key, port) of URLs listed by sitemaps
    of in-scope hosts, added during the crawl: in scope, not explicit."""

    named: dict[str, set[int]] = field(default_factory=dict)
    listed: set[tuple[str, int]] = field(default_factory=set)

    # -- building --

    def add_host(self, host: str, port: int | None = None) -> None:
        """Name ``host`` (and ``port``, when given)."""
        if not host.strip():
            return
        ports = self.named.setdefault(host_key(host), set())
        if port is not None:
            ports.add(port)

    def add_url(self, url: str) -> None:
        """Name the host and port of an http(s) URL (anything else is ignored)."""
        split = _split(url)
        if split is not None:
            _, key, port = split
            self.named.setdefault(key, set()).add(port)

    def add_allow(self, spec: str) -> None:
        """``--allow-host HOST[:PORT]`` (ValueError when malformed)."""
        key, port = parse_allow_host(spec)
        self.add_host(key, port)

    def add_listed(self, url: str) -> None:
        """A URL a sitemap of an in-scope host lists: in scope, not explicit."""
        split = _split(url)
        if split is not None:
            self.listed.add((split[1], split[2]))

    def merge(self, other: Scope) -> None:
        """Add every host of ``other``."""
        for key, ports in other.named.items():
            self.named.setdefault(key, set()).update(ports)
        self.listed |= other.listed

    # -- asking --

    def is_explicit(self, host: str) -> bool:
        """The host was named in the inputs: its addresses are not checked."""
        return host_key(host) in self.named

    def outside(self, url: str) -> str | None:
        """Why ``url`` is outside the scope (the offsite hop's error), None when inside.
        A URL that is not http(s) or has no host is not this check's business (None)."""
        split = _split(url)
        if split is None:
            return None
        scheme, key, port = split
        if (key, port) in self.listed:
            return None
        default = DEFAULT_PORTS[scheme]
        hosts = [key, *([twin] if (twin := www_twin(key)) is not None else [])]
        known = [h for h in hosts if h in self.named]
        if known and (port == default or any(port in self.named[h] for h in known)):
            return None
        shown = _shown(key, None if port == default else port)
        return (
            f"outside the audit's scope: host {shown} is not named in the inputs "
            f"(--allow-host {shown} audits it)"
        )

    def contains(self, url: str) -> bool:
        """``url`` may be requested (as far as names go)."""
        return self.outside(url) is None

    # -- the run directory --

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "named": {k: sorted(v) for k, v in sorted(self.named.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scope:
        named = data.get("named") or {}
        return cls(named={str(k): {int(p) for p in v} for k, v in named.items()})

    def write(self, run_dir: Path) -> None:
        """Write ``RUN_DIR/scope.json`` (the crawl process reads it)."""
        text = json.dumps(self.to_dict(), indent=1) + "\n"
        (Path(run_dir) / SCOPE_FILE).write_text(text, encoding="utf-8")

    @classmethod
    def read(cls, run_dir: Path) -> Scope | None:
        """The scope of a run directory; None when it has none (no name check then)."""
        path = Path(run_dir) / SCOPE_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls.from_dict(data) if isinstance(data, dict) else None


def scope_of(
    urls: Iterable[str] = (),
    hosts: Iterable[str] = (),
    allow: Iterable[str] = (),
) -> Scope:
    """A scope naming the hosts (and ports) of ``urls``, the bare or ``host:port`` / URL
    ``hosts`` and the ``--allow-host`` specs ``allow`` (ValueError when one is malformed)."""
    scope = Scope()
    for url in urls:
        scope.add_url(url)
    for host in hosts:
        if "//" in host:
            scope.add_url(host)
        else:
            try:
                key, port = parse_allow_host(host)
            except ValueError:
                continue  # validated where it was given; a stray value names nothing
            scope.add_host(key, port)
    for spec in allow:
        scope.add_allow(spec)
    return scope

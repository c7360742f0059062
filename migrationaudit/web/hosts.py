"""Hosts as the audit compares them: one key per host, whatever its spelling.

A name is compared the way DNS compares it (case-free, no trailing dot, IDNs as punycode); an
IP literal by the address it stands for, in any notation ``getaddrinfo`` accepts (``127.1``,
``0x7f000001``, ``[::1]``). Scope, credentials, ``--resolve`` and the access log all key hosts
with :func:`host_key`, so a host spelled two ways is one host everywhere.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_IPV4_CHARS = frozenset("0123456789abcdefx.")


def name_key(host: str) -> str:
    """A host name compared the way DNS does: case-free, no trailing dot, IDNs as punycode."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def parse_ipv4_loose(text: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in any notation ``inet_aton`` (and so ``getaddrinfo``) accepts: one to
    four parts, each decimal, octal (leading ``0``) or hex (``0x``), the last filling the
    remaining bytes (``127.1``, ``2130706433``, ``0x7f000001``, ``0177.0.0.1``); None when
    ``text`` is not one."""
    text = text.lower()
    if not text or not set(text) <= _IPV4_CHARS:
        return None
    parts = text.split(".")
    if len(parts) > 4 or "" in parts:
        return None
    numbers: list[int] = []
    for part in parts:
        try:
            if part.startswith("0x"):
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            else:
                numbers.append(int(part, 10))
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def ip_of(host: str) -> IPAddress | None:
    """The address an IP-literal host stands for (brackets, any IPv4 notation); None for a
    name."""
    text = host.strip().strip("[]").rstrip(".")
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text.split("%", 1)[0])
        except ValueError:
            return None
    return parse_ipv4_loose(text)


@lru_cache(maxsize=4096)  # asked once per URL; an audit meets a handful of hosts
def host_key(host: str) -> str:
    """A host as the audit compares it: an address in its canonical form, or a name
    lower-case, without a trailing dot, IDNs as punycode.

    >>> host_key("WWW.Example.COM."), host_key("0x7f.1"), host_key("[0:0::1]")
    ('www.example.com', '127.0.0.1', '::1')
    """
    ip = ip_of(host)
    if ip is not None:
        return str(ip)
    return name_key(host.strip())

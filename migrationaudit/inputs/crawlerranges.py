"""Search-engine crawler address ranges (``--crawler-ranges``), as the engines publish them.

Google (``googlebot.json``, ``special-crawlers.json``, ...) and Bing (``bingbot.json``) ship
their crawlers' addresses as one JSON shape::

    {"creationTime": "2026-12-01T00:00:00.000000",
     "prefixes": [{"ipv4Prefix": "66.249.64.0/27"}, {"ipv6Prefix": "2001:4860:4801:10::/64"}]}

The user downloads the file; the audit never fetches it (nor does a reverse-DNS lookup). With
ranges, an access-log request counts as a crawler hit only when its agent says crawler and its
client address is inside one of them: a spoofed ``Googlebot`` agent no longer counts.
"""

from __future__ import annotations

import ipaddress
import json
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrationaudit.errors import InputError

# The entry key of each address family in the published files.
PREFIX_KEYS = {"ipv4Prefix": 4, "ipv6Prefix": 6}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class CrawlerRanges:
    """Address ranges of one or more files, merged: per family, sorted disjoint intervals
    ``(first, last)`` of address integers, so a lookup is one bisection."""

    files: tuple[str, ...]
    prefixes: int
    spans: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    def contains(self, client: str) -> bool:
        """Whether ``client`` (an address as a log writes it) is inside a range; False for an
        empty or unreadable address. An IPv4-mapped IPv6 address counts as its IPv4 one."""
        address = address_of(client)
        if address is None:
            return False
        spans = self.spans.get(address.version, ())
        value = int(address)
        i = bisect_right(spans, (value, 1 << 129)) - 1
        return i >= 0 and spans[i][0] <= value <= spans[i][1]


def address_of(client: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``client`` as an address (``[v6]`` brackets and an IPv6 zone tolerated), else None."""
    text = client.strip().strip("[]").split("%", 1)[0]
    if not text or text == "-":
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _networks(path: str) -> list[Network]:
    try:
        data: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read crawler ranges: {exc.strerror or exc}", file=path) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"crawler ranges are not valid JSON ({exc})", file=path) from None
    prefixes = data.get("prefixes") if isinstance(data, dict) else None
    if not isinstance(prefixes, list) or not prefixes:
        raise InputError(
            'crawler ranges: expected {"prefixes": [{"ipv4Prefix": ...}, ...]} with at least '
            "one prefix, as the search engines publish them",
            file=path,
        )
    found: list[Network] = []
    for n, entry in enumerate(prefixes, start=1):
        keys = [k for k in PREFIX_KEYS if isinstance(entry, dict) and k in entry]
        if len(keys) != 1:
            raise InputError(
                f"crawler ranges: prefix {n} ({json.dumps(entry)[:80]}) has not one "
                "ipv4Prefix or ipv6Prefix",
                file=path,
            )
        value = entry[keys[0]]
        try:
            if not isinstance(value, str):
                raise ValueError("not a string")
            network = ipaddress.ip_network(value.strip(), strict=False)
        except ValueError as exc:
            raise InputError(f"crawler ranges: prefix {n} {value!r}: {exc}", file=path) from None
        if network.version != PREFIX_KEYS[keys[0]]:
            raise InputError(
                f"crawler ranges: prefix {n} {value!r} is not an IPv{PREFIX_KEYS[keys[0]]} "
                f"prefix ({keys[0]})",
                file=path,
            )
        found.append(network)
    return found


def _merged(networks: Iterable[Network]) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    for first, last in sorted((int(n.network_address), int(n.broadcast_address)) for n in networks):
        if spans and first <= spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], max(spans[-1][1], last))
        else:
            spans.append((first, last))
    return tuple(spans)


def read_crawler_ranges(paths: Iterable[str | Path]) -> CrawlerRanges | None:
    """Every file's prefixes as one :class:`CrawlerRanges`; None without any file. An
    InputError naming the file (and the entry) when one cannot be read or a prefix is wrong."""
    files = tuple(str(p) for p in paths)
    if not files:
        return None
    networks = [net for f in files for net in _networks(f)]
    spans = {v: _merged(n for n in networks if n.version == v) for v in (4, 6)}
    return CrawlerRanges(files, len(networks), spans)

"""Host resolution for the crawl: curl's ``--connect-to`` (a request for HOST:PORT connects to
ADDR:CONNECT_PORT while the URL, Host header and TLS SNI keep HOST), a small DNS cache, and the
audit's address policy (a host the inputs do not name is only connected to on public addresses)."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from migrationaudit.settings import ConnectTo
from migrationaudit.spiders.errors import HopDownloadError, short_text
from migrationaudit.web.hosts import host_key
from migrationaudit.web.scope import blocked_message

if TYPE_CHECKING:
    pass


DNS_CACHE_TTL = 300  # seconds; an audit asks about the same few hosts over and over


NEGATIVE_DNS_TTL = 60.0  # a host that does not exist is not looked up again for a minute


def connect_to_setting(entries: Iterable[ConnectTo]) -> list[list[str | int]]:
    """ConnectTo entries as the JSON-able value of the ``MIGRATIONAUDIT_CONNECT_TO`` setting."""
    return [[e.host, e.port, e.addr, e.connect_port] for e in entries]


def parse_connect_to_setting(value: Any) -> tuple[ConnectTo, ...]:
    """The inverse of :func:`connect_to_setting` (also accepts ConnectTo objects)."""
    out: list[ConnectTo] = []
    for item in value or ():
        if isinstance(item, ConnectTo):
            out.append(item)
        else:
            host, port, addr, connect_port = item
            out.append(ConnectTo(str(host), int(port), str(addr), int(connect_port)))
    return tuple(out)


class ConnectToResolver(AbstractResolver):
    """Resolve HOST:PORT pairs listed in ConnectTo entries to their ADDR:CONNECT_PORT;
    everything else goes to ``fallback`` (the system resolver by default).

    aiohttp keeps the URL's host for the Host header, the pool key and TLS SNI, so only the
    socket address changes, exactly like ``curl --connect-to``.

    ``explicit`` (the audit's scope, :mod:`migrationaudit.web.scope`): a host for which it says
    False only gets its public addresses; when it has none, resolving it raises a
    non-transient :class:`HopDownloadError` ``blocked: ...``. The check sits here, where
    every result is produced, so aiohttp's DNS cache only ever holds checked addresses and a
    name that turns private later (DNS rebinding) is blocked on that later lookup."""

    def __init__(
        self,
        entries: Iterable[ConnectTo],
        fallback: AbstractResolver | None = None,
        explicit: Callable[[str], bool] | None = None,
    ) -> None:
        self._entries = {(host_key(e.host), e.port): e for e in entries}
        self._fallback = fallback
        self._explicit = explicit
        # Permanent failures (NXDOMAIN), remembered: a decommissioned host with thousands of
        # legacy URLs would otherwise cost one slow lookup per URL.
        self._failed: dict[tuple[str, int], tuple[float, int, str]] = {}

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolve(host, port, family)
        if self._explicit is None or self._explicit(host):
            return found
        return checked_addresses(host, found)

    async def _resolve(
        self, host: str, port: int, family: socket.AddressFamily
    ) -> list[ResolveResult]:
        entry = self._entries.get((host_key(host), port))
        if entry is None:
            return await self._system(host, port, family)
        addr = entry.addr.strip("[]")
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            # ADDR may itself be a name (curl allows it): resolve it, keep HOST as hostname.
            found = await self._system(addr, entry.connect_port, family)
            return [{**r, "hostname": host, "port": entry.connect_port} for r in found]
        fam = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        flags = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
        return [
            ResolveResult(
                hostname=host,
                host=str(ip),
                port=entry.connect_port,
                family=fam,
                proto=0,
                flags=flags,
            )
        ]

    async def _system(
        self, host: str, port: int, family: socket.AddressFamily
    ) -> list[ResolveResult]:
        key = (host_key(host), port)
        failed = self._failed.get(key)
        if failed is not None and time.monotonic() - failed[0] < NEGATIVE_DNS_TTL:
            raise socket.gaierror(failed[1], failed[2])
        try:
            return await self._get_fallback().resolve(host, port, family)
        except socket.gaierror as exc:
            if exc.errno is not None and exc.errno != socket.EAI_AGAIN:
                self._failed[key] = (time.monotonic(), exc.errno, exc.strerror or str(exc))
            raise

    def _get_fallback(self) -> AbstractResolver:
        if self._fallback is None:
            self._fallback = aiohttp.ThreadedResolver()
        return self._fallback

    async def close(self) -> None:
        if self._fallback is not None:
            await self._fallback.close()


def checked_addresses(host: str, found: list[ResolveResult]) -> list[ResolveResult]:
    """The public addresses among ``found`` (a host that was not named in the inputs); a
    :class:`HopDownloadError` ``blocked: ...`` when there is none."""
    kept: list[ResolveResult] = []
    reason: str | None = None
    for result in found:
        message = blocked_message(host, str(result["host"]))
        if message is None:
            kept.append(result)
        elif reason is None:
            reason = message
    if not kept and reason is not None:
        raise HopDownloadError(short_text(reason), transient=False)
    return kept

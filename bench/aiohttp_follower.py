"""The fast Python bound: a bare asyncio/aiohttp hop follower doing the audit's crawl job.

Every legacy URL of a list is requested with redirects off; each answer is one JSON line
(url, status, location, target, elapsed_ms) in OUT; the target of a 3xx is requested next
unless it was fetched already (each URL once, so loops end), up to ``--max-hops``. Host names
reach the bench's nginx through ``--connect-to HOST:PORT:ADDR:PORT2`` (a resolver, as in the
project's handler). No retries, no page facts, no politeness: a lower bound on CPU per hop.

Prints one JSON object on stdout: {"legacy", "requests", "errors", "wall_s"}.

    python bench/aiohttp_follower.py URLS OUT --connect-to old.example:80:127.0.0.1:8080 ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
from typing import Any
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult


class MapResolver(AbstractResolver):
    """HOST:PORT → ADDR:PORT2 from --connect-to entries (nothing else resolves)."""

    def __init__(self, entries: dict[tuple[str, int], tuple[str, int]]) -> None:
        self.entries = entries

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addr, connect_port = self.entries[(host, port)]
        return [
            ResolveResult(
                hostname=host,
                host=addr,
                port=connect_port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


async def follow(urls: list[str], out: Any, args: argparse.Namespace) -> dict[str, int]:
    """Fetch every chain; return the counts."""
    entries = {}
    for spec in args.connect_to:
        host, port, addr, port2 = spec.rsplit(":", 3)
        entries[(host, int(port))] = (addr, int(port2))
    connector = aiohttp.TCPConnector(
        limit=args.concurrency, limit_per_host=args.concurrency, resolver=MapResolver(entries)
    )
    fetched: set[str] = set()
    counts = {"legacy": 0, "requests": 0, "errors": 0}
    queue: asyncio.Queue[tuple[str, int] | None] = asyncio.Queue()
    it = iter(urls)

    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False
    ) as session:

        async def fetch(url: str, depth: int) -> None:
            started = time.monotonic()
            record: dict[str, Any] = {"url": url}
            target = None
            try:
                async with session.get(url, allow_redirects=False) as resp:
                    await resp.read()
                    location = resp.headers.get("Location")
                    record["status"] = resp.status
                    record["location"] = location
                    if 300 <= resp.status < 400 and location:
                        target = urljoin(url, location)
                        record["target"] = target
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                record["error"] = str(exc) or type(exc).__name__
                counts["errors"] += 1
            record["elapsed_ms"] = round((time.monotonic() - started) * 1000, 3)
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
            counts["requests"] += 1
            if target is not None and target not in fetched and depth < args.max_hops:
                fetched.add(target)
                await queue.put((target, depth + 1))

        async def worker() -> None:
            # Chains first (the queue), then the next legacy URL: memory stays flat.
            while True:
                if queue.empty():
                    url = next(it, None)
                    if url is None:
                        return
                    counts["legacy"] += 1
                    if url in fetched:
                        continue
                    fetched.add(url)
                    await fetch(url, 0)
                    continue
                item = queue.get_nowait()
                if item is not None:
                    await fetch(*item)

        # A worker may end while another still has chain work to enqueue: loop until quiet.
        for _round in range(1000):
            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
            if queue.empty():
                break
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls")
    parser.add_argument("out")
    parser.add_argument("--connect-to", action="append", default=[])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-hops", type=int, default=10)
    args = parser.parse_args(argv)
    with open(args.urls, encoding="utf-8") as f:
        urls = [line.strip() for line in f if line.strip()]
    started = time.monotonic()
    with open(args.out, "w", encoding="utf-8") as out:
        counts = asyncio.run(follow(urls, out, args))
    print(json.dumps({**counts, "wall_s": round(time.monotonic() - started, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One audit's state in Redis: its keys, the Lua scripts that change them atomically, and a
connection with bounded timeouts.

Every key of a job sits under ``migrationaudit:{JOB}:`` (a hash tag: one slot)::

    job        the published job (JSON: options, scope, seed origins; never a credential)
    frontier   LIST of URLs to fetch (redirect targets at the front: chains finish first)
    depth      HASH URL -> the lowest depth it was reached at (every URL ever queued)
    onward     HASH recorded URL -> its redirect target
    done       SET of recorded URLs (a record is accepted once per URL)
    lease      ZSET URL -> lease expiry (ms, Redis time): taken by a worker, not recorded yet
    hops       STREAM of hop records, read by the coordinator's consumer group
    slots      ZSET token -> expiry: requests in flight across all workers (--concurrency)
    host:NAME  ZSET token -> expiry: requests in flight to one host (--per-host-concurrency)
    next       HASH host -> the Redis time (ms) before which no request may start (--delay,
               Retry-After)
    links      SET of new-site pages whose links were collected (``--crawl --max-pages``)
    stats      HASH: Scrapy's ``spider_exceptions/count``, summed over the workers that ended

``migrationaudit:jobs`` is the set of running jobs that workers look at. Times are Redis's
own (``TIME``), so the clocks of the workers' machines do not matter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from migrationaudit.distributed.scripts import (
    ACQUIRE,
    CLAIM,
    LINK_PAGE,
    PAUSE,
    RECLAIM,
    RECORD,
    RELEASE,
    RENEW,
    SEED,
)
from migrationaudit.errors import ConfigError, CrawlError

JOBS_KEY = "migrationaudit:jobs"
# a job's keys, under its prefix
NAMES = (
    "job", "frontier", "depth", "onward", "done", "lease", "hops", "slots", "next", "links",
    "stats",
)  # fmt: skip
GROUP = "coordinator"  # the hop stream's consumer group
CONNECT_TIMEOUT_S = 5.0
SOCKET_TIMEOUT_S = 10.0  # every command, a blocking read's own wait included
JOB_TTL_S = 600  # the job's keys expire this long after the coordinator last refreshed them
VISIBILITY_S = 30.0  # a leased URL goes back to the frontier when not renewed for this long
HOLD_SLACK_S = 5.0  # a concurrency slot outlives its request's timeout by this much


def redacted(url: str) -> str:
    """A Redis URL as it may be shown: scheme, host, port and database, never a password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        port = parts.port or 6379
    except ValueError:
        return "redis"
    path = parts.path if parts.path not in ("", "/") else "/0"
    return f"{parts.scheme}://{host}:{port}{path}"


def check_url(url: str) -> str:
    """``url`` if it is a redis:// or rediss:// URL; ConfigError otherwise."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ConfigError(f"--redis: not a Redis URL: {exc}") from None
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ConfigError("--redis: expected redis://[:PASSWORD@]HOST:PORT/DB or rediss://...")
    return url


def connect(url: str) -> Any:
    """A redis-py client for ``url`` with bounded timeouts and few retries, checked with a
    PING; CrawlError (one line, no password) when Redis cannot be reached."""
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry
    from scrapy_redis.connection import get_redis  # type: ignore[import-untyped]

    check_url(url)
    try:
        # scrapy-redis's connection factory (redis-py's client from the URL, TLS for rediss://)
        client = get_redis(
            url=url,
            socket_connect_timeout=CONNECT_TIMEOUT_S,
            socket_timeout=SOCKET_TIMEOUT_S,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.1), 2),
            decode_responses=True,
        )
        client.ping()
    except redis.RedisError as exc:
        raise CrawlError(f"cannot reach Redis at {redacted(url)}: {reason(exc)}") from None
    return client


def reason(exc: BaseException) -> str:
    """A Redis error in one short line."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


@dataclass(frozen=True)
class JobKeys:
    """The key names of one job."""

    job_id: str

    @property
    def prefix(self) -> str:
        return f"migrationaudit:{{{self.job_id}}}:"

    def __getattr__(self, name: str) -> str:
        if name in NAMES:
            return self.prefix + name
        raise AttributeError(name)

    def fixed(self) -> list[str]:
        """Every key of the job but the per-host slot sets."""
        return [self.prefix + n for n in NAMES]


class JobStore:
    """The scripts of one job on one client (see the module docstring)."""

    def __init__(self, client: Any, job_id: str) -> None:
        self.client = client
        self.keys = JobKeys(job_id)
        self._scripts = {
            name: client.register_script(text)
            for name, text in (
                ("seed", SEED),
                ("claim", CLAIM),
                ("record", RECORD),
                ("renew", RENEW),
                ("reclaim", RECLAIM),
                ("acquire", ACQUIRE),
                ("release", RELEASE),
                ("pause", PAUSE),
                ("link_page", LINK_PAGE),
            )
        }

    def _run(self, name: str, *args: object) -> Any:
        return self._scripts[name](keys=[self.keys.job], args=[self.keys.prefix, *args])

    def read_job(self) -> dict[str, Any] | None:
        text = self.client.get(self.keys.job)
        return json.loads(text) if text else None

    def seed(self, urls: Sequence[str], max_hops: int) -> None:
        for i in range(0, len(urls), 1000):
            self._run("seed", max_hops, *urls[i : i + 1000])

    def restore(
        self,
        depths: dict[str, int],
        onward: dict[str, str],
        recorded: Iterable[str],
        to_fetch: Sequence[str],
        link_pages: Iterable[str] = (),
    ) -> None:
        """The shared frontier's starting state: every URL known with its depth, the recorded
        ones with their redirect targets, and the URLs to fetch (a fresh run: the seeds); the
        pages whose links were collected (``--max-pages``)."""
        pipe = self.client.pipeline(transaction=False)
        pages = list(link_pages)
        for i in range(0, len(pages), 1000):
            pipe.sadd(self.keys.links, *pages[i : i + 1000])
        items = list(depths.items())
        for i in range(0, len(items), 1000):
            pipe.hset(self.keys.depth, mapping=dict(items[i : i + 1000]))
        targets = list(onward.items())
        for i in range(0, len(targets), 1000):
            pipe.hset(self.keys.onward, mapping=dict(targets[i : i + 1000]))
        done = list(recorded)
        for i in range(0, len(done), 1000):
            pipe.sadd(self.keys.done, *done[i : i + 1000])
        for i in range(0, len(to_fetch), 1000):
            pipe.rpush(self.keys.frontier, *to_fetch[i : i + 1000])
        pipe.execute()

    def claim(self, n: int, visibility_s: float) -> list[tuple[str, int]]:
        out = self._run("claim", n, int(visibility_s * 1000))
        return [(out[i], int(out[i + 1])) for i in range(0, len(out), 2)]

    def record(self, url: str, record: str, target: str | None, max_hops: int) -> bool:
        return bool(self._run("record", url, record, target or "", max_hops))

    def link_page(self, url: str, max_pages: int, take: bool) -> bool:
        """Whether the links of ``url``'s page may be collected: the job's ``--max-pages``
        budget, shared by every worker as the local crawl keeps it (``take``: the page counts,
        once whoever fetches it)."""
        return bool(self._run("link_page", url, max_pages, "1" if take else "0"))

    def renew(self, urls: Iterable[str], visibility_s: float) -> None:
        held = list(urls)
        for i in range(0, len(held), 1000):
            self._run("renew", int(visibility_s * 1000), *held[i : i + 1000])

    def reclaim(self) -> int:
        return int(self._run("reclaim"))

    def idle(self) -> bool:
        """Nothing to fetch and nothing leased, seen at one instant (a transaction)."""
        pipe = self.client.pipeline(transaction=True)
        pipe.llen(self.keys.frontier)
        pipe.zcard(self.keys.lease)
        queued, leased = pipe.execute()
        return int(queued) == 0 and int(leased) == 0

    def acquire(
        self, host: str, token: str, concurrency: int, per_host: int, delay_s: float, hold_s: float
    ) -> int:
        return int(
            self._run(
                "acquire",
                host,
                token,
                concurrency,
                per_host,
                int(delay_s * 1000),
                int(hold_s * 1000),
            )
        )

    def release(self, host: str, token: str, delay_s: float = 0.0) -> None:
        self._run("release", host, token, int(delay_s * 1000))

    def pause(self, host: str, seconds: float) -> None:
        self._run("pause", host, int(seconds * 1000))

    def failures(self) -> int:
        """Exceptions in the workers' callbacks: Scrapy's ``spider_exceptions/count``, summed
        over every worker that ended (:meth:`add_failures`)."""
        value = self.client.hget(self.keys.stats, "spider_exceptions/count")
        return int(value or 0)

    def add_failures(self, count: int) -> None:
        if count:
            self.client.hincrby(self.keys.stats, "spider_exceptions/count", count)

    def remove(self) -> None:
        """Delete every key of the job and forget it."""
        host_keys = list(self.client.scan_iter(match=self.keys.prefix + "host:*", count=1000))
        self.client.delete(*self.keys.fixed(), *host_keys)
        self.client.srem(JOBS_KEY, self.keys.job_id)

    def refresh(self, ttl_s: int = JOB_TTL_S) -> None:
        """Push the expiry of the job's keys ``ttl_s`` seconds ahead."""
        pipe = self.client.pipeline(transaction=False)
        for key in self.keys.fixed():
            pipe.expire(key, ttl_s)
        pipe.execute()


class AsyncSlots:
    """The politeness scripts of one job on redis-py's asyncio client: a worker's download
    handler waits for Redis without stopping its event loop (its other requests go on)."""

    def __init__(self, url: str, job_id: str) -> None:
        import redis.asyncio
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff

        self.client = redis.asyncio.Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT_S,
            socket_timeout=SOCKET_TIMEOUT_S,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.1), 2),
            decode_responses=True,
        )
        self.keys = JobKeys(job_id)
        self._acquire = self.client.register_script(ACQUIRE)
        self._release = self.client.register_script(RELEASE)
        self._pause = self.client.register_script(PAUSE)

    async def acquire(
        self, host: str, token: str, concurrency: int, per_host: int, delay_s: float, hold_s: float
    ) -> int:
        args: list[str | int] = [self.keys.prefix, host, token, concurrency, per_host]
        args += [int(delay_s * 1000), int(hold_s * 1000)]
        return int(await self._acquire(keys=[self.keys.job], args=args))

    async def release(self, host: str, token: str, delay_s: float = 0.0) -> None:
        args: list[str | int] = [self.keys.prefix, host, token, int(delay_s * 1000)]
        await self._release(keys=[self.keys.job], args=args)

    async def pause(self, host: str, seconds: float) -> None:
        args: list[str | int] = [self.keys.prefix, host, int(seconds * 1000)]
        await self._pause(keys=[self.keys.job], args=args)

    async def close(self) -> None:
        await self.client.aclose()

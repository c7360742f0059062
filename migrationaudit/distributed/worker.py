"""``migrationaudit worker``: wait for work on a Redis, run one worker process per job that has
some (:mod:`migrationaudit.distributed.child`), and end after ``--exit-when-idle`` seconds
without any.

A job has work while its frontier holds URLs or any URL is leased (a worker that died still
holds its leases until they run out, and then the URLs are someone's work again). The worker's
own credentials are scoped here, per job, to the origins of that job's legacy URLs (or to the
origin each names), and handed to its process on stdin; they never go to Redis.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from migrationaudit.crawl.process import stop_child
from migrationaudit.distributed.child import EXIT_REDIS
from migrationaudit.distributed.store import JOBS_KEY, JobStore, connect, reason, redacted
from migrationaudit.errors import ConfigError, CrawlError
from migrationaudit.settings import ConnectTo
from migrationaudit.spiders.resolver import connect_to_setting
from migrationaudit.web.access import ScopedHeader, parse_rewrites, scope_headers, scoped_to_wire

POLL_S = 0.5  # how often an idle worker looks for work


def run_worker(
    redis_url: str,
    *,
    exit_when_idle: float | None = None,
    headers: Iterable[ScopedHeader] = (),
    connect_to: Iterable[ConnectTo] = (),
    ca_bundle: str | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> int:
    """Serve the jobs of ``redis_url`` until idle for ``exit_when_idle`` seconds (None: for
    ever); how many jobs it worked on. CrawlError (one line) when Redis is lost."""
    from redis import RedisError

    client = connect(redis_url)
    headers, connect_to = tuple(headers), tuple(connect_to)
    served = 0
    idle_since = time.monotonic()
    say(f"waiting for work on {redacted(redis_url)}")
    while True:
        try:
            job = _job_with_work(client)
        except (RedisError, OSError) as exc:
            raise CrawlError(f"lost Redis at {redacted(redis_url)}: {reason(exc)}") from None
        if job is None:
            if exit_when_idle is not None and time.monotonic() - idle_since >= exit_when_idle:
                return served
            time.sleep(POLL_S)
            continue
        say(f"job {job['id']}: working")
        payload = {
            "redis": redis_url,
            "job": job["id"],
            "headers": scoped_to_wire(_scoped(job, headers)),
            "connect_to": connect_to_setting(connect_to),
            "ca_bundle": ca_bundle,
        }
        code = _run_child(payload)
        if code == EXIT_REDIS:
            raise CrawlError(f"lost Redis at {redacted(redis_url)} (the worker process said why)")
        served += 1
        say(f"job {job['id']}: nothing left to fetch")
        idle_since = time.monotonic()


def _job_with_work(client: Any) -> dict[str, Any] | None:
    """A running job whose frontier holds URLs or has URLs leased; jobs whose keys are gone
    (ended, or expired after their coordinator died) are forgotten."""
    for job_id in sorted(client.smembers(JOBS_KEY)):
        store = JobStore(client, str(job_id))
        job = store.read_job()
        if job is None:
            client.srem(JOBS_KEY, job_id)
            continue
        if not store.idle():
            return job
    return None


def _scoped(job: dict[str, Any], headers: tuple[ScopedHeader, ...]) -> Any:
    rewriter = parse_rewrites(tuple(p) for p in job["options"].get("rewrite_host") or ())
    origins = [(str(s), str(h), int(p)) for s, h, p in job.get("origins") or ()]
    try:
        return scope_headers(headers, origins, rewriter)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _run_child(payload: dict[str, Any]) -> int:
    """One worker process for one job (same process group: a kill of the worker's group
    takes it along); its exit code."""
    cmd = [sys.executable, "-P", "-m", "migrationaudit.distributed"]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    except OSError as exc:
        raise CrawlError(f"cannot start a worker process: {exc}") from exc
    assert proc.stdin is not None
    try:
        proc.stdin.write((json.dumps(payload) + "\n").encode("utf-8"))
        proc.stdin.flush()
        return proc.wait()
    except OSError:
        return proc.wait()
    except BaseException:
        stop_child(proc)
        raise
    finally:
        proc.stdin.close()

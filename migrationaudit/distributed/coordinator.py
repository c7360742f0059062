"""The coordinator of a distributed audit (``audit --redis URL``): the run folder is prepared
as for a local crawl, the job is published in Redis, the frontier seeded, and the hop records
the workers send are gathered into ``hops.jsonl``; then the run is judged as any other.

Records arrive on the job's stream through a consumer group: a record is written (flushed) to
``hops.jsonl`` before it is acknowledged, and a coordinator that was killed hands its
unacknowledged records to the next one (``XAUTOCLAIM``), which writes a URL once whatever it is
handed twice. The run is over when the frontier is empty, no URL is leased and the stream is
drained. The job's keys expire :data:`~migrationaudit.distributed.store.JOB_TTL_S` after the
coordinator stops refreshing them, and are removed when the run is complete.

The new site's side (robots.txt, sitemaps, ``--crawl``), when the run has one, then runs as a
resumed local crawl over the gathered records: every record is replayed, nothing is fetched
again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from migrationaudit.crawl import open_run_dir, run_crawl
from migrationaudit.crawl.job import write_scope, write_seeds
from migrationaudit.crawl.process import (
    ProgressCallback,
    report_progress,
    start_process,
    stop_all,
)
from migrationaudit.distributed.gather import Gatherer
from migrationaudit.distributed.store import (
    GROUP,
    JOB_TTL_S,
    JOBS_KEY,
    VISIBILITY_S,
    JobStore,
    connect,
    reason,
    redacted,
)
from migrationaudit.errors import ConfigError, CrawlError, ReportError
from migrationaudit.newsite.job import SiteJob
from migrationaudit.newsite.variants import site_of
from migrationaudit.rundir.job import MAX_RUNTIME_STOP, CrawlSummary, options_to_dict, write_job
from migrationaudit.rundir.layout import (
    HOPS_FILE,
    LOG_FILE,
    SEEDS_FILE,
    SUMMARY_FILE,
    atomic_write,
    os_reason,
)
from migrationaudit.rundir.records import drop_cut_off_record, read_hops
from migrationaudit.settings import CrawlOptions
from migrationaudit.spiders.extract import strip_fragment
from migrationaudit.spiders.frontier import Frontier
from migrationaudit.web.access import OriginKey, parse_rewrites, scope_headers, scoped_to_wire
from migrationaudit.web.scope import Scope

REFRESH_S = 1.0  # how often the coordinator refreshes expiries, reclaims leases, looks at idle
READ_BLOCK_MS = 200
READ_COUNT = 1000


def job_id_of(run_dir: Path) -> str:
    """A run folder's job id: the same for a resumed run, another for each folder and host."""
    where = f"{socket.gethostname()}:{os.path.realpath(run_dir)}"
    return hashlib.sha256(where.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def run_distributed(
    seeds: Iterable[str],
    run_dir: Path,
    options: CrawlOptions,
    *,
    redis_url: str,
    local_workers: int = 0,
    lease_timeout: float = VISIBILITY_S,
    progress: ProgressCallback | None = None,
    resume: bool = False,
    scope: Scope | None = None,
) -> CrawlSummary:
    """:func:`~migrationaudit.crawl.run_crawl`'s contract, the fetching done by workers
    through Redis (see the module docstring); ``local_workers`` are started beside it."""
    run_dir = Path(run_dir)
    started = time.monotonic()
    lock = open_run_dir(run_dir, options)
    try:
        summary = _coordinate(
            seeds, run_dir, options, redis_url, local_workers, lease_timeout, progress, resume,
            scope, started,
        )  # fmt: skip
    finally:
        os.close(lock)
    if not summary.complete or not _site_work(SiteJob.read(run_dir)):
        return summary
    # The new site's side over the gathered records (replayed, not fetched again).
    seeds_again = (run_dir / SEEDS_FILE).read_text(encoding="utf-8").splitlines()
    local = run_crawl(
        seeds_again, run_dir, dataclasses.replace(options, workers=1), resume=True, scope=scope
    )
    summary = dataclasses.replace(
        local,
        elapsed_s=round(time.monotonic() - started, 3),
        workers=summary.workers,
        complete=local.complete,
    )
    atomic_write(run_dir / SUMMARY_FILE, json.dumps(summary.to_dict()) + "\n")
    return summary


def _site_work(job: SiteJob | None) -> bool:
    """Whether the run's site job has anything to do (robots.txt, sitemaps, a crawl, variants,
    sitemap discovery on a new site): without it the replay pass is skipped."""
    if job is None:
        return False
    discovery = job.discover and bool(job.new_sites)
    lists = (job.sitemaps, job.local_sitemaps, job.old_sitemaps, job.crawl)
    return job.robots or discovery or job.variants or any(lists)


def _coordinate(
    seeds: Iterable[str],
    run_dir: Path,
    options: CrawlOptions,
    redis_url: str,
    local_workers: int,
    lease_timeout: float,
    progress: ProgressCallback | None,
    resume: bool,
    scope: Scope | None,
    started: float,
) -> CrawlSummary:
    rewriter = parse_rewrites(options.rewrite_host)
    origins: set[OriginKey] = set()
    try:
        (run_dir / SUMMARY_FILE).unlink(missing_ok=True)
        if resume:
            drop_cut_off_record(run_dir / HOPS_FILE)
        else:
            (run_dir / HOPS_FILE).unlink(missing_ok=True)
        count = write_seeds(seeds, run_dir / SEEDS_FILE, origins, rewriter.forward)
        write_job(run_dir, options)
        job_scope = write_scope(run_dir, options, origins, scope, resume)
    except OSError as exc:
        raise ReportError(f"cannot write {exc.filename or run_dir}: {os_reason(exc)}") from exc
    try:
        scoped = scope_headers(options.headers, origins, rewriter)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None

    client = connect(redis_url)
    store = JobStore(client, job_id_of(run_dir))
    seed_list = [u for u in (strip_fragment(x) for x in _lines(run_dir / SEEDS_FILE)) if u]
    previous = _previous(run_dir) if resume else {}
    gatherer = Gatherer(run_dir, options.max_hops, seed_list, previous)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        if not resume or store.read_job() is None:
            store.remove()
            site = SiteJob.read(run_dir)
            _publish(store, options, job_scope, origins, lease_timeout, site)
            frontier, to_fetch = _to_fetch(seed_list, previous, options.max_hops)
            links = _link_pages(run_dir, site) if previous else []
            store.restore(frontier.depth, frontier.onward, previous, to_fetch, links)
        _ensure_group(store)
        client.sadd(JOBS_KEY, store.keys.job_id)
        store.refresh()
        payload = {"redis": redis_url, "job": store.keys.job_id, "headers": scoped_to_wire(scoped)}
        procs = [_start_worker(run_dir, payload) for _ in range(local_workers)]
        del scoped, payload
        outcome = gatherer.gather(store, procs, options.max_runtime, started, progress, count)
    except KeyboardInterrupt:
        outcome = "interrupted"
    except CrawlError:
        raise
    except Exception as exc:
        if not _is_redis_error(exc):
            raise
        raise CrawlError(f"lost Redis at {redacted(redis_url)}: {reason(exc)}") from None
    finally:
        stop_all(procs)
        for proc in procs:
            if proc.stdin is not None:
                proc.stdin.close()
        gatherer.close()
    failures = 0
    if outcome == "done":
        try:
            failures = store.failures()
            store.remove()
        except Exception as exc:
            if not _is_redis_error(exc):
                raise
    summary = CrawlSummary(
        seeds=count,
        fetched=gatherer.written,
        complete=outcome == "done" and failures == 0,
        elapsed_s=round(time.monotonic() - started, 3),
        interrupted=outcome == "interrupted",
        finished=gatherer.chains.done,
        workers=max(1, local_workers),
        stopped=MAX_RUNTIME_STOP if outcome == "stopped" else None,
    )
    atomic_write(run_dir / SUMMARY_FILE, json.dumps(summary.to_dict()) + "\n")
    if outcome == "done":
        report_progress(progress, summary.finished, summary.seeds, summary.fetched)
    return summary


def _is_redis_error(exc: BaseException) -> bool:
    from redis import RedisError

    return isinstance(exc, RedisError)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _previous(run_dir: Path) -> dict[str, str | None]:
    """A resumed run's records so far: URL → redirect target."""
    if not (run_dir / HOPS_FILE).is_file():
        return {}
    return {h.url: (h.target if h.is_redirect else None) for h in read_hops(run_dir)}


def _link_pages(run_dir: Path, site: SiteJob | None) -> list[str]:
    """A resumed run's new-site pages whose links were collected (each took a place of
    ``--max-pages``, as the local crawl counts them)."""
    if site is None or not site.crawl:
        return []
    return [
        h.url
        for h in read_hops(run_dir)
        if h.is_healthy and h.page is not None and h.page.links is not None
        and site_of(h.url) in site.new_sites
    ]  # fmt: skip


def _to_fetch(
    seeds: list[str], previous: dict[str, str | None], max_hops: int
) -> tuple[Frontier, list[str]]:
    """The URLs still to fetch: the seeds and, through the records so far, what they lead to
    (the local crawl's Frontier replayed); the Frontier too (its depths and redirects are
    the shared frontier's starting state)."""
    frontier = Frontier(max_hops)
    out: list[str] = []
    stack: list[str] = []
    for seed in seeds:
        stack.extend(frontier.reach(seed, 0))
        while stack:
            url = stack.pop()
            if url in previous:
                stack.extend(frontier.done(url, previous[url]))
            else:
                out.append(url)
    return frontier, out


def _publish(
    store: JobStore,
    options: CrawlOptions,
    scope: Scope,
    origins: set[OriginKey],
    lease_timeout: float,
    site: SiteJob | None,
) -> None:
    """The job as workers read it: options, scope and seed origins; never a credential
    (:func:`options_to_dict` leaves ``--auth``/``--header`` out)."""
    job = {
        "id": store.keys.job_id,
        "options": options_to_dict(options),
        "scope": scope.to_dict(),
        "origins": sorted(list(o) for o in origins),
        "visibility_s": lease_timeout,
        # --crawl: the new sites whose pages' links the crawl reads (kept in their records,
        # as the local crawl keeps them, for the replay on the coordinator)
        "link_sites": list(site.new_sites) if site is not None and site.crawl else [],
        "max_pages": site.max_pages if site is not None else 0,  # ... of so many pages at most
    }
    store.client.set(store.keys.job, json.dumps(job), ex=JOB_TTL_S)


def _ensure_group(store: JobStore) -> None:
    from redis import ResponseError

    try:
        store.client.xgroup_create(store.keys.hops, GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _start_worker(run_dir: Path, data: dict[str, Any]) -> subprocess.Popen[bytes]:
    """One local worker process; the Redis URL and the credentials go on its stdin (never on
    its command line), its stderr to the run's crawl.log."""
    line = (json.dumps(data) + "\n").encode("utf-8")
    return start_process(
        ["migrationaudit.distributed"],
        line,
        run_dir / LOG_FILE,
        append=True,
        stdout=subprocess.DEVNULL,
        what="a worker process",
    )

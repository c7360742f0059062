"""Run the crawl: seeds in, a run directory of hop records out.

The only module of the core that knows about Scrapy and Twisted, and it keeps them in a child
process: Twisted's reactor cannot restart inside one process, and :func:`run_crawl` must be
callable any number of times (tests, notebooks, the CLI's re-runs).

A run directory holds::

    seeds.txt    one URL a line (written here)
    job.json     the CrawlOptions (written here)
    scope.json   the hosts the audit may request (migrationaudit.web.scope; written here)
    hops.jsonl   one Hop.to_dict() JSON object a line, appended and flushed as they arrive
    crawl.json   {"seeds", "fetched", "finished", "complete", "elapsed_s", "interrupted"}
                 (written last)
    crawl.log    the crawl process's stderr (Scrapy warnings and errors)
    crawl.lock   flock'ed while a crawl process may write here (see :func:`lock_run_dir`)

``python -m migrationaudit.crawl RUN_DIR [--resume] [--secrets-stdin]`` is the child: it runs
Scrapy's CrawlerProcess with :class:`~migrationaudit.spiders.hop.HopSpider` and prints
``progress FETCHED FINISHED TOTAL`` lines on stdout (hop records written, legacy URLs whose
chain is finished, legacy URLs).

``--workers N`` (:func:`plan_workers`): N such children over shards of the seeds (a stable
hash of host + path, :func:`shard_of`), each in ``RUN_DIR/shards/K/`` with its share of the
concurrency limits, merged into ``RUN_DIR`` when they end (:func:`merge_shards`: a URL two
children both fetched keeps its first record) and removed; crawl.json then sums them up.
With a site job, child 0 leads the new-site work that needs the whole crawl in view
(sitemaps, ``--crawl``, sitemap discovery on the origins every child meets) and each child
does the per-seed part for its own seeds (see :mod:`migrationaudit.newsite.work`).

Secrets (``--auth`` / ``--header``) never touch the run directory: job.json leaves them out,
and the parent hands them to the child as the first line of its stdin (``--secrets-stdin``),
already scoped to origins. ``--resume`` keeps hops.jsonl and replays its records instead of
fetching their URLs again.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from migrationaudit.crawl.job import check_ca_bundle, write_scope, write_seeds
from migrationaudit.crawl.process import (
    EXIT_IO,
    Deadline,
    ProgressCallback,
    feed_progress,
    log_tail,
    report_progress,
    secrets_line,
    start_child,
    stop_child,
)
from migrationaudit.crawl.shards import (
    merge_shards,
    plan_workers,
    run_sharded,
)
from migrationaudit.errors import ConfigError, CrawlError, ReportError
from migrationaudit.newsite.job import SiteJob
from migrationaudit.rundir.job import (
    MAX_RUNTIME_STOP,
    CrawlSummary,
    read_summary,
    write_job,
    write_summary,
)
from migrationaudit.rundir.layout import (
    HOPS_FILE,
    LOG_FILE,
    SEEDS_FILE,
    SHARDS_DIR,
    SITE_RECORDS_FILE,
    SUMMARY_FILE,
    lock_run_dir,
    os_reason,
)
from migrationaudit.rundir.records import (
    count_lines,
    drop_cut_off_record,
)
from migrationaudit.settings import CrawlOptions
from migrationaudit.web.access import (
    OriginKey,
    parse_rewrites,
    scope_headers,
)
from migrationaudit.web.scope import Scope


def access_info(options: CrawlOptions) -> dict[str, Any]:
    """What a report says about how the sites were reached: TLS verification, host
    rewriting, and which headers went where (names and origins only, never values)."""
    info: dict[str, Any] = {"tls": {"verify": options.verify_tls, "ca_bundle": options.ca_bundle}}
    if options.rewrite_host:
        info["rewrite_host"] = [f"{old}={new}" for old, new in options.rewrite_host]
    if options.headers:
        info["scoped_headers"] = [h.describe() for h in options.headers]
    return info


def run_crawl(
    seeds: Iterable[str],
    run_dir: Path,
    options: CrawlOptions,
    *,
    progress: ProgressCallback | None = None,
    resume: bool = False,
    scope: Scope | None = None,
) -> CrawlSummary:
    """Crawl ``seeds`` hop by hop into ``run_dir`` (see the module docstring).

    Only URLs in the audit's scope are requested (:mod:`migrationaudit.web.scope`): the hosts of
    the seeds, of ``options`` (``connect_to``, ``rewrite_host``), of the run's site job
    (``--crawl``, sitemaps) and of ``scope`` (what else the inputs name, ``--allow-host``);
    a resumed run keeps the hosts its run directory named before. Written to ``scope.json``.

    The crawl runs in a child process. ``progress(done, total)`` is called as records
    arrive: done = legacy URLs whose chain is finished, total = seeds (an object with
    ``update(done, total, fetched)`` also gets the number of URLs fetched). Ctrl-C (or a
    SIGTERM the caller turns into KeyboardInterrupt) stops the child cleanly and returns what
    was gathered with ``interrupted=True``. ``resume=True`` continues the run of ``run_dir``:
    URLs already recorded are not fetched again. :class:`CrawlError` when the crawl process
    itself fails; problems on the crawled site are Hop records, never exceptions.
    """
    run_dir = Path(run_dir)
    started = time.monotonic()
    lock = open_run_dir(run_dir, options)
    try:
        return _run_locked(seeds, run_dir, options, progress, resume, started, lock, scope)
    finally:
        os.close(lock)


def open_run_dir(run_dir: Path, options: CrawlOptions) -> int:
    """Make ``run_dir`` ready for a crawl: ``--ca-bundle`` checked, the folder created
    (:class:`ReportError` when it cannot be) and locked; the lock's descriptor, for the
    caller to close when the crawl is over."""
    if options.ca_bundle:
        check_ca_bundle(options.ca_bundle)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create {run_dir}: {os_reason(exc)}") from exc
    return lock_run_dir(run_dir)


def _run_locked(
    seeds: Iterable[str],
    run_dir: Path,
    options: CrawlOptions,
    progress: ProgressCallback | None,
    resume: bool,
    started: float,
    lock: int,
    scope: Scope | None = None,
) -> CrawlSummary:
    rewriter = parse_rewrites(options.rewrite_host)
    origins: set[OriginKey] = set()
    try:
        stale = (SUMMARY_FILE,) if resume else (HOPS_FILE, SUMMARY_FILE)
        for name in stale:
            (run_dir / name).unlink(missing_ok=True)
        if resume:
            # A sharded run stopped before its merge (parent killed): merge what it kept.
            merge_shards(run_dir)
            # A kill can cut the last line of either record file; the resumed run appends.
            drop_cut_off_record(run_dir / HOPS_FILE)
            drop_cut_off_record(run_dir / SITE_RECORDS_FILE)
        else:
            shutil.rmtree(run_dir / SHARDS_DIR, ignore_errors=True)
        count = write_seeds(seeds, run_dir / SEEDS_FILE, origins, rewriter.forward)
        write_job(run_dir, options)
        write_scope(run_dir, options, origins, scope, resume)
    except OSError as exc:
        what = exc.filename or run_dir
        raise ReportError(f"cannot write {what}: {os_reason(exc)}") from exc
    try:
        scoped = scope_headers(options.headers, origins, rewriter)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None

    plan = plan_workers(options, count, SiteJob.read(run_dir))
    if plan.workers > 1:
        return run_sharded(run_dir, plan, options, scoped, count, progress, resume, started, lock)

    interrupted = False
    last: dict[str, Any] = {"done": 0}
    proc = start_child(run_dir, resume, secrets_line(scoped), lock)
    del scoped
    deadline = Deadline(options.max_runtime, started)
    try:
        deadline.start([proc])
        assert proc.stdout is not None
        for raw in proc.stdout:
            feed_progress(raw, progress, last)
        proc.wait()
    except KeyboardInterrupt:
        interrupted = True
        stop_child(proc)
    except BaseException:
        stop_child(proc)
        raise
    finally:
        deadline.cancel()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()

    summary = read_summary(run_dir)
    if deadline.hit and not interrupted and not (summary is not None and summary.complete):
        # --max-runtime: stopped like Ctrl-C (what was recorded is kept), but it is a limit
        # the user set, not an interruption: the run is incomplete (exit 3), resumable.
        summary = dataclasses.replace(
            _kept(summary, run_dir, count, started, last["done"]),
            complete=False,
            interrupted=False,
            stopped=MAX_RUNTIME_STOP,
        )
        write_summary(run_dir, summary)
        return summary
    if interrupted:
        summary = _kept(summary, run_dir, count, started, last["done"])
        return dataclasses.replace(summary, complete=False, interrupted=True)
    if proc.returncode == EXIT_IO:
        raise ReportError(str(last.get("ioerror") or f"cannot write {run_dir / HOPS_FILE}"))
    if proc.returncode != 0 or summary is None:
        how = f"exited with code {proc.returncode}"
        if proc.returncode < 0:
            how = f"was killed by signal {-proc.returncode}"
        elif proc.returncode == 0:
            how = f"ended without writing {SUMMARY_FILE}"
        tail = log_tail(run_dir / LOG_FILE)
        raise CrawlError(f"the crawl process {how}" + (f":\n{tail}" if tail else ""))
    report_progress(progress, summary.finished, summary.seeds, summary.fetched)
    return summary


def _kept(
    summary: CrawlSummary | None, run_dir: Path, count: int, started: float, finished: int
) -> CrawlSummary:
    """The child's summary of a stopped crawl or, when it wrote none (killed after the grace
    period), what the run directory kept: its records counted."""
    if summary is not None:
        return summary
    return CrawlSummary(
        seeds=count,
        fetched=count_lines(run_dir / HOPS_FILE),
        complete=False,
        elapsed_s=time.monotonic() - started,
        interrupted=False,
        finished=finished,
    )


# -- --workers N: shards of the seeds, one crawl process each, merged into one run --


# -- parent-side helpers --


# -- the child process --

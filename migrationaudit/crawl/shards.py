"""--workers N: the seeds split into shards by a stable hash, one crawl process per shard with
its share of the limits, merged into the run folder when they end."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from migrationaudit.crawl.process import (
    EXIT_IO,
    Deadline,
    ProgressCallback,
    log_tail,
    report_progress,
    secrets_line,
    start_child,
    stop_all,
)
from migrationaudit.errors import CrawlError, ReportError
from migrationaudit.newsite.job import SiteJob
from migrationaudit.rundir.job import MAX_RUNTIME_STOP, CrawlSummary, options_to_dict, read_summary
from migrationaudit.rundir.layout import (
    HOPS_FILE,
    JOB_FILE,
    LOG_FILE,
    SEEDS_FILE,
    SHARDS_DIR,
    SITE_ENDED_FILE,
    SITE_RECORDS_FILE,
    SUMMARY_FILE,
    atomic_write,
    os_reason,
)
from migrationaudit.rundir.records import (
    count_lines,
    hop_key,
    merge_lines,
    site_key,
)
from migrationaudit.settings import WORKER_MIN_SEEDS, CrawlOptions
from migrationaudit.web.scope import SCOPE_FILE


@dataclass(frozen=True)
class WorkerPlan:
    """How many crawl processes a run uses, and why (said in the run's crawl.log)."""

    workers: int
    reason: str



def plan_workers(
    options: CrawlOptions, seeds: int, site_job: SiteJob | None = None, cpus: int | None = None
) -> WorkerPlan:
    """The number of crawl processes for ``seeds`` legacy URLs.

    ``options.workers`` 0 (auto) is one per CPU, but at most one per ``WORKER_MIN_SEEDS``
    seeds (starting a Scrapy process costs about a second); N is N. Politeness and
    correctness cap it: never more processes than seeds, than ``--concurrency`` or
    ``--per-host-concurrency`` (the per-process limits are those divided by the process
    count, so the totals still hold); a single process when ``--delay`` is set (a gap
    between two requests to a host is a promise one process can keep). New-site work that
    needs the whole crawl in view (sitemaps, a ``--crawl``, sitemap discovery) is led by
    process 0 (:func:`prepare_shards`)."""
    cpus = cpus or os.cpu_count() or 1
    if options.workers <= 0:
        wanted, why = min(cpus, max(1, seeds // WORKER_MIN_SEEDS)), "auto"
    else:
        wanted, why = options.workers, "--workers"
    capped = min(wanted, max(seeds, 1), options.concurrency, options.per_host_concurrency)
    if capped < wanted:
        why += ", capped by seeds/--concurrency/--per-host-concurrency"
    if capped > 1 and options.delay > 0:
        return WorkerPlan(1, "--delay is kept by a single process")
    if capped > 1 and site_job is not None and _needs_whole_crawl(site_job):
        why += "; process 0 leads the new-site work (sitemaps, --crawl, discovery)"
    return WorkerPlan(capped, why)



def _needs_whole_crawl(job: SiteJob) -> bool:
    """Site work that is not per seed: robots.txt is (each process reads the robots.txt of the
    hosts it meets; the merge keeps one record), sitemaps, crawls and discovery are not (the
    lead process does them, told by the others which new-site origins they meet)."""
    discovery = job.discover and bool(job.new_sites)
    return bool(job.sitemaps or job.local_sitemaps or job.old_sitemaps or job.crawl or discovery)



def shard_of(url: str, shards: int) -> int:
    """The shard of a seed: a stable hash of its host and path (the same in every run, so a
    resumed run gives each process the seeds it had)."""
    try:
        parts = urlsplit(url)
        key = (parts.hostname or "") + parts.path
    except ValueError:
        key = url
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % shards



def shard_options(options: CrawlOptions, workers: int) -> CrawlOptions:
    """One process's share of the limits: the totals over all processes stay as asked."""
    return dataclasses.replace(
        options,
        workers=1,
        concurrency=max(1, options.concurrency // workers),
        per_host_concurrency=max(1, options.per_host_concurrency // workers),
    )



def merge_shards(run_dir: Path) -> int:
    """Merge ``run_dir/shards/*`` into ``run_dir`` and remove them; the number of hop records.

    hops.jsonl: the run's own records first, then each shard's, a URL recorded twice (a tail
    shared by chains of two shards, or a record copied in for a resume) keeps its first
    record; a line cut off by a kill is dropped. site.jsonl: a robots.txt record once per URL,
    other records once per distinct line. crawl.log: the shards' logs, one after another."""
    shards_root = Path(run_dir) / SHARDS_DIR
    if not shards_root.is_dir():
        return 0
    shard_dirs = sorted(
        (p for p in shards_root.iterdir() if p.is_dir() and p.name.isdigit()),
        key=lambda p: int(p.name),
    )
    written = merge_lines(run_dir / HOPS_FILE, [d / HOPS_FILE for d in shard_dirs], hop_key)
    if any((d / SITE_RECORDS_FILE).is_file() for d in shard_dirs):
        merge_lines(
            run_dir / SITE_RECORDS_FILE, [d / SITE_RECORDS_FILE for d in shard_dirs], site_key
        )
    with (run_dir / LOG_FILE).open("ab") as log:
        for d in shard_dirs:
            try:
                text = (d / LOG_FILE).read_bytes()
            except OSError:
                continue
            if text.strip():
                log.write(f"--- crawl process {d.name} ---\n".encode() + text.rstrip() + b"\n")
    shutil.rmtree(shards_root, ignore_errors=True)
    return written



def prepare_shards(
    run_dir: Path, plan: WorkerPlan, options: CrawlOptions, resume: bool
) -> list[Path]:
    """One run directory per process: its seeds, its share of the limits, its part of the
    site job (process 0 leads: :meth:`SiteJob.lead_part`; the others do the per-seed work:
    :meth:`SiteJob.peer_part`); on resume a copy of the records so far (replayed, not
    fetched again)."""
    root = run_dir / SHARDS_DIR
    shutil.rmtree(root, ignore_errors=True)
    dirs = [root / str(k) for k in range(plan.workers)]
    for d in dirs:
        d.mkdir(parents=True)
    job = json.dumps(options_to_dict(shard_options(options, plan.workers)), indent=2) + "\n"
    files = [(d / SEEDS_FILE).open("w", encoding="utf-8") for d in dirs]
    try:
        with (run_dir / SEEDS_FILE).open(encoding="utf-8") as f:
            for line in f:
                files[shard_of(line.strip(), plan.workers)].write(line)
    finally:
        for out in files:
            out.close()
    site_job = SiteJob.read(run_dir)
    for k, d in enumerate(dirs):
        (d / JOB_FILE).write_text(job, encoding="utf-8")
        for name in (SCOPE_FILE, *((HOPS_FILE, SITE_RECORDS_FILE) if resume else ())):
            if (run_dir / name).is_file():
                shutil.copyfile(run_dir / name, d / name)
        if site_job is None:
            continue
        if k > 0:
            site_job.peer_part().write(d)
        elif site_job.discover and site_job.new_sites:
            # The lead discovers the sitemaps of the new-site origins the peers meet too.
            site_job.lead_part(f"../{p.name}" for p in dirs[1:]).write(d)
        else:
            site_job.lead_part(()).write(d)
    return dirs



def run_sharded(
    run_dir: Path,
    plan: WorkerPlan,
    options: CrawlOptions,
    scoped: Any,
    count: int,
    progress: ProgressCallback | None,
    resume: bool,
    started: float,
    run_lock: int | None = None,
) -> CrawlSummary:
    """Run ``plan.workers`` crawl processes over shards of the seeds, then merge them."""
    try:
        dirs = prepare_shards(run_dir, plan, options, resume)
    except OSError as exc:
        raise CrawlError(f"cannot prepare the shards of {run_dir}: {exc}") from exc
    with (run_dir / LOG_FILE).open("ab") as log:
        log.write(f"{plan.workers} crawl processes ({plan.reason})\n".encode())
    secrets = secrets_line(scoped)
    counts = [[0, 0, 0] for _ in dirs]  # per process: fetched, finished, legacy URLs in all
    # On resume every process starts from a copy of the records so far: count them once.
    copied = (len(dirs) - 1) * count_lines(run_dir / HOPS_FILE) if resume else 0
    lock = threading.Lock()
    changed = threading.Event()
    procs: list[subprocess.Popen[bytes]] = []
    readers: list[threading.Thread] = []
    interrupted = False
    ioerrors: dict[int, str] = {}

    def read(k: int, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        try:
            for raw in proc.stdout:
                if raw.startswith(b"ioerror "):
                    ioerrors[k] = raw[len(b"ioerror ") :].decode("utf-8", "replace").strip()
                    continue
                parts = raw.split()
                if len(parts) != 4 or parts[0] != b"progress":
                    continue
                try:
                    update = [int(parts[1]), int(parts[2]), int(parts[3])]
                except ValueError:
                    continue
                with lock:
                    counts[k] = update
                changed.set()
        finally:
            # The lead process waits for this mark (SITE_ENDED_FILE): everything the child
            # wrote for it (its new-site origins) is whole once the child has exited.
            proc.wait()
            try:
                (dirs[k] / SITE_ENDED_FILE).touch()
            except OSError:
                pass  # the shard is gone (merged after an error): nobody waits any more

    deadline = Deadline(options.max_runtime, started)
    try:
        for k, d in enumerate(dirs):
            proc = start_child(d, resume, secrets, run_lock)
            procs.append(proc)
            reader = threading.Thread(target=read, args=(k, proc), daemon=True)
            reader.start()
            readers.append(reader)
        deadline.start(procs)
        # Progress is reported from here, not from the reader threads: a callback that
        # raises (KeyboardInterrupt included) must raise in the caller's thread.
        while any(reader.is_alive() for reader in readers):
            if changed.wait(0.2):
                changed.clear()
                with lock:
                    done = sum(c[1] for c in counts)
                    fetched = max(0, sum(c[0] for c in counts) - copied)
                    # the lead's legacy sitemaps add legacy URLs to its shard's seeds
                    total = max(count, sum(c[2] for c in counts))
                report_progress(progress, done, total, fetched)
        for proc in procs:
            proc.wait()
    except KeyboardInterrupt:
        interrupted = True
        stop_all(procs)
    except BaseException:
        stop_all(procs)
        merge_shards(run_dir)
        raise
    finally:
        deadline.cancel()
        for proc in procs:
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()

    summaries = [read_summary(d) for d in dirs]
    stopped = deadline.hit and not interrupted and not all(s and s.complete for s in summaries)
    failed = [
        (k, p.returncode)
        for k, (p, s) in enumerate(zip(procs, summaries, strict=True))
        if p.returncode != 0 or s is None
    ]
    tails = {k: log_tail(dirs[k] / LOG_FILE) for k, _ in failed}
    try:
        fetched = merge_shards(run_dir)
    except OSError as exc:
        raise ReportError(f"cannot write {exc.filename or run_dir}: {os_reason(exc)}") from exc
    io_failed = [k for k, code in failed if code == EXIT_IO]
    if io_failed and not interrupted and not stopped:
        k = io_failed[0]
        raise ReportError(ioerrors.get(k) or f"cannot write {run_dir / HOPS_FILE}")
    finished = [
        s.finished if s is not None else c[1] for s, c in zip(summaries, counts, strict=True)
    ]
    summary = CrawlSummary(
        seeds=max(
            count,
            sum(s.seeds if s else c[2] for s, c in zip(summaries, counts, strict=True)),
        ),
        fetched=fetched,
        complete=not interrupted
        and not stopped
        and not failed
        and all(s.complete for s in summaries if s),
        elapsed_s=round(time.monotonic() - started, 3),
        interrupted=not stopped and (interrupted or any(s.interrupted for s in summaries if s)),
        finished=sum(finished),
        workers=plan.workers,
        stopped=MAX_RUNTIME_STOP if stopped else None,
    )
    if failed and not interrupted and not stopped:
        k, code = failed[0]
        how = f"exited with code {code}" if code else f"ended without writing {SUMMARY_FILE}"
        if code is not None and code < 0:
            how = f"was killed by signal {-code}"
        tail = tails[k]
        raise CrawlError(f"crawl process {k} {how}" + (f":\n{tail}" if tail else ""))
    try:
        atomic_write(run_dir / SUMMARY_FILE, json.dumps(summary.to_dict()) + "\n")
    except OSError as exc:
        raise ReportError(f"cannot write {run_dir / SUMMARY_FILE}: {os_reason(exc)}") from exc
    if not interrupted:
        report_progress(progress, summary.finished, summary.seeds, summary.fetched)
    return summary

"""Run the crawl: seeds in, a run directory of hop records out.

The only module of the core that knows about Scrapy and Twisted, and it keeps them in a child
process: Twisted's reactor cannot restart inside one process, and :func:`run_crawl` must be
callable any number of times (tests, notebooks, the CLI's re-runs).

A run directory holds::

    seeds.txt    one URL a line (written here)
    job.json     the CrawlOptions (written here)
    scope.json   the hosts the audit may request (migrationaudit.scope; written here)
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
does the per-seed part for its own seeds (see :mod:`migrationaudit.sitework`).

Secrets (``--auth`` / ``--header``) never touch the run directory: job.json leaves them out,
and the parent hands them to the child as the first line of its stdin (``--secrets-stdin``),
already scoped to origins. ``--resume`` keeps hops.jsonl and replays its records instead of
fetching their URLs again.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from migrationaudit.access import (
    OriginKey,
    origin_of,
    parse_rewrites,
    scope_headers,
    scoped_to_wire,
)
from migrationaudit.errors import ConfigError, CrawlError, InputError, ReportError
from migrationaudit.models import Hop
from migrationaudit.scope import SCOPE_FILE, Scope, scope_of
from migrationaudit.settings import WORKER_MIN_SEEDS, ConnectTo, CrawlOptions
from migrationaudit.sitework import ENDED_FILE as SITE_ENDED_FILE
from migrationaudit.sitework import RECORDS_FILE as SITE_RECORDS_FILE
from migrationaudit.sitework import SiteJob

SEEDS_FILE = "seeds.txt"
JOB_FILE = "job.json"
HOPS_FILE = "hops.jsonl"
SUMMARY_FILE = "crawl.json"
LOG_FILE = "crawl.log"
LOCK_FILE = "crawl.lock"  # held (flock) by the run's crawl processes while they write
LOCK_WAIT_S = 30.0  # how long a new run waits for an orphaned crawl process to close
EXIT_IO = 4  # a crawl process's exit code when it could not write its records
SHARDS_DIR = "shards"  # --workers N: one run directory per crawl process, merged at the end
STOP_GRACE_S = 15.0  # after SIGTERM, how long the child may take to close cleanly
MAX_RUNTIME_STOP = "max-runtime"  # CrawlSummary.stopped: the --max-runtime deadline passed
STDERR_TAIL_LINES = 20
_CHILD_ENV = "MIGRATIONAUDIT_CRAWL_CHILD"  # set: the child stops when the parent goes away

SECRET_OPTIONS = frozenset({"headers"})  # CrawlOptions fields never written to job.json

# progress(done, total): done = legacy URLs whose chain is finished, total = legacy URLs. An
# object with ``update(done, total, fetched)`` is called that way instead (fetched = URLs).
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class CrawlSummary:
    """How a crawl went: seed count, hop records written, legacy URLs whose chain finished,
    and whether it ran to the end."""

    seeds: int
    fetched: int
    complete: bool
    elapsed_s: float
    interrupted: bool
    finished: int = 0
    workers: int = 1  # crawl processes that shared the seeds (see plan_workers)
    # A run-level limit that stopped the crawl before its end ("max-runtime"), else None.
    stopped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CrawlSummary:
        return cls(
            seeds=int(d.get("seeds", 0)),
            fetched=int(d.get("fetched", 0)),
            complete=bool(d.get("complete", False)),
            elapsed_s=float(d.get("elapsed_s", 0.0)),
            interrupted=bool(d.get("interrupted", False)),
            finished=int(d.get("finished", 0)),
            workers=int(d.get("workers", 1)),
            stopped=str(d["stopped"]) if d.get("stopped") else None,
        )


def options_to_dict(options: CrawlOptions) -> dict[str, Any]:
    """CrawlOptions as the JSON object stored in job.json (secrets left out)."""
    data = dataclasses.asdict(dataclasses.replace(options, headers=()))
    for secret in SECRET_OPTIONS:
        data.pop(secret, None)
    return data


def options_from_dict(d: dict[str, Any]) -> CrawlOptions:
    """The inverse of :func:`options_to_dict` (unknown keys are ignored)."""
    fields = {f.name for f in dataclasses.fields(CrawlOptions)}
    kwargs = {k: v for k, v in d.items() if k in fields}
    kwargs["connect_to"] = tuple(ConnectTo(**c) for c in d.get("connect_to", ()))
    kwargs["scrapy_settings"] = tuple((str(k), str(v)) for k, v in d.get("scrapy_settings", ()))
    kwargs["rewrite_host"] = tuple((str(a), str(b)) for a, b in d.get("rewrite_host", ()))
    for secret in SECRET_OPTIONS:
        kwargs.pop(secret, None)
    return CrawlOptions(**kwargs)


def access_info(options: CrawlOptions) -> dict[str, Any]:
    """What a report says about how the sites were reached: TLS verification, host
    rewriting, and which headers went where (names and origins only, never values)."""
    info: dict[str, Any] = {"tls": {"verify": options.verify_tls, "ca_bundle": options.ca_bundle}}
    if options.rewrite_host:
        info["rewrite_host"] = [f"{old}={new}" for old, new in options.rewrite_host]
    if options.headers:
        info["scoped_headers"] = [h.describe() for h in options.headers]
    return info


def _secrets_line(scoped: Mapping[OriginKey, list[tuple[str, str]]]) -> bytes:
    """The one line of secrets a crawl child reads from its stdin (never written to disk)."""
    return (json.dumps({"headers": scoped_to_wire(scoped)}) + "\n").encode("utf-8")


def _start_child(
    run_dir: Path, resume: bool, secrets: bytes, lock: int | None = None
) -> subprocess.Popen[bytes]:
    """Start one crawl process on ``run_dir``, its stderr in ``run_dir/crawl.log``, and hand it
    the secrets line. The stdin pipe stays open: its EOF tells the child we are gone.
    ``lock``: the run directory's lock descriptor, inherited, so the child keeps the lock
    when we are killed (an orphan closing down still owns the run directory)."""
    # -P: the current folder is not put on sys.path, so the child imports the installed
    # package, never a migrationaudit/ (or scrapy/) folder where the audit was started (CWE-427).
    cmd = [sys.executable, "-P", "-m", "migrationaudit.crawl", str(run_dir), "--secrets-stdin"]
    if resume:
        cmd.append("--resume")
    env = {**os.environ, _CHILD_ENV: "1", "PYTHONUNBUFFERED": "1"}
    with (run_dir / LOG_FILE).open("wb") as log:
        try:
            # A session of its own: a terminal's Ctrl-C reaches only us, and we stop the
            # child with exactly one SIGTERM (a second one would force an unclean stop).
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                start_new_session=True,
                pass_fds=(lock,) if lock is not None else (),
            )
        except OSError as exc:
            raise CrawlError(f"cannot start a crawl process: {exc}") from exc
    assert proc.stdin is not None
    try:
        proc.stdin.write(secrets)
        proc.stdin.flush()
    except OSError:
        pass  # the child died at once; its exit code says why
    return proc


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

    Only URLs in the audit's scope are requested (:mod:`migrationaudit.scope`): the hosts of
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
    if options.ca_bundle:
        _check_ca_bundle(options.ca_bundle)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create {run_dir}: {_os_reason(exc)}") from exc
    lock = lock_run_dir(run_dir)
    try:
        return _run_locked(seeds, run_dir, options, progress, resume, started, lock, scope)
    finally:
        os.close(lock)


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
            _drop_cut_off_record(run_dir / HOPS_FILE)
            _drop_cut_off_record(run_dir / SITE_RECORDS_FILE)
        else:
            shutil.rmtree(run_dir / SHARDS_DIR, ignore_errors=True)
        count = _write_seeds(seeds, run_dir / SEEDS_FILE, origins, rewriter.forward)
        write_job(run_dir, options)
        write_scope(run_dir, options, origins, scope, resume)
    except OSError as exc:
        name = exc.filename or run_dir
        raise ReportError(f"cannot write {name}: {_os_reason(exc)}") from exc
    try:
        scoped = scope_headers(options.headers, origins, rewriter)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None

    plan = plan_workers(options, count, SiteJob.read(run_dir))
    if plan.workers > 1:
        return _run_sharded(
            run_dir, plan, options, scoped, count, progress, resume, started, lock
        )

    interrupted = False
    last: dict[str, Any] = {"done": 0}
    proc = _start_child(run_dir, resume, _secrets_line(scoped), lock)
    del scoped
    deadline = Deadline(options.max_runtime, started)
    try:
        deadline.start([proc])
        assert proc.stdout is not None
        for raw in proc.stdout:
            _feed_progress(raw, progress, last)
        proc.wait()
    except KeyboardInterrupt:
        interrupted = True
        _stop(proc)
    except BaseException:
        _stop(proc)
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
        if summary is None:  # killed after the grace period: count what it kept
            summary = CrawlSummary(
                seeds=count,
                fetched=_count_lines(run_dir / HOPS_FILE),
                complete=False,
                elapsed_s=time.monotonic() - started,
                interrupted=False,
                finished=last["done"],
            )
        summary = dataclasses.replace(
            summary, complete=False, interrupted=False, stopped=MAX_RUNTIME_STOP
        )
        _write_summary(run_dir, summary)
        return summary
    if interrupted:
        if summary is None:
            summary = CrawlSummary(
                seeds=count,
                fetched=_count_lines(run_dir / HOPS_FILE),
                complete=False,
                elapsed_s=time.monotonic() - started,
                interrupted=True,
                finished=last["done"],
            )
        return dataclasses.replace(summary, complete=False, interrupted=True)
    if proc.returncode == EXIT_IO:
        raise ReportError(str(last.get("ioerror") or f"cannot write {run_dir / HOPS_FILE}"))
    if proc.returncode != 0 or summary is None:
        how = f"exited with code {proc.returncode}"
        if proc.returncode < 0:
            how = f"was killed by signal {-proc.returncode}"
        elif proc.returncode == 0:
            how = f"ended without writing {SUMMARY_FILE}"
        tail = _tail(run_dir / LOG_FILE)
        raise CrawlError(f"the crawl process {how}" + (f":\n{tail}" if tail else ""))
    _report(progress, summary.finished, summary.seeds, summary.fetched)
    return summary


def read_hops(run_dir: Path) -> Iterator[Hop]:
    """Stream the Hop records of a run directory.

    A last line cut off mid-write (a killed run) is skipped; any other unreadable line, or
    a record of the wrong shape or types, is an :class:`InputError` naming the file and
    line (:func:`migrationaudit.runstore.hop_record`)."""
    from migrationaudit.runstore import hop_record

    path = Path(run_dir) / HOPS_FILE
    try:
        f = path.open(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no hop records here (was the crawl run?)", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read hop records: {exc}", file=str(path)) from None
    with f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            if not line.endswith("\n"):
                try:  # the last line: whole but unterminated (written by hand), or cut off
                    yield hop_record(line, path, lineno)
                except InputError:
                    return  # the truncated last record of an interrupted run
                return
            yield hop_record(line, path, lineno)


def read_summary(run_dir: Path) -> CrawlSummary | None:
    """The run's crawl.json, or None when the crawl never finished writing it."""
    try:
        data = json.loads((Path(run_dir) / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return CrawlSummary.from_dict(data) if isinstance(data, dict) else None


def scrapy_settings(options: CrawlOptions) -> dict[str, Any]:
    """The Scrapy settings of a crawl: a lean stack for hop-by-hop auditing
    (see shared notes on Scrapy performance); ``options.scrapy_settings`` override last."""
    handler = "migrationaudit.spiders.handler.HopDownloadHandler"
    settings: dict[str, Any] = {
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "STATS_DUMP": False,
        "ROBOTSTXT_OBEY": False,  # robots.txt is audited, not obeyed
        "COOKIES_ENABLED": False,
        "REDIRECT_ENABLED": False,  # the spider follows hops itself
        "METAREFRESH_ENABLED": False,
        "HTTPERROR_ALLOW_ALL": True,
        "RETRY_ENABLED": False,  # the spider's own policy: transient failures only
        "CONCURRENT_ITEMS": 1,
        "CONCURRENT_REQUESTS": options.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": options.per_host_concurrency,
        "DOWNLOAD_DELAY": options.delay,
        # --delay is a promise to the site: at least that long between two requests to a host.
        "DOWNLOAD_DELAY_JITTER": 0,  # (RANDOMIZE_DOWNLOAD_DELAY is deprecated in 2.19)
        "DOWNLOAD_TIMEOUT": options.timeout,
        "USER_AGENT": options.user_agent,
        "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        # One middleware: the download handler itself applies DOWNLOAD_TIMEOUT and
        # USER_AGENT (each middleware is a few calls per request on a CPU-bound crawl).
        "DOWNLOADER_MIDDLEWARES_BASE": {
            "migrationaudit.spiders.handler.LenientHttpCompressionMiddleware": 590,
        },
        "SPIDER_MIDDLEWARES_BASE": {},
        # No extension at all: CoreStats alone answered signals on every response and
        # nothing reads its numbers (spider_exceptions/count comes from the scraper).
        "EXTENSIONS_BASE": {},
        "LOG_FORMATTER": "migrationaudit.spiders.handler.QuietLogFormatter",
        "ITEM_PIPELINES": {},
        "FEEDS": {},
        # Unused by our own decompression (spiders/compression.py caps each kind of body);
        # kept as a ceiling should Scrapy's HttpCompressionMiddleware ever be switched back on.
        "DOWNLOAD_MAXSIZE": max(options.max_body * 4, 1024 * 1024),
        "DOWNLOAD_WARNSIZE": 0,
        "MIGRATIONAUDIT_MAX_BODY": options.max_body,
        "MIGRATIONAUDIT_CONNECT_TO": [
            [c.host, c.port, c.addr, c.connect_port] for c in options.connect_to
        ],
        "MIGRATIONAUDIT_VERIFY_TLS": options.verify_tls,
        "MIGRATIONAUDIT_CA_BUNDLE": options.ca_bundle,
        "MIGRATIONAUDIT_RETRY_AFTER_MAX": options.retry_after_max,
    }
    for key, value in options.scrapy_settings:
        settings[key] = value
    return settings


# -- --workers N: shards of the seeds, one crawl process each, merged into one run --


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
    process 0 (:func:`_prepare_shards`)."""
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
    written = _merge_lines(run_dir / HOPS_FILE, [d / HOPS_FILE for d in shard_dirs], _hop_key)
    if any((d / SITE_RECORDS_FILE).is_file() for d in shard_dirs):
        _merge_lines(
            run_dir / SITE_RECORDS_FILE, [d / SITE_RECORDS_FILE for d in shard_dirs], _site_key
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


def _hop_key(line: bytes) -> object:
    try:
        return hash(json.loads(line)["url"])
    except (ValueError, KeyError, TypeError):
        return None  # unreadable: kept as it is (read_hops names it)


def _site_key(line: bytes) -> object:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if isinstance(record, dict) and record.get("t") == "robots":
        return hash(("robots", str(record.get("url"))))
    return hash(line)


def _merge_lines(target: Path, sources: list[Path], key: Callable[[bytes], object]) -> int:
    """``target``'s complete lines then the sources', first line per key (None: always
    kept), written atomically over ``target``. Memory: one hash per distinct key."""
    seen: set[object] = set()
    written = 0
    tmp = target.with_name(target.name + ".merge")
    with tmp.open("wb") as out:
        for path in (target, *sources):
            try:
                f = path.open("rb")
            except FileNotFoundError:
                continue
            with f:
                for line in f:
                    if not line.endswith(b"\n") or not line.strip():
                        continue  # cut off by a kill: its URL is fetched again on resume
                    k = key(line)
                    if k is not None:
                        if k in seen:
                            continue
                        seen.add(k)
                    out.write(line)
                    written += 1
    os.replace(tmp, target)
    return written


def _prepare_shards(
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


def _run_sharded(
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
        dirs = _prepare_shards(run_dir, plan, options, resume)
    except OSError as exc:
        raise CrawlError(f"cannot prepare the shards of {run_dir}: {exc}") from exc
    with (run_dir / LOG_FILE).open("ab") as log:
        log.write(f"{plan.workers} crawl processes ({plan.reason})\n".encode())
    secrets = _secrets_line(scoped)
    counts = [[0, 0, 0] for _ in dirs]  # per process: fetched, finished, legacy URLs in all
    # On resume every process starts from a copy of the records so far: count them once.
    copied = (len(dirs) - 1) * _count_lines(run_dir / HOPS_FILE) if resume else 0
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
            proc = _start_child(d, resume, secrets, run_lock)
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
                _report(progress, done, total, fetched)
        for proc in procs:
            proc.wait()
    except KeyboardInterrupt:
        interrupted = True
        _stop_all(procs)
    except BaseException:
        _stop_all(procs)
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
    tails = {k: _tail(dirs[k] / LOG_FILE) for k, _ in failed}
    try:
        fetched = merge_shards(run_dir)
    except OSError as exc:
        raise ReportError(f"cannot write {exc.filename or run_dir}: {_os_reason(exc)}") from exc
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
        _write_atomic(run_dir / SUMMARY_FILE, json.dumps(summary.to_dict()) + "\n")
    except OSError as exc:
        raise ReportError(f"cannot write {run_dir / SUMMARY_FILE}: {_os_reason(exc)}") from exc
    if not interrupted:
        _report(progress, summary.finished, summary.seeds, summary.fetched)
    return summary


class Deadline:
    """``--max-runtime``: ``seconds`` after ``started`` (a ``time.monotonic()`` value), stop
    the crawl processes cleanly, as Ctrl-C does (SIGTERM; killed after STOP_GRACE_S), from a
    timer thread; ``hit`` says it happened. ``seconds`` 0 or less: no deadline."""

    def __init__(self, seconds: float, started: float) -> None:
        self.seconds = seconds
        self.started = started
        self.hit = False
        self._procs: list[subprocess.Popen[bytes]] = []
        self._timer: threading.Timer | None = None

    def start(self, procs: Iterable[subprocess.Popen[bytes]]) -> None:
        """Arm the timer for ``procs`` (already started)."""
        self._procs = list(procs)
        if self.seconds <= 0:
            return
        left = max(0.0, self.started + self.seconds - time.monotonic())
        self._timer = threading.Timer(left, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def cancel(self) -> None:
        """The crawl ended (or is being stopped otherwise): the timer must not fire."""
        if self._timer is not None:
            self._timer.cancel()

    def _fire(self) -> None:
        if all(p.poll() is not None for p in self._procs):
            return  # finished just in time
        self.hit = True
        _stop_all(self._procs)


def _write_summary(run_dir: Path, summary: CrawlSummary) -> None:
    try:
        _write_atomic(run_dir / SUMMARY_FILE, json.dumps(summary.to_dict()) + "\n")
    except OSError as exc:
        raise ReportError(f"cannot write {run_dir / SUMMARY_FILE}: {_os_reason(exc)}") from exc


def _stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    # SIGTERM to all first: they close in parallel within one grace period.
    for proc in procs:
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
            except OSError:
                pass
    deadline = time.monotonic() + STOP_GRACE_S
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            proc.kill()
            proc.wait()


# -- parent-side helpers --


def lock_run_dir(run_dir: Path, wait: float = LOCK_WAIT_S) -> int:
    """Lock ``run_dir`` for one crawl (``crawl.lock``, flock); the descriptor to close.

    A crawl process whose parent was killed closes down on its own (it sees its stdin close)
    and may still be appending records for a few seconds: a new run or a resume waits for it
    (at most ``wait`` seconds, then :class:`CrawlError`), so two processes never append to
    one hops.jsonl. The lock is released by the kernel when the last holder dies."""
    try:
        fd = os.open(run_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise ReportError(f"cannot write {run_dir / LOCK_FILE}: {_os_reason(exc)}") from exc
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise CrawlError(
                    f"{run_dir}: another crawl process is still writing this run directory "
                    f"(it holds {LOCK_FILE}); try again when it has stopped"
                ) from None
            time.sleep(0.05)
        except BaseException:
            os.close(fd)
            raise


def write_scope(
    run_dir: Path,
    options: CrawlOptions,
    origins: Iterable[OriginKey],
    given: Scope | None = None,
    resume: bool = False,
) -> Scope:
    """Write the run's ``scope.json``: ``given``, plus the seeds' ``origins`` (as requested,
    after host rewriting), the ``--resolve`` / ``--connect-to`` hosts, both sides of each
    ``--rewrite-host``, the site job's ``--crawl`` and sitemap URLs and, on resume, what the
    run directory's scope named before (``--allow-host`` need not be given again)."""
    scope = Scope()
    if resume and (before := Scope.read(run_dir)) is not None:
        scope.merge(before)
    if given is not None:
        scope.merge(given)
    for _scheme, host, port in origins:
        scope.add_host(host, port)
    for c in options.connect_to:
        scope.add_host(c.host, c.port)
    rewrite_sides = [side for pair in options.rewrite_host for side in pair]
    scope.merge(scope_of(hosts=rewrite_sides))
    job = SiteJob.read(run_dir)
    if job is not None:
        for url in (*job.crawl, *job.sitemaps, *job.old_sitemaps):
            scope.add_url(url)
    scope.write(run_dir)
    return scope


def write_job(run_dir: Path, options: CrawlOptions) -> None:
    """Write ``job.json`` (the crawl options, secrets left out) atomically."""
    _write_atomic(Path(run_dir) / JOB_FILE, json.dumps(options_to_dict(options), indent=2) + "\n")


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: a kill or a full disk
    leaves the previous file whole (the temporary file is removed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _write_seeds(
    seeds: Iterable[str],
    path: Path,
    origins: set[OriginKey],
    forward: Callable[[str], str],
) -> int:
    """Write seeds.txt; collect the origins the seeds are requested at (after rewriting)."""
    count = 0
    with path.open("w", encoding="utf-8") as f:
        for seed in seeds:
            # Line breaks cannot live in a line-per-URL file (browsers drop them from URLs too).
            url = seed.replace("\r", "").replace("\n", "").strip()
            if url:
                f.write(url + "\n")
                count += 1
                origin = origin_of(forward(url))
                if origin is not None:
                    origins.add(origin)
    return count


def _check_ca_bundle(path: str) -> None:
    try:
        ssl.create_default_context().load_verify_locations(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load CA bundle {path}: {exc}") from None


def _drop_cut_off_record(path: Path) -> None:
    """Cut a last line that a kill left half-written: the resumed run appends after it."""
    try:
        with path.open("rb+") as f:
            size = f.seek(0, os.SEEK_END)
            if size == 0:
                return
            f.seek(size - 1)
            if f.read(1) == b"\n":
                return
            end = size
            while end > 0:
                step = min(65536, end)
                f.seek(end - step)
                chunk = f.read(step)
                cut = chunk.rfind(b"\n")
                if cut >= 0:
                    f.truncate(end - step + cut + 1)
                    return
                end -= step
            f.truncate(0)
    except FileNotFoundError:
        return


def _report(progress: ProgressCallback | None, done: int, total: int, fetched: int) -> None:
    if progress is None:
        return
    update = getattr(progress, "update", None)
    if callable(update):
        update(done, total, fetched)
    else:
        progress(done, total)


def _feed_progress(raw: bytes, progress: ProgressCallback | None, last: dict[str, Any]) -> None:
    if raw.startswith(b"ioerror "):  # the child could not write: what, and why
        last["ioerror"] = raw[len(b"ioerror ") :].decode("utf-8", "replace").strip()
        return
    parts = raw.split()
    if len(parts) != 4 or parts[0] != b"progress":
        return
    try:
        fetched, done, total = int(parts[1]), int(parts[2]), int(parts[3])
    except ValueError:
        return
    last["done"] = done
    _report(progress, done, total, fetched)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=STOP_GRACE_S)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        proc.kill()
        proc.wait()


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as f:
            return sum(1 for line in f if line.endswith(b"\n"))
    except OSError:
        return 0


def _tail(path: Path, lines: int = STDERR_TAIL_LINES) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            return "".join(deque(f, maxlen=lines)).rstrip()
    except OSError:
        return ""


# -- the child process --


def _watch_parent() -> None:
    """Stop (as on Ctrl-C) when the parent goes away: its end of our stdin closes."""

    def wait_for_eof() -> None:
        # os.read on the raw descriptor: a buffered reader's lock would abort the
        # interpreter's shutdown while this daemon thread blocks in it.
        try:
            while os.read(0, 65536):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=wait_for_eof, name="watch-parent", daemon=True).start()


def _read_secrets() -> dict[OriginKey, list[tuple[str, str]]]:
    """The first line of stdin (raw reads: the parent watcher reads the same descriptor)."""
    from migrationaudit.access import scoped_from_wire

    buf = bytearray()
    while not buf.endswith(b"\n"):
        chunk = os.read(0, 1)
        if not chunk:
            break
        buf += chunk
    if not buf.strip():
        return {}
    return scoped_from_wire(json.loads(buf.decode("utf-8")).get("headers") or [])


def _child_main(run_dir: Path, *, resume: bool = False, secrets_stdin: bool = False) -> int:
    started = time.monotonic()
    options = options_from_dict(json.loads((run_dir / JOB_FILE).read_text(encoding="utf-8")))
    scoped = _read_secrets() if secrets_stdin else {}

    from scrapy.crawler import CrawlerProcess

    from migrationaudit.spiders.hop import HopSpider

    process = CrawlerProcess(scrapy_settings(options))
    crawler = process.create_crawler(HopSpider)
    # Read by the download handler; an attribute, not a setting (settings get logged).
    crawler.migrationaudit_headers = scoped  # type: ignore[attr-defined]
    # The download handler's address policy: hosts the scope names are explicit.
    crawler.migrationaudit_scope = Scope.read(run_dir)  # type: ignore[attr-defined]
    process.crawl(
        crawler,
        run_dir=str(run_dir),
        max_hops=options.max_hops,
        retries=options.retries,
        progress=True,
        rewrite_host=[list(pair) for pair in options.rewrite_host],
        retry_backoff=options.retry_backoff,
        retry_after_max=options.retry_after_max,
        resume=resume,
    )
    if os.environ.get(_CHILD_ENV) == "1":
        _watch_parent()
    process.start()

    spider = crawler.spider
    if isinstance(spider, HopSpider) and spider.io_error is not None:
        return _io_failed(spider.io_error)
    if not isinstance(spider, HopSpider) or spider.close_reason is None:
        print("crawl: the spider did not run to its close", file=sys.stderr)
        return 1
    assert crawler.stats is not None
    failures = int(crawler.stats.get_value("spider_exceptions/count", 0) or 0)
    reason = spider.close_reason
    summary = CrawlSummary(
        # legacy URLs crawled: the seeds and those a legacy sitemap listed (as the progress)
        seeds=spider.seeds_total + spider.found_total,
        fetched=spider.written,
        complete=reason == "finished" and failures == 0 and spider.seeds_read == spider.seeds_total,
        elapsed_s=round(time.monotonic() - started, 3),
        interrupted=reason == "shutdown",
        finished=spider.chains.done,
    )
    try:
        _write_atomic(run_dir / SUMMARY_FILE, json.dumps(summary.to_dict()) + "\n")
    except OSError as exc:
        return _io_failed(f"cannot write {run_dir / SUMMARY_FILE}: {_os_reason(exc)}")
    return 0


def _io_failed(message: str) -> int:
    """The child could not write its records: tell the parent why (stdout), exit EXIT_IO."""
    try:
        print(f"ioerror {message}", flush=True)
        print(f"crawl: {message}", file=sys.stderr, flush=True)
    except OSError:
        pass  # the log is on the same full disk; the exit code still says it
    return EXIT_IO


if __name__ == "__main__":
    _flags = set(sys.argv[2:])
    if len(sys.argv) < 2 or not _flags <= {"--resume", "--secrets-stdin"}:
        print(
            "usage: python -m migrationaudit.crawl RUN_DIR [--resume] [--secrets-stdin]",
            file=sys.stderr,
        )
        sys.exit(2)
    sys.exit(
        _child_main(
            Path(sys.argv[1]),
            resume="--resume" in _flags,
            secrets_stdin="--secrets-stdin" in _flags,
        )
    )

"""Run the crawl: seeds in, a run directory of hop records out.

The only module of the core that knows about Scrapy and Twisted, and it keeps them in a child
process: Twisted's reactor cannot restart inside one process, and :func:`run_crawl` must be
callable any number of times (tests, notebooks, the CLI's re-runs).

A run directory holds::

    seeds.txt    one URL a line (written here)
    job.json     the CrawlOptions (written here)
    hops.jsonl   one Hop.to_dict() JSON object a line, appended and flushed as they arrive
    crawl.json   {"seeds", "fetched", "finished", "complete", "elapsed_s", "interrupted"}
                 (written last)
    crawl.log    the crawl process's stderr (Scrapy warnings and errors)

``python -m migrationaudit.crawl RUN_DIR [--resume] [--secrets-stdin]`` is the child: it runs
Scrapy's CrawlerProcess with :class:`~migrationaudit.spiders.hop.HopSpider` and prints
``progress FETCHED FINISHED TOTAL`` lines on stdout (hop records written, legacy URLs whose
chain is finished, legacy URLs).

Secrets (``--auth`` / ``--header``) never touch the run directory: job.json leaves them out,
and the parent hands them to the child as the first line of its stdin (``--secrets-stdin``),
already scoped to origins. ``--resume`` keeps hops.jsonl and replays its records instead of
fetching their URLs again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrationaudit.access import (
    OriginKey,
    origin_of,
    parse_rewrites,
    scope_headers,
    scoped_to_wire,
)
from migrationaudit.errors import ConfigError, CrawlError, InputError
from migrationaudit.models import Hop
from migrationaudit.settings import ConnectTo, CrawlOptions

SEEDS_FILE = "seeds.txt"
JOB_FILE = "job.json"
HOPS_FILE = "hops.jsonl"
SUMMARY_FILE = "crawl.json"
LOG_FILE = "crawl.log"
STOP_GRACE_S = 15.0  # after SIGTERM, how long the child may take to close cleanly
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


def run_crawl(
    seeds: Iterable[str],
    run_dir: Path,
    options: CrawlOptions,
    *,
    progress: ProgressCallback | None = None,
    resume: bool = False,
) -> CrawlSummary:
    """Crawl ``seeds`` hop by hop into ``run_dir`` (see the module docstring).

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
    rewriter = parse_rewrites(options.rewrite_host)
    origins: set[OriginKey] = set()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        stale = (SUMMARY_FILE,) if resume else (HOPS_FILE, SUMMARY_FILE)
        for name in stale:
            (run_dir / name).unlink(missing_ok=True)
        if resume:
            _drop_cut_off_record(run_dir / HOPS_FILE)
        count = _write_seeds(seeds, run_dir / SEEDS_FILE, origins, rewriter.forward)
        job = json.dumps(options_to_dict(options), indent=2)
        (run_dir / JOB_FILE).write_text(job + "\n", encoding="utf-8")
    except OSError as exc:
        raise CrawlError(f"cannot prepare run directory {run_dir}: {exc}") from exc
    try:
        scoped = scope_headers(options.headers, origins, rewriter)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None

    cmd = [sys.executable, "-m", "migrationaudit.crawl", str(run_dir), "--secrets-stdin"]
    if resume:
        cmd.append("--resume")
    env = {**os.environ, _CHILD_ENV: "1", "PYTHONUNBUFFERED": "1"}
    interrupted = False
    last = {"done": 0}
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
            )
        except OSError as exc:
            raise CrawlError(f"cannot start the crawl process: {exc}") from exc
        try:
            assert proc.stdout is not None and proc.stdin is not None
            # One line, then the pipe stays open: its EOF tells the child we are gone.
            secrets = json.dumps({"headers": scoped_to_wire(scoped)}) + "\n"
            try:
                proc.stdin.write(secrets.encode("utf-8"))
                proc.stdin.flush()
            except OSError:
                pass  # the child died at once; its exit code says why below
            del secrets, scoped
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
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()

    summary = read_summary(run_dir)
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

    A last line cut off mid-write (a killed run) is skipped; any other unreadable line is
    an :class:`InputError` naming the file and line."""
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
            try:
                yield Hop.from_dict(json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                if not line.endswith("\n"):
                    return  # the truncated last record of an interrupted run
                msg = f"corrupt hop record: {exc}"
                raise InputError(msg, file=str(path), line=lineno) from None


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
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "DOWNLOAD_TIMEOUT": options.timeout,
        "USER_AGENT": options.user_agent,
        "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "DOWNLOADER_MIDDLEWARES_BASE": {
            "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
            "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 500,
            "migrationaudit.spiders.handler.LenientHttpCompressionMiddleware": 590,
        },
        "SPIDER_MIDDLEWARES_BASE": {},
        "EXTENSIONS_BASE": {"scrapy.extensions.corestats.CoreStats": 0},
        "ITEM_PIPELINES": {},
        "FEEDS": {},
        # Decompressed-size cap (a gzip bomb must not eat the memory); the wire cap is ours.
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


# -- parent-side helpers --


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


def _feed_progress(raw: bytes, progress: ProgressCallback | None, last: dict[str, int]) -> None:
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
    if not isinstance(spider, HopSpider) or spider.close_reason is None:
        print("crawl: the spider did not run to its close", file=sys.stderr)
        return 1
    assert crawler.stats is not None
    failures = int(crawler.stats.get_value("spider_exceptions/count", 0) or 0)
    reason = spider.close_reason
    summary = CrawlSummary(
        seeds=spider.seeds_total,
        fetched=spider.written,
        complete=reason == "finished" and failures == 0 and spider.seeds_read == spider.seeds_total,
        elapsed_s=round(time.monotonic() - started, 3),
        interrupted=reason == "shutdown",
        finished=spider.chains.done,
    )
    tmp = run_dir / (SUMMARY_FILE + ".tmp")
    tmp.write_text(json.dumps(summary.to_dict()) + "\n", encoding="utf-8")
    os.replace(tmp, run_dir / SUMMARY_FILE)
    return 0


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

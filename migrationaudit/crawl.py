"""Run the crawl: seeds in, a run directory of hop records out.

The only module of the core that knows about Scrapy and Twisted, and it keeps them in a child
process: Twisted's reactor cannot restart inside one process, and :func:`run_crawl` must be
callable any number of times (tests, notebooks, the CLI's re-runs).

A run directory holds::

    seeds.txt    one URL a line (written here)
    job.json     the CrawlOptions (written here)
    hops.jsonl   one Hop.to_dict() JSON object a line, appended and flushed as they arrive
    crawl.json   {"seeds", "fetched", "complete", "elapsed_s", "interrupted"} (written last)
    crawl.log    the crawl process's stderr (Scrapy warnings and errors)

``python -m migrationaudit.crawl RUN_DIR`` is the child: it runs Scrapy's CrawlerProcess with
:class:`~migrationaudit.spiders.hop.HopSpider` and prints ``progress DONE TOTAL`` lines
(hop records written, seeds) on stdout.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrationaudit.errors import CrawlError, InputError
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

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class CrawlSummary:
    """How a crawl went: seed count, hop records written, and whether it ran to the end."""

    seeds: int
    fetched: int
    complete: bool
    elapsed_s: float
    interrupted: bool

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
        )


def options_to_dict(options: CrawlOptions) -> dict[str, Any]:
    """CrawlOptions as the JSON object stored in job.json."""
    return dataclasses.asdict(options)


def options_from_dict(d: dict[str, Any]) -> CrawlOptions:
    """The inverse of :func:`options_to_dict` (unknown keys are ignored)."""
    fields = {f.name for f in dataclasses.fields(CrawlOptions)}
    kwargs = {k: v for k, v in d.items() if k in fields}
    kwargs["connect_to"] = tuple(ConnectTo(**c) for c in d.get("connect_to", ()))
    kwargs["scrapy_settings"] = tuple((str(k), str(v)) for k, v in d.get("scrapy_settings", ()))
    return CrawlOptions(**kwargs)


def run_crawl(
    seeds: Iterable[str],
    run_dir: Path,
    options: CrawlOptions,
    *,
    progress: ProgressCallback | None = None,
) -> CrawlSummary:
    """Crawl ``seeds`` hop by hop into ``run_dir`` (see the module docstring).

    The crawl runs in a child process. ``progress(done, total)`` is called as hop records
    arrive: done = hop records written (every fetched URL, so it may exceed total),
    total = seeds. Ctrl-C stops the child cleanly and
    returns what was gathered with ``interrupted=True``. :class:`CrawlError` when the crawl
    process itself fails; problems on the crawled site are Hop records, never exceptions.
    """
    run_dir = Path(run_dir)
    started = time.monotonic()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        for stale in (HOPS_FILE, SUMMARY_FILE):
            (run_dir / stale).unlink(missing_ok=True)
        count = _write_seeds(seeds, run_dir / SEEDS_FILE)
        job = json.dumps(options_to_dict(options), indent=2)
        (run_dir / JOB_FILE).write_text(job + "\n", encoding="utf-8")
    except OSError as exc:
        raise CrawlError(f"cannot prepare run directory {run_dir}: {exc}") from exc

    cmd = [sys.executable, "-m", "migrationaudit.crawl", str(run_dir)]
    env = {**os.environ, _CHILD_ENV: "1", "PYTHONUNBUFFERED": "1"}
    interrupted = False
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
            assert proc.stdout is not None
            for raw in proc.stdout:
                _feed_progress(raw, progress)
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
    if progress is not None:
        progress(summary.fetched, summary.seeds)
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
    }
    for key, value in options.scrapy_settings:
        settings[key] = value
    return settings


# -- parent-side helpers --


def _write_seeds(seeds: Iterable[str], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as f:
        for seed in seeds:
            # Line breaks cannot live in a line-per-URL file (browsers drop them from URLs too).
            url = seed.replace("\r", "").replace("\n", "").strip()
            if url:
                f.write(url + "\n")
                count += 1
    return count


def _feed_progress(raw: bytes, progress: ProgressCallback | None) -> None:
    parts = raw.split()
    if progress is None or len(parts) != 3 or parts[0] != b"progress":
        return
    try:
        done, total = int(parts[1]), int(parts[2])
    except ValueError:
        return
    progress(done, total)


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


def _child_main(run_dir: Path) -> int:
    started = time.monotonic()
    options = options_from_dict(json.loads((run_dir / JOB_FILE).read_text(encoding="utf-8")))

    from scrapy.crawler import CrawlerProcess

    from migrationaudit.spiders.hop import HopSpider

    process = CrawlerProcess(scrapy_settings(options))
    crawler = process.create_crawler(HopSpider)
    process.crawl(
        crawler,
        run_dir=str(run_dir),
        max_hops=options.max_hops,
        retries=options.retries,
        progress=True,
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
    )
    tmp = run_dir / (SUMMARY_FILE + ".tmp")
    tmp.write_text(json.dumps(summary.to_dict()) + "\n", encoding="utf-8")
    os.replace(tmp, run_dir / SUMMARY_FILE)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m migrationaudit.crawl RUN_DIR", file=sys.stderr)
        sys.exit(2)
    sys.exit(_child_main(Path(sys.argv[1])))

"""The run folder's layout: every file name once, the one atomic writer, the staged-file
sweeper and the lock that keeps two crawl processes from writing one run.

A run folder (``OUT/run/``)::

    seeds.txt      the legacy URLs to fetch, one a line (the crawl's input)
    job.json       the crawl options (never a secret: headers are handed over on stdin)
    scope.json     the hosts the run may request
    hops.jsonl     one hop record a fetched URL, appended as it arrives (SIGKILL-safe)
    crawl.json     the crawl summary (written when a crawl process ends)
    crawl.log      the crawl processes' stderr
    crawl.lock     held (flock) by the crawl processes while they write
    shards/        --workers N: one run folder per crawl process, merged at the end
    site-job.json  the new site's side: what to read (sitemaps, robots.txt, --crawl)
    site.jsonl     the new site's records (sitemaps, robots.txt, pages)
    inputs.json    the validated inputs (written last before the crawl: resumable from then)
    run.json       the run's metadata as the reports read it
    probes.jsonl   the catch-all probes: random URLs that cannot exist, and their answers
    probes/        the run folder of the probes' crawl
    old-origin/    --old-origin: the run folder of the old pages fetched at the second address

A snapshot (``migrationaudit snapshot --out FILE``) crawls into the run folder ``FILE.run``.

Every writer of the package goes through :func:`stage` / :func:`commit` (or
:func:`atomic_write`, both at once): a temporary file next to the target, flushed to disk,
then renamed, so a kill or a full disk leaves the previous file whole.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from migrationaudit.errors import CrawlError, ReportError

RUN_SUBDIR = "run"  # OUT/run: the run folder of an audit's output folder
RECHECK_SUBDIR = "run-recheck"  # --only-failed: the re-checked URLs' own run folder
SEEDS_FILE = "seeds.txt"
JOB_FILE = "job.json"
SCOPE_FILE = "scope.json"
HOPS_FILE = "hops.jsonl"
SUMMARY_FILE = "crawl.json"
LOG_FILE = "crawl.log"
LOCK_FILE = "crawl.lock"
SHARDS_DIR = "shards"
SITE_JOB_FILE = "site-job.json"
SITE_RECORDS_FILE = "site.jsonl"
# --workers N: a peer process's new-site origins (one robots.txt URL a line) for the lead, and
# the mark the parent leaves in a peer's run folder once that process has ended.
SITE_ORIGINS_FILE = "site-origins.txt"
SITE_ENDED_FILE = "ended"
INPUTS_FILE = "inputs.json"
RUN_FILE = "run.json"
# --history DIR: one folder per run (named by its UTC time), each holding its findings.json
HISTORY_FINDINGS_FILE = "findings.json"
PROBES_FILE = "probes.jsonl"  # catch-all probes: each random URL requested and its answer
PROBES_SUBDIR = "probes"  # ... and the run folder of their crawl
OLD_ORIGIN_SUBDIR = "old-origin"  # --old-origin: the run folder of the old pages' crawl
SNAPSHOT_RUN_SUFFIX = ".run"  # snapshot --out FILE: its crawl's run folder is FILE.run
SCHEMA = 2  # inputs.json: 1 = maps/url_lists/legacy only; 2 = rules, listed, request too

LOCK_WAIT_S = 30.0  # how long a new run waits for an orphaned crawl process to close

Content = str | bytes | Iterable[str | bytes]

_STAGED = re.compile(r"^\..+\.(?:[0-9a-f]{12}|\d+)\.tmp$")  # token, or an older pid


def os_reason(exc: OSError) -> str:
    """The operating system's words for an I/O error ("No space left on device")."""
    return exc.strerror or str(exc)


def stage(target: Path, content: Content, *, sync: bool = True) -> Path:
    """Write ``content`` to a new hidden temporary file next to ``target``; its path.

    Chunked content (an iterable of str or bytes) is rendered while it is written, so a render error
    leaves no file. The file gets the mode a plain ``open()`` would give (the umask decides).
    ``sync``: flushed to disk before it can be renamed into place."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(content, bytes):
                fh.write(content)
            elif isinstance(content, str):
                fh.write(content.encode("utf-8"))
            else:
                for chunk in content:
                    fh.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def commit(staged: Mapping[Path, Path]) -> None:
    """Rename staged files into place (``{target: staged}``), in order; the staged files
    that were not renamed are removed when one rename fails."""
    try:
        for target, tmp in staged.items():
            os.replace(tmp, target)
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)


def discard(staged: Mapping[Path, Path]) -> None:
    """Remove staged files that will not be committed."""
    for tmp in staged.values():
        tmp.unlink(missing_ok=True)


def atomic_write(target: Path, content: Content, *, sync: bool = False) -> None:
    """Write one file atomically (OSError as raised; see :func:`write_or_fail`)."""
    commit({target: stage(target, content, sync=sync)})


def write_or_fail(target: Path, content: Content) -> None:
    """Write one file of the run folder atomically, creating the folder; ReportError (exit 4)
    names the file when it cannot be written."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, content)
    except OSError as exc:
        raise ReportError(f"cannot write {target}: {os_reason(exc)}") from exc


def sweep_staged(folder: Path, name: str | None = None) -> None:
    """Remove the temporary files that a killed writer left behind in ``folder`` (all of
    them, or those of the file ``name``); the real files were never touched."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    prefix = f".{name}." if name is not None else "."
    for entry in entries:
        if (
            entry.name.startswith(prefix)
            and _STAGED.match(entry.name)
            and entry.is_file(follow_symlinks=False)
        ):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def lock_run_dir(run_dir: Path, wait: float = LOCK_WAIT_S) -> int:
    """Lock ``run_dir`` for one crawl (``crawl.lock``, flock); the descriptor to close.

    A crawl process whose parent was killed closes down on its own (it sees its stdin close)
    and may still be appending records for a few seconds: a new run or a resume waits for it
    (at most ``wait`` seconds, then :class:`CrawlError`), so two processes never append to
    one hops.jsonl. The lock is released by the kernel when the last holder dies."""
    try:
        fd = os.open(run_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise ReportError(f"cannot write {run_dir / LOCK_FILE}: {os_reason(exc)}") from exc
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


def snapshot_run_dir(snapshot: Path) -> Path:
    """The run folder of the crawl behind ``snapshot --out SNAPSHOT`` (its --resume)."""
    return snapshot.with_name(snapshot.name + SNAPSHOT_RUN_SUFFIX)

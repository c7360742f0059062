"""The crawl processes seen from the parent: starting a child with its secrets on stdin, its
progress lines, the run deadline, and stopping it (one SIGTERM, then a grace period)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from migrationaudit.errors import CrawlError
from migrationaudit.rundir.layout import (
    LOG_FILE,
)
from migrationaudit.web.access import (
    OriginKey,
    scoped_to_wire,
)

ProgressCallback = Callable[[int, int], None]

EXIT_IO = 4  # a crawl process's exit code when it could not write its records


STOP_GRACE_S = 15.0  # after SIGTERM, how long the child may take to close cleanly


STDERR_TAIL_LINES = 20


CHILD_ENV = "MIGRATIONAUDIT_CRAWL_CHILD"  # set: the child stops when the parent goes away


def secrets_line(scoped: Mapping[OriginKey, list[tuple[str, str]]]) -> bytes:
    """The one line of secrets a crawl child reads from its stdin (never written to disk)."""
    return (json.dumps({"headers": scoped_to_wire(scoped)}) + "\n").encode("utf-8")


def start_child(
    run_dir: Path, resume: bool, secrets: bytes, lock: int | None = None
) -> subprocess.Popen[bytes]:
    """Start one crawl process on ``run_dir``, its stderr in ``run_dir/crawl.log``, and hand it
    the secrets line. The stdin pipe stays open: its EOF tells the child we are gone.
    ``lock``: the run directory's lock descriptor, inherited, so the child keeps the lock
    when we are killed (an orphan closing down still owns the run directory)."""
    args = ["migrationaudit.crawl", str(run_dir), "--secrets-stdin"]
    if resume:
        args.append("--resume")
    return start_process(
        args,
        secrets,
        run_dir / LOG_FILE,
        env={CHILD_ENV: "1"},
        pass_fds=(lock,) if lock is not None else (),
    )


def start_process(
    args: list[str],
    first_line: bytes,
    log: Path,
    *,
    append: bool = False,
    stdout: int = subprocess.PIPE,
    env: Mapping[str, str] | None = None,
    pass_fds: tuple[int, ...] = (),
    what: str = "a crawl process",
) -> subprocess.Popen[bytes]:
    """``python -P -m ARGS`` in a session of its own, its stderr in ``log`` (``append`` or
    from scratch), ``first_line`` (secrets: never on a command line) written to its stdin,
    which stays open. :class:`CrawlError` when it cannot be started."""
    # -P: the current folder is not put on sys.path, so the child imports the installed
    # package, never a migrationaudit/ (or scrapy/) folder where the audit was started (CWE-427).
    cmd = [sys.executable, "-P", "-m", *args]
    with log.open("ab" if append else "wb") as err:
        try:
            # A session of its own: a terminal's Ctrl-C reaches only us, and we stop the
            # child with exactly one SIGTERM (a second one would force an unclean stop).
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=stdout,
                stderr=err,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
                start_new_session=True,
                pass_fds=pass_fds,
            )
        except OSError as exc:
            raise CrawlError(f"cannot start {what}: {exc}") from exc
    assert proc.stdin is not None
    try:
        proc.stdin.write(first_line)
        proc.stdin.flush()
    except OSError:
        pass  # the child died at once; its exit code says why
    return proc


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
        stop_all(self._procs)


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
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


def report_progress(progress: ProgressCallback | None, done: int, total: int, fetched: int) -> None:
    if progress is None:
        return
    update = getattr(progress, "update", None)
    if callable(update):
        update(done, total, fetched)
    else:
        progress(done, total)


def feed_progress(raw: bytes, progress: ProgressCallback | None, last: dict[str, Any]) -> None:
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
    report_progress(progress, done, total, fetched)


def stop_child(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=STOP_GRACE_S)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        proc.kill()
        proc.wait()


def log_tail(path: Path, lines: int = STDERR_TAIL_LINES) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            return "".join(deque(f, maxlen=lines)).rstrip()
    except OSError:
        return ""


# progress(done, total): done = legacy URLs whose chain is finished, total = legacy URLs. An
# object with ``update(done, total, fetched)`` is called that way instead (fetched = URLs).

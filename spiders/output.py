"""Where the hop spider's records go: ``hops.jsonl``, one line a fetched URL, appended and
flushed as it arrives (a killed run keeps every record before the kill), and the progress
lines the parent reads on stdout.

The first write that fails (disk full, file too large) is kept as :attr:`HopOutput.io_error`
and nothing more is written; the spider is told (``on_io_error``) so the crawl stops and the
process exits 4. A line cut by the failed write is dropped by a resume.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from migrationaudit.models.hops import Hop
from migrationaudit.rundir.layout import HOPS_FILE, os_reason
from migrationaudit.rundir.records import encode_hop

PROGRESS_INTERVAL = 0.25  # seconds between progress lines on stdout


class HopOutput:
    """The record file of one crawl process, and its progress lines.

    ``counts()`` gives (legacy URLs whose chain is finished, legacy URLs in all) for the
    progress line ``progress FETCHED FINISHED TOTAL``; ``resume`` appends to the file of the
    interrupted run instead of starting it afresh."""

    def __init__(
        self,
        run_dir: Path,
        *,
        resume: bool,
        progress: bool,
        counts: Callable[[], tuple[int, int]],
        on_io_error: Callable[[], None],
    ) -> None:
        self.path = Path(run_dir) / HOPS_FILE
        self.resume = resume
        self.report_progress = progress
        self.written = 0
        self.io_error: str | None = None
        self._counts = counts
        self._on_io_error = on_io_error
        self._out: IO[bytes] | None = None
        self._last_progress = 0.0

    def open(self) -> None:
        """Open the file (truncated, or appended to on resume) before the first request."""
        if self._out is None:
            self._out = self.path.open("ab" if self.resume else "wb")

    def write(self, hop: Hop) -> None:
        """One record, flushed; after a failed write nothing more is kept."""
        if self.io_error is not None:
            return  # closing after a failed write: no record can be kept any more
        try:
            self.open()
            assert self._out is not None
            out = self._out
            # One line, flushed: a killed run keeps every record before the kill.
            out.write(encode_hop(hop.to_dict()))
            out.flush()
        except OSError as exc:
            self._failed(exc)
            return
        self.written += 1
        self.progress()

    def close(self) -> None:
        """Flush and close; a failure to flush is an I/O error like a failed write."""
        if self._out is not None:
            try:
                self._out.close()
            except OSError as exc:
                self.io_error = self.io_error or f"cannot write {self.path}: {os_reason(exc)}"
            self._out = None

    def progress(self, *, force: bool = False) -> None:
        """A progress line, at most every :data:`PROGRESS_INTERVAL` seconds (or now)."""
        if not self.report_progress:
            return
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        done, total = self._counts()
        # fetched URLs (records), legacy URLs whose chain is finished, legacy URLs in all
        print(f"progress {self.written} {done} {total}", file=sys.stdout, flush=True)

    def _failed(self, exc: OSError) -> None:
        """Records can no longer be written: stop the crawl (what was flushed is kept)."""
        self.io_error = f"cannot write {self.path}: {os_reason(exc)}"
        if self._out is not None:
            try:
                self._out.close()
            except OSError:
                pass  # the buffer could not be flushed either
            self._out = None
        self._on_io_error()

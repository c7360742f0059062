"""Progress of a long crawl: a bar redrawn in place on a terminal, plain periodic lines when
stderr is a file or a CI log.

The unit is the legacy URL whose chain is finished (done/total), so the bar ends at 100 %;
URLs fetched (every hop, every shared target) are shown beside it. The rate and the ETA count
only this run's progress, so a resumed run does not look faster than it is.

Nothing here prints: :class:`ProgressReporter` hands text to the ``write`` it is given
(the CLI passes stderr).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from migrationaudit.humanize import plural

BAR_WIDTH = 24
TTY_INTERVAL = 0.2  # seconds between redraws of the bar
LOG_INTERVAL = 10.0  # seconds between plain progress lines
MIN_RATE_WINDOW = 1.0  # seconds of progress before a rate (and an ETA) is shown


def format_clock(seconds: float) -> str:
    """``0:07``, ``12:03``, ``1:02:03``."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def render_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``[#########---------------]`` (full when total is 0)."""
    filled = width if total <= 0 else min(width, width * done // total)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


class ProgressReporter:
    """Callable as ``progress(done, total)`` (what :func:`migrationaudit.crawl.run_crawl`
    takes); the crawl calls :meth:`update` with the number of URLs fetched too.

    On a terminal (``tty=True``) it redraws one line with ``\\r``; otherwise it writes a
    line every ``interval`` seconds and one when everything is done."""

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        tty: bool,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.write = write
        self.tty = tty
        self.interval = (TTY_INTERVAL if tty else LOG_INTERVAL) if interval is None else interval
        self.clock = clock
        self._start: float | None = None
        self._base = 0  # legacy URLs already done when this run began (a resumed run)
        self._last_shown = float("-inf")
        self._last_done = -1
        self._width = 0

    def __call__(self, done: int, total: int) -> None:
        self.update(done, total, None)

    def update(self, done: int, total: int, fetched: int | None) -> None:
        """New numbers: legacy URLs done, legacy URLs in all, URLs fetched (None: unknown)."""
        now = self.clock()
        if self._start is None:
            self._start, self._base = now, done
        finished = total > 0 and done >= total
        if finished and self._last_done == done:
            return  # the crawl's closing report repeats the last line
        if not finished and now - self._last_shown < self.interval:
            return
        self._last_shown, self._last_done = now, done
        text = self.line(done, total, fetched, now)
        if self.tty:
            self.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self.write(text + "\n")

    def rate(self, done: int, now: float) -> float | None:
        """Legacy URLs per second in this run, None until there is enough to tell."""
        if self._start is None:
            return None
        elapsed = now - self._start
        if elapsed < MIN_RATE_WINDOW or done <= self._base:
            return None
        return (done - self._base) / elapsed

    def line(self, done: int, total: int, fetched: int | None, now: float) -> str:
        """The text of one progress report."""
        pct = 100 * done // total if total else 100
        rate = self.rate(done, now)
        speed = f"{rate:.1f}/s" if rate is not None else "-/s"
        if done >= total:
            eta = "done"
        elif rate:
            eta = "ETA " + format_clock((total - done) / rate)
        else:
            eta = "ETA -"
        urls = f", {plural(fetched, 'URL')} fetched" if fetched is not None else ""
        if self.tty:
            urls = f"  {fetched} fetched" if fetched is not None else ""
            bar = render_bar(done, total)
            return f"{bar} {done}/{plural(total, 'legacy URL')} {pct:3d}%{urls}  {speed}  {eta}"
        return f"progress: {done}/{plural(total, 'legacy URL')} done ({pct}%){urls}, {speed}, {eta}"

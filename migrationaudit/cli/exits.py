"""How a command ends: the one-line error and its exit code, the stop signals, the gate applied,
the reports written and the summary printed."""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from migrationaudit.errors import MigrationAuditError, ReportError
from migrationaudit.models.result import AuditResult
from migrationaudit.settings import CrawlOptions

EXIT_OK = 0  # the audit finished and nothing is at or above --fail-on


EXIT_GATE = 1  # it finished and the gate failed


EXIT_ERROR = 2  # it could not run (usage, configuration, input, crawl machinery)


EXIT_INCOMPLETE = 3  # the run stopped at a run-level limit (--max-runtime): partial, resumable


EXIT_IO = 4  # an output or the run's state could not be written (disk full, read-only folder)


def fail(message: str, debug: bool) -> NoReturn:
    """Print the one-line error and exit: 4 when the error being handled is a write failure
    (ReportError: disk full, read-only folder; the previous outputs are left whole), else 2.
    Always called from an ``except`` block, so the exception is at hand."""
    if debug:
        traceback.print_exc()
    click.echo(f"migrationaudit: error: {message}", err=True)
    sys.exit(EXIT_IO if isinstance(sys.exc_info()[1], ReportError) else EXIT_ERROR)


def progress_printer(quiet: bool) -> Callable[[int, int], None] | None:
    """A progress bar on a terminal, a plain line every few seconds in a log, or nothing."""
    if quiet:
        return None
    from migrationaudit.cli.progress import ProgressReporter

    return ProgressReporter(
        lambda text: click.echo(text, nl=False, err=True), tty=sys.stderr.isatty()
    )


class StopSignals:
    """Ctrl-C and SIGTERM during an audit: the first one stops the crawl cleanly (it becomes a
    KeyboardInterrupt, which the crawl turns into a partial run); the exit code is then
    128 + the signal number (130, 143). While the partial report is written, signals are only
    counted, so the report is never left half-done."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._old[signum] = signal.signal(signum, self._interrupt)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._old.items():
            signal.signal(signum, handler)

    def _interrupt(self, signum: int, frame: Any) -> None:
        self.signum = signum
        raise KeyboardInterrupt

    def _note(self, signum: int, frame: Any) -> None:
        self.signum = self.signum or signum

    def hold(self) -> None:
        """From now on a signal is noted, not raised (the reports are being written)."""
        for signum in self._old:
            signal.signal(signum, self._note)

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)


def interrupted(result: AuditResult) -> bool:
    return result.run.crawl is not None and result.run.crawl.interrupted


def warn_access(crawl: CrawlOptions, quiet: bool) -> None:
    if quiet:
        return
    if not crawl.verify_tls:
        click.echo("warning: TLS certificates are not verified (--insecure)", err=True)
    if crawl.rewrite_host:
        # One line naming every pair: a second line is easily taken for a repeat, or lost.
        pairs = ", ".join(f"{old} is requested on {new}" for old, new in crawl.rewrite_host)
        n = len(crawl.rewrite_host)
        click.echo(
            f"rewriting hosts ({n} pair{'' if n == 1 else 's'}): {pairs}; findings name the "
            "old host" + ("" if n == 1 else "s"),
            err=True,
        )


def policy_of(kw: dict[str, Any]) -> Any:
    """The gate policy (budgets, ignores, baseline) of the options; ConfigError when bad."""
    from migrationaudit.gate import make_policy

    return make_policy(kw.get("budgets", ()), kw.get("ignores", ()), kw.get("baseline"))


def stopped_reason(result: AuditResult) -> str | None:
    """Why a run-level limit stopped the crawl ("--max-runtime 15m reached"), or None."""
    return result.run.stopped or None


def exit_code(result: AuditResult, kw: dict[str, Any]) -> int:
    if stopped_reason(result):
        return EXIT_INCOMPLETE  # not a verdict on the site: wins over the gate and --exit-zero
    if kw.get("exit_zero"):
        return EXIT_OK
    return EXIT_GATE if result.gate_failed else EXIT_OK


def finish(
    result: AuditResult,
    out_dir: Path,
    formats: tuple[str, ...] | None,
    quiet: bool,
    debug: bool,
    policy: Any = None,
    kw: dict[str, Any] | None = None,
) -> AuditResult:
    """Apply the gate policy, write the reports (and the baseline, when asked), print GitHub
    annotations under GitHub Actions and the summary; return the gated result."""
    from migrationaudit.gate import apply, write_baseline
    from migrationaudit.reports import FORMATS, github, render_summary, write_reports

    kw = kw or {}
    try:
        if policy is not None:
            result = apply(result, policy)
        written = write_reports(result, out_dir, formats or FORMATS, html_rows=kw.get("html_rows"))
        if kw.get("write_baseline"):
            write_baseline(result, kw["write_baseline"])
    except MigrationAuditError as exc:
        fail(str(exc), debug)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        click.echo(github.render(result), nl=False)
    if kw.get("exit_zero") and result.gate_failed and not quiet:
        click.echo("gate: FAIL, but --exit-zero: exiting 0", err=True)
    if not quiet:
        if sys.stderr.isatty():
            click.echo("", err=True)
        click.echo(render_summary(result, out_dir, written), err=True)
    return result

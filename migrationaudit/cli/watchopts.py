"""The watch options of ``audit`` (``--compare-to``, ``--history``, ``--history-keep``,
``--notify``, ``--notify-format``) and what the command does with them: read the earlier run
before this one starts, check the legacy hosts (with ``--launched``), lead the report and the
summary with what changed, keep the run in the history and send the notification (see
:mod:`migrationaudit.watch`, :mod:`migrationaudit.history`, :mod:`migrationaudit.hostchecks`
and :mod:`migrationaudit.notify`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from migrationaudit.cli.configkeys import Checked
from migrationaudit.diff import RunDiff, Side
from migrationaudit.history import KEEP
from migrationaudit.models.result import AuditResult
from migrationaudit.notify import FORMATS, check_webhook
from migrationaudit.options import AuditRequest
from migrationaudit.watch import WatchSummary


def watch_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--compare-to RUN``, ``--notify URL``, ``--notify-format slack|json``."""
    opts = [
        click.option(
            "--compare-to",
            "compare_to",
            metavar="RUN",
            type=click.Path(exists=True, path_type=Path),
            help="An earlier run (its --out folder, findings.json or run directory): the "
            "report and the summary lead with what changed since (regressed, fixed, new, "
            "still failing), and diff.html/diff.md are written. It may be this --out folder: "
            "it is read before the run overwrites it.",
        ),
        click.option(
            "--history",
            "history",
            metavar="DIR",
            type=click.Path(file_okay=False, path_type=Path),
            help="Keep this run's findings in DIR (a folder per run, named by its UTC time) "
            "and, unless --compare-to is given, compare with the newest run kept there: "
            "a scheduled audit compares itself with the run before.",
        ),
        click.option(
            "--history-keep",
            "history_keep",
            metavar="N",
            type=click.IntRange(min=1),
            default=KEEP,
            show_default=True,
            help="Runs --history keeps (the oldest are removed).",
        ),
        click.option(
            "--notify",
            "notify",
            metavar="URL",
            type=Checked("URL", check_webhook),
            help="Webhook to POST a short JSON summary to on a regression since --compare-to "
            "(without it: when the gate fails). Retried, with a timeout; a failing webhook "
            "never changes the exit code. Its path and query are never printed.",
        ),
        click.option(
            "--notify-format",
            "notify_format",
            type=click.Choice(FORMATS),
            default="slack",
            show_default=True,
            help='Body of --notify: slack ({"text": ...}, incoming webhooks) or json (counts '
            "and URLs as fields).",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def load_previous(kw: dict[str, Any]) -> Side | None:
    """The earlier run of ``--compare-to``, read now (InputError: exit 2 before any request)."""
    from migrationaudit.diff import load_side

    path = kw.get("compare_to")
    if path is None and kw.get("history") is not None:
        from migrationaudit.history import newest

        path = newest(kw["history"])  # None on the first run: nothing to compare with
    return None if path is None else load_side(path)


def keep_history(kw: dict[str, Any], result: AuditResult) -> None:
    """``--history``: this run's findings.json (as reported) kept in DIR, the oldest
    removed beyond ``--history-keep`` (ConfigError when DIR cannot be written)."""
    folder = kw.get("history")
    if folder is None:
        return
    from migrationaudit.history import record
    from migrationaudit.reports.jsonout import render

    if result.run.partial:
        # An interrupted run would make the next one's comparison say "fixed" wrongly.
        click.echo("history: not kept (a partial run)", err=True)
        return
    entry = record(folder, render(result), kw.get("history_keep") or KEEP)
    if not kw.get("quiet"):
        click.echo(f"history: kept as {entry}", err=True)


def host_checks(req: AuditRequest, result: AuditResult, quiet: bool) -> AuditResult:
    """With ``--launched``, after a crawl: every legacy host's DNS answer and certificate
    (:mod:`migrationaudit.hostchecks`), judged by the ``hosts`` rules and shown one line per
    host; saved in run.json so the report has them."""
    if req.launched is None or result.run.mode != "audit" or not result.chains:
        return result
    from migrationaudit.hostchecks.model import HostProbe
    from migrationaudit.hostchecks.stage import check_hosts, host_lines
    from migrationaudit.reports.common import display_text
    from migrationaudit.rundir.saving import save_run_info

    result = check_hosts(
        result, req.checks, req.crawl.connect_to, req.launched.date(), timeout=req.crawl.timeout
    )
    if result.run.run_dir is not None:
        save_run_info(Path(result.run.run_dir), result.run)
    if not quiet and result.run.hosts is not None:
        probes = [HostProbe.from_dict(h) for h in result.run.hosts["hosts"]]
        for line in host_lines(probes):
            click.echo(f"hosts: {display_text(line)}", err=True)
    return result


def with_watch(
    result: AuditResult, previous: Side | None, out_dir: Path
) -> tuple[AuditResult, WatchSummary | None, RunDiff | None]:
    """``result`` with ``run.watch`` (what the report leads with), the summary and the
    whole comparison, when compared (``diff.compare`` of the earlier run and this one)."""
    if previous is None:
        return result, None, None
    from migrationaudit.diff import compare, side_from_document
    from migrationaudit.reports.jsonout import document
    from migrationaudit.rundir.saving import save_run_info
    from migrationaudit.watch import summarize

    diff = compare(previous, side_from_document(str(out_dir), document(result)))
    summary = summarize(diff)
    result = replace(result, run=result.run.updated(watch=summary.to_dict()))
    if result.run.run_dir is not None:  # `migrationaudit report` re-renders it with the watch
        save_run_info(Path(result.run.run_dir), result.run)
    return result, summary, diff


def show_watch(
    summary: WatchSummary | None, diff: RunDiff | None, out_dir: Path, quiet: bool
) -> None:
    """Write diff.html and diff.md beside the report (ReportError: exit 2, like any report),
    and lead the terminal summary with the changes."""
    if summary is None or diff is None:
        return
    from migrationaudit.reports import diffout

    written = diffout.write(diff, out_dir, ("html", "markdown"))
    if quiet:
        return
    from migrationaudit.reports.common import display_text

    for line in summary.lines():
        # URLs from access logs are anyone's text: no control or bidi character reaches a CI log
        click.echo(f"watch: {display_text(line)}", err=True)
    click.echo(f"watch: {written[0]}", err=True)


def notify(
    kw: dict[str, Any], result: AuditResult, summary: WatchSummary | None, out_dir: Path
) -> None:
    """Send ``--notify`` on a regression (or, without --compare-to, a failed gate). Prints one
    line with the masked URL; never exits or raises."""
    from migrationaudit.notify import message, payload, send

    url = kw.get("notify")
    if not url:
        return
    due = summary.regression if summary is not None else result.gate_failed
    if not due:
        if not kw.get("quiet"):
            click.echo("notify: nothing to report (no regression)", err=True)
        return
    gate = {"status": "fail" if result.gate_failed else "pass", "findings": len(result.findings)}
    body = message(summary, gate, str((out_dir / "report.html").resolve()))
    delivery = send(url, payload(body, kw.get("notify_format") or "slack"))
    if delivery.ok:
        if not kw.get("quiet"):
            click.echo(f"notify: sent ({delivery.detail})", err=True)
    else:
        # Shown even with --quiet: someone expected a message that did not go out.
        click.echo(
            f"notify: not sent after {delivery.attempts} attempt(s): {delivery.detail} "
            "(the exit code is the audit's)",
            err=True,
        )

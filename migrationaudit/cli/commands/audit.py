"""``migrationaudit audit``: the whole audit, and its ``--resume`` / ``--only-failed`` forms."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from migrationaudit.cli.commands.snapshot import parity_options
from migrationaudit.cli.crawlopts import crawl_options, redis_options
from migrationaudit.cli.exits import (
    EXIT_ERROR,
    StopSignals,
    exit_code,
    fail,
    finish,
    interrupted,
    policy_of,
    progress_printer,
    stopped_reason,
    warn_access,
)
from migrationaudit.cli.params import (
    FIXES_OPTION,
    gate_options,
    input_options,
    known_rule_ids,
    site_options,
)
from migrationaudit.cli.watchopts import (
    host_checks,
    keep_history,
    load_previous,
    notify,
    show_watch,
    watch_options,
    with_watch,
)
from migrationaudit.errors import ConfigError, MigrationAuditError
from migrationaudit.humanize import plural
from migrationaudit.models.result import AuditResult
from migrationaudit.options import (
    AuditRequest,
    build_request,
)
from migrationaudit.settings import CrawlOptions


def _write_fixes(
    result: AuditResult, out_dir: Path, quiet: bool, debug: bool, accept: float | None = None
) -> None:
    from migrationaudit.fixes import write_fixes
    from migrationaudit.fixes.plan import FIXES_SUBDIR

    try:
        plan = write_fixes(result, out_dir, accept)
    except MigrationAuditError as exc:
        fail(str(exc), debug)
    if not quiet:
        click.echo(
            f"fixes: {plural(len(plan.fixes), 'one-hop redirect')}, "
            f"{plural(len(plan.review), 'URL')} for a "
            f"human -> {out_dir / FIXES_SUBDIR}",
            err=True,
        )



@click.command()
@input_options
@site_options
@crawl_options
@redis_options
@gate_options
@FIXES_OPTION
@watch_options
@parity_options
@click.option(
    "--only-failed",
    "only_failed",
    metavar="RUN_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Re-check only the legacy URLs that failed in that earlier run (its --out "
    "folder) and merge the results with the rest of it.",
)
@click.option(
    "--resume",
    "resume",
    metavar="RUN_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Continue an interrupted run (its --out folder) where it stopped, without "
    "fetching again what it recorded; its inputs and crawl options are reused "
    "unless given again (give --auth/--header again: they are never saved).",
)
def audit(**kw: Any) -> None:
    """Request every legacy URL hop by hop and judge it.

    Inputs: redirect maps (--map), URL lists (--urls) and/or server logs (--access-log).
    Writes the report to --out and exits 0 (passed), 1 (the gate failed: findings at/above
    --fail-on, or over a --max budget) or 2 (could not run).

    \b
    Example:
      migrationaudit audit --map redirects.csv --base-url https://www.old.example \\
          --resolve www.new.example:443:10.0.0.5 --fail-on error
    """
    from migrationaudit.pipeline import resume_audit, run_audit

    with StopSignals() as stop:
        try:
            req = build_request(kw, known_rule_ids())
            policy = policy_of(kw)
            previous = load_previous(kw)  # --compare-to: read before this run overwrites it
            if kw.get("resume") and kw.get("only_failed"):
                raise ConfigError("--resume and --only-failed cannot be combined")
            crawl = _crawl_of(kw)
            if kw.get("resume"):
                run_dir, req = _resume_request(req, kw["resume"])
                # the crawl options in force, saved ones included
                warn_access(req.crawl, kw["quiet"])
                result = resume_audit(
                    req, run_dir, progress=progress_printer(kw["quiet"]), crawl=crawl
                )
            elif kw.get("only_failed"):
                from migrationaudit.rerun import audit_only_failed

                # Without --map/--urls the earlier run's saved inputs are used; its crawl
                # options too (addresses included) unless given again.
                req = _only_failed_request(req, kw["only_failed"])
                warn_access(req.crawl, kw["quiet"])
                result = audit_only_failed(
                    req, kw["only_failed"], policy, progress=progress_printer(kw["quiet"])
                )
            else:
                warn_access(req.crawl, kw["quiet"])
                result = run_audit(req, progress=progress_printer(kw["quiet"]), crawl=crawl)
            result = host_checks(req, result, kw["quiet"])  # --launched: the old hosts
        except MigrationAuditError as exc:
            fail(str(exc), kw["debug"])
        except KeyboardInterrupt:
            click.echo("\nmigrationaudit: interrupted", err=True)
            sys.exit(stop.exit_code)
        stop.hold()
        if previous is not None and policy is not None:
            from migrationaudit.gate import apply

            # Compared as reported (ignores and baseline applied, like the earlier run's
            # findings.json); finish() applies it again, which changes nothing.
            result = apply(result, policy)
        try:
            result, summary, diff = with_watch(result, previous, req.out_dir)
            show_watch(summary, diff, req.out_dir, kw["quiet"])
        except MigrationAuditError as exc:
            fail(str(exc), kw["debug"])
        result = finish(result, req.out_dir, req.formats, kw["quiet"], kw["debug"], policy, kw)
        if kw["fixes"]:
            _write_fixes(
                result, req.out_dir, kw["quiet"], kw["debug"], kw.get("accept_suggestions")
            )
        try:
            keep_history(kw, result)  # --history DIR: after the reports, as they say it
        except MigrationAuditError as exc:
            fail(str(exc), kw["debug"])
        notify(kw, result, summary, req.out_dir)
        if interrupted(result):
            if not kw["quiet"]:
                click.echo(
                    f"migrationaudit: interrupted; partial report written. Continue with: "
                    f"migrationaudit audit --resume {req.out_dir}",
                    err=True,
                )
            sys.exit(stop.exit_code if stop.signum else EXIT_ERROR)
        if stopped_reason(result):
            if not kw["quiet"]:
                click.echo(
                    f"migrationaudit: stopped: {stopped_reason(result)}; partial report written. "
                    f"Continue with: migrationaudit audit --resume {req.out_dir}",
                    err=True,
                )
            if stop.signum:
                sys.exit(stop.exit_code)  # a signal while the report was written
    sys.exit(exit_code(result, kw))



def _crawl_of(kw: dict[str, Any]) -> Any:
    """What fetches: the local crawl, or with ``--redis`` the distributed coordinator."""
    import functools

    from migrationaudit.crawl import run_crawl

    if not kw.get("redis"):
        if kw.get("local_workers"):
            raise ConfigError("--local-workers needs --redis")
        return run_crawl
    if kw.get("only_failed"):
        raise ConfigError("--only-failed runs locally: leave --redis out")
    from migrationaudit.distributed.coordinator import run_distributed

    return functools.partial(
        run_distributed,
        redis_url=kw["redis"],
        local_workers=kw.get("local_workers") or 0,
        lease_timeout=kw.get("lease_timeout") or 30.0,
    )


# CrawlOptions fields a resumed run takes from the command line when given there, else from
# the interrupted run's job.json (field → click parameters that set it).
_RESUME_FIELDS: dict[str, tuple[str, ...]] = {
    "max_hops": ("max_hops",),
    "concurrency": ("concurrency",),
    "per_host_concurrency": ("per_host_concurrency",),
    "delay": ("delay",),
    "timeout": ("timeout",),
    "retries": ("retries",),
    "user_agent": ("user_agent",),
    "workers": ("workers",),
    "connect_to": ("resolve", "connect_to"),
    "scrapy_settings": ("scrapy_settings",),
    "rewrite_host": ("rewrite_host",),
    "verify_tls": ("insecure",),
    "ca_bundle": ("ca_bundle",),
}



def _given(param: str) -> bool:
    """Whether ``param`` of the current command was set (flag, config or environment)."""
    from click.core import ParameterSource

    source = click.get_current_context().get_parameter_source(param)
    return source is not None and source is not ParameterSource.DEFAULT


def _saved_crawl(req: AuditRequest, run_dir: Path) -> CrawlOptions:
    """``req.crawl`` with every option not given now taken from ``run_dir``'s job.json."""
    import dataclasses
    import json

    from migrationaudit.rundir.job import options_from_dict
    from migrationaudit.rundir.layout import JOB_FILE

    try:
        saved = options_from_dict(json.loads((run_dir / JOB_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(
            f"{run_dir / JOB_FILE}: cannot read the run's crawl options: {exc}"
        ) from None
    keep = {
        name: getattr(saved, name)
        for name, params in _RESUME_FIELDS.items()
        if not any(_given(p) for p in params)
    }
    return dataclasses.replace(req.crawl, **keep)


def _resume_request(req: AuditRequest, path: Path) -> tuple[Path, AuditRequest]:
    """The run directory to continue and the request for it: crawl options not given now
    come from its job.json; reports go to its --out folder unless --out is given."""
    import dataclasses

    from migrationaudit.rundir.layout import RUN_SUBDIR
    from migrationaudit.rundir.saved import find_run_dir
    from migrationaudit.rundir.state import check_state

    run_dir = find_run_dir(path)
    check_state(run_dir)  # a damaged or hand-edited state file: exit 2, file and line named
    crawl = _saved_crawl(req, run_dir)
    out_dir = req.out_dir
    if not _given("out_dir"):
        out_dir = run_dir.parent if run_dir.name == RUN_SUBDIR else run_dir
    return run_dir, dataclasses.replace(req, crawl=crawl, out_dir=out_dir)


def _only_failed_request(req: AuditRequest, path: Path) -> AuditRequest:
    """The request for ``--only-failed RUN_DIR``: the earlier run's crawl options (job.json)
    unless given again, as ``--resume`` does, so the failed URLs are fetched from the same
    addresses (--resolve/--connect-to, --rewrite-host) as the records they are merged with;
    giving other addresses is refused in :func:`~migrationaudit.pipeline.audit_only_failed`."""
    import dataclasses

    from migrationaudit.rundir.saved import find_run_dir

    return dataclasses.replace(req, crawl=_saved_crawl(req, find_run_dir(path)))

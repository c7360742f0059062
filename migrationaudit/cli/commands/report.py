"""``migrationaudit report``: a saved run judged and rendered again."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from migrationaudit.cli.commands.audit import _write_fixes
from migrationaudit.cli.exits import exit_code, fail, finish, policy_of
from migrationaudit.cli.params import FIXES_OPTION, gate_options, known_rule_ids
from migrationaudit.errors import MigrationAuditError
from migrationaudit.models.findings import Severity
from migrationaudit.options import (
    build_check_options,
)


@click.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(file_okay=False, path_type=Path))
@gate_options
@FIXES_OPTION
def report(run_dir: Path, **kw: Any) -> None:
    """Re-render every output of a saved run with the current configuration (no network).

    RUN_DIR is an audit's --out folder (or its run/ folder). Rules, severities, --fail-on,
    budgets, ignores and the baseline apply anew; the --priority exports are read again from
    where the audit found them (one that is gone is named, and left out). The reports and
    fixes/ are written next to the run (or to --out) and the exit code is the new gate's.
    """
    from click.core import ParameterSource

    from migrationaudit.hostchecks.stage import rejudge_saved
    from migrationaudit.rerun import rebuild
    from migrationaudit.rundir.saved import load_run

    ctx = click.get_current_context()
    try:
        saved = load_run(run_dir)
        out_dir = kw["out_dir"]
        if ctx.get_parameter_source("out_dir") is ParameterSource.DEFAULT:
            out_dir = saved.run_dir.parent
        checks = build_check_options(
            kw["many_to_one"],
            saved.crawl.max_hops,
            kw["disable"],
            kw["severity"],
            known_rule_ids(),
        )
        policy = policy_of(kw)
        result = rebuild(saved, checks, Severity.parse(kw["fail_on"]))
        result = rejudge_saved(result, checks)  # the host checks' saved probes (--launched)
    except MigrationAuditError as exc:
        fail(str(exc), kw["debug"])
    if not kw["quiet"]:
        for note in saved.notes:  # e.g. a --priority export that is gone
            click.echo(f"warning: {note}", err=True)
    result = finish(
        result, out_dir, tuple(kw["formats"]) or None, kw["quiet"], kw["debug"], policy, kw
    )
    if kw["fixes"]:
        _write_fixes(result, out_dir, kw["quiet"], kw["debug"])
    sys.exit(exit_code(result, kw))

"""``migrationaudit diff``: two runs compared."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from migrationaudit.cli.exits import EXIT_GATE, EXIT_OK, fail
from migrationaudit.errors import MigrationAuditError


@click.command()
@click.argument("run_a", metavar="RUN_A", type=click.Path(exists=True, path_type=Path))
@click.argument("run_b", metavar="RUN_B", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("migration-diff"),
    show_default=True,
    help="Directory for diff.html and diff.md.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(["html", "markdown"]),
    help="Outputs to write (repeatable; default: both).",
)
@click.option(
    "--fail-on-regression",
    is_flag=True,
    help="Exit 1 when a URL's verdict got worse or a finding is new or worse.",
)
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def diff(
    run_a: Path,
    run_b: Path,
    out_dir: Path,
    formats: tuple[str, ...],
    fail_on_regression: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Compare two audits: what got fixed, what regressed, what is new.

    RUN_A (before) and RUN_B (after) are report folders, findings.json files or run
    directories, e.g. the staging run before cutover and the production run after it.
    Findings match by fingerprint (rule + legacy URL), URLs by verdict.
    """
    from migrationaudit.diff import compare, load_side, summary_line
    from migrationaudit.reports import diffout

    try:
        result = compare(load_side(run_a), load_side(run_b))
        written = diffout.write(result, out_dir, formats or ("html", "markdown"))
    except MigrationAuditError as exc:
        fail(str(exc), debug)
    if not quiet:
        click.echo(summary_line(result), err=True)
        for path in written:
            click.echo(f"diff: {path}", err=True)
    sys.exit(EXIT_GATE if (fail_on_regression and result.regressed) else EXIT_OK)

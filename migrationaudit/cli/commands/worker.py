"""``migrationaudit worker``: fetch for the distributed audits coordinated through a Redis."""

from __future__ import annotations

import sys
from typing import Any

import click

from migrationaudit.cli.crawlopts import (
    auth_option,
    ca_bundle_option,
    connect_to_option,
    header_option,
    resolve_option,
)
from migrationaudit.cli.exits import fail
from migrationaudit.errors import MigrationAuditError
from migrationaudit.options import parse_connect_to, parse_resolve
from migrationaudit.web.access import parse_auth, parse_header


@click.command()
@click.option(
    "--redis",
    "redis",
    required=True,
    envvar="MIGRATIONAUDIT_REDIS",
    metavar="URL",
    help="The Redis of the audits to work for: redis://[:PASSWORD@]HOST:PORT/DB or "
    "rediss://... (TLS). Also read from MIGRATIONAUDIT_REDIS.",
)
@click.option(
    "--exit-when-idle",
    "exit_when_idle",
    type=click.FloatRange(0),
    metavar="SECONDS",
    help="End after this many seconds without work (no URL to fetch and none leased to any "
    "worker). Default: wait for work for ever.",
)
@auth_option(
    "HTTP basic credentials of this worker, sent only to ORIGIN or, without one, to "
    "the origins of the job's legacy URLs; never published to Redis. Repeatable; also "
    "MIGRATIONAUDIT_AUTH (space-separated), which keeps them out of the process list.",
    envvar="MIGRATIONAUDIT_AUTH",
)
@header_option("Extra request header of this worker, scoped like --auth. Repeatable.")
@ca_bundle_option("Also trust the CA certificates of this PEM file (on this machine).")
@resolve_option("Connect to ADDR for HOST:PORT from this worker (wins over the job's). Repeatable.")
@connect_to_option("Like --resolve, to another port too. Repeatable.")
@click.option("-q", "--quiet", is_flag=True, help="No status lines on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def worker(**kw: Any) -> None:
    """Fetch URLs for the audits coordinated through a Redis (`audit --redis`).

    Takes URLs from the shared frontier of whatever audit is running there, fetches them hop
    by hop with the audit's scope and limits, and sends every hop record back. Start any
    number, on any machines. Credentials (--auth, --header) stay on this machine.

    \b
    Example:
      migrationaudit worker --redis redis://redis.internal:6379/0 --exit-when-idle 60
    """
    import os

    from migrationaudit.distributed.store import check_url
    from migrationaudit.distributed.worker import run_worker

    def say(text: str) -> None:
        if not kw["quiet"]:
            click.echo(f"migrationaudit worker: {text}", err=True)

    try:
        check_url(kw["redis"])
        code = run_worker(
            kw["redis"],
            exit_when_idle=kw["exit_when_idle"],
            headers=tuple(parse_auth(v) for v in kw["auth"])
            + tuple(parse_header(v) for v in kw["headers"]),
            connect_to=tuple(parse_resolve(v) for v in kw["resolve"])
            + tuple(parse_connect_to(v) for v in kw["connect_to"]),
            ca_bundle=os.path.abspath(kw["ca_bundle"]) if kw["ca_bundle"] else None,
            say=say,
        )
    except MigrationAuditError as exc:
        fail(str(exc), kw["debug"])
    except KeyboardInterrupt:
        click.echo("\nmigrationaudit worker: interrupted", err=True)
        sys.exit(130)
    say(f"idle: done ({code} job(s) served)")
    sys.exit(0)

"""``migrationaudit demo``: the built-in demo migration, served and audited on this machine."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import click

from migrationaudit import settings
from migrationaudit.cli.commands.audit import _write_fixes
from migrationaudit.cli.exits import EXIT_GATE, EXIT_OK, fail, finish, progress_printer
from migrationaudit.cli.params import known_rule_ids
from migrationaudit.errors import MigrationAuditError
from migrationaudit.humanize import plural
from migrationaudit.models.result import AuditResult
from migrationaudit.options import (
    build_check_options,
)
from migrationaudit.settings import CrawlOptions

LAUNCHED_DAYS_AGO = 7  # the demo migration went live a week ago


def replayed_log(source: Path, target: Path, launched: datetime) -> Path:
    """The demo's access log with its times moved into the week since ``launched`` (its
    first request a day after launch), so ``--launched`` counts it whatever today is. Lines
    without a readable time (the planted malformed one) are copied as they are."""
    import json

    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    times = []
    for line in lines:
        try:
            times.append(datetime.fromisoformat(json.loads(line)["time_iso8601"]))
        except (ValueError, KeyError, TypeError):
            continue
    shift = launched + timedelta(days=1) - min(times) if times else timedelta(0)
    out = []
    for line in lines:
        try:
            row = json.loads(line)
            when = datetime.fromisoformat(row["time_iso8601"]) + shift
        except (ValueError, KeyError, TypeError):
            out.append(line)
            continue
        row["time_iso8601"] = when.isoformat()
        out.append(json.dumps(row) + "\n")
    target.write_text("".join(out), encoding="utf-8")
    return target


def log_ranking(log: Path, result: AuditResult, limit: int = 5) -> list[str]:
    """The access log's most requested legacy URLs (crawler hits first), with their verdict
    today: the order to fix them in when no --priority export exists."""
    from migrationaudit.inputs.accesslog import read_access_logs

    verdicts = {v.url: v.verdict for v in result.verdicts}
    out: list[str] = []
    for t in read_access_logs([log]).ranked():
        if t.url in verdicts and len(out) < limit:
            out.append(
                f"{t.url}: {plural(t.hits, 'request')}, {t.crawler_hits} by crawlers; "
                f"today {verdicts[t.url]}"
            )
    return out


def demo_dir() -> Path:
    """The built-in demo's files (inside the installed package)."""
    return Path(str(resources.files("migrationaudit.sample_maps") / "demo"))



@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(settings.OUT_DIR),
    show_default=True,
    help="Where to write the report.",
)
@click.option(
    "--gate",
    is_flag=True,
    help="Exit with the audit's gate code (1: the demo's planted defects fail it) instead of 0.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def demo(out_dir: Path, gate: bool, quiet: bool, debug: bool) -> None:
    """Audit the built-in demo migration (no internet needed).

    Starts a small old site + new site on 127.0.0.1 (several host names, HTTP and HTTPS, put
    on loopback with --connect-to), audits it with its redirect map (and the old host's
    Netlify rules), URL list, a backlink export (--priority) and an access log (--access-log),
    launched a week ago (--launched: the old hosts are checked), compared with the demo's run
    of the week before (--compare-to), and writes the report and the corrected map (fixes/).
    Every rule fires at least once.
    """
    import tempfile

    from migrationaudit.cli.watchopts import host_checks, show_watch, with_watch
    from migrationaudit.demo.cases import case_maps, case_options, case_snapshot
    from migrationaudit.demo.server import ScenarioServer
    from migrationaudit.demo.site import load_site
    from migrationaudit.diff import load_side
    from migrationaudit.options import AuditRequest
    from migrationaudit.pipeline import run_audit

    here = demo_dir()
    try:
        site = load_site(here / "site.json")
        site_opts = case_options(here)  # sitemaps, --crawl, --variants, staging host
        with ScenarioServer(site) as server, tempfile.TemporaryDirectory() as tmp:
            # The demo's HTTPS hosts use a throwaway CA: trust it like --ca-bundle would.
            ca_file = Path(tmp, "demo-ca.pem")
            ca_file.write_bytes(server.ca_pem)
            today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            launched = today - timedelta(days=LAUNCHED_DAYS_AGO)
            log = replayed_log(here / "access.jsonl", Path(tmp, "access.jsonl"), launched)
            req = AuditRequest(
                maps=case_maps(here),  # redirects.csv and the old host's Netlify rules
                url_lists=(str(here / "urls.txt"),),
                priority=(str(here / "priority.csv"),),
                access_logs=(str(log),),
                launched=launched,
                out_dir=out_dir,
                crawl=CrawlOptions(
                    connect_to=server.connect_to(),
                    timeout=3.0,
                    retries=1,
                    ca_bundle=str(ca_file),
                    # the old pages are compared with the snapshot: read the new ones' text
                    scrapy_settings=(settings.PAGE_TEXT_SETTING,),
                ),
                snapshot=case_snapshot(here),
                checks=build_check_options(
                    settings.MANY_TO_ONE, settings.MAX_HOPS, (), (), known_rule_ids()
                ),
                site=site_opts,
            )
            if not quiet:
                click.echo(
                    "demo: old and new site serving on 127.0.0.1 "
                    f"(http :{server.http_port}, https :{server.https_port})",
                    err=True,
                )
            result = run_audit(req, progress=progress_printer(quiet))
            result = host_checks(req, result, quiet)  # the old hosts: DNS, certificate
            ranking = log_ranking(log, result)
            # The watch: what changed since the demo's run of a week before.
            result, summary, diff = with_watch(result, load_side(here / "previous.json"), out_dir)
            show_watch(summary, diff, out_dir, quiet)
    except MigrationAuditError as exc:
        fail(str(exc), debug)
    if not quiet:
        for line in ranking:
            click.echo(f"logs: {line}", err=True)
    finish(result, out_dir, None, quiet, debug)
    _write_fixes(result, out_dir, quiet, debug)
    click.echo(f"report: {(out_dir / 'report.html').resolve()}")
    sys.exit(EXIT_GATE if (gate and result.gate_failed) else EXIT_OK)

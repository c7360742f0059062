"""``migrationaudit snapshot``: the legacy pages' facts before cutover, for ``audit --snapshot``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from migrationaudit import settings
from migrationaudit.cli.crawlopts import checked_option, crawl_options, file_option, option_group
from migrationaudit.cli.exits import EXIT_ERROR, EXIT_OK, StopSignals, fail, progress_printer
from migrationaudit.errors import MigrationAuditError
from migrationaudit.humanize import plural
from migrationaudit.options import build_request, parse_parity_threshold

parity_options = option_group(
    file_option(
        "--snapshot",
        "snapshot",
        "The legacy pages' facts before cutover (`migrationaudit snapshot`): each "
        "legacy URL's old page is compared with the page it lands on (parity-* rules).",
    ),
    click.option(
        "--old-origin",
        "old_origin",
        metavar="URL",
        help="The old site kept at a second address after cutover (scheme://host[:port]; "
        "with --resolve for an IP): each legacy URL's path is fetched there and compared "
        "with where it lands, as with --snapshot.",
    ),
    checked_option(
        "--parity-threshold",
        "parity_thresholds",
        "NAME=VALUE",
        parse_parity_threshold,
        "A parity rule's threshold (similarity 0..1): "
        + ", ".join(f"{k} (default {v:g})" for k, v in settings.PARITY_THRESHOLDS.items())
        + ". Repeatable.",
    ),
    click.option(
        "--accept-suggestions",
        "accept_suggestions",
        type=click.FloatRange(0.0, 1.0),
        metavar="SCORE",
        help="With --fixes: merge the suggested targets (fixes/suggested-map.csv) that "
        "score at least SCORE (0..1) into the corrected map and server rules.",
    ),
    click.option(
        "--catch-all-probes",
        is_flag=True,
        help="Request a few random URLs that cannot exist on every old and new host (and "
        "top-level directory of the legacy URLs): they must answer 404/410 "
        "(catch-all-redirect, soft-404). Logged in the run folder (probes.jsonl).",
    ),
)
"""``audit``'s content parity options: --snapshot and --parity-threshold."""


# What build_request needs besides the crawl options (the snapshot judges nothing).
_NO_CHECKS: dict[str, Any] = {
    "many_to_one": settings.MANY_TO_ONE,
    "disable": (),
    "severity": (),
    "target_base_url": None,
    "fail_on": "error",
    "formats": (),
}


@click.command()
@file_option(
    "--map",
    "maps",
    "Redirect map (CSV old_url,new_url[,status]) whose old URLs are snapshotted. Repeatable.",
    multiple=True,
)
@file_option("--urls", "url_lists", "File of legacy URLs, one per line. Repeatable.", multiple=True)
@click.option(
    "--map-format",
    type=click.Choice(["auto", "csv", "netlify", "cloudflare", "amplify"]),
    default="auto",
    show_default=True,
    help="How to read --map files.",
)
@click.option("--base-url", help="Site to prepend to map/list entries that are paths.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The snapshot file to write: JSON Lines (gzip-compressed when it ends in .gz), one "
    "line per legacy URL. Its crawl's run folder is OUT.run (for --resume).",
)
@crawl_options
@click.option(
    "--resume",
    is_flag=True,
    help="Continue an interrupted snapshot (OUT.run) without fetching again what it recorded.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def snapshot(**kw: Any) -> None:
    """Record the legacy pages' facts before cutover.

    Fetches every legacy URL of --map / --urls as an audit does (same scope, politeness,
    --resolve, auth, limits) and writes, per URL, the facts of the page it answers with:
    status, content type, title, H1s, description, canonical, robots, lang, hreflang,
    JSON-LD types, word and link counts and a text fingerprint. `audit --snapshot OUT`
    then compares each old page with where it lands after the migration.

    \b
    Example:
      migrationaudit snapshot --map redirects.csv --base-url https://www.old.example \\
          --out before.jsonl.gz
    """
    from migrationaudit.parity.take import legacy_urls, take_snapshot

    with StopSignals() as stop:
        try:
            req = build_request({**_NO_CHECKS, **kw, "out_dir": kw["out"]}, set())
            legacy = legacy_urls(req.maps, req.url_lists, req.base_url, req.map_format)
            got = take_snapshot(
                legacy,
                kw["out"],
                req.crawl,
                allow_hosts=req.allow_hosts,
                resume=kw["resume"],
                progress=progress_printer(kw["quiet"]),
            )
        except MigrationAuditError as exc:
            fail(str(exc), kw["debug"])
        except KeyboardInterrupt:
            click.echo("\nmigrationaudit: interrupted", err=True)
            sys.exit(stop.exit_code)
    if not kw["quiet"]:
        click.echo(
            f"snapshot: {plural(got.pages, 'legacy URL')} ({got.healthy} answered 2xx) -> "
            f"{kw['out']}",
            err=True,
        )
    if got.crawl.interrupted or not got.crawl.complete:
        if not kw["quiet"]:
            click.echo(
                f"migrationaudit: the crawl did not finish; continue with --resume "
                f"(run folder {got.run_dir})",
                err=True,
            )
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK)

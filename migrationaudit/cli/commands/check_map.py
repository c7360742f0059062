"""``migrationaudit check-map``: the map rules alone, no request sent."""

from __future__ import annotations

import sys
from typing import Any

import click

from migrationaudit.cli.exits import exit_code, fail, finish, policy_of
from migrationaudit.cli.params import gate_options, input_options, known_rule_ids
from migrationaudit.errors import MigrationAuditError
from migrationaudit.options import (
    build_request,
)


@click.command("check-map")
@input_options
@gate_options
def check_map(**kw: Any) -> None:
    """Check redirect maps without sending any request: loops, chains, conflicts and
    self-redirects inside the map itself (map-loop, map-chain, map-conflict, map-self).

    With --map-format netlify|cloudflare|amplify|vercel|nginx|apache|cloudflare-bulk (vercel.json,
    netlify.toml, nginx and Apache configurations and Bulk Redirects CSV are also detected) the
    map is read as that host's rule file and every exact source's chain is predicted as the
    host would answer it, hop by hop, then judged by the same rules as a live audit (findings
    marked predicted in the run info), plus rule-shadowed, rule-ignored and rule-chain-source."""
    from migrationaudit.pipeline import check_map_only
    from migrationaudit.preflight.run import check_rule_file, predicts

    try:
        req = build_request(kw, known_rule_ids())
        policy = policy_of(kw)
        result = check_rule_file(req) if predicts(req) else check_map_only(req)
    except MigrationAuditError as exc:
        fail(str(exc), kw["debug"])
    result = finish(result, req.out_dir, req.formats, kw["quiet"], kw["debug"], policy, kw)
    sys.exit(exit_code(result, kw))

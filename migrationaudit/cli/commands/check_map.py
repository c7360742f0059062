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
    self-redirects inside the map itself (map-loop, map-chain, map-conflict, map-self)."""
    from migrationaudit.pipeline import check_map_only

    try:
        req = build_request(kw, known_rule_ids())
        policy = policy_of(kw)
        result = check_map_only(req)
    except MigrationAuditError as exc:
        fail(str(exc), kw["debug"])
    result = finish(result, req.out_dir, req.formats, kw["quiet"], kw["debug"], policy, kw)
    sys.exit(exit_code(result, kw))

"""The command line: the only code that prints, reads the environment or exits.

One module per command (:mod:`migrationaudit.cli.commands`); the options they share are in
:mod:`~migrationaudit.cli.params` and :mod:`~migrationaudit.cli.crawlopts`, how a command ends
in :mod:`~migrationaudit.cli.exits`, the configuration layers in
:mod:`~migrationaudit.cli.config`.

Exit codes: 0 = the audit finished and nothing is at or above ``--fail-on``; 1 = it finished and
the gate failed; 2 = it could not run (usage, configuration, input, crawl machinery); 3 = it is
incomplete (``--max-runtime`` stopped the crawl: partial report, resumable); 4 = an output or
the run's state could not be written (disk full, read-only folder).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from migrationaudit import __version__
from migrationaudit.cli.commands.audit import audit
from migrationaudit.cli.commands.check_map import check_map
from migrationaudit.cli.commands.config import config_command
from migrationaudit.cli.commands.demo import demo
from migrationaudit.cli.commands.diff import diff
from migrationaudit.cli.commands.report import report
from migrationaudit.cli.commands.rules import rules
from migrationaudit.cli.commands.snapshot import snapshot
from migrationaudit.cli.commands.worker import worker
from migrationaudit.cli.config import python_layer
from migrationaudit.errors import ConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="migrationaudit")
def main() -> None:
    """Audit a website migration: does every old URL land where it should, in one clean hop,
    on a page search engines will index?"""


for _command in (audit, check_map, demo, rules, config_command, report, diff, worker, snapshot):
    main.add_command(_command)


def audit_params(values: Mapping[str, Any], config: str | Path | bool | None) -> dict[str, Any]:
    """The ``audit`` command's parameters for the Python API: keyword arguments named like
    config keys, layered over the config file (``config``: a path; True: found as the command
    finds it; None/False: none) exactly as the command layers its flags. ConfigError when a
    value is bad."""
    root = click.Context(main, info_name="migrationaudit")
    argv = ["--config", str(config)] if isinstance(config, str | Path) else []
    isolated = config is None or config is False
    try:
        defaults = python_layer(values, click.Context(audit, parent=root))
        with audit.make_context(
            "audit", argv, parent=root, default_map=defaults, obj={"isolated": isolated}
        ) as ctx:
            return dict(ctx.params)
    except click.ClickException as exc:
        raise ConfigError(exc.format_message()) from None

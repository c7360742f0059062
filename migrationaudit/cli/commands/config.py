"""``migrationaudit config``: the effective configuration and where each value came from."""

from __future__ import annotations

import click


@click.command(
    "config", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.option(
    "--for",
    "for_command",
    type=click.Choice(["audit", "check-map"]),
    default="audit",
    show_default=True,
    help="The command whose options are shown.",
)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of TOML.")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def config_command(for_command: str, as_json: bool, args: tuple[str, ...]) -> None:
    """Print the effective configuration and where each value came from.

    Layers, lowest first: defaults, the config file (--config FILE, else the nearest
    migrationaudit.toml or pyproject.toml with [tool.migrationaudit]), MIGRATIONAUDIT_*
    environment variables, command-line options. Give the options the command would get to
    see their effect; the TOML output is itself a valid config file.

    \b
    Example:
      migrationaudit config --config ci.toml --fail-on warning
    """
    from migrationaudit.cli.config import META, ConfigInfo
    from migrationaudit.cli.configview import effective, render_json, render_toml

    ctx = click.get_current_context()
    group = ctx.find_root().command
    assert isinstance(group, click.Group)
    command = group.commands[for_command]
    with command.make_context(for_command, list(args), parent=ctx.parent) as sub:
        info = sub.meta.get(META, ConfigInfo())
        entries = effective(sub)
    render = render_json if as_json else render_toml
    click.echo(render(entries, info, for_command), nl=False)

"""``migrationaudit rules``: the rule catalogue."""

from __future__ import annotations

import click


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True
)
def rules(fmt: str) -> None:
    """List every rule: id, default severity and what it checks."""
    from migrationaudit.checks import rule_infos

    infos = rule_infos()
    if fmt == "markdown":
        click.echo("| id | default severity | what it checks |\n|---|---|---|")
        for r in infos:
            click.echo(f"| `{r.rule_id}` | {r.severity.label} | {r.title} |")
        return
    width = max(len(r.rule_id) for r in infos)
    for r in infos:
        click.echo(f"{r.rule_id:<{width}}  {r.severity.label:<7}  {r.title}")

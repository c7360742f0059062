"""Regenerate the generated parts of README.md from the code, so they cannot drift:
the rule catalogue (from the rule registry and each rule's docstring) and the command
reference (from the click commands' help). `tests/test_readme.py` fails when they are stale.

Usage: python scripts/update_readme.py [--check]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def rules_section() -> str:
    from migrationaudit.checks import rule_infos

    infos = rule_infos()
    lines = ["| id | default | what it checks |", "|---|---|---|"]
    for r in infos:
        lines.append(f"| [`{r.rule_id}`](#rule-{r.rule_id}) | {r.severity.label} | {r.title} |")
    lines.append("")
    for r in infos:
        body = r.doc.strip()
        lines += [f'<a id="rule-{r.rule_id}"></a>', f"#### `{r.rule_id}` ({r.severity.label})",
                  "", body, ""]
    return "\n".join(lines).rstrip() + "\n"


def commands_section() -> str:
    import click

    from migrationaudit.cli import main

    out: list[str] = []
    ctx = click.Context(main, info_name="migrationaudit", max_content_width=100, terminal_width=100)
    out += ["```text", main.get_help(ctx).rstrip(), "```", ""]
    for name in sorted(main.commands):
        cmd = main.commands[name]
        sub = click.Context(cmd, info_name=f"migrationaudit {name}", parent=None,
                            max_content_width=100, terminal_width=100)
        out += [f"#### `migrationaudit {name}`", "", "```text", cmd.get_help(sub).rstrip(), "```",
                ""]
    return "\n".join(out).rstrip() + "\n"


def render(text: str) -> str:
    for marker, fn in (("rules", rules_section), ("commands", commands_section)):
        pattern = re.compile(
            rf"(<!-- generated:{marker} -->\n).*?(<!-- /generated:{marker} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no <!-- generated:{marker} --> block")
        text = pattern.sub(lambda m, fn=fn: m.group(1) + fn() + m.group(2), text)
    return text


def main() -> int:
    current = README.read_text(encoding="utf-8")
    new = render(current)
    if "--check" in sys.argv:
        if new != current:
            print("README.md is stale: run `make readme`", file=sys.stderr)
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

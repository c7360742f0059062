"""The deployment examples of docs/distributed.md are right as written: every
``migrationaudit`` command line of docs/examples/docker-compose.yml and of
docs/examples/migrationaudit-worker.service parses with the real command line, in the
environment the example gives it (its ``MIGRATIONAUDIT_*`` variables are ones the product
reads, with values it accepts), and ``systemd-analyze verify`` accepts the unit."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from migrationaudit.cli import main
from migrationaudit.cli.configkeys import KEYS
from migrationaudit.distributed.store import check_url
from migrationaudit.web.access import parse_auth

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
COMPOSE = EXAMPLES / "docker-compose.yml"
UNIT = EXAMPLES / "migrationaudit-worker.service"
PROGRAM = "migrationaudit"


def substituted(value: str) -> str:
    """``${NAME}`` as Compose fills it in from the environment (here: a made-up value)."""
    return re.sub(r"\$\{(\w+)\}", lambda m: f"{m.group(1).lower()}-value", value)


def compose_commands() -> list[tuple[str, list[str], dict[str, str]]]:
    """(service, arguments after ``migrationaudit``, its environment) of each service of the
    Compose file that runs migrationaudit."""
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services: dict[str, Any] = data["services"]
    out = []
    for name, service in services.items():
        for needed in service.get("depends_on") or ():
            assert needed in services, f"{name} depends on an unknown service {needed}"
        command = service.get("command")
        if isinstance(command, str):
            command = shlex.split(command)
        if not command or Path(command[0]).name != PROGRAM:
            continue
        env = service.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        args = [substituted(str(a)) for a in command[1:]]
        out.append((name, args, {k: substituted(str(v)) for k, v in env.items()}))
    return out


def unit_command() -> tuple[list[str], dict[str, str]]:
    """The unit's ExecStart (after its program) and the environment file its comment shows."""
    text = UNIT.read_text(encoding="utf-8")
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(text)
    program, *args = shlex.split(unit["Service"]["ExecStart"])
    assert Path(program).name == PROGRAM, program
    env = dict(
        m.groups() for m in re.finditer(r"^#\s+(MIGRATIONAUDIT_\w+)=(\S+)$", text, re.MULTILINE)
    )
    assert "EnvironmentFile" in unit["Service"] and env, "the environment file is shown"
    return args, env


def placeholders(cmd: click.Command, ctx: click.Context, args: list[str], cwd: Path) -> None:
    """Empty files for the relative paths the command's path options name (the example's
    files are the user's own)."""
    opts, _, _ = cmd.make_parser(click.Context(cmd, parent=ctx)).parse_args(args=list(args))
    for param in cmd.params:
        if isinstance(param.type, click.Path) and isinstance(opts.get(param.name), str):
            value = opts[param.name]
            if not os.path.isabs(value) and param.type.file_okay:
                (cwd / value).touch()


def parse(args: list[str], env: dict[str, str], cwd: Path, monkeypatch: Any) -> dict[str, Any]:
    """Parse ``migrationaudit ARGS`` in ``env`` (and only it) as the command would; its
    parameters."""
    for name in list(os.environ):
        if name.startswith("MIGRATIONAUDIT_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(cwd)
    name, *rest = args
    with click.Context(main, info_name=PROGRAM) as ctx:
        cmd = main.get_command(ctx, name)
        assert cmd is not None, f"no command {name}"
        placeholders(cmd, ctx, rest, cwd)
        with cmd.make_context(name, list(rest), parent=ctx) as sub:
            return dict(sub.params)


def check_environment(env: dict[str, str]) -> None:
    """Every MIGRATIONAUDIT_* variable is one the product reads, with a value it accepts."""
    known = {k.env for k in KEYS}
    for name, value in env.items():
        if not name.startswith("MIGRATIONAUDIT_"):
            continue
        assert name in known, f"{name} is not read by migrationaudit"
        if name == "MIGRATIONAUDIT_REDIS":
            check_url(value)
        elif name == "MIGRATIONAUDIT_AUTH":
            for item in value.split():
                parse_auth(item)


EXAMPLE_COMMANDS = [
    *((f"docker-compose.yml:{s}", a, e) for s, a, e in compose_commands()),
    ("migrationaudit-worker.service", *unit_command()),
]


def test_the_examples_run_a_coordinator_and_workers() -> None:
    commands = {where: args[0] for where, args, _ in EXAMPLE_COMMANDS}
    assert commands == {
        "docker-compose.yml:worker": "worker",
        "docker-compose.yml:coordinator": "audit",
        "migrationaudit-worker.service": "worker",
    }


@pytest.mark.parametrize(
    ("where", "args", "env"), EXAMPLE_COMMANDS, ids=[w for w, _, _ in EXAMPLE_COMMANDS]
)
def test_example_command_parses(
    where: str, args: list[str], env: dict[str, str], tmp_path: Path, monkeypatch: Any
) -> None:
    check_environment(env)
    try:
        params = parse(args, env, tmp_path, monkeypatch)
    except click.ClickException as e:
        pytest.fail(f"{where}: migrationaudit {shlex.join(args)}\n  {e.format_message()}")
    if args[0] == "worker":
        assert params["redis"] == env["MIGRATIONAUDIT_REDIS"]  # from the environment
    else:
        assert "MIGRATIONAUDIT_REDIS" in env  # the coordinator's --redis, from its environment
    # The same parse rejects what the command does not know.
    with pytest.raises(click.NoSuchOption):
        parse([*args, "--no-such-option"], env, tmp_path, monkeypatch)


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the unit is only parsed")
    # The unit as installed, its ExecStart pointing at this environment's migrationaudit
    # (verify checks that the program exists and is executable).
    program = shutil.which(PROGRAM, path=str(Path(sys.executable).parent))
    assert program is not None, "migrationaudit is installed beside this Python"
    text = UNIT.read_text(encoding="utf-8")
    text, found = re.subn(r"^ExecStart=\S+", f"ExecStart={program}", text, flags=re.MULTILINE)
    assert found == 1
    unit = tmp_path / UNIT.name
    unit.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [analyze, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr

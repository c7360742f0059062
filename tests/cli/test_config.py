"""Layered configuration: defaults < config file < MIGRATIONAUDIT_* environment < flags; file
discovery; every option configurable; unknown keys and bad values exit 2 naming the key.

`migrationaudit config --json` shows what `audit` would get, so most tests read it (in-process
with click's runner: nothing here crawls)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from migrationaudit.cli import main
from migrationaudit.cli.configkeys import BY_PARAM, KEYS, NOT_CONFIGURABLE

ROOT = Path(__file__).resolve().parents[2]
CONFIG_VARS = ("MIGRATIONAUDIT_CONFIG", "MIGRATIONAUDIT_FAIL_ON", "MIGRATIONAUDIT_TIMEOUT")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in KEYS:
        monkeypatch.delenv(key.env, raising=False)
    monkeypatch.delenv("MIGRATIONAUDIT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


def invoke(*args: str, env: dict[str, str] | None = None) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def effective(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = invoke("config", "--json", *args, env=env)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def value(data: dict[str, Any], key: str) -> tuple[Any, str]:
    entry = data["values"][key]
    return entry["value"], entry["source"]


# --- precedence ------------------------------------------------------------------------------


def test_defaults_without_any_layer() -> None:
    data = effective()
    assert data["config_file"] is None
    assert value(data, "fail-on") == ("error", "default")
    assert value(data, "timeout") == (30.0, "default")
    assert value(data, "map") == ([], "default")


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        (("file",), ("warning", "migrationaudit.toml")),
        (("file", "env"), ("notice", "env MIGRATIONAUDIT_FAIL_ON")),
        (("file", "env", "flag"), ("error", "command line")),
        (("env",), ("notice", "env MIGRATIONAUDIT_FAIL_ON")),
        (("file", "flag"), ("error", "command line")),
    ],
)
def test_each_layer_beats_the_one_below(
    tmp_path: Path, layers: tuple[str, ...], expected: tuple[str, str]
) -> None:
    if "file" in layers:
        (tmp_path / "migrationaudit.toml").write_text('fail-on = "warning"\n', encoding="utf-8")
    env = {"MIGRATIONAUDIT_FAIL_ON": "notice"} if "env" in layers else None
    args = ("--fail-on", "error") if "flag" in layers else ()
    assert value(effective(*args, env=env), "fail-on") == expected


def test_layers_mix_per_key(tmp_path: Path) -> None:
    (tmp_path / "migrationaudit.toml").write_text(
        'timeout = 5\nretries = 4\nfail-on = "notice"\n', encoding="utf-8"
    )
    data = effective("--retries", "1", env={"MIGRATIONAUDIT_TIMEOUT": "9.5"})
    assert value(data, "timeout") == (9.5, "env MIGRATIONAUDIT_TIMEOUT")
    assert value(data, "retries") == (1, "command line")
    assert value(data, "fail-on") == ("notice", "migrationaudit.toml")
    assert value(data, "max-hops") == (10, "default")


def test_flag_replaces_a_list_from_the_file(tmp_path: Path) -> None:
    (tmp_path / "migrationaudit.toml").write_text('map = ["a.csv", "b.csv"]\n', encoding="utf-8")
    assert value(effective(), "map") == (["a.csv", "b.csv"], "migrationaudit.toml")
    assert value(effective("--map", "c.csv"), "map") == (["c.csv"], "command line")
    env = {"MIGRATIONAUDIT_MAP": "x.csv y.csv"}
    assert value(effective(env=env), "map") == (["x.csv", "y.csv"], "env MIGRATIONAUDIT_MAP")


def test_tables_in_file_and_environment(tmp_path: Path) -> None:
    (tmp_path / "migrationaudit.toml").write_text(
        '[severity]\nquery-dropped = "off"\nredirect-chain = "notice"\n'
        "[max]\nredirect-loop = 0\nredirect-chain = 25\n"
        '[[ignore]]\nrule = "slash-hop"\nurl = "http://old.example/blog/*"\n'
        'reason = "fixed in the Q3 release"\n',
        encoding="utf-8",
    )
    data = effective()
    assert value(data, "severity")[0] == {"query-dropped": "off", "redirect-chain": "notice"}
    assert value(data, "max")[0] == {"redirect-loop": 0, "redirect-chain": 25}
    assert value(data, "ignore")[0] == [
        {
            "rule": "slash-hop",
            "url": "http://old.example/blog/*",
            "reason": "fixed in the Q3 release",
        }
    ]
    env = {
        "MIGRATIONAUDIT_MAX": "redirect-chain=3",
        "MIGRATIONAUDIT_IGNORE": "* http://old.example/x reason one\nhop-limit * reason two\n",
    }
    data = effective(env=env)
    assert value(data, "max") == ({"redirect-chain": 3}, "env MIGRATIONAUDIT_MAX")
    assert [row["reason"] for row in value(data, "ignore")[0]] == ["reason one", "reason two"]


# --- finding the file ------------------------------------------------------------------------


def test_pyproject_table_found_from_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "site"\n[tool.migrationaudit]\nmap = ["maps/redirects.csv"]\n'
        "max-hops = 5\n",
        encoding="utf-8",
    )
    sub = tmp_path / "deploy" / "ci"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    data = effective()
    assert data["config_file"] == str(tmp_path / "pyproject.toml")
    assert value(data, "max-hops") == (5, str(tmp_path / "pyproject.toml"))
    # relative paths in a file are relative to the file's folder
    assert value(data, "map")[0] == ["../../maps/redirects.csv"]


def test_migrationaudit_toml_beats_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.migrationaudit]\nretries = 1\n", encoding="utf-8"
    )
    (tmp_path / "migrationaudit.toml").write_text("retries = 3\n", encoding="utf-8")
    assert value(effective(), "retries") == (3, "migrationaudit.toml")


def test_search_stops_at_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "migrationaudit.toml").write_text("retries = 3\n", encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    monkeypatch.chdir(repo)
    assert effective()["config_file"] is None


def test_pyproject_without_the_table_is_not_a_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert effective()["config_file"] is None
    result = invoke("config", "--config", "pyproject.toml")
    assert result.exit_code == 2
    assert "no [tool.migrationaudit] table" in result.stderr


def test_explicit_config_and_env_config(tmp_path: Path) -> None:
    (tmp_path / "ci.toml").write_text("[tool.migrationaudit]\nconcurrency = 3\n", encoding="utf-8")
    (tmp_path / "migrationaudit.toml").write_text("concurrency = 7\n", encoding="utf-8")
    assert value(effective("--config", "ci.toml"), "concurrency") == (3, "ci.toml")
    data = effective(env={"MIGRATIONAUDIT_CONFIG": "ci.toml"})
    assert data["found_by"] == "MIGRATIONAUDIT_CONFIG"
    assert value(data, "concurrency") == (3, "ci.toml")


def test_toml_output_is_a_config_file_that_round_trips(tmp_path: Path) -> None:
    (tmp_path / "migrationaudit.toml").write_text(
        'map = ["a b.csv"]\nuser-agent = "UA \\"quoted\\" ü"\n[max]\nredirect-chain = 2\n'
        '[[ignore]]\nrule = "slash-hop"\nreason = "known"\n',
        encoding="utf-8",
    )
    text = invoke("config", "--fail-on", "notice").stdout
    assert "# migrationaudit.toml" in text and "# command line" in text
    tomllib.loads(text)  # valid TOML, comments and all
    (tmp_path / "echo.toml").write_text(text, encoding="utf-8")
    again = effective("--config", "echo.toml")
    first = effective("--fail-on", "notice")
    assert {k: v["value"] for k, v in again["values"].items()} == {
        k: v["value"] for k, v in first["values"].items()
    }


# --- errors: exit 2, naming the key ----------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            'fial-on = "error"\n',
            "migrationaudit.toml: unknown key 'fial-on' (did you mean 'fail-on'?)",
        ),
        ('fail-on = "fatal"\n', "migrationaudit.toml: fail-on: 'fatal' is not one of"),
        ("max-hops = 0\n", "migrationaudit.toml: max-hops: 0 is not in the range 1<=x<=20"),
        ("map = { a = 1 }\n", "migrationaudit.toml: map: expected a list of values"),
        (
            'resolve = ["nohost"]\n',
            "migrationaudit.toml: resolve: 'nohost': expected HOST:PORT:ADDR",
        ),
        ('[severity]\nno-such-rule = "off"\n', "migrationaudit.toml: severity: "),
        ("[max]\nredirect-chain = -1\n", "migrationaudit.toml: max: 'redirect-chain=-1'"),
        (
            '[[ignore]]\nrule = "slash-hop"\n',
            "migrationaudit.toml: ignore[0]: an ignore needs a reason",
        ),
        ('[[ignore]]\nrule = "slash-hop"\nwhy = "x"\n', "ignore[0]: unknown key 'why'"),
        ("timeout = [\n", "migrationaudit.toml: invalid TOML"),
        ("debug = true\n", "unknown key 'debug'"),
    ],
)
def test_bad_config_exits_2_naming_the_key(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "migrationaudit.toml").write_text(content, encoding="utf-8")
    crawl_key = content.startswith(("max-hops", "resolve", "timeout"))  # check-map has none
    for command in (("audit",), ("config",)) if crawl_key else (("audit",), ("check-map",)):
        result = invoke(*command)
        assert result.exit_code == 2, (command, result.output)
        assert message in result.stderr, result.stderr
        assert result.stderr.startswith("migrationaudit: error: ")
        assert "Traceback" not in result.output


def test_bad_environment_value_names_the_variable() -> None:
    result = invoke("audit", env={"MIGRATIONAUDIT_RETRIES": "many"})
    assert result.exit_code == 2
    assert "MIGRATIONAUDIT_RETRIES: 'many' is not a valid integer" in result.stderr


def test_unrelated_environment_variables_are_ignored() -> None:
    data = effective(env={"MIGRATIONAUDIT_NO_SUCH_THING": "1", "MIGRATIONAUDIT_CRAWL_CHILD": "1"})
    assert value(data, "fail-on") == ("error", "default")


def test_a_crawl_key_is_fine_for_check_map(tmp_path: Path) -> None:
    """One file serves every command: keys of another command are not unknown."""
    (tmp_path / "migrationaudit.toml").write_text(
        'resolve = ["a.example:443:127.0.0.1"]\n', encoding="utf-8"
    )
    result = invoke("config", "--for", "check-map")
    assert result.exit_code == 0, result.output
    assert "resolve" not in result.stdout


# --- the table itself ------------------------------------------------------------------------


def test_every_option_of_every_command_has_a_config_key() -> None:
    """Adding an option means adding one line to config.KEYS (or to NOT_CONFIGURABLE)."""
    missing = []
    for name in ("audit", "check-map", "report"):
        for param in main.commands[name].params:
            if isinstance(param, click.Option) and param.expose_value:
                if param.name not in BY_PARAM and param.name not in NOT_CONFIGURABLE:
                    missing.append(f"{name} {param.opts[-1]}")
    assert missing == [], "add these options to migrationaudit.cli.config.KEYS"


def test_example_config_is_valid_and_complete(tmp_path: Path) -> None:
    example = ROOT / "migrationaudit.example.toml"
    table = tomllib.loads(example.read_text(encoding="utf-8"))["tool"]["migrationaudit"]
    (tmp_path / "redirects.csv").write_text(
        "http://a.example/,http://b.example/\n", encoding="utf-8"
    )
    result = invoke("config", "--config", str(example))
    assert result.exit_code == 0, result.output
    text = example.read_text(encoding="utf-8")
    for key in KEYS:  # every key is at least shown (commented out or set)
        assert (
            f"{key.name} =" in text
            or f"[tool.migrationaudit.{key.name}]" in text
            or (f"[[tool.migrationaudit.{key.name}]]" in text)
        ), key.name
    assert set(table) <= {k.name for k in KEYS}


def test_credentials_are_masked(tmp_path: Path) -> None:
    (tmp_path / "migrationaudit.toml").write_text(
        'auth = ["https://staging.example=bob:s3cret"]\n[header]\nX-Token = "t0ken"\n',
        encoding="utf-8",
    )
    text = invoke("config").stdout
    assert "s3cret" not in text and "t0ken" not in text
    assert 'auth                 = ["https://staging.example=bob:***"]' in text
    assert 'header               = { X-Token = "***" }' in text

"""Layered configuration: built-in defaults → config file → ``MIGRATIONAUDIT_*`` environment →
command-line flags (each layer beats the one before).

The config file is ``--config FILE`` (or ``$MIGRATIONAUDIT_CONFIG``), else the nearest
``migrationaudit.toml`` or ``pyproject.toml`` with a ``[tool.migrationaudit]`` table, searched
from the working directory upwards to the repository root (the folder holding ``.git``). In a
``migrationaudit.toml`` the keys sit at the top level (or under ``[tool.migrationaudit]``).

Every key is a command-line option: :data:`KEYS` maps config keys to click parameter names,
so an option is configurable by adding one line there. Values are checked by the option's own
click type, so a bad value is rejected with the same words as on the command line, naming the
key (and file or environment variable) instead of the flag. How a key is written::

    map = ["redirects.csv"]            a repeatable option: a list (or one string)
    fail-on = "warning"                one value
    severity = { query-dropped = "off" }       RULE=VALUE options: a table
    max = { redirect-loop = 0, redirect-chain = 25 }
    header = { "X-Staging-Token" = "abc" }     'Name: value' options: a table
    [[ignore]]                          --ignore 'RULE URL-GLOB REASON': an array of tables
    rule = "redirect-chain"  url = "https://www.old.example/blog/*"  reason = "…"

Relative paths in a file are relative to that file's folder. In the environment the variable
is ``MIGRATIONAUDIT_`` + the key in upper case with ``_`` for ``-`` (``MIGRATIONAUDIT_FAIL_ON``);
list values are separated by whitespace, ``ignore`` and ``header`` entries by newlines.

The layers reach click as the context's ``default_map`` (so click keeps command-line values
on top); where each value came from is kept in ``ctx.meta`` for ``migrationaudit config``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from migrationaudit.cli.configkeys import BY_NAME, HEADERS, IGNORES, KEYS, PAIRS, Key
from migrationaudit.errors import ConfigError

CONFIG_FILE = "migrationaudit.toml"
PYPROJECT = "pyproject.toml"
ENV_CONFIG = "MIGRATIONAUDIT_CONFIG"
META = "migrationaudit.cli.config"  # ctx.meta key holding the ConfigInfo


@dataclass(frozen=True)
class ConfigInfo:
    """Which file was read (None: none), how it was found, and param → source label of every
    value the file or the environment set."""

    path: Path | None = None
    found_by: str = ""
    sources: Mapping[str, str] = field(default_factory=dict)


class ConfigUsageError(click.ClickException):
    """A configuration error found while click parses (exit 2, the CLI's one-line format)."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"migrationaudit: error: {self.format_message()}", err=True)


# --- finding and reading the file ------------------------------------------------------------


def _tool_table(data: Mapping[str, Any]) -> Any:
    tool = data.get("tool")
    return tool.get("migrationaudit") if isinstance(tool, dict) else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror or exc}") from None


def find_config(start: Path) -> Path | None:
    """The nearest ``migrationaudit.toml`` (first) or ``pyproject.toml`` with a
    ``[tool.migrationaudit]`` table, from ``start`` up to the folder holding ``.git``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT
        if pyproject.is_file():
            try:
                if _tool_table(_read_toml(pyproject)) is not None:
                    return pyproject
            except ConfigError:
                pass  # someone else's broken pyproject is not our configuration
        if (folder / ".git").exists():
            return None
    return None


def read_config_table(path: Path) -> dict[str, Any]:
    """The migrationaudit table of ``path``: ``[tool.migrationaudit]`` when present, else
    (not for pyproject.toml) the top level."""
    data = _read_toml(path)
    table = _tool_table(data)
    if table is None:
        if path.name == PYPROJECT:
            raise ConfigError(f"{path}: no [tool.migrationaudit] table")
        table = data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.migrationaudit] is not a table")
    return table


# --- shaping values --------------------------------------------------------------------------


def _scalar(value: Any, where: str) -> Any:
    if isinstance(value, dict | list):
        raise ConfigError(f"{where}: expected one value, not a {type(value).__name__}")
    return value


def _text_list(value: Any, where: str) -> list[Any]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict | list):
            raise ConfigError(f"{where}: expected a list of values")
    return items


def _pairs(value: Any, where: str, sep: str) -> list[str]:
    if isinstance(value, list):  # already in the command-line form
        return [str(v) for v in _text_list(value, where)]
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table, e.g. {{ name = value }}")
    out = []
    for k, v in value.items():
        if isinstance(v, dict | list):
            raise ConfigError(f"{where}.{k}: expected one value")
        if isinstance(v, bool):
            v = str(v).lower()
        out.append(f"{k}{sep}{v}")
    return out


def _ignores(value: Any, where: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for i, item in enumerate(items):
        here = f"{where}[{i}]"
        if isinstance(item, str):
            out.append(item)
            continue
        if not isinstance(item, dict):
            raise ConfigError(f"{here}: expected a table {{ rule, url, reason }}")
        unknown = sorted(set(item) - {"rule", "url", "reason"})
        if unknown:
            raise ConfigError(f"{here}: unknown key {unknown[0]!r} (expected rule, url, reason)")
        rule, url = str(item.get("rule", "*")), str(item.get("url", "*"))
        reason = str(item.get("reason", "")).strip()
        if not reason:
            raise ConfigError(f"{here}: an ignore needs a reason")
        if re.search(r"\s", rule + url):
            raise ConfigError(f"{here}: rule and url cannot contain spaces")
        out.append(f"{rule} {url} {reason}")
    return out


def shape(key: Key, param: click.Parameter, value: Any, where: str) -> Any:
    """A file (or Python) value of ``key`` as the option's command-line value(s)."""
    if key.form == PAIRS:
        return _pairs(value, where, "=")
    if key.form == HEADERS:
        return _pairs(value, where, ": ")
    if key.form == IGNORES:
        return _ignores(value, where)
    if getattr(param, "multiple", False):
        return _text_list(value, where)
    return _scalar(value, where)


def _rebase(value: Any, base: Path, cwd: Path) -> Any:
    """A relative path from a config file in ``base``, as a path relative to ``cwd``."""
    if isinstance(value, list):
        return [_rebase(v, base, cwd) for v in value]
    if not isinstance(value, str) or value in ("", "-") or Path(value).is_absolute():
        return value
    if "://" in value:  # a URL where a file or URL is accepted (--sitemap)
        return value
    if base.resolve() == cwd.resolve():
        return value
    return os.path.relpath(base / value, cwd)


def _split_env(key: Key, param: click.Parameter, raw: str) -> Any:
    if key.form in (HEADERS, IGNORES):
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if key.form == PAIRS or getattr(param, "multiple", False):
        return list(param.type.split_envvar_value(raw))
    return raw


def _check(param: click.Parameter, value: Any, ctx: click.Context, where: str) -> None:
    try:
        param.type_cast_value(ctx, value)
    except click.BadParameter as exc:
        raise ConfigError(f"{where}: {exc.message}") from None


def _unknown(name: str, where: str) -> ConfigError:
    hint = get_close_matches(name, list(BY_NAME), n=1)
    more = f" (did you mean {hint[0]!r}?)" if hint else ""
    return ConfigError(f"{where}: unknown key {name!r}{more}")


def _sibling_params(ctx: click.Context) -> set[str]:
    """Parameter names of every command of the CLI (a key valid for one command is not an
    unknown key in a file shared by all)."""
    names = {p.name for p in ctx.command.params if p.name}
    parent = ctx.parent
    if parent is not None and isinstance(parent.command, click.Group):
        for cmd in parent.command.commands.values():
            names.update(p.name for p in cmd.params if p.name)
    return names


def file_layer(
    table: Mapping[str, Any], path: Path, ctx: click.Context, cwd: Path
) -> dict[str, tuple[Any, str]]:
    """param → (value, source) for the keys of ``table`` that ``ctx.command`` has."""
    params = {p.name: p for p in ctx.command.params}
    known = _sibling_params(ctx)
    label = os.path.relpath(path, cwd) if path.is_relative_to(cwd) else str(path)
    out: dict[str, tuple[Any, str]] = {}
    for raw_name, value in table.items():
        name = str(raw_name).replace("_", "-")
        key = BY_NAME.get(name)
        if key is None or key.param not in known:
            raise _unknown(name, label)
        param = params.get(key.param)
        if param is None:
            continue  # valid for another command
        where = f"{label}: {name}"
        shaped = shape(key, param, value, where)
        if key.path:
            shaped = _rebase(shaped, path.parent, cwd)
        _check(param, shaped, ctx, where)
        out[key.param] = (shaped, label)
    return out


def env_layer(environ: Mapping[str, str], ctx: click.Context) -> dict[str, tuple[Any, str]]:
    """param → (value, source) from ``MIGRATIONAUDIT_<KEY>`` variables (others ignored)."""
    params = {p.name: p for p in ctx.command.params}
    out: dict[str, tuple[Any, str]] = {}
    for key in KEYS:
        raw = environ.get(key.env)
        param = params.get(key.param)
        if raw is None or param is None:
            continue
        value = _split_env(key, param, raw)
        _check(param, value, ctx, key.env)
        out[key.param] = (value, f"env {key.env}")
    return out


def python_layer(values: Mapping[str, Any], ctx: click.Context) -> dict[str, Any]:
    """param → value from keyword arguments named like config keys (``fail_on`` or
    ``"fail-on"``); the Python API's layer. ConfigError for an unknown name or bad value."""
    params = {p.name: p for p in ctx.command.params}
    out: dict[str, Any] = {}
    for raw_name, value in values.items():
        if value is None:
            continue
        name = raw_name.replace("_", "-")
        key = BY_NAME.get(name)
        if key is None or key.param not in params:
            names = [k.name.replace("-", "_") for k in KEYS if k.param in params]
            hint = get_close_matches(raw_name.replace("-", "_"), names, n=1)
            more = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ConfigError(f"audit(): unknown argument {raw_name!r}{more}")
        param = params[key.param]
        if isinstance(value, str | os.PathLike) and getattr(param, "multiple", False):
            value = [value]
        if isinstance(value, tuple | set | frozenset):
            value = list(value)
        if isinstance(value, list):
            value = [os.fspath(v) if isinstance(v, os.PathLike) else v for v in value]
        elif isinstance(value, os.PathLike):
            value = os.fspath(value)
        shaped = shape(key, param, value, f"audit(): {raw_name}")
        _check(param, shaped, ctx, f"audit(): {raw_name}")
        out[key.param] = shaped
    return out


# --- the click hook --------------------------------------------------------------------------


def load_layers(
    ctx: click.Context,
    explicit: Path | None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> ConfigInfo:
    """Put the file and environment layers into ``ctx.default_map`` (values already there,
    e.g. from the Python API, stay on top) and return what was read."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    isolated = bool(obj.get("isolated"))
    path: Path | None
    if explicit is not None:
        path, found_by = explicit, "--config"
        if ctx.get_parameter_source("config_file") is ParameterSource.ENVIRONMENT:
            found_by = ENV_CONFIG
    elif isolated:
        path, found_by = None, ""
    else:
        path = find_config(cwd)
        found_by = "found from the working folder" if path else ""
    layers: dict[str, tuple[Any, str]] = {}
    if path is not None:
        layers.update(file_layer(read_config_table(path), path, ctx, cwd))
    if not isolated:
        layers.update(env_layer(environ, ctx))
    given = dict(ctx.default_map or {})
    ctx.default_map = {**{p: v for p, (v, _) in layers.items()}, **given}
    sources = {p: src for p, (_, src) in layers.items() if p not in given}
    sources.update({p: "python" for p in given})
    info = ConfigInfo(path, found_by, sources)
    ctx.meta[META] = info
    return info


def _config_callback(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if ctx.resilient_parsing:
        return
    try:
        load_layers(ctx, value)
    except ConfigError as exc:
        raise ConfigUsageError(str(exc)) from None


def config_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--config FILE`` option: eager, so the file is read before any other option
    takes its value."""
    return click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar=ENV_CONFIG,
        is_eager=True,
        expose_value=False,
        callback=_config_callback,
        metavar="FILE",
        help="Config file (TOML). Default: the nearest migrationaudit.toml or pyproject.toml "
        "with [tool.migrationaudit]. Environment: MIGRATIONAUDIT_<OPTION>.",
    )(f)


# --- `migrationaudit config`: the effective configuration --------------------------------------



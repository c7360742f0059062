"""The effective configuration as ``migrationaudit config`` prints it: every value with the layer
it came from, secrets masked, as TOML (itself a valid config file) or JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from migrationaudit.cli.config import META, ConfigInfo
from migrationaudit.cli.configkeys import HEADERS, IGNORES, KEYS, PAIRS, Key


@dataclass(frozen=True)
class Entry:
    """One effective value and where it came from."""

    key: str
    value: Any  # plain data in the config file's shape; None when unset
    source: str



def _unshape(key: Key, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        items = [str(v) if isinstance(v, Path) else v for v in value]
        if key.form in (PAIRS, HEADERS):
            sep = "=" if key.form == PAIRS else ":"
            table: dict[str, Any] = {}
            for item in items:
                k, _, v = str(item).partition(sep)
                v = v.strip()
                table[k.strip()] = int(v) if key.param == "budgets" and v.isdigit() else v
            return table
        if key.form == IGNORES:
            rows = []
            for item in items:
                rule, url, reason = ([*str(item).split(None, 2), "", ""])[:3]
                rows.append({"rule": rule, "url": url, "reason": reason})
            return rows
        return items
    return value



def _mask(key: Key, value: Any) -> Any:
    """Credentials shown as ``***``: ``user:***`` for auth, ``Name: ***`` for headers."""
    if value is None or not key.secret:
        return value
    if isinstance(value, dict):
        return dict.fromkeys(value, "***")
    if isinstance(value, list):
        return [_mask(key, v) for v in value]
    text = str(value)
    if key.form == HEADERS:
        return text.partition(":")[0] + ": ***"
    return text.rpartition(":")[0] + ":***" if ":" in text else "***"



def _source(ctx: click.Context, info: ConfigInfo, param: str) -> str:
    how = ctx.get_parameter_source(param)
    if how is ParameterSource.COMMANDLINE:
        return "command line"
    if how is ParameterSource.DEFAULT_MAP:
        return info.sources.get(param, "config")
    if how is ParameterSource.ENVIRONMENT:
        return "environment"
    return "default"



def effective(ctx: click.Context) -> list[Entry]:
    """Every configurable option of ``ctx.command`` (a parsed context): value and source
    (credentials masked)."""
    info: ConfigInfo = ctx.meta.get(META, ConfigInfo())
    names = {p.name for p in ctx.command.params}
    return [
        Entry(
            key.name,
            _mask(key, _unshape(key, ctx.params.get(key.param))),
            _source(ctx, info, key.param),
        )
        for key in KEYS
        if key.param in names
    ]



def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        body = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + body + " }" if body else "{}"
    return json.dumps(str(value), ensure_ascii=False)



def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)



def render_toml(entries: Iterable[Entry], info: ConfigInfo, command: str) -> str:
    """The effective configuration as a TOML document (a valid config file itself), each
    value followed by a comment naming its source; unset options as comments."""
    where = f"{info.path} ({info.found_by})" if info.path else "none"
    lines = [
        f"# Effective configuration of `migrationaudit {command}`",
        f"# config file: {where}",
        "# precedence: default < config file < MIGRATIONAUDIT_* environment < command line",
    ]
    entries = list(entries)
    width = max((len(e.key) for e in entries), default=0)
    for e in entries:
        if e.value is None or e.value in ([], {}, ()):
            lines.append(f"# {e.key:<{width}} = (not set)  # {e.source}")
        else:
            lines.append(f"{_toml_key(e.key):<{width}} = {_toml_value(e.value)}  # {e.source}")
    return "\n".join(lines) + "\n"



def render_json(entries: Iterable[Entry], info: ConfigInfo, command: str) -> str:
    """The effective configuration as JSON: ``{"command", "config_file", "values": {key:
    {"value", "source"}}}``."""
    doc = {
        "command": command,
        "config_file": str(info.path) if info.path else None,
        "found_by": info.found_by or None,
        "values": {e.key: {"value": e.value, "source": e.source} for e in entries},
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

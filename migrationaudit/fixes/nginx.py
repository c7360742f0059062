"""``nginx-map.conf`` and ``nginx-server.conf``: the fixes as an nginx ``map`` of ``$host$uri``
(and ``$host$uri?$args``) to targets, and the ``return`` that reads it (see
:mod:`migrationaudit.fixes.servers` for how each syntax is kept safe).
"""

from __future__ import annotations

import unicodedata

from migrationaudit.fixes.plan import STATUS, FixPlan
from migrationaudit.fixes.wire import (
    HEADER,
    Parts,
    Split,
    left_out_note,
    regex_bytes,
    writable,
)

NGINX_DOLLAR = "migrationaudit_dollar"
NGINX_PATH_VAR = "migrationaudit_target"
NGINX_QUERY_VAR = "migrationaudit_query_target"


def _nginx_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _nginx_value(wire: str) -> str:
    return _nginx_quote(wire).replace("$", "${" + NGINX_DOLLAR + "}")


def _printable(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.isascii() and text.isprintable():
        return text  # letters, digits, punctuation and the plain space only
    # Controls, bidi overrides and invisible or odd spaces: a regex spells them as \xHH, so
    # the config never holds a character that reads differently from what it matches.
    if any(c != " " and unicodedata.category(c)[0] in "CZ" for c in text):
        return None
    return text


def _nginx_entries(
    plan: FixPlan, split: Split
) -> tuple[list[str], list[str], int, dict[int, tuple[list[str], list[str]]]]:
    """(path map lines, query map lines, rules left out) of the 301 fixes, and the same
    lines of the fixes whose map row asks for another status, by status (nginx's ``return``
    takes its code as written, so each status has maps of its own)."""
    usable = [(f, split[f.source]) for f in plan.fixes if writable(f, split)]
    # Keys nginx would confuse ignoring case: other keys and same-host targets (a redirect
    # that only fixes letter case would otherwise match its own target and loop).
    lowered: dict[bytes, set[bytes]] = {}
    for f, p in usable:
        for u in (p, split[f.target]):
            key = _nginx_key(u)
            lowered.setdefault(key.lower(), set()).add(key)
    path_lines: list[str] = []
    query_lines: list[str] = []
    others: dict[int, tuple[list[str], list[str]]] = {}
    seen: set[bytes] = set()
    for f, p in usable:
        key = _nginx_key(p)
        if key in seen:
            continue  # two spellings of one URL: the first rule wins, as in the map
        seen.add(key)
        text = _printable(key)
        if text is None or len(lowered[key.lower()]) > 1:
            entry = _nginx_quote("~^" + regex_bytes(key) + "$")
        else:
            entry = _nginx_quote(text)
        if f.status == STATUS:
            paths, queries = path_lines, query_lines
        else:
            paths, queries = others.setdefault(f.status, ([], []))
        (queries if p.query else paths).append(f"    {entry} {_nginx_value(split[f.target].wire)};")
    return path_lines, query_lines, len(plan.fixes) - len(usable), dict(sorted(others.items()))


def _nginx_key(p: Parts) -> bytes:
    """What nginx compares: ``$host$uri`` or, with a query, ``$host$uri?$args``."""
    key = p.host.encode() + p.decoded
    return key + b"?" + p.query.encode() if p.query else key


def render_nginx(plan: FixPlan, split: Split | None = None) -> tuple[str, str]:
    """(``nginx-map.conf`` for the ``http {}`` block, ``nginx-server.conf`` for each
    ``server {}`` of the old hosts)."""
    split = Split() if split is None else split
    path_lines, query_lines, left_out, others = _nginx_entries(plan, split)
    every = path_lines + query_lines + [ln for p, q in others.values() for ln in p + q]
    longest = max((len(line.encode()) for line in every), default=64)
    bucket = 64
    while bucket < longest + 32:
        bucket *= 2
    size = max(2048, 2 * len(every))
    extra_maps: list[str] = []
    extra_ifs: list[tuple[str, str]] = []  # (query if, path if): queries are tested first
    for status, (paths, queries) in others.items():
        path_var, query_var = f"{NGINX_PATH_VAR}_{status}", f"{NGINX_QUERY_VAR}_{status}"
        extra_maps += [
            f"# Rules whose map row asks for {status}.",
            f"map $host$uri ${path_var} {{",
            '    default "";',
            *paths,
            "}",
            "",
            f'map "$host$uri?$args" ${query_var} {{',
            '    default "";',
            *queries,
            "}",
            "",
        ]
        extra_ifs.append(
            (
                f"if (${query_var}) {{ return {status} ${query_var}; }}",
                f"if (${path_var}) {{ return {status} ${path_var}; }}",
            )
        )
    head = [
        f"# {HEADER}",
        "# Include in the http {} block; include nginx-server.conf in every server {} block of",
        "# the old hosts. Each legacy URL answers one 301 (or the status its map row asks for)",
        "# to its final page.",
        f"# {len(every)} rules{left_out_note(left_out)}.",
        "# Remove the two *_hash_* lines if your http {} block already sets larger values.",
        f"map_hash_bucket_size {bucket};",
        f"map_hash_max_size {size};",
        "",
        "# A literal $ for the values below ($ alone would start a variable name).",
        f'geo ${NGINX_DOLLAR} {{ default "$"; }}',
        "",
        f"map $host$uri ${NGINX_PATH_VAR} {{",
        '    default "";',
        *path_lines,
        "}",
        "",
        f'map "$host$uri?$args" ${NGINX_QUERY_VAR} {{',
        '    default "";',
        *query_lines,
        "}",
        "",
        *extra_maps,
    ]
    server = [
        f"# {HEADER}",
        "# Include in every server {} block of the old hosts (needs nginx-map.conf).",
        f"if (${NGINX_QUERY_VAR}) {{ return {STATUS} ${NGINX_QUERY_VAR}; }}",
        *(q for q, _ in extra_ifs),
        f"if (${NGINX_PATH_VAR}) {{ return {STATUS} ${NGINX_PATH_VAR}; }}",
        *(p for _, p in extra_ifs),
        "",
    ]
    return "\n".join(head), "\n".join(server)

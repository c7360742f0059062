"""More static hosts' rule files, each read with its host's semantics.

**Netlify ``netlify.toml``** (https://docs.netlify.com/routing/redirects/#syntax-for-the-netlify-configuration-file):
``[[redirects]]`` tables with ``from``, ``to``, ``status`` (default 301), ``force``, ``query``
(``{id = ":id"}``) and ``conditions``: the same semantics as ``_redirects``
(:mod:`~migrationaudit.preflight.formats`), read top down with the ``_redirects`` rules.
A rule with ``conditions`` (country, language, role, cookie) is reported as not simulated.

**Vercel ``vercel.json``** (https://vercel.com/docs/project-configuration#redirects): the
``redirects`` array of ``{source, destination, permanent, statusCode, has, missing}``, read top
down, first match wins. ``source`` is a path-to-regexp pattern compiled as Vercel's
routing-utils compile it (``strict`` and ``sensitive``: the trailing slash and the case count):
``:name`` one segment, ``:name*``/``:name+``/``:name?`` (with the ``/`` before it), a custom
``(regex)`` after a name or alone. ``permanent`` (a boolean) wins: 308 or 307; else
``statusCode``; else 308. ``:name`` in ``destination`` takes the matched value. ``has`` and
``missing`` (headers, cookies, hosts, queries) depend on the request: such rules are reported as
not simulated. A top-level ``"trailingSlash": false`` (``true``) adds Vercel's 308 from ``/a/``
to ``/a`` (from ``/a`` to ``/a/``, a file with an extension excepted) before the redirects.

**Cloudflare Bulk Redirects CSV** (https://developers.cloudflare.com/rules/url-forwarding/bulk-redirects/):
rows of ``source_url,target_url[,status_code[,preserve_query_string[,include_subdomains[,
subpath_matching[,preserve_path_suffix]]]]]`` (an optional header row names them). A source
without a scheme matches http and https; the path matches exactly unless subpath matching is
on (then every path under it); include subdomains extends the host to its subdomains. The
status defaults to 301 (301, 302, 307, 308); the request's query string is kept when preserve
query string is on (default off); the path past a subpath match is appended when preserve
path suffix is on (default on). The list has no order: the exact source wins over a subpath
one, then the longest source path. A second row with the same source is refused by the host.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from migrationaudit.errors import InputError
from migrationaudit.inputs.common import read_text
from migrationaudit.inputs.hosting import _json_items_with_lines
from migrationaudit.models.inputs import Origin
from migrationaudit.preflight.formats import NETLIFY_STATUSES, _host_rule
from migrationaudit.preflight.model import HostRule, IgnoredRule, RuleFile

_NAME = re.compile(r"[A-Za-z0-9_]+")
BULK_COLUMNS = (
    "source_url",
    "target_url",
    "status_code",
    "preserve_query_string",
    "include_subdomains",
    "subpath_matching",
    "preserve_path_suffix",
)
BULK_STATUSES = {301, 302, 307, 308}
_DEST_PARAM = re.compile(r"([/.]?):([A-Za-z0-9_]+)(\((?:[^()\\]|\\.)*\))?([*+?])?")


def _not_simulated(origin: Origin, source: str, what: str) -> IgnoredRule:
    return IgnoredRule(
        origin, source, f"{what} not simulated: the rule depends on the request", by_host=False
    )


def read_netlify_toml(path: str | Path) -> RuleFile:
    """Read the ``[[redirects]]`` tables of a ``netlify.toml``."""
    name, text = read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"invalid TOML: {exc}", file=name) from None
    items = data.get("redirects", [])
    if not isinstance(items, list):
        raise InputError("[[redirects]] must be an array of tables", file=name)
    heads = [i for i, ln in enumerate(text.splitlines(), 1) if ln.strip() == "[[redirects]]"]
    rules: list[HostRule] = []
    ignored: list[IgnoredRule] = []
    for n, item in enumerate(items):
        origin = Origin(name, heads[n] if n < len(heads) else 0)
        source, target = item.get("from"), item.get("to")
        if not isinstance(source, str) or not isinstance(target, str):
            ignored.append(IgnoredRule(origin, str(source), "not understood: from/to missing"))
            continue
        status = item.get("status", 301)
        if not isinstance(status, int) or status not in NETLIFY_STATUSES:
            ignored.append(IgnoredRule(origin, source, f"not understood: status {status!r}"))
            continue
        if item.get("conditions"):
            ignored.append(_not_simulated(origin, source, f"conditions {item['conditions']}"))
            continue
        if "#" in source:
            why = "source has a #fragment, which a request never carries: the rule never fires"
            ignored.append(IgnoredRule(origin, source, why))
            continue
        query = item.get("query") or {}
        if query:
            source += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        rules.append(
            _host_rule(origin, source, target, status, "netlify", force=bool(item.get("force")))
        )
    return RuleFile(name, "netlify", tuple(rules), tuple(ignored))


def compile_path(source: str) -> re.Pattern[str]:
    """A path-to-regexp (v6) source as Vercel compiles it: strict, case-sensitive, anchored.
    Parameters become groups ``p_<name>`` (unnamed ones ``p_<index>``)."""
    out: list[str] = []
    i, index = 0, 0
    while i < len(source):
        c = source[i]
        if c == "\\" and i + 1 < len(source):
            out.append(re.escape(source[i + 1]))
            i += 2
            continue
        name: str | None = None
        pattern = r"[^/#?]+?"
        if c == ":" and _NAME.match(source, i + 1):
            m = _NAME.match(source, i + 1)
            assert m is not None
            name, i = m.group(0), m.end()
        if (c == "(" and name is None) or (name is not None and source[i : i + 1] == "("):
            end = _group_end(source, i)
            pattern = source[i + 1 : end]
            i = end + 1
            if name is None:
                name, index = str(index), index + 1
        elif name is None:
            out.append(re.escape(c))
            i += 1
            continue
        mod = source[i] if i < len(source) and source[i] in "*+?" else ""
        i += len(mod)
        prefix = ""
        if out and out[-1] in ("/", r"\."):  # the delimiter before a parameter is its prefix
            prefix = out.pop()
        group = f"(?P<p_{name}>{pattern})"
        rest = f"(?:{prefix}(?:{pattern}))"
        if mod in ("*", "+"):
            body = f"(?:{prefix}(?P<p_{name}>(?:{pattern}){rest}*))"
        else:
            body = f"(?:{prefix}{group})"
        out.append(body + ("?" if mod in ("*", "?") else ""))
    return re.compile("".join(out) + r"\Z")


def _group_end(text: str, start: int) -> int:
    depth = 0
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unbalanced ( in {text!r}")


def substitute_vercel(target: str, groups: dict[str, str]) -> str:
    """A Vercel destination with the source's parameters filled in (an empty optional one
    drops its ``/`` too, as path-to-regexp's compile does)."""

    def fill(m: re.Match[str]) -> str:
        value = groups.get("p_" + m.group(2))
        if value is None:
            return m.group(0) if m.group(4) not in ("*", "?") else ""
        return m.group(1) + value

    return _DEST_PARAM.sub(fill, target)


def read_vercel(path: str | Path) -> RuleFile:
    """Read the ``redirects`` (and ``trailingSlash``) of a ``vercel.json``."""
    name, text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError("expected a vercel.json object with a redirects array", file=name)
    rules: list[HostRule] = []
    ignored: list[IgnoredRule] = []
    slash = data.get("trailingSlash")
    if isinstance(slash, bool):
        line = text.count("\n", 0, text.find('"trailingSlash"')) + 1
        origin = Origin(name, line)
        if slash:  # /a -> /a/, except a file name with an extension
            src, pat, target = "/:p*", r"/(?P<p_p>(?:[^/]+/)*[^/.]+)\Z", "/:p/"
        else:
            src, pat, target = "/:p*/", r"/(?P<p_p>.+)/\Z", "/:p"
        pattern = re.compile(pat)
        rules.append(HostRule(origin, src, target, 308, pattern, dynamic=True))
    m = re.search(r'"redirects"\s*:\s*(?=\[)', text)
    items = _json_items_with_lines(text[m.end() :], name) if m else []
    offset = text.count("\n", 0, m.end()) if m else 0
    for line, item in items:
        origin = Origin(name, line + offset)
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("source", "destination")
        ):
            why = "not understood: expected an object with source and destination"
            ignored.append(IgnoredRule(origin, json.dumps(item)[:80], why))
            continue
        source, target = str(item["source"]), str(item["destination"])
        if item.get("has") or item.get("missing"):
            what = "has/missing conditions " + json.dumps(item.get("has") or item.get("missing"))
            ignored.append(_not_simulated(origin, source, what[:160]))
            continue
        permanent, code = item.get("permanent"), item.get("statusCode")
        status = (308 if permanent else 307) if isinstance(permanent, bool) else code or 308
        if status not in (301, 302, 303, 307, 308):
            ignored.append(IgnoredRule(origin, source, f"not understood: status {status!r}"))
            continue
        try:
            pattern = compile_path(source)
        except (ValueError, re.error) as exc:
            ignored.append(IgnoredRule(origin, source, f"not understood: pattern ({exc})"))
            continue
        dynamic = pattern.groupindex != {} or any(ch in source for ch in "(*+?")
        rules.append(HostRule(origin, source, target, int(status), pattern, dynamic=dynamic))
    return RuleFile(name, "vercel", tuple(rules), tuple(ignored))


def _flag(cell: str, default: bool) -> bool:
    c = cell.strip().lower()
    return default if not c else c in ("true", "1", "yes", "on")


def read_bulk_csv(path: str | Path) -> RuleFile:
    """Read a Cloudflare Bulk Redirects list as CSV."""
    name, text = read_text(path)
    rules: list[HostRule] = []
    ignored: list[IgnoredRule] = []
    seen: dict[str, int] = {}
    columns = list(BULK_COLUMNS)
    for lineno, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not cells or not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if lineno == 1 and cells[0].strip().lower() in ("source_url", "source"):
            columns = [c.strip().lower() for c in cells]
            continue
        row: dict[str, Any] = dict(zip(columns, (c.strip() for c in cells), strict=False))
        origin = Origin(name, lineno)
        source, target = row.get("source_url", ""), row.get("target_url", "")
        m = re.match(r"(?i)^(?:(https?)://)?([^/?#]+)(/[^?#]*)?$", source)
        if not m or not target:
            why = "not understood: a source URL (host and path, no query) and a target URL"
            ignored.append(IgnoredRule(origin, source, why))
            continue
        scheme, host, spath = (m.group(1) or "").lower() or None, m.group(2).lower(), m.group(3)
        spath = spath or "/"
        key = f"{scheme or ''}://{host}{spath}"
        if key in seen:
            why = f"a second row with the source of line {seen[key]}: the list refuses it"
            ignored.append(IgnoredRule(origin, source, why))
            continue
        seen[key] = lineno
        raw = row.get("status_code") or "301"
        status = int(raw) if raw.isdigit() else 0
        if status not in BULK_STATUSES:
            ignored.append(IgnoredRule(origin, source, f"not understood: status {raw!r}"))
            continue
        subpath = _flag(row.get("subpath_matching", ""), False)
        body = re.escape(spath)
        if subpath:
            body = (
                re.escape(spath) + "(?P<suffix>.*)"
                if spath.endswith("/")
                else (re.escape(spath) + "(?P<suffix>/.*)?")
            )
        rules.append(
            HostRule(
                origin,
                f"{scheme or 'https'}://{host}{spath}",
                target,
                status,
                re.compile(body + r"\Z", re.DOTALL),
                host=host,
                scheme=scheme,
                subdomains=_flag(row.get("include_subdomains", ""), False),
                keep_query=_flag(row.get("preserve_query_string", ""), False),
                keep_suffix=subpath and _flag(row.get("preserve_path_suffix", ""), True),
            )
        )
    return RuleFile(name, "cloudflare-bulk", tuple(rules), tuple(ignored))

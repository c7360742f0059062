"""Reading an nginx configuration (``http`` block, or ``server`` blocks as in sites-enabled)
with crossplane into the :class:`~migrationaudit.preflight.nginx.NginxEngine`, and one host
rule per redirecting ``return``/``rewrite`` (for the findings and the shadowed/chain analysis)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from migrationaudit.errors import InputError
from migrationaudit.models.inputs import Origin
from migrationaudit.preflight.model import HostRule, IgnoredRule, RuleFile
from migrationaudit.preflight.nginx import (
    UPSTREAMS,
    Location,
    NginxEngine,
    Server,
    pcre,
)

Directive = dict[str, Any]


def _parse(path: Path) -> list[Directive]:
    """The configuration as crossplane parses it, ``include`` files inlined (each directive
    keeps its own file and line)."""
    import crossplane  # type: ignore[import-untyped]

    payload = crossplane.parse(str(path), check_ctx=False, check_args=False, comments=False)
    configs = payload["config"]
    errors = [e for c in configs for e in c.get("errors", [])]
    if errors:
        e = errors[0]
        raise InputError(f"nginx: {e.get('error')}", file=e.get("file"), line=e.get("line"))

    def inline(items: list[Directive], file: str) -> list[Directive]:
        out: list[Directive] = []
        for d in items:
            d["file"] = file
            if d["directive"] == "include" and "includes" in d:
                for i in d["includes"]:
                    out.extend(inline(configs[i]["parsed"], configs[i]["file"]))
                continue
            if "block" in d:
                d["block"] = inline(d["block"], file)
            out.append(d)
        return out

    return inline(configs[0]["parsed"], configs[0]["file"])


def read_nginx(path: str | Path) -> RuleFile:
    """Read an nginx configuration file (its includes too) as a rule file."""
    p = Path(str(path))
    if not p.is_file():
        raise InputError("nginx configuration not found", file=str(path))
    top = _parse(p)
    http = next((d["block"] for d in top if d["directive"] == "http"), top)
    shown = p.name
    maps: dict[str, tuple[str, list[tuple[str, str]], str, bool]] = {}
    servers: list[Server] = []
    rules: dict[int, HostRule] = {}
    skipped: set[int] = set()
    ignored: list[IgnoredRule] = []

    def origin(d: Directive) -> Origin:
        name = Path(d["file"]).name if d["file"] != str(p) else shown
        return Origin(name, int(d["line"]))

    for d in http:
        if d["directive"] == "map" and len(d.get("args", [])) == 2:
            entries: list[tuple[str, str]] = []
            default, hostnames = "", False
            for e in d.get("block", []):
                key, val = e["directive"], (e.get("args") or [""])[0]
                if key == "default":
                    default = val
                elif key == "hostnames":
                    hostnames = True
                elif key not in ("volatile", "include"):
                    entries.append((key.strip("\"'"), val))
            maps[d["args"][1].lstrip("$")] = (d["args"][0], entries, default, hostnames)
        elif d["directive"] == "geo" and d.get("args"):  # only its default: no client address
            block = d.get("block", [])
            value = next(
                ((e.get("args") or [""])[0] for e in block if e["directive"] == "default"), ""
            )
            maps[d["args"][-1].lstrip("$")] = ("", [], value, False)
    for d in http:
        if d["directive"] != "server":
            continue
        body = d.get("block", [])
        names = [n.lower() for x in body if x["directive"] == "server_name" for n in x["args"]]
        is_default = any(
            "default_server" in x["args"] or "default" in x["args"]
            for x in body
            if x["directive"] == "listen"
        )
        server = Server(names, is_default, body)
        host = next((n for n in names if n and not n.startswith(("~", "*", "."))), None)
        if host and host.endswith(".*"):
            host = None
        _collect(body, server, host, None, rules, skipped, ignored, origin)
        servers.append(server)
    if not servers:
        raise InputError("nginx: no server block", file=str(path))
    engine = NginxEngine(servers, maps, rules, skipped)
    hosts = tuple(
        n
        for s in servers
        for n in s.names
        if n and not n.startswith(("~", "*", ".")) and "*" not in n
    )
    ordered = sorted(rules.values(), key=lambda r: (r.origin.file, r.origin.line))
    return RuleFile(shown, "nginx", tuple(ordered), tuple(ignored), engine=engine, hosts=hosts)


def _collect(
    body: list[Directive],
    server: Server,
    host: str | None,
    loc: Location | None,
    rules: dict[int, HostRule],
    skipped: set[int],
    ignored: list[IgnoredRule],
    origin: Any,
) -> None:
    """Locations, upstream handlers, and a host rule per redirecting directive."""
    where = loc.path if loc else "/"
    for d in body:
        name, args = d["directive"], d.get("args", [])
        o = origin(d)
        if name == "location" and loc is None:
            mod, path = (args[0], args[1]) if len(args) == 2 else ("", args[0])
            if mod == "@" or path.startswith("@"):
                continue  # a named location is reached by try_files/error_page only
            regex = pcre(path, mod == "~*") if mod in ("~", "~*") else None
            new = Location(mod, path, d.get("block", []), o, regex)
            server.locations.append(new)
            _collect(new.body, server, host, new, rules, skipped, ignored, origin)
        elif name == "location":
            ignored.append(IgnoredRule(o, args[-1], "nested location: not simulated", False))
        elif UPSTREAMS.match(name) and loc is not None:
            loc.upstream = loc.upstream or f"{name} {' '.join(args)}".strip()
            why = f"{name}: the upstream or script answers, not simulated"
            ignored.append(IgnoredRule(o, where, why, by_host=False))
        elif name == "if":
            if args and args[0] in ("-f", "!-f", "-d", "!-d", "-e", "!-e", "-x", "!-x"):
                skipped.add(id(d))
                why = f"if ({' '.join(args)}): a file test, not simulated"
                ignored.append(IgnoredRule(o, where, why, by_host=False))
                continue
            _collect(d.get("block", []), server, host, loc, rules, skipped, ignored, origin)
        elif name in ("return", "rewrite"):
            rule = _rule(d, o, host, loc)
            if rule is not None:
                rules[id(d)] = rule


def _rule(d: Directive, o: Origin, host: str | None, loc: Location | None) -> HostRule | None:
    args = d.get("args", [])
    if d["directive"] == "return":
        if not args:
            return None
        if len(args) == 1 and not args[0].isdigit():
            status, target = 302, args[0]
        else:
            status, target = int(args[0]), (args[1] if len(args) > 1 else "")
        sample = loc.path if loc and loc.modifier in ("=", "^~", "") else None
        if loc is None:
            sample = "/"
        exact = bool(loc and loc.modifier == "=")
        pattern = re.compile(re.escape(sample or "/"))
    else:
        if len(args) < 2:
            return None
        flag = args[2] if len(args) > 2 else ""
        absolute = args[1].startswith(("http://", "https://", "$scheme"))
        status = 301 if flag == "permanent" else 302 if flag == "redirect" or absolute else 200
        target = args[1]
        literal = re.fullmatch(r"\^(/[\w\-./~%]*)\$", args[0])
        sample = literal.group(1).replace("\\", "") if literal else None
        exact = literal is not None and loc is None
        pattern = pcre(args[0])
    source = sample or (loc.path if loc else "/")
    return HostRule(
        o,
        source,
        target,
        status,
        pattern,
        dynamic=not exact,
        host=host,
        sample=sample,
        exact=exact,
    )

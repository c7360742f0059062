"""nginx configuration, answered as nginx answers it (read with crossplane, NGINX's own parser
in Python: quoting, comments and ``include`` as nginx reads them).

Semantics (https://nginx.org/en/docs/http/request_processing.html,
https://nginx.org/en/docs/http/ngx_http_core_module.html#location and
https://nginx.org/en/docs/http/ngx_http_rewrite_module.html), each checked against a real nginx
in ``tests/preflight/test_servers.py``:

- **server**: by ``server_name``: exact, then the longest ``*.`` wildcard, then the longest
  ``.*`` one, then the first matching ``~`` regex; else the ``default_server`` (else the first).
- **server-level** ``rewrite``/``return``/``if``/``set``/``break`` run first, in order.
- **location**: ``=`` exact wins; else the longest prefix; a ``^~`` longest prefix wins; else the
  first ``~``/``~*`` regex in file order; else the longest prefix. Nested locations are not
  simulated (reported).
- **rewrite regex replacement [flag]**: matched against the current URI; ``permanent`` (301),
  ``redirect`` (302) or a replacement starting ``http://``, ``https://`` or ``$scheme`` (302)
  answer a redirect; ``last`` searches the locations again with the new URI; ``break`` stops
  the rewrite directives; no flag goes on with the next one (and searches the locations again
  if the URI changed). The request's arguments are appended unless the replacement ends with
  ``?`` (after ``&`` if it has arguments of its own). At most 10 URI changes (then 500).
- **return code [URL|text]** and **return URL** (302): the Location is the URL as written (a
  relative one made absolute by the server); arguments are not appended.
- **if**: ``$var``, ``=``/``!=`` and ``~``/``~*``/``!~``/``!~*`` on the variables below; file
  tests (``-f``, ``-d``, ``-e``, ``-x``) are not simulated (the rule is reported, not applied).
- **variables**: ``$host``, ``$http_host``, ``$scheme``, ``$request_uri``, ``$uri``,
  ``$document_uri``, ``$args``, ``$query_string``, ``$is_args``, ``$arg_NAME``,
  ``$server_name``, ``$1``…``$9`` and named captures, ``set`` and ``map`` (exact, ``~``/``~*``
  regex, ``default``, ``hostnames``) variables.
- A location whose content is a proxy, FastCGI/uWSGI/SCGI/gRPC upstream, Lua, njs or Perl is
  answered by something the file does not contain: requests reaching it are not predicted
  (reported per directive). Any other location serves a page (200).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from migrationaudit.models.inputs import Origin
from migrationaudit.preflight.model import EngineAnswer, HostRule
from migrationaudit.web.plainurls import split_url

UPSTREAMS = re.compile(
    r"^(proxy_pass|fastcgi_pass|uwsgi_pass|scgi_pass|grpc_pass|memcached_pass|js_content|perl"
    r"|\w+_by_lua(_block|_file)?)$"
)
REWRITE_PHASE = ("rewrite", "return", "if", "set", "break")
_VAR = re.compile(r"\$(\{\w+\}|\w+)")
MAX_CYCLES = 10


def pcre(pattern: str, nocase: bool = False) -> re.Pattern[str]:
    """A PCRE pattern as Python reads it (named groups ``(?<n>…)``/``(?'n'…)``)."""
    py = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern)
    py = re.sub(r"\(\?'([A-Za-z_]\w*)'", r"(?P<\1>", py)
    return re.compile(py, re.I if nocase else 0)


@dataclass
class Location:
    modifier: str  # "=", "^~", "~", "~*", "" (prefix)
    path: str
    body: list[dict[str, Any]]
    origin: Origin
    regex: re.Pattern[str] | None = None
    upstream: str | None = None  # the directive answering instead of a page


@dataclass
class Server:
    names: list[str]
    default: bool
    body: list[dict[str, Any]]
    locations: list[Location] = field(default_factory=list)


@dataclass
class State:
    """One request being answered: its URI, arguments and variables."""

    scheme: str
    host: str
    request_uri: str
    uri: str
    args: str
    server: Server
    vars: dict[str, str] = field(default_factory=dict)
    captures: dict[str, str] = field(default_factory=dict)


class NginxEngine:
    """Answers requests as the nginx configuration does (see the module doc)."""

    def __init__(
        self,
        servers: list[Server],
        maps: dict[str, tuple[str, list[tuple[str, str]], str, bool]],
        rules: dict[int, HostRule],
        skipped: set[int],
    ) -> None:
        self.servers = servers
        self.maps = maps
        self.rules = rules  # by id() of the directive
        self.skipped = skipped  # ids of directives not simulated
        self._maps_indexed: dict[str, tuple[dict[str, str], list[tuple[str, str]]]] = {}

    # -- server and location selection ---------------------------------------------------
    def server_for(self, host: str) -> Server:
        exact = [s for s in self.servers if host in s.names]
        if exact:
            return exact[0]
        best: tuple[int, Server] | None = None
        for s in self.servers:
            for n in s.names:
                if (n.startswith("*.") and host.endswith(n[1:])) or (
                    n.startswith(".") and (host == n[1:] or host.endswith(n))
                ):
                    if best is None or len(n) > best[0]:
                        best = (len(n), s)
        if best:
            return best[1]
        for s in self.servers:
            for n in s.names:
                if n.endswith(".*") and host.startswith(n[:-1]):
                    return s
        for s in self.servers:
            for n in s.names:
                if n.startswith("~") and pcre(n[1:]).search(host):
                    return s
        defaults = [s for s in self.servers if s.default]
        return defaults[0] if defaults else self.servers[0]

    @staticmethod
    def location_for(server: Server, uri: str, captures: dict[str, str]) -> Location | None:
        prefix: Location | None = None
        for loc in server.locations:
            if loc.modifier == "=" and loc.path == uri:
                return loc
            if loc.modifier in ("", "^~") and uri.startswith(loc.path):
                if prefix is None or len(loc.path) > len(prefix.path):
                    prefix = loc
        if prefix is not None and prefix.modifier == "^~":
            return prefix
        for loc in server.locations:
            if loc.regex is not None:
                m = loc.regex.search(uri)
                if m:
                    captures.clear()
                    captures.update(_groups(m))
                    return loc
        return prefix

    # -- answering -----------------------------------------------------------------------
    def answer(self, url: str) -> EngineAnswer:
        parts = split_url(url)
        host = (parts.hostname or "").lower()
        raw = parts.path or "/"
        st = State(
            parts.scheme,
            host,
            raw + (f"?{parts.query}" if parts.query else ""),
            normalise(raw),
            parts.query,
            self.server_for(host),
        )
        got = self.run(st, st.server.body)
        if isinstance(got, EngineAnswer):
            return got
        st.vars.pop("\0break", None)  # a server-level break ends the server's directives only
        for _ in range(MAX_CYCLES):
            loc = self.location_for(st.server, st.uri, st.captures)
            if loc is None:
                return EngineAnswer(None, 200)
            before = st.uri
            got = self.run(st, loc.body)
            if isinstance(got, EngineAnswer):
                return got
            if got is None and st.uri != before and not st.vars.get("\0break"):
                continue  # a rewrite changed the URI: the locations are searched again
            if got == "last":
                st.vars.pop("\0break", None)
                continue
            if loc.upstream:
                why = f"{loc.upstream} at {loc.origin} answers: not simulated"
                return EngineAnswer(None, 0, unknown=why)
            return EngineAnswer(None, 200)
        return EngineAnswer(None, 500)

    def run(self, st: State, body: list[dict[str, Any]]) -> EngineAnswer | str | None:
        """The rewrite-phase directives of one block: an answer, ``"last"``, or None."""
        for d in body:
            name, args = d["directive"], d.get("args", [])
            if id(d) in self.skipped:
                continue
            if name == "break":
                st.vars["\0break"] = "1"
                return None
            if name == "set" and len(args) == 2:
                st.vars[args[0].lstrip("$")] = self.expand(args[1], st)
            elif name == "return":
                return self.do_return(d, st)
            elif name == "rewrite" and len(args) >= 2:
                m = pcre(args[0]).search(st.uri)
                if not m:
                    continue
                st.captures = _groups(m)
                got = self.do_rewrite(d, st)
                if got is not None or st.vars.get("\0break"):
                    return got  # an answer, "last", or break: the rewrite directives end
            elif name == "if":
                if self.condition(args, st):
                    got = self.run(st, d.get("block", []))
                    if got is not None or st.vars.get("\0break"):
                        return got
        return None

    def do_return(self, d: dict[str, Any], st: State) -> EngineAnswer:
        args = d.get("args", [])
        rule = self.rules.get(id(d))
        if len(args) == 1 and not args[0].isdigit():
            return EngineAnswer(rule, 302, self.expand(args[0], st))
        code = int(args[0])
        if code in (301, 302, 303, 307, 308) and len(args) > 1:
            return EngineAnswer(rule, code, self.expand(args[1], st))
        return EngineAnswer(rule, code)

    def do_rewrite(self, d: dict[str, Any], st: State) -> EngineAnswer | str | None:
        args = d["args"]
        flag = args[2] if len(args) > 2 else ""
        out = self.expand(args[1], st)
        keep_args = not out.endswith("?")
        out = out[:-1] if not keep_args else out
        path, _, query = out.partition("?")
        if keep_args and st.args:
            query = f"{query}&{st.args}" if query else st.args
        rule = self.rules.get(id(d))
        absolute = args[1].startswith(("http://", "https://", "$scheme"))
        if flag in ("permanent", "redirect") or absolute:
            status = 301 if flag == "permanent" else 302
            return EngineAnswer(rule, status, path + (f"?{query}" if query else ""))
        st.uri, st.args = normalise(path), query
        if flag == "last":
            return "last"
        if flag == "break":
            st.vars["\0break"] = "1"
            return None
        return None

    def condition(self, args: list[str], st: State) -> bool:
        value = self.expand(args[0], st)
        if len(args) == 1:
            return value not in ("", "0")
        op, operand = args[1], args[2] if len(args) > 2 else ""
        if op == "=":
            return value == self.expand(operand, st)
        if op == "!=":
            return value != self.expand(operand, st)
        m = pcre(operand, op.endswith("*")).search(value)
        if op.startswith("!"):
            return m is None
        if m:
            st.captures = _groups(m)
        return m is not None

    def variable(self, name: str, st: State) -> str:
        if name.isdigit():
            return st.captures.get(name, "")
        if name in st.captures:
            return st.captures[name]
        if name in st.vars:
            return st.vars[name]
        if name in self.maps:
            return self.map_value(name, st)
        builtin = _BUILTINS.get(name)
        if builtin is not None:
            return builtin(st)
        if name.startswith("arg_"):
            return dict(parse_qsl(st.args, keep_blank_values=True)).get(name[4:], "")
        return ""

    def map_value(self, name: str, st: State) -> str:
        source, entries, default, hostnames = self.maps[name]
        saved = st.captures
        value = self.expand(source, st)
        st.captures = saved
        if hostnames:
            for key, result in entries:
                if not key.startswith("~") and (
                    key == value
                    or (key.startswith(".") and (value == key[1:] or value.endswith(key)))
                ):
                    return self.expand(result, st)
        else:  # string keys are looked up (the first of equal keys wins), not tried one by one
            exact, regexes = self._map_index(name, entries)
            if value in exact:
                return self.expand(exact[value], st)
            entries = regexes
        for key, result in entries:
            if key.startswith("~"):
                nocase = key.startswith("~*")
                m = pcre(key[2:] if nocase else key[1:], nocase).search(value)
                if m:
                    st.captures = {**st.captures, **_groups(m)}
                    return self.expand(result, st)
        return self.expand(default, st)

    def _map_index(
        self, name: str, entries: list[tuple[str, str]]
    ) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """A map's string keys as a dict (the first of equal keys) and its regex entries."""
        got = self._maps_indexed.get(name)
        if got is None:
            exact: dict[str, str] = {}
            for key, result in entries:
                if not key.startswith("~"):
                    exact.setdefault(key, result)
            got = (exact, [e for e in entries if e[0].startswith("~")])
            self._maps_indexed[name] = got
        return got

    def expand(self, text: str, st: State) -> str:
        if "$" not in text:
            return text  # no variable: nothing to expand
        return _VAR.sub(lambda m: self.variable(m.group(1).strip("{}"), st), text)


_BUILTINS: dict[str, Callable[[State], str]] = {
    "host": lambda st: st.host,
    "http_host": lambda st: st.host,
    "server_name": lambda st: st.server.names[0] if st.server.names else "",
    "scheme": lambda st: st.scheme,
    "request_uri": lambda st: st.request_uri,
    "uri": lambda st: st.uri,
    "document_uri": lambda st: st.uri,
    "args": lambda st: st.args,
    "query_string": lambda st: st.args,
    "is_args": lambda st: "?" if st.args else "",
}


def normalise(path: str) -> str:
    """The URI nginx matches: percent-decoded, slashes merged, dot segments resolved."""
    if (
        path.startswith("/")
        and "%" not in path
        and "//" not in path
        and "/." not in path  # no dot segment (a path without one is its own result)
    ):
        return path
    path = re.sub(r"/{2,}", "/", unquote(path))
    out: list[str] = []
    for seg in path.split("/")[1:]:
        if seg == "..":
            if out:
                out.pop()
        elif seg != ".":
            out.append(seg)
    return "/" + "/".join(out)


def _groups(m: re.Match[str]) -> dict[str, str]:
    got = {str(i): v or "" for i, v in enumerate(m.groups(), start=1)}
    got.update({k: v or "" for k, v in m.groupdict().items()})
    return got

"""Apache httpd configuration and ``.htaccess`` files, answered as Apache 2.4 answers them.

Semantics (https://httpd.apache.org/docs/2.4/mod/mod_alias.html,
https://httpd.apache.org/docs/2.4/mod/mod_rewrite.html,
https://httpd.apache.org/docs/2.4/rewrite/tech.html), each checked against a real Apache in
``tests/preflight/test_servers.py``:

- **virtual host** by ``ServerName``/``ServerAlias``, else the first ``<VirtualHost>``; without
  one, the main server. Rewrite rules are not inherited into a virtual host.
- **server context**: ``RewriteRule`` (with ``RewriteEngine On``) first, matched against the
  URL path; a rule that rewrote the URL internally ends the server's mod_alias; then
  ``Redirect``/``RedirectMatch``/``RedirectPermanent``/``RedirectTemp`` in file order.
- **per directory** (``.htaccess``; ``<Directory>`` under ``DocumentRoot``): the deepest
  directory's rewrite rules, matched against the path with the directory's prefix removed; a
  relative substitution gets ``RewriteBase`` (or the directory) in front; an internal rewrite
  processes the request again (at most 10 times, then 500); then the ``Redirect`` rules of
  the directory and its parents (the deepest first).
- **RewriteRule pattern substitution [flags]**: ``R[=code]`` (302 by default) or an absolute
  URL redirects; ``L``/``END`` stop; ``NC`` ignores case; ``F`` 403, ``G`` 410; ``$N`` and ``%N``
  back-references; the query string is kept, replaced when the substitution has one (``QSA``
  appends the old one), dropped with ``QSD`` or a trailing ``?``.
- **RewriteCond** on ``%{HTTP_HOST}``, ``%{HTTPS}``, ``%{REQUEST_URI}``, ``%{QUERY_STRING}``,
  ``%{SERVER_NAME}``, ``%{REQUEST_SCHEME}``: regex (``!`` negates), ``=string``, ``[NC]``,
  ``[OR]``. File tests (``-f``, ``-d``...) and ``%{REQUEST_FILENAME}`` depend on the disk: the
  rule is reported as not simulated and not applied.
- **Redirect [status] URL-path URL**: the path and everything under it (by whole segments),
  the rest of the path appended to the URL; ``RedirectMatch`` a regex with ``$N``; statuses
  ``permanent``/``temp``/``seeother``/``gone`` or a number (302 by default); the request's query
  string is appended when the URL has none.
- ``ProxyPass``, ``RewriteRule ... [P]`` and handlers are answered by something the file does
  not contain: requests reaching them are not predicted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial

from migrationaudit.preflight.literal import LiteralIndex, Regex, newline_key
from migrationaudit.preflight.model import EngineAnswer, HostRule
from migrationaudit.preflight.nginx import normalise
from migrationaudit.web.plainurls import split_url

STATUS_WORDS = {"permanent": 301, "temp": 302, "seeother": 303, "gone": 410}
MAX_ROUNDS = 10


@dataclass
class Cond:
    test: str
    pattern: str
    nocase: bool = False
    ornext: bool = False


@dataclass
class Rewrite:
    rule: HostRule
    regex: Regex
    subst: str
    flags: dict[str, str]
    conds: list[Cond]


@dataclass
class Alias:
    rule: HostRule
    path: str | None  # Redirect: the URL path; RedirectMatch: None
    regex: re.Pattern[str] | None
    target: str
    status: int


@dataclass
class Context:
    """A server, a virtual host or a directory (``prefix``: its URL path, ``/`` ended)."""

    prefix: str | None = None  # None: server context
    physical: str | None = None  # a directory's path on disk
    names: list[str] = field(default_factory=list)
    engine_on: bool = False
    base: str | None = None
    rewrites: list[Rewrite] = field(default_factory=list)
    aliases: list[Alias] = field(default_factory=list)
    proxies: list[tuple[str, str]] = field(default_factory=list)  # (path, where)
    dirs: list[Context] = field(default_factory=list)
    # The rewrite rules' literal index, with the rule count it was built for (see _index).
    index: tuple[int, LiteralIndex] | None = field(default=None, repr=False, compare=False)


class ApacheEngine:
    """Answers requests as the Apache configuration does (see the module doc)."""

    def __init__(self, main: Context, vhosts: list[Context]) -> None:
        self.main = main
        self.vhosts = vhosts

    def server_for(self, host: str) -> Context:
        for v in self.vhosts:
            if any(host == n or (n.startswith("*.") and host.endswith(n[1:])) for n in v.names):
                return v
        return self.vhosts[0] if self.vhosts else self.main

    def answer(self, url: str) -> EngineAnswer:
        parts = split_url(url)
        host = (parts.hostname or "").lower()
        server = self.server_for(host)
        env = {
            "HTTP_HOST": parts.netloc.lower(),
            "SERVER_NAME": server.names[0] if server.names else host,
            "HTTPS": "on" if parts.scheme == "https" else "off",
            "REQUEST_SCHEME": parts.scheme,
        }
        uri, query = normalise(parts.path or "/"), parts.query
        for _ in range(MAX_ROUNDS):
            env["REQUEST_URI"], env["QUERY_STRING"] = uri, query
            for path, where in server.proxies + self.main.proxies:
                if uri.startswith(path):
                    return EngineAnswer(None, 0, unknown=f"{where} answers: not simulated")
            got = run_rewrites(server, uri, query, env) if server.engine_on else None
            if isinstance(got, EngineAnswer):
                return got
            if got is None:
                found = run_aliases(server.aliases, uri, query)
                if found is not None:
                    return found
            else:
                uri, query = got
            dirs = [d for d in server.dirs if uri.startswith(d.prefix or "/")]
            dirs.sort(key=lambda d: len(d.prefix or ""), reverse=True)
            rewriting = next((d for d in dirs if d.engine_on or d.rewrites), None)
            if rewriting is not None and rewriting.engine_on:
                got = run_rewrites(rewriting, uri, query, env)
                if isinstance(got, EngineAnswer):
                    return got
                if got is not None and got != (uri, query):
                    uri, query = got
                    continue  # an internal redirect: the request is processed again
            for d in dirs:
                found = run_aliases(d.aliases, uri, query)
                if found is not None:
                    return found
            return EngineAnswer(None, 200)
        return EngineAnswer(None, 500)


def expand(text: str, env: dict[str, str], groups: list[str], conds: list[str]) -> str:
    """``$N``, ``%N`` and ``%{VAR}`` in a substitution or test string."""
    # Each step only where its sign is (a step that finds nothing returns the text as it is).
    if "%{" in text:
        text = re.sub(r"%\{(\w+)\}", lambda m: env.get(m.group(1), ""), text)
    if "$" in text:
        text = re.sub(r"\$(\d)", lambda m: _nth(groups, int(m.group(1))), text)
    if "%" in text:
        text = re.sub(r"%(\d)", lambda m: _nth(conds, int(m.group(1))), text)
    return text


def _backref(groups: list[str], m: re.Match[str]) -> str:
    return _nth(groups, int(m.group(1)))


def _nth(items: list[str], n: int) -> str:
    return items[n] if n < len(items) else ""


def _conds_hold(rw: Rewrite, env: dict[str, str], groups: list[str]) -> list[str] | None:
    """The last matching condition's groups when the conditions hold, else None."""
    last: list[str] = [""]
    ok = True
    pending_or = False
    for c in rw.conds:
        if pending_or and ok:
            pending_or = c.ornext
            continue
        value = expand(c.test, env, groups, last)
        pat, neg = (c.pattern[1:], True) if c.pattern.startswith("!") else (c.pattern, False)
        if pat.startswith("="):
            hit = value.lower() == pat[1:].lower() if c.nocase else value == pat[1:]
        else:
            m = re.search(pat, value, re.I if c.nocase else 0)
            hit = m is not None
            if m and not neg:
                last = [m.group(0), *(g or "" for g in m.groups())]
        hit = hit != neg
        ok = (ok or hit) if pending_or else hit
        pending_or = c.ornext
        if not ok and not c.ornext:
            return None
    return last if ok else None


def run_rewrites(
    ctx: Context, uri: str, query: str, env: dict[str, str]
) -> EngineAnswer | tuple[str, str] | None:
    """The context's rewrite rules: an answer, the rewritten (URI, query), or None."""
    per_dir = ctx.prefix is not None
    changed = False
    rewrites, first = ctx.rewrites, _index(ctx).first
    pos: int | None = 0
    while pos is not None:
        subject = uri[len(ctx.prefix or "") :] if per_dir else uri
        pos = first(subject, pos)  # the next rule that may match (a plain ^path$ is looked up)
        if pos is None:
            break
        rw = rewrites[pos]
        pos += 1
        m = rw.regex.search(subject)
        if m is None:
            continue
        groups = [m.group(0), *(g or "" for g in m.groups())]
        conds = _conds_hold(rw, env, groups)
        if conds is None:
            continue
        flags = rw.flags
        if "F" in flags:
            return EngineAnswer(rw.rule, 403)
        if "G" in flags:
            return EngineAnswer(rw.rule, 410)
        if rw.subst != "-":
            out = expand(rw.subst, env, groups, conds)
            path, has_q, new_q = out.partition("?")
            if "QSD" in flags:
                q = new_q
            elif has_q:
                q = (
                    f"{new_q}&{query}"
                    if "QSA" in flags and query and new_q
                    else new_q or (query if "QSA" in flags else "")
                )
            else:
                q = query
            absolute = re.match(r"(?i)^https?://", path) is not None
            redirect = "R" in flags or absolute
            if per_dir and not absolute and not path.startswith("/"):
                # Without RewriteBase a redirect gets the directory's path on disk in front
                # (Apache's documented pitfall), an internal rewrite its URL path.
                where = ctx.base or (ctx.physical if redirect and ctx.physical else ctx.prefix)
                path = (where or "/").rstrip("/") + "/" + path
            if redirect:
                code = int(flags.get("R") or 302)
                return EngineAnswer(rw.rule, code, path + (f"?{q}" if q else ""))
            uri, query, changed = normalise(path), q, True
        if "L" in flags or "END" in flags:
            break
    return (uri, query) if changed else None


def _index(ctx: Context) -> LiteralIndex:
    """The literal index of ``ctx``'s rewrite rules (built again if rules were added since)."""
    if ctx.index is None or ctx.index[0] != len(ctx.rewrites):
        regexes = [rw.regex for rw in ctx.rewrites]
        ctx.index = (
            len(regexes),
            LiteralIndex(regexes, newline_key, anchors=("^", "$"), lead=("/?",)),
        )
    return ctx.index[1]


def run_aliases(aliases: list[Alias], uri: str, query: str) -> EngineAnswer | None:
    """The first Redirect/RedirectMatch that catches ``uri``."""
    for a in aliases:
        if a.path is not None:
            p = a.path.rstrip("/") if a.path != "/" else "/"
            if not (uri == p or uri.startswith(p if p.endswith("/") else p + "/")):
                continue
            target = a.target + uri[len(p) :] if a.target else ""
        else:
            assert a.regex is not None
            m = a.regex.search(uri)
            if m is None:
                continue
            groups = [m.group(0), *(g or "" for g in m.groups())]
            target = re.sub(r"\$(\d)", partial(_backref, groups), a.target)
        if not 300 <= a.status < 400:
            return EngineAnswer(a.rule, a.status)
        if query and "?" not in target:
            target += f"?{query}"
        return EngineAnswer(a.rule, a.status, target)
    return None

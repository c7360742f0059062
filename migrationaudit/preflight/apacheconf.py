"""Reading Apache httpd configuration and ``.htaccess`` files into the
:class:`~migrationaudit.preflight.apache.ApacheEngine`.

Apache's own parser is line based: one directive per line (a trailing ``\\`` continues it),
arguments split on spaces with double quotes grouping, ``#`` comment lines, ``<Section args>``
… ``</Section>``. That is what is read here (no Python library parses httpd's syntax as httpd
does). A directory given instead of a file is a site: every ``.htaccess`` under it applies to
its own directory. ``<IfModule>``/``<IfDefine>`` sections are read as if their condition held;
``<Location>``, ``<If>``, ``<Files>`` sections are reported as not simulated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from migrationaudit.errors import InputError
from migrationaudit.inputs.common import read_text
from migrationaudit.models.inputs import Origin
from migrationaudit.preflight.apache import (
    STATUS_WORDS,
    Alias,
    ApacheEngine,
    Cond,
    Context,
    Rewrite,
)
from migrationaudit.preflight.literal import Regex, compile_pattern
from migrationaudit.preflight.model import HostRule, IgnoredRule, RuleFile

_LITERAL = re.compile(r"\^?(/?[\w\-./~%]*)\$")
# A word: a double-quoted string (``\\"`` inside) or a run of non-spaces, as httpd splits.
_WORD = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')
_DISK = ("REQUEST_FILENAME", "SCRIPT_FILENAME", "DOCUMENT_ROOT")


def directives(name: str, text: str) -> Iterator[tuple[Origin, str, list[str]]]:
    """(origin, directive, args) per logical line; sections as ``<Name``/``</Name``."""
    pending, start = "", 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not pending:
            start = lineno
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full, pending = (pending + stripped).strip(), ""
        if not full or full.startswith("#"):
            continue
        if full.startswith("<") and full.endswith(">"):
            full = full[:-1]
        words = [
            re.sub(r'\\(["\\])', r"\1", m.group(1)) if m.group(1) is not None else m.group(2)
            for m in _WORD.finditer(full)
        ]
        yield Origin(name, start), words[0], words[1:]


def _flags(raw: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in raw.strip("[]").split(","):
        key, _, value = f.strip().partition("=")
        key = key.upper()
        key = {"REDIRECT": "R", "LAST": "L", "NOCASE": "NC", "QSAPPEND": "QSA"}.get(key, key)
        if key:
            out[key] = value
    return out


class Reader:
    """Builds the contexts of one configuration (and its .htaccess files)."""

    def __init__(self) -> None:
        self.main = Context()
        self.vhosts: list[Context] = []
        self.ignored: list[IgnoredRule] = []
        self.rules: list[HostRule] = []
        self.docroot: str | None = None

    def read(self, name: str, text: str, ctx: Context) -> None:
        stack: list[tuple[str, Context]] = []
        conds: list[Cond] = []
        skip_depth = 0
        for origin, word, args in directives(name, text):
            low = word.lower()
            if low.startswith("</"):
                if skip_depth:
                    skip_depth -= 1
                elif stack:
                    _, ctx = stack.pop()
                continue
            if skip_depth:
                if low.startswith("<"):
                    skip_depth += 1
                continue
            if low in ("<ifmodule", "<ifdefine", "<ifversion"):
                stack.append((low, ctx))
                continue
            if low == "<virtualhost":
                stack.append((low, ctx))
                ctx = Context()
                self.vhosts.append(ctx)
                continue
            if low == "<directory":
                stack.append((low, ctx))
                ctx = self.directory(ctx, args[0] if args else "", origin)
                continue
            if low.startswith("<"):
                why = f"{word[1:]} section: not simulated"
                self.ignored.append(IgnoredRule(origin, " ".join(args), why, by_host=False))
                skip_depth = 1
                continue
            self.directive(ctx, origin, low, args, conds)

    def directory(self, parent: Context, path: str, origin: Origin) -> Context:
        root = (self.docroot or "").rstrip("/")
        if root and (path.rstrip("/") + "/").startswith(root + "/"):
            prefix = path.rstrip("/")[len(root) :] + "/"
        else:
            prefix = "/"
            if root:
                why = f"<Directory {path}> outside DocumentRoot {root}: read as the root"
                self.ignored.append(IgnoredRule(origin, path, why, by_host=False))
        d = Context(prefix=prefix, physical=path.rstrip("/"))
        parent.dirs.append(d)
        return d

    def directive(
        self, ctx: Context, o: Origin, low: str, args: list[str], conds: list[Cond]
    ) -> None:
        if low == "documentroot" and args:
            self.docroot = args[0]
        elif low == "servername" and args:
            ctx.names.insert(0, args[0].lower().split(":")[0])
        elif low == "serveralias":
            ctx.names.extend(a.lower() for a in args)
        elif low == "rewriteengine" and args:
            ctx.engine_on = args[0].lower() == "on"
        elif low == "rewritebase" and args:
            ctx.base = args[0]
        elif low == "rewritecond" and len(args) >= 2:
            flags = _flags(args[2]) if len(args) > 2 else {}
            conds.append(Cond(args[0], args[1], "NC" in flags, "OR" in flags))
        elif low == "rewriterule" and len(args) >= 2:
            self.rewrite(ctx, o, args, list(conds))
            conds.clear()
        elif low in ("redirect", "redirectmatch", "redirectpermanent", "redirecttemp"):
            self.alias(ctx, o, low, args)
        elif low in ("proxypass", "proxypassmatch", "sethandler", "scriptalias") and args:
            ctx.proxies.append((args[0] if args[0].startswith("/") else "/", f"{low} at {o}"))
            why = f"{low}: answered by something the file does not contain, not simulated"
            self.ignored.append(IgnoredRule(o, args[0], why, by_host=False))

    def _rule(self, ctx: Context, o: Origin, source: str, target: str, status: int,
              regex: Regex, sample: str | None, exact: bool) -> HostRule:  # fmt: skip
        host = ctx.names[0] if ctx.names else None
        rule = HostRule(o, sample or source, target, status, regex, dynamic=not exact,
                        host=host, sample=sample, exact=exact)  # fmt: skip
        self.rules.append(rule)
        return rule

    def rewrite(self, ctx: Context, o: Origin, args: list[str], conds: list[Cond]) -> None:
        pattern, subst = args[0], args[1]
        flags = _flags(args[2]) if len(args) > 2 else {}
        disk = [c for c in conds if c.pattern.lstrip("!").startswith("-")
                or any(v in c.test for v in _DISK)] if conds else []  # fmt: skip
        if disk or "P" in flags:
            what = "[P] proxy" if "P" in flags else f"RewriteCond {disk[0].test} {disk[0].pattern}"
            why = f"{what}: depends on the disk or an upstream, not simulated"
            self.ignored.append(IgnoredRule(o, pattern, why, by_host=False))
            return
        neg = pattern.startswith("!")
        # A plain ^path$ is matched as text, not compiled (80,000 of them in a fixes/ file).
        regex = compile_pattern(pattern.lstrip("!"), re.I if "NC" in flags else 0, lead=("/?",))
        if neg:
            self.ignored.append(IgnoredRule(o, pattern, "negated pattern: not simulated", False))
            return
        absolute = re.match(r"(?i)^https?://", subst) is not None
        status = (int(flags.get("R") or 302) if "R" in flags or absolute else
                  403 if "F" in flags else 410 if "G" in flags else 200)  # fmt: skip
        lit = _LITERAL.fullmatch(pattern) if pattern.startswith("^") else None
        sample = None
        if lit is not None:
            sample = (ctx.prefix or "") + lit.group(1) if ctx.prefix else lit.group(1)
            sample = sample if sample.startswith("/") else "/" + sample
        rule = self._rule(ctx, o, pattern, subst, status, regex, sample, lit is not None and
                          not conds)  # fmt: skip
        ctx.rewrites.append(Rewrite(rule, regex, subst, flags, conds))

    def alias(self, ctx: Context, o: Origin, low: str, args: list[str]) -> None:
        status = {"redirectpermanent": 301, "redirecttemp": 302}.get(low, 302)
        if args and (args[0].lower() in STATUS_WORDS or args[0].isdigit()):
            word = args.pop(0).lower()
            status = STATUS_WORDS.get(word) or int(word)
        if not args or (300 <= status < 400 and len(args) < 2):
            self.ignored.append(IgnoredRule(o, " ".join(args), "not understood", True))
            return
        target = args[1] if len(args) > 1 else ""
        if low == "redirectmatch":
            regex = re.compile(args[0])
            lit = _LITERAL.fullmatch(args[0]) if args[0].startswith("^") else None
            sample = lit.group(1) if lit else None
            rule = self._rule(ctx, o, args[0], target, status, regex, sample, lit is not None)
            ctx.aliases.append(Alias(rule, None, regex, target, status))
            return
        path = args[0]
        rule = self._rule(ctx, o, path, target, status, re.compile(re.escape(path)), path, True)
        ctx.aliases.append(Alias(rule, path, None, target, status))


def read_apache(path: str | Path) -> RuleFile:
    """Read an Apache configuration, a ``.htaccess`` file, or a directory of them."""
    p = Path(str(path))
    reader = Reader()
    if p.is_dir():
        files = sorted(p.rglob(".htaccess"))
        if not files:
            raise InputError("no .htaccess file under the directory", file=str(path))
        for f in files:
            rel = f.parent.relative_to(p).as_posix()
            prefix = "/" if rel == "." else f"/{rel}/"
            d = Context(prefix=prefix, physical=str(f.parent.resolve()))
            reader.main.dirs.append(d)
            _, text = read_text(f)
            reader.read(f.relative_to(p).as_posix(), text, d)
        shown = p.name
    else:
        shown, text = read_text(p)
        physical = str(p.parent.resolve())
        start = Context(prefix="/", physical=physical) if p.name == ".htaccess" else reader.main
        if start is not reader.main:
            reader.main.dirs.append(start)
        reader.read(shown, text, start)
    for v in reader.vhosts:  # a directory section of the main server applies to every vhost
        v.dirs.extend(reader.main.dirs)
    engine = ApacheEngine(reader.main, reader.vhosts)
    hosts = tuple(n for c in (reader.main, *reader.vhosts) for n in c.names if "*" not in n)
    return RuleFile(shown, "apache", tuple(reader.rules), tuple(reader.ignored), engine=engine,
                    hosts=hosts)  # fmt: skip

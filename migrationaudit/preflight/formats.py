"""Redirect rule files read with their host's own semantics.

**Netlify ``_redirects``** (https://docs.netlify.com/routing/redirects/ and
https://docs.netlify.com/routing/redirects/redirect-options/): one rule per line, ``FROM
[key=value ...] TO [STATUS[!]] [Condition=value ...]``, ``#`` comments. Rules are read top down
and the first match wins. A source matches with or without one trailing slash ("trailing slash
normalization"). ``:name`` is one path segment; ``*`` matches the rest and is ``:splat`` in the
target (a ``*`` elsewhere in the path, which the docs do not define, is taken to match any text
too; ``/a/*`` also matches ``/a``). The default status is 301; ``200`` is a rewrite (the
target's content served at the source); ``404`` a custom not-found page. ``!`` forces the rule
even where a file exists at the source; which files exist is not in the rule file, so every
rule is taken to apply (shadowing by content is not simulated). Query conditions between FROM
and TO (``id=:id``) must all be present in the request. Country/Language/Role/Cookie conditions
depend on the client: such rules are reported as not simulated (``rule-ignored``) and not
applied. A source with a ``#fragment`` never matches (a request never carries one). A full-URL
source applies to that host only.

**Cloudflare Pages ``_redirects``** (https://developers.cloudflare.com/pages/configuration/redirects/):
the same ``FROM TO [STATUS]`` lines, but a source matches its path exactly as written (trailing
slash included), the default status is 302, and statuses are 301, 302, 303, 307, 308 or 200
(proxy to a relative path). Sources are paths: a domain-level source is invalid. The host applies
at most 2,000 static and 100 dynamic rules; as its parser (``parseRedirects`` of
workers-shared) counts them, a rule is static only while no dynamic (placeholder or splat) rule
came before it, and every rule past a limit is ignored, silently. A line with more than three
fields is invalid and ignored.

**AWS Amplify Hosting JSON** (https://docs.aws.amazon.com/amplify/latest/userguide/redirects.html):
an array of ``{"source", "target", "status", "condition"}`` read top down, first match wins.
``<name>`` is one segment, ``<*>`` the rest (both usable in the target). Statuses: ``301``,
``302``, ``200`` (rewrite), ``404`` and ``404-200`` (a not-found fallback: acts only where no file
is served, so never on a page, and is not applied to a path another rule already answers). A
``condition`` (country) is reported as not simulated. A source matches its path exactly as written,
trailing slash included (``/<*>`` needs its slash, may match nothing after it): the
documentation's own trailing-slash recipes add ``/<*>/`` rules beside ``/<*>`` ones, which only
makes sense with exact matching, and on the docs.amplify.aws corpus exact matching predicts
889 chains and 46 shadowed rules against the live replay's 882 and 42 (Netlify-style
normalisation predicts 987 and 65; see docs/preflight.md for the remaining difference).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from migrationaudit.inputs.common import read_text, split_lines
from migrationaudit.inputs.hosting import _json_items_with_lines
from migrationaudit.models.inputs import Origin
from migrationaudit.preflight.literal import Regex, compile_pattern
from migrationaudit.preflight.model import HostRule, IgnoredRule, RuleFile

CF_MAX_STATIC = 2000
CF_MAX_DYNAMIC = 100
CF_STATUSES = {200, 301, 302, 303, 307, 308}
NETLIFY_STATUSES = {200, 301, 302, 303, 307, 308, 404, 410, 403, 451}
_COLON = re.compile(r":([A-Za-z]\w*)")
_ANGLE = re.compile(r"<([^>*]+)>")
DYNAMIC_LIMIT = (
    "past Cloudflare Pages' limit of {limit} dynamic rules (dynamic rule {n}: every rule after "
    "the first placeholder or splat rule counts as dynamic): the host ignores it"
)
STATIC_LIMIT = (
    "past Cloudflare Pages' limit of {limit} static rules (rule {n}): the host ignores it"
)
_QUERY_CONDITION = re.compile(r"^[^/:=?#][^=/]*=")


def compile_source(path: str, fmt: str) -> tuple[Regex, bool]:
    """The regular expression of a source path for ``fmt``, and whether it is dynamic.

    Placeholders become named groups (a repeated name an unnamed one), the first splat the
    group ``splat``; Netlify accepts one trailing slash more or less (Cloudflare Pages and
    Amplify match the path as written)."""
    token = re.compile(r"<\*>|<([^>*]+)>|\*" if fmt == "amplify" else r":([A-Za-z]\w*)|\*")
    out: list[str] = []
    names: set[str] = set()
    pos = 0
    dynamic = False
    for m in token.finditer(path):
        if (
            fmt != "amplify"
            and m.group(0).startswith(":")
            and m.start()
            and path[m.start() - 1] != "/"
        ):
            continue  # ``:name`` is a placeholder only as a whole segment start
        out.append(re.escape(path[pos : m.start()]))
        dynamic = True
        name = m.group(1)
        if name is None:  # a splat
            group = "splat" if "splat" not in names else None
            names.add("splat")
            out.append(f"(?P<{group}>.*)" if group else "(?:.*)")
        else:
            key = re.sub(r"\W", "_", name)
            out.append("([^/]+)" if key in names else f"(?P<{key}>[^/]+)")
            names.add(key)
        pos = m.end()
    out.append(re.escape(path[pos:]))
    body = "".join(out)
    if fmt == "netlify":
        if body.endswith(re.escape("/") + "(?P<splat>.*)"):  # ``/blog/*`` also matches ``/blog``
            body = body[: -len(re.escape("/") + "(?P<splat>.*)")] + "(?:/(?P<splat>.*))?"
        elif body.endswith("/") and len(body) > 1:
            body = body[:-1] + "/?"
        elif body != "/":
            body += "/?"
    if not dynamic:  # a plain path is matched as text, not compiled
        return compile_pattern(body + r"\Z", re.DOTALL, strip=("/?",)), False
    return re.compile(body + r"\Z", re.DOTALL), dynamic


def _split_host(source: str) -> tuple[str | None, str]:
    m = re.match(r"(?i)^(?:https?:)?//([^/]+)(/.*)?$", source)
    if m:
        return m.group(1).lower(), m.group(2) or "/"
    return None, source


def _host_rule(
    origin: Origin, source: str, target: str, status: int, fmt: str, **kw: object
) -> HostRule:
    host, path = _split_host(source)
    path, _, query = path.partition("?")
    pattern, dynamic = compile_source(path, fmt)
    pairs = tuple(tuple(p.split("=", 1)) for p in query.split("&") if "=" in p) if query else ()
    return HostRule(
        origin,
        source,
        target,
        status,
        pattern,
        dynamic=dynamic,
        host=host,
        query=tuple((k, v) for k, v in pairs),
        **kw,  # type: ignore[arg-type]
    )


def read_redirects(path: str | Path, fmt: str) -> RuleFile:
    """Read a Netlify (``fmt="netlify"``) or Cloudflare Pages (``"cloudflare"``) ``_redirects``."""
    name, text = read_text(path)
    rules: list[HostRule] = []
    ignored: list[IgnoredRule] = []
    static = dynamic = 0
    seen_dynamic = False
    for lineno, line in enumerate(split_lines(text), start=1):
        stripped = line.split(" #", 1)[0].strip() if fmt == "cloudflare" else line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        origin = Origin(name, lineno)
        tokens = stripped.split()
        query: list[str] = []
        if fmt == "netlify":
            while len(tokens) > 2 and _QUERY_CONDITION.match(tokens[1]):
                query.append(tokens.pop(1))
        if len(tokens) < 2 or (fmt == "cloudflare" and len(tokens) > 3):
            ignored.append(
                IgnoredRule(origin, tokens[0], "not understood: expected FROM TO [STATUS]")
            )
            continue
        source, target, rest = tokens[0], tokens[1], tokens[2:]
        status = 301 if fmt == "netlify" else 302
        force = False
        if rest and re.fullmatch(r"\d{3}!?", rest[0]):
            status, force = int(rest[0].rstrip("!")), rest[0].endswith("!")
            rest = rest[1:]
        allowed = NETLIFY_STATUSES if fmt == "netlify" else CF_STATUSES
        if status not in allowed or (rest and fmt == "cloudflare"):
            ignored.append(
                IgnoredRule(origin, source, f"not understood: status {' '.join(tokens[2:])}")
            )
            continue
        if rest:
            ignored.append(
                IgnoredRule(
                    origin,
                    source,
                    f"condition {' '.join(rest)} not simulated: the rule depends on the client",
                    by_host=False,
                )
            )
            continue
        if "#" in source:
            ignored.append(
                IgnoredRule(
                    origin,
                    source,
                    "source has a #fragment, which a request never carries: the rule never fires",
                )
            )
            continue
        if fmt == "cloudflare" and not source.startswith("/"):
            ignored.append(
                IgnoredRule(
                    origin,
                    source,
                    "not understood: Cloudflare Pages sources "
                    "are paths (no domain-level redirects)",
                )
            )
            continue
        if fmt == "cloudflare" and status == 200 and not target.startswith("/"):
            ignored.append(
                IgnoredRule(origin, source, "not understood: a 200 proxy needs a relative target")
            )
            continue
        if query:
            source = f"{source}?{'&'.join(query)}"
        rule = _host_rule(origin, source, target, status, fmt, force=force)
        if fmt == "cloudflare":
            seen_dynamic = seen_dynamic or rule.dynamic
            if seen_dynamic:
                dynamic += 1
                over = dynamic > CF_MAX_DYNAMIC
                why = DYNAMIC_LIMIT.format(limit=CF_MAX_DYNAMIC, n=dynamic)
            else:
                static += 1
                over = static > CF_MAX_STATIC
                why = STATIC_LIMIT.format(limit=CF_MAX_STATIC, n=static)
            if over:
                ignored.append(IgnoredRule(origin, source, why))
                continue
        rules.append(rule)
    notes: tuple[str, ...] = ()
    if fmt == "cloudflare":
        notes = (
            f"{static} static and {dynamic} dynamic rules read (limits {CF_MAX_STATIC} and "
            f"{CF_MAX_DYNAMIC})",
        )
    return RuleFile(name, fmt, tuple(rules), tuple(ignored), notes)


def read_amplify_rules(path: str | Path) -> RuleFile:
    """Read an AWS Amplify Hosting redirects JSON file."""
    name, text = read_text(path)
    rules: list[HostRule] = []
    ignored: list[IgnoredRule] = []
    for line, item in _json_items_with_lines(text, name):
        origin = Origin(name, line)
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("source", "target")
        ):
            ignored.append(
                IgnoredRule(
                    origin,
                    json.dumps(item)[:80],
                    "not understood: expected an object with string source and target",
                )
            )
            continue
        source, target = str(item["source"]), str(item["target"])
        raw = str(item.get("status", "301")).strip()
        if item.get("condition"):
            ignored.append(
                IgnoredRule(
                    origin,
                    source,
                    f"condition {item['condition']} not simulated: the rule depends on the client",
                    by_host=False,
                )
            )
            continue
        if "#" in source:
            ignored.append(
                IgnoredRule(
                    origin,
                    source,
                    "source has a #fragment, which a request never carries: the rule never fires",
                )
            )
            continue
        fallback = raw in ("404-200", "404")
        status = 200 if raw == "404-200" else int(raw) if raw.isdigit() else 0
        if status not in NETLIFY_STATUSES:
            ignored.append(IgnoredRule(origin, source, f"not understood: status {raw!r}"))
            continue
        rules.append(_host_rule(origin, source, target, status, "amplify", fallback=fallback))
    return RuleFile(name, "amplify", tuple(rules), tuple(ignored))


def substitute(target: str, groups: dict[str, str], fmt: str) -> str:
    """The target with the source's placeholders and splat filled in."""
    if fmt == "amplify":
        out = target.replace("<*>", groups.get("splat") or "")
        return _ANGLE.sub(lambda m: groups.get(re.sub(r"\W", "_", m.group(1)), m.group(0)), out)

    def fill(m: re.Match[str]) -> str:
        key = m.group(1)
        return (groups.get("splat") or "") if key == "splat" else groups.get(key, m.group(0))

    return _COLON.sub(fill, target)

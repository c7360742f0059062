"""Redirect files of static hosts, read as redirect maps.

- Netlify ``_redirects`` (also Cloudflare Pages): ``FROM TO [STATUS][!] [conditions]`` per line,
  ``#`` comments.
- AWS Amplify Hosting JSON: ``[{"source", "target", "status"}, ...]``.

Only **exact** rules become auditable RedirectRules. Rules with placeholders (``:name``,
``<name>``), splats (``*``, ``<*>``), conditions (``Country=``…), rewrites (status 200) or a
``#fragment`` in the source cannot be requested as one URL: they are returned as skipped rows
with the reason, and the report lists how many were skipped — never dropped silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from migrationaudit.errors import InputError
from migrationaudit.inputs.common import check_url, read_text, split_lines
from migrationaudit.models.inputs import Origin, RedirectRule

# A Netlify query condition ``key=value`` (not a path, not a URL).
_QUERY_CONDITION = re.compile(r"^[^/:=?#][^=/]*=")
_PLACEHOLDER = re.compile(r"(^|/):[A-Za-z_]|\*|<[^>]*>")


@dataclass(frozen=True)
class SkippedRow:
    """A map row that cannot be audited as one URL, and why.

    ``unreadable``: the row itself cannot be read (an unparseable URL, a bad status), not a
    rule of a kind the audit does not request (a pattern, a rewrite): rule
    ``map-row-unreadable`` reports it on its line while every other row is audited.
    ``text``: the row's source cell as written (for the finding)."""

    origin: Origin
    reason: str
    unreadable: bool = False
    text: str = ""

    @classmethod
    def from_error(cls, exc: InputError, text: str) -> SkippedRow:
        """The unreadable row an InputError (with file and line) describes."""
        return cls(Origin(exc.file or "", exc.line or 0), exc.reason, True, text.strip())


def _pattern_reason(source: str) -> str | None:
    if _PLACEHOLDER.search(source.split("?", 1)[0]):
        return "pattern rule (placeholder or splat): no single URL to request"
    if "#" in source:
        return "source has a #fragment, which is never sent to a server"
    if "?" in source and re.search(r"=:[A-Za-z_]", source):
        return "query placeholder rule: no single URL to request"
    return None


def _status(raw: str, file: str, line: int) -> tuple[int | None, str | None]:
    value = raw.strip().rstrip("!")
    if value.startswith("200") or value == "404-200":
        return None, f"rewrite (status {raw.strip()}), not a redirect"
    try:
        status = int(value)
    except ValueError:
        raise InputError(f"bad status {raw.strip()!r}", file=file, line=line) from None
    if status in (404, 410, 403, 451):
        return None, f"custom status {status} page rule, not a redirect"
    if status not in (301, 302, 303, 307, 308):
        raise InputError(
            f"bad status {status}: expected a 3xx redirect status", file=file, line=line
        )
    return status, None


def _rule(
    source: str,
    target: str,
    status: int | None,
    name: str,
    line: int,
    base: str | None,
    target_base: str | None,
    note: str = "",
) -> RedirectRule:
    src = check_url(source, base, name, line, what="source")
    dst = check_url(target, target_base or base, name, line, what="target")
    return RedirectRule(
        source=src,
        expected_target=dst,
        origin=Origin(name, line),
        expected_status=status,
        note=note,
    )


def read_netlify(
    path: str | Path,
    base_url: str | None,
    target_base_url: str | None = None,
) -> tuple[tuple[RedirectRule, ...], tuple[SkippedRow, ...]]:
    """Read a Netlify-style ``_redirects`` file."""
    name, text = read_text(path)
    rules: list[RedirectRule] = []
    skipped: list[SkippedRow] = []
    for lineno, line in enumerate(split_lines(text), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        tokens = stripped.split()
        # Query conditions sit between FROM and TO (``/store id=4 /blog/4 301``): the URL to
        # request is FROM with that query; conditions after the status (Country=, Language=,
        # Role=) are about the client, not the URL.
        query: list[str] = []
        while len(tokens) > 2 and _QUERY_CONDITION.match(tokens[1]):
            query.append(tokens.pop(1))
        if len(tokens) < 2:
            raise InputError("expected FROM TO [STATUS]", file=name, line=lineno)
        source, target = tokens[0], tokens[1]
        if query:
            source = f"{source}{'&' if '?' in source else '?'}{'&'.join(query)}"
        rest = tokens[2:]
        status: int | None = 301
        if rest and re.fullmatch(r"\d{3}!?", rest[0]):
            status, why = _status(rest[0], name, lineno)
            if why:
                skipped.append(SkippedRow(Origin(name, lineno), why))
                continue
            rest = rest[1:]
        if any("=" in t for t in rest):
            skipped.append(
                SkippedRow(Origin(name, lineno), "conditional rule (country/language/role)")
            )
            continue
        why = _pattern_reason(source)
        if why:
            skipped.append(SkippedRow(Origin(name, lineno), why))
            continue
        try:
            rules.append(_rule(source, target, status, name, lineno, base_url, target_base_url))
        except InputError as exc:
            skipped.append(SkippedRow.from_error(exc, source))
    return tuple(rules), tuple(skipped)


def _json_items_with_lines(text: str, name: str) -> list[tuple[int, object]]:
    """Parse a JSON array, remembering the line each element starts on."""
    dec = json.JSONDecoder()
    ws = re.compile(r"\s*")
    idx = ws.match(text, 0).end()  # type: ignore[union-attr]
    if idx >= len(text) or text[idx] != "[":
        raise InputError(
            "expected a JSON array of {source, target, status} objects",
            file=name,
            line=text.count("\n", 0, idx) + 1,
        )
    idx += 1
    out: list[tuple[int, object]] = []
    while True:
        idx = ws.match(text, idx).end()  # type: ignore[union-attr]
        if idx < len(text) and text[idx] == "]":
            return out
        line = text.count("\n", 0, idx) + 1
        try:
            value, idx = dec.raw_decode(text, idx)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno) from None
        out.append((line, value))
        idx = ws.match(text, idx).end()  # type: ignore[union-attr]
        if idx < len(text) and text[idx] == ",":
            idx += 1
        elif idx < len(text) and text[idx] == "]":
            return out
        else:
            raise InputError(
                "invalid JSON: expected ',' or ']'", file=name, line=text.count("\n", 0, idx) + 1
            )


def read_amplify(
    path: str | Path,
    base_url: str | None,
    target_base_url: str | None = None,
) -> tuple[tuple[RedirectRule, ...], tuple[SkippedRow, ...]]:
    """Read an AWS Amplify Hosting redirects JSON file."""
    name, text = read_text(path)
    rules: list[RedirectRule] = []
    skipped: list[SkippedRow] = []
    for line, item in _json_items_with_lines(text, name):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("source"), str)
            or not isinstance(item.get("target"), str)
        ):
            raise InputError(
                "expected an object with string 'source' and 'target'", file=name, line=line
            )
        status, why = _status(str(item.get("status", "301")), name, line)
        if why:
            skipped.append(SkippedRow(Origin(name, line), why))
            continue
        why = _pattern_reason(item["source"])
        if why:
            skipped.append(SkippedRow(Origin(name, line), why))
            continue
        rules.append(
            _rule(item["source"], item["target"], status, name, line, base_url, target_base_url)
        )
    return tuple(rules), tuple(skipped)


# Markers of a server configuration, for the format detection.
_NGINX_MARKERS = re.compile(r"(?m)^\s*(server\s*\{|location\s+[^\n]*\{|http\s*\{|server_name\s)")
_APACHE_MARKERS = re.compile(
    r"(?mi)^\s*(<VirtualHost\b|<Directory\b|Rewrite(Engine|Rule|Cond)\s|Redirect(Match|Permanent|Temp)?\s)"
)


def detect_rule_format(path: str | Path, head: str) -> tuple[str, ...]:
    """The host rule-file formats the file's name and first characters (``head``) fit:
    one format when unambiguous, several when the file could be any of them, () when none.

    ``_redirects`` is Netlify's (Cloudflare Pages reads the same name: say so with
    ``--map-format cloudflare``); ``netlify.toml``; ``vercel.json`` or a JSON object with a
    ``redirects`` array; a JSON array of ``source``/``target`` objects is AWS Amplify's; nginx
    and Apache configurations by name (``nginx.conf``, ``.htaccess``, ``httpd.conf``,
    ``apache2.conf``) or by their directives; a CSV whose header starts ``source_url`` is a
    Cloudflare Bulk Redirects list."""
    name = Path(str(path)).name.lower()
    if name in ("_redirects", "redirects") or name.endswith(".redirects"):
        return ("netlify",)
    if name == "netlify.toml" or (name.endswith(".toml") and "[[redirects]]" in head):
        return ("netlify",)
    if name == "vercel.json":
        return ("vercel",)
    if name == ".htaccess" or name in ("httpd.conf", "apache2.conf"):
        return ("apache",)
    if name == "nginx.conf":
        return ("nginx",)
    body = head.lstrip("\ufeff \t\r\n")
    if body.startswith("{") and re.search(r'"redirects"\s*:', body):
        return ("vercel",)
    if body.startswith("[") and re.search(r'"source"\s*:', body):
        return ("amplify",)
    first = body.split("\n", 1)[0].strip().lower()
    if first.replace(" ", "").startswith("source_url,target_url"):
        return ("cloudflare-bulk",)
    found = tuple(
        kind
        for kind, marker in (("nginx", _NGINX_MARKERS), ("apache", _APACHE_MARKERS))
        if marker.search(head)
    )
    return found

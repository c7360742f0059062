"""The fix plan as files: the flattened map CSV, the review list, and ready-to-paste rules for
nginx, Apache httpd and Netlify-style ``_redirects``.

Every URL comes from a crawled site, so it is hostile text. Each syntax is written so that no
URL can break out of its token:

- URLs are written in their wire form first (:func:`~migrationaudit.web.urls.normalize`: spaces,
  quotes, backslashes, braces, controls and non-ASCII percent-encoded), so a target never holds
  whitespace, a quote or a newline.
- **nginx** matches ``$host$uri`` (decoded, dot segments resolved, slashes merged) in a ``map``
  and, for legacy URLs with a query, ``$host$uri?$args``. Keys are double-quoted with ``\\`` and
  ``"`` escaped; ``$`` is literal in keys. nginx compares string keys ignoring case, so keys
  that differ only in case from another key or from a same-host target (a case-fixing redirect
  would loop) become anchored case-sensitive regexes, as do keys with control bytes; regexes
  spell every byte outside ``[A-Za-z0-9/_-]`` as ``\\xHH``. In values ``$`` would start a
  variable: it is written ``${migrationaudit_dollar}``, a ``geo`` constant holding ``$``.
- **Apache** uses mod_rewrite (``RedirectPermanent`` would also redirect every path *below* the
  old one, and cannot see the host or the query): ``RewriteCond`` on ``HTTP_HOST`` and
  ``QUERY_STRING``, ``RewriteRule`` on the decoded path, every special byte as ``\\xHH``; in
  the substitution ``$`` and ``%`` (back-references) are escaped with ``\\``, and ``NE`` keeps
  the percent-encoding as written.
- **_redirects** (Netlify, Cloudflare Pages) is whitespace-separated: paths stay
  percent-encoded; ``*`` and a segment-leading ``:`` (splat and placeholder syntax) are
  percent-encoded too; a query becomes Netlify's ``key=value`` conditions.

A rule a syntax cannot express (a host that is not a plain DNS name or IP literal, a query
Netlify cannot match) is left out of that file, with a comment saying how many.
"""

from __future__ import annotations

import re

from migrationaudit.fixes.nginx import render_nginx
from migrationaudit.fixes.plan import Fix, FixPlan
from migrationaudit.fixes.wire import (
    HEADER,
    WIRE_URL,
    Split,
    csv_text,
    left_out_note,
    regex_bytes,
    writable,
)
from migrationaudit.humanize import formula_safe
from migrationaudit.web.urls import normalize


def render_csv(plan: FixPlan, split: Split | None = None) -> str:
    """The flattened map in the ``--map`` format (``old_url,new_url,status,note``)."""
    split = Split() if split is None else split
    rows = [["old_url", "new_url", "status", "note"]]
    rows += [
        [f.source, split[f.target].wire, str(f.status), formula_safe(f.note)] for f in plan.fixes
    ]
    return csv_text(rows)


def render_review(plan: FixPlan) -> str:
    """``needs-review.csv``: URL, reason code, plain words, expected and final URL, path."""
    rows = [["url", "reason", "detail", "expected_url", "final_url", "path"]]
    for r in plan.review:
        cells = [r.url, r.reason, r.detail, r.expected_url or "", r.final_url or "", r.path]
        rows.append([formula_safe(c) for c in cells])
    return csv_text(rows)


# --- Apache -----------------------------------------------------------------------------------


def _apache_substitution(wire: str) -> str:
    return (
        re.sub(r"([$%\\])", r"\\\1", wire) if "$" in wire or "%" in wire or "\\" in wire else wire
    )


def render_apache(plan: FixPlan, split: Split | None = None) -> str:
    """``apache.conf``: mod_rewrite rules for a ``<VirtualHost>`` or ``.htaccess``."""
    split = Split() if split is None else split
    blocks: list[str] = []
    left_out = 0
    ordered = [f for f in plan.fixes if split[f.source].query] + [
        f for f in plan.fixes if not split[f.source].query
    ]
    for f in ordered:
        p = split[f.source]
        if not writable(f, split):
            left_out += 1
            continue
        lines = [f"RewriteCond %{{HTTP_HOST}} ^{regex_bytes(p.host.encode())}(:[0-9]+)?$ [NC]"]
        if p.query:
            lines.append(f"RewriteCond %{{QUERY_STRING}} ^{regex_bytes(p.query.encode())}$")
        pattern = "^/?" + regex_bytes(p.decoded.removeprefix(b"/")) + "$"
        target = _apache_substitution(split[f.target].wire)
        lines.append(f"RewriteRule {pattern} {target} [R={f.status},L,NE,QSD]")
        blocks.append("\n".join(lines))
    head = [
        f"# {HEADER}",
        "# mod_rewrite rules for the <VirtualHost> of the old hosts (or their .htaccess).",
        "# Rules with a query string come first; the others match any query and drop it.",
        f"# {len(blocks)} rules{left_out_note(left_out)}.",
        "RewriteEngine On",
        "",
    ]
    return "\n".join(head) + "\n\n".join(blocks) + "\n"


# --- Netlify _redirects -------------------------------------------------------------------------


def _netlify_path(path: str) -> str:
    path = path.replace("*", "%2A")
    return re.sub(r"(?<=/):", "%3A", path)


def _netlify_query(query: str) -> list[str] | None:
    """Netlify ``key=value`` conditions, or None when the query cannot be matched that way
    (a key without ``=``, an empty or repeated key, a value Netlify would read as a
    ``:placeholder``)."""
    items = query.split("&")
    pairs = [item.partition("=") for item in items]
    keys = [k for k, _, _ in pairs]
    if any(not k or not sep or v.startswith(":") for k, sep, v in pairs):
        return None
    if len(set(keys)) != len(keys):
        return None
    return items


def render_netlify(plan: FixPlan, split: Split | None = None) -> str:
    """``_redirects``: ``FROM [key=value…] TO 301!`` lines, query rules first. FROM is a path
    when every legacy URL is on one host, else an absolute URL (Netlify domain-level rules)."""
    split = Split() if split is None else split
    parts = [(f, split[f.source]) for f in plan.fixes]
    hosts = {(p.scheme, p.host) for _, p in parts if p.safe}
    lines: list[str] = []
    left_out = 0
    for f, p in sorted(parts, key=lambda fp: not fp[1].query):
        conditions = _netlify_query(p.query) if p.query else []
        if not writable(f, split) or conditions is None or not WIRE_URL.match(f"http://x{p.path}"):
            left_out += 1
            continue
        path = _netlify_path(p.path)
        source = path if len(hosts) == 1 else f"{p.scheme}://{p.host}{path}"
        lines.append(" ".join([source, *conditions, split[f.target].wire, f"{f.status}!"]))
    head = [
        f"# {HEADER}",
        "# Netlify / Cloudflare Pages _redirects: FROM [query conditions] TO STATUS (! forces",
        "# the redirect even where an old file still exists).",
        f"# {len(lines)} rules{left_out_note(left_out)}.",
    ]
    return "\n".join(head + lines) + "\n"


def render_all(plan: FixPlan) -> dict[str, str]:
    """File name → text, for every file of ``fixes/``."""
    split = Split()
    nginx_map, nginx_server = render_nginx(plan, split)
    return {
        "redirects.csv": render_csv(plan, split),
        "needs-review.csv": render_review(plan),
        "nginx-map.conf": nginx_map,
        "nginx-server.conf": nginx_server,
        "apache.conf": render_apache(plan, split),
        "_redirects": render_netlify(plan, split),
    }


def fix_for(plan: FixPlan, url: str) -> Fix | None:
    """The fix of a legacy URL (after normalisation), None when it has none."""
    key = normalize(url)
    return next((f for f in plan.fixes if normalize(f.source) == key), None)

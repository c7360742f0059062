"""Rules about redirects that are unsafe to follow or mean different things to different
clients: targets outside the web's schemes, and Location headers that browsers and RFC 3986
read differently (see :mod:`migrationaudit.web.location`)."""

from __future__ import annotations

from collections.abc import Iterator

from migrationaudit.checks import AuditContext, rule
from migrationaudit.checks.common import finding, judged
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Hop
from migrationaudit.web.location import display
from migrationaudit.web.plainurls import scheme_of

WEB_SCHEMES = frozenset({"http", "https"})


def _target_scheme(hop: Hop) -> str:
    """The scheme a redirect hop sends to (``"?"`` when its target has none)."""
    return scheme_of(hop.target or "") or "?"


@rule("unsafe-redirect-scheme", Severity.ERROR)
def unsafe_redirect_schemes(ctx: AuditContext) -> Iterator[Finding]:
    """Redirects to a non-web scheme

    A hop of the chain (an HTTP redirect or a meta refresh) sends the client to a URL whose
    scheme is not http or https: ``file:``, ``data:``, ``ftp:``, ``gopher:``,
    ``javascript:``... The audit records such a target and never requests it; the chain ends
    there as an error, so ``broken-target`` (or ``legacy-url-broken``) reports it too.

    Why: browsers refuse most of these redirects (Chrome: ``ERR_UNSAFE_REDIRECT``) and search
    engines drop them, so the old URL's signals are lost; clients that do follow them may run
    script (``javascript:``, ``data:``) or read local files (``file:``). A redirect rule that
    produces one is usually a broken rewrite or an injected open redirect.

    Fix: point the redirect at the http(s) URL of the page that replaces the old one.
    """
    for item, chain in judged(ctx):
        bad = [h for h in chain.hops if h.is_redirect and _target_scheme(h) not in WEB_SCHEMES]
        if not bad:
            continue
        where = ", ".join(
            f"{h.url} → {display(h.target or '')} ({_target_scheme(h)}:)" for h in bad
        )
        schemes = ", ".join(dict.fromkeys(f"{_target_scheme(h)}:" for h in bad))
        yield finding(
            item,
            chain,
            f"redirects to a non-web scheme ({schemes}), not requested: {where}",
            f"Redirect {item.url} to the http(s) URL of the page that replaces it; "
            f"never to a {schemes} URL.",
        )


@rule("ambiguous-location", Severity.WARNING)
def ambiguous_locations(ctx: AuditContext) -> Iterator[Finding]:
    """Location headers that browsers and RFC 3986 read differently

    A redirect of the chain sends a Location header that means one URL to browsers (the
    WHATWG URL Standard: Chrome, Googlebot) and another, or none, to RFC 3986 clients:
    backslashes (``/\\evil.test/``), tabs or line breaks inside, control characters,
    ``https:host`` without ``//``, ``///host``, several different Location headers, or
    userinfo (``user:pass@``, never sent by the audit). The audit follows the browsers; the
    finding shows the raw header and both readings.

    Why: users and search engines may land somewhere else than the server, CDN, proxy or
    monitoring (RFC 3986 readers) expect; the backslash and ``https:`` forms are classic
    open-redirect filter bypasses, and Chrome refuses an answer with two different Location
    headers outright.

    Fix: send exactly one Location header holding a plain absolute URL
    (``https://host/path``): forward slashes, percent-encoded special characters, no control
    characters, no credentials.
    """
    for item, chain in judged(ctx):
        hops = [h for h in chain.hops if h.ambiguity]
        if not hops:
            continue
        parts = [
            f'{h.url} answers {h.status} with Location "{display(h.location or "")}": {h.ambiguity}'
            for h in hops
        ]
        yield finding(
            item,
            chain,
            "ambiguous Location: " + "; ".join(parts),
            "Send one Location header with a plain absolute URL for "
            + ", ".join(dict.fromkeys(h.url for h in hops))
            + " (forward slashes, no control characters, no userinfo).",
        )

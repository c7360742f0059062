"""Rules about the hosts after launch: the old hosts must keep serving their redirects (a
valid certificate, redirects browsers may still drop during the cutover), the new hosts must
keep clients on https (HSTS), and each old host must pass Search Console's Change of Address
check. The ``hosts`` rules read the probes of :mod:`migrationaudit.hostchecks` (run with
``--launched``); ``change-of-address-blocked`` reads the chains alone."""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from migrationaudit.checks import AuditContext, Need, rule
from migrationaudit.checks.common import accepted_targets, finding, judged, landed, map_index
from migrationaudit.hostchecks.model import CUTOVER_DAYS, EXPIRY_DAYS
from migrationaudit.humanize import plural
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, Hop, HopKind, Outcome
from migrationaudit.models.inputs import LegacyURL
from migrationaudit.web.plainurls import normal_form

_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|[,\s])(?:no-store|no-cache)\b", re.IGNORECASE)
SHOWN = 5  # example URLs in a host-level message
CHANGE_OF_ADDRESS_PAGES = 5  # most valuable pages per old host checked besides the home page


def origin(url: str) -> str:
    """``scheme://host[:port]`` in lower case, default port left out."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    host = (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port and port != default else "")


def _host_finding(url: str, message: str, fix: str, evidence: tuple[Hop, ...] = ()) -> Finding:
    # A finding about a host, not a legacy URL: run_checks stamps id and severity.
    return Finding("", Severity.NOTICE, url, message, fix, evidence=evidence)


@rule("legacy-host-certificate-expiring", Severity.WARNING, needs=Need.HOSTS)
def legacy_host_certificates_expiring(ctx: AuditContext) -> Iterator[Finding]:
    """Old hosts whose TLS certificate expires within 30 days

    An https legacy host whose certificate, as its TLS handshake presents it, expires in
    fewer than 30 days (or has expired). The certificate is read without trusting it, from
    the address the audit uses (the system resolver, or ``--resolve``/``--connect-to``).

    Why: the redirects of an old host only work while browsers and crawlers can open it.
    Once the old site is switched off, its certificate is easily forgotten; when it expires,
    every visitor of an old bookmark or backlink meets a certificate error instead of the
    redirect, and crawlers stop following it: the move's signals stop passing long before the
    year Google's site-move guidance asks redirects to stay.

    Fix: renew the old host's certificate (automate it, e.g. ACME/Let's Encrypt) for as long
    as its redirects must stay (``--launched`` says until when).
    """
    hosts = ctx.hosts
    if hosts is None:
        return
    for probe in hosts.hosts:
        if not probe.https or probe.days_left is None or probe.days_left >= EXPIRY_DAYS:
            continue
        when = (
            f"expired {plural(-probe.days_left, 'day')} ago"
            if probe.days_left < 0
            else f"{plural(probe.days_left, 'day')} left"
        )
        names = f" ({probe.subject})" if probe.subject else ""
        yield _host_finding(
            f"{probe.origin}/",
            f"TLS certificate{names} expires {probe.not_after}: {when}; its redirects stop "
            "working for browsers and crawlers when it does",
            f"Renew the certificate of {probe.origin} and automate its renewal for as long as "
            "the redirects must stay.",
        )


def _hsts_on(hop: Hop) -> bool:
    m = _MAX_AGE.search(hop.hsts or "")
    return m is not None and int(m.group(1)) > 0


@rule("new-host-hsts-missing", Severity.NOTICE, needs=Need.HOSTS)
def new_hosts_without_hsts(ctx: AuditContext) -> Iterator[Finding]:
    """New https hosts without HSTS

    An https host the legacy URLs land on whose pages answer without a
    ``Strict-Transport-Security`` header with a ``max-age`` above 0. One finding per host,
    on its first such page, with how many of its landing pages lack it.

    Why: without HSTS, every visitor who types the address or follows an old http link is
    sent over plain http first, where the answer can be tampered with, and pays a redirect
    on every visit; browsers only go straight to https for hosts that asked them to.

    Fix: send ``Strict-Transport-Security: max-age=31536000`` (add ``includeSubDomains``
    once every subdomain serves https) on every https answer of the new host.
    """
    if ctx.hosts is None:
        return
    legacy_origins = {origin(item.url) for item in ctx.legacy}
    missing: dict[str, list[Hop]] = {}
    seen: set[str] = set()
    for _, _, page in landed(ctx):
        host = origin(page.url)
        if not host.startswith("https://") or host in legacy_origins or page.url in seen:
            continue
        seen.add(page.url)
        if not _hsts_on(page):
            missing.setdefault(host, []).append(page)
    for host, pages in missing.items():
        sample = ", ".join(p.url for p in pages[:SHOWN])
        yield _host_finding(
            pages[0].url,
            f"{host}: {plural(len(pages), 'landing page')} without Strict-Transport-Security "
            f"(e.g. {sample})",
            f"Send Strict-Transport-Security: max-age=31536000 on every https answer of {host}.",
            evidence=tuple(pages[:SHOWN]),
        )


def cached_for_good(hop: Hop) -> bool:
    """A permanent redirect without an expiry: no Cache-Control max-age (or no-store /
    no-cache) and no Expires header, so browsers keep it indefinitely."""
    if hop.kind is not HopKind.HTTP_REDIRECT or hop.status not in (301, 308):
        return False
    control = hop.headers.get("cache-control", "")
    return not (_MAX_AGE.search(control) or _NO_CACHE.search(control) or hop.expires)


@rule("permanent-redirect-uncached", Severity.NOTICE, needs=Need.HOSTS)
def permanent_redirects_uncached(ctx: AuditContext) -> Iterator[Finding]:
    """Permanent redirects without an expiry during the cutover

    A 301 or 308 answer without ``Cache-Control: max-age=…`` (or ``no-store``/``no-cache``)
    and without ``Expires``, fetched within 90 days after ``--launched`` (or before it). One
    finding per host sending them, on its first such redirect, with how many there are.

    Why: browsers cache a permanent redirect without an expiry for good. While the move
    settles, redirects get corrected (a wrong target, a chain made one hop); a visitor whose
    browser cached the wrong one keeps going there whatever the server says later, and only
    clearing the cache helps.

    Fix: during the cutover send ``Cache-Control: max-age=86400`` (a day, or a week) with the
    redirects; once they are final, raise it (a year) or drop it.
    """
    hosts = ctx.hosts
    if hosts is None or not hosts.in_cutover():
        return
    by_host: dict[str, list[Hop]] = {}
    seen: set[str] = set()
    for _, chain in judged(ctx):
        for hop in chain.hops:
            if hop.url not in seen and cached_for_good(hop):
                seen.add(hop.url)
                by_host.setdefault(origin(hop.url), []).append(hop)
    launched = f"launched {hosts.launched.isoformat()}; " if hosts.launched else ""
    for host, hops in by_host.items():
        sample = ", ".join(h.url for h in hops[:SHOWN])
        yield _host_finding(
            hops[0].url,
            f"{host}: {plural(len(hops), 'permanent redirect')} without Cache-Control max-age "
            f"or Expires ({launched}cutover: {CUTOVER_DAYS} days), cached by browsers for "
            f"good (e.g. {sample})",
            f"Send Cache-Control: max-age=86400 with the redirects of {host} until they are final.",
            evidence=tuple(hops[:SHOWN]),
        )


def _value(ctx: AuditContext, url: str) -> tuple[int, ...]:
    """What a URL is worth: its --priority metrics when exports were given, else its access
    log requests; () when unknown (never compared across the two)."""
    if ctx.priority is not None:
        v = ctx.priority.get(url)
        return v.rank_key if v is not None else ()
    if ctx.traffic is not None and (t := ctx.traffic.get(url)) is not None:
        return t.rank_key
    return ()


def _home(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.path in ("", "/") and not parts.query


def _same_page_on(host: str, url: str) -> str:
    parts = urlsplit(url)
    return f"{host}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")


def _blocked(chain: Chain, wanted: list[str]) -> str | None:
    """Why the chain fails the check (None: one 301 to a wanted URL, answering 2xx)."""
    first = chain.hops[0]
    if not first.is_redirect:
        return f"answers {first.status or first.error} itself instead of a 301"
    if first.kind is HopKind.META_REFRESH or first.status != 301:
        how = "a meta refresh" if first.kind is HopKind.META_REFRESH else f"a {first.status}"
        return f"redirects with {how}, not a 301"
    if chain.hop_count != 1:
        return f"takes {plural(chain.hop_count, 'redirect')}, not one"
    final = chain.final
    if chain.outcome is not Outcome.FINAL or final is None or not final.is_healthy:
        return "does not land on a working page"
    if normal_form(final.url) not in wanted:
        return f"lands on {final.url}, not {wanted[0]}"
    return None


@rule("change-of-address-blocked", Severity.WARNING)
def change_of_address_blocked(ctx: AuditContext) -> Iterator[Finding]:
    """Old hosts that fail the Change of Address check

    For each old host, its home page and its most valuable pages (by ``--priority``
    exports, else by ``--access-log`` requests; five per host) must redirect with one 301 to
    the matching page of the new host: the home page to the new host's home page, a mapped
    URL to its map target, any other to the same path on the new host. This is what Search
    Console's Change of Address tool checks before it accepts a move. Only audited pages are
    judged (list the old home page).

    Why: the Change of Address tool tells Google the whole site moved, which speeds up the
    transfer of its signals; it refuses the move while these checks fail, and the same
    redirects are the ones that carry most links and visits.

    Fix: make each of these URLs answer ``301`` with ``Location:`` the new host's matching
    page, in one hop (no http→https or www step in between).
    """
    hosts: dict[str, list[tuple[LegacyURL, Chain]]] = {}
    for item, chain in judged(ctx):
        hosts.setdefault(origin(item.url), []).append((item, chain))
    index = map_index(ctx.rules)
    for old, pairs in hosts.items():
        home = next(((i, c) for i, c in pairs if _home(i.url)), None)
        new_host: str | None = None
        if home is not None and home[0].expected_target is not None:
            new_host = origin(home[0].expected_target)
        elif home is not None and home[1].redirects:
            # where the home page ends up (an http→https step of the old host is not the move)
            new_host = origin(str(home[1].redirects[-1].target))
        valued = [(v, p) for p in pairs if p is not home and (v := _value(ctx, p[0].url))]
        # the most valuable first (ties in input order, as sorted() would keep them)
        top = heapq.nlargest(CHANGE_OF_ADDRESS_PAGES, valued, key=lambda e: e[0])
        ranked = [p for _, p in top]
        for item, chain in ([home] if home is not None else []) + ranked:
            is_home = home is not None and item is home[0]
            wanted: list[str] = []
            if is_home and new_host is not None and new_host != old:
                wanted.append(normal_form(f"{new_host}/"))
            if item.expected_target is not None:
                wanted += accepted_targets(index, item.expected_target)
            elif not is_home and new_host is not None and new_host != old:
                wanted.append(normal_form(_same_page_on(new_host, item.url)))
            if not wanted:
                continue  # no new host known for it: nothing to compare with
            why = _blocked(chain, wanted)
            if why is None:
                continue
            what = "home page" if is_home else "valuable page"
            yield finding(
                item,
                chain,
                f"Change of Address blocked: the {what} of {old} {why}",
                f"Answer 301 with Location: {wanted[0]} (one hop).",
            )

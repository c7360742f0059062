"""Helpers shared by the output formats: hostile-text hygiene and run-metadata fallbacks.

Every URL, title and header in an :class:`~migrationaudit.models.AuditResult` may come from a
crawled site, so it is treated as hostile text by every format.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from migrationaudit import __version__
from migrationaudit.models.findings import RuleInfo
from migrationaudit.models.result import AuditResult
from migrationaudit.models.runinfo import RunInfo

TOOL_NAME = "migrationaudit"

# Characters XML 1.0 forbids, C1 controls (terminal escapes) and lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Whitespace or controls anywhere make a URL unfit for an href (browsers strip them, so
# "java\tscript:" would become a script URL).
_UNSAFE_IN_HREF = re.compile(r"[\x00-\x20\x7f-\x9f\"'<>`\\]")


def strip_control(text: str) -> str:
    """``text`` without control characters (except tab, LF, CR) and lone surrogates."""
    return _CONTROL.sub("", text)


# Bidi overrides/isolates and invisible formatting characters can make a hostile URL *look*
# like another one; shown as visible \uXXXX escapes instead.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def display_text(text: str) -> str:
    """``text`` for showing to a human: controls stripped, invisible/bidi characters made
    visible as ``\\uXXXX``."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04X}", strip_control(text))


def one_line(text: str) -> str:
    """``text`` with controls stripped and any whitespace run folded into one space."""
    return " ".join(strip_control(text).split())


# http(s)://host/... with a plain host: what urlsplit would accept, checked without it (a big
# report vets hundreds of thousands of URLs).
_PLAIN_HTTP = re.compile(r"^[hH][tT][tT][pP][sS]?://[A-Za-z0-9._~!$&()*+,;=:@%-]+(?:[/?#]|$)")


def safe_href(url: str | None) -> str | None:
    """``url`` if it is a plain absolute http(s) URL fit for an ``href``, else None."""
    if not url or _UNSAFE_IN_HREF.search(url) or _INVISIBLE.search(url):
        return None
    if _PLAIN_HTTP.match(url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def host_of(url: str) -> str:
    """The host of ``url`` (lower-case), or ``""`` when it has none or does not parse."""
    # The host is in the authority alone: ``url`` cut where its authority ends (the first
    # ``/ ? #`` after the first ``//``) has the same one, and a report's million URLs share
    # a few such prefixes, each parsed once.
    start = url.find("//")
    if start < 0:
        return _host_of_prefix(url)
    end = len(url)
    for sep in "/?#":
        at = url.find(sep, start + 2, end)
        if at >= 0:
            end = at
    return _host_of_prefix(url[:end])


@lru_cache(maxsize=4096)
def _host_of_prefix(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def rule_lookup(result: AuditResult) -> dict[str, RuleInfo]:
    """Rule id → its registry entry."""
    return {r.rule_id: r for r in result.rules}


def doc_paragraphs(doc: str, title: str = "") -> list[str]:
    """A rule docstring as paragraphs (each folded onto one line), without its title line.

    By convention the first line of a rule's docstring is its title, shown separately; it is
    dropped only when it matches ``title``, so a doc written otherwise loses nothing."""
    lines = inspect.cleandoc(doc or "").splitlines()
    if lines and title and lines[0].strip().rstrip(".") == title.strip().rstrip("."):
        lines = lines[1:]
    paragraphs = re.split(r"\n\s*\n", "\n".join(lines))
    return [" ".join(p.split()) for p in paragraphs if p.strip()]


def rule_title(result: AuditResult, rule_id: str) -> str:
    """The rule's title, falling back to the first docstring line, then to its id."""
    info = rule_lookup(result).get(rule_id)
    if info is None:
        return rule_id
    if info.title:
        return info.title
    lines = inspect.cleandoc(info.doc or "").splitlines()
    return lines[0].strip() if lines and lines[0].strip() else rule_id


def gate_label(result: AuditResult) -> str:
    """``"FAIL"`` when the gate failed; else ``"INCOMPLETE"`` when the run is partial (what was
    checked passed, but some legacy URLs were never judged: not a pass); else ``"PASS"``."""
    if result.gate_failed:
        return "FAIL"
    return "INCOMPLETE" if run_partial(result) else "PASS"


def gate_count(result: AuditResult) -> int:
    """How many findings fail the gate, exactly as the gate decides it: those of an exceeded
    budget, and those at or above ``fail_on`` of rules without a budget (ignored and
    baselined findings never count)."""
    return len(result.gating_findings())


def tool_version(result: AuditResult) -> str:
    """The version that produced the result (from ``run``), else this package's."""
    return str(result.run.version or __version__)


def run_partial(result: AuditResult) -> bool:
    """True when the run says it was interrupted or some chains are incomplete."""
    return result.run.partial


@dataclass(frozen=True)
class RunWarning:
    """Something about how the run was made that its reader must know before trusting it
    (shown as a banner in report.html, a line in the stderr summary, a note in summary.md).

    ``key`` is stable (``partial``, ``tls-off``, ``rewrite-host``, ``priority-missing``,
    ``resumed``); ``title`` and ``text`` are plain sentences; ``short`` is a one-line form for
    a terminal; ``items`` are values the text refers to (``OLD=NEW`` pairs, file names)."""

    key: str
    title: str
    text: str
    short: str
    items: tuple[str, ...] = ()


def _rewrites(run: RunInfo) -> tuple[str, ...]:
    return tuple(one_line(v) for v in run.rewrite_host if v.strip())


def tls_verify_off(run: RunInfo) -> bool:
    """True only when the run says TLS certificates were not verified (``--insecure``); a run
    that does not say (older run directories) is not assumed insecure."""
    return run.tls is not None and run.tls.verify is False


def run_warnings(result: AuditResult) -> list[RunWarning]:
    """The warnings of ``result.run``, most serious first: a partial run (some verdicts are
    missing), TLS verification off, host rewriting on, ``--priority`` exports a re-render
    could not read again, a resumed run."""
    run = result.run
    out: list[RunWarning] = []
    if run_partial(result):
        # Why it stopped, when a run-level limit stopped it ("--max-runtime 15m reached").
        stopped = run.stopped or ""
        why = f"stopped: {stopped}; " if stopped else ""
        out.append(
            RunWarning(
                "partial",
                "Partial run",
                f"{why}the crawl did not finish, so some legacy URLs are incomplete and have "
                "no final verdict yet (complete it with --resume).",
                f"partial run: {why}the crawl did not finish",
            )
        )
    if tls_verify_off(run):
        out.append(
            RunWarning(
                "tls-off",
                "TLS verification was off",
                "certificates were not checked (--insecure), so an expired, self-signed or "
                "wrong-host certificate does not show here; audit again with verification on "
                "(or --ca-bundle) before trusting the HTTPS results.",
                "TLS verification was off (--insecure): certificate errors are not reported",
            )
        )
    rewrites = _rewrites(run)
    if rewrites:
        out.append(
            RunWarning(
                "rewrite-host",
                "Host rewriting was on",
                "URLs of OLD were requested on NEW (--rewrite-host); findings name OLD, but the "
                "answers came from NEW, not from the production hosts.",
                f"host rewriting was on ({', '.join(rewrites)}): answers came from the new hosts",
                rewrites,
            )
        )
    if run.priority_missing:
        names = tuple(one_line(m) for m in run.priority_missing)
        out.append(
            RunWarning(
                "priority-missing",
                "Link values missing",
                "this re-render could not read the run's --priority export(s) again (gone or "
                "unreadable): their link values are missing from the ranking and from "
                "valuable-url-unmapped.",
                "--priority export(s) gone: rendered without their link values",
                names,
            )
        )
    if run.resumed:
        out.append(
            RunWarning(
                "resumed",
                "Resumed run",
                "the crawl was interrupted and continued later (--resume); its answers were "
                "fetched in more than one session, so a site that changed in between may "
                "look inconsistent.",
                "resumed run (--resume): answers were fetched in more than one session",
            )
        )
    return out


# --- triage: what a migration lead does with each family of findings ------------------------


@dataclass(frozen=True)
class Triage:
    """A family of defects and the action it calls for, in plain words."""

    key: str
    label: str
    symptom: str
    cost: str
    action: str


TRIAGE: dict[str, Triage] = {
    t.key: t
    for t in (
        Triage(
            "replace",
            "Rot → replace",
            "Links, bookmarks and rankings point at a URL that now ends on an error.",
            "An error page passes no link value and drops out of the index: the page's "
            "rankings are lost, and every visitor from a link hits a dead end.",
            "Point the old URL at the live page that replaces it, with one 301/308.",
        ),
        Triage(
            "reclaim",
            "Removed → reclaim",
            "A page with links or traffic was removed, left out of the map, or folded into a "
            "generic page (the home page, a category).",
            "Search engines treat a redirect to an unrelated page as a soft 404: the old "
            "page's links stop counting.",
            "Redirect it to its closest equivalent page, or bring the content back.",
        ),
        Triage(
            "consolidate",
            "Canonical / redirect → consolidate",
            "The redirect, the canonical tag and the indexing rules disagree about which URL "
            "is the page.",
            "Signals split between URLs, or are sent to a page that is not meant to rank.",
            "Make the map, the redirect, the canonical and robots agree on one final URL.",
        ),
        Triage(
            "one-hop",
            "Migration plumbing → one hop",
            "The old URL reaches its page through extra, temporary, looping or broken hops.",
            "Each hop costs crawl budget and time; temporary redirects and loops keep the old "
            "URL's signals from moving; crawlers give up after 10 hops.",
            "Replace the path by one permanent 301/308 straight to the final URL (fixes/ "
            "holds the rules).",
        ),
        Triage(
            "review",
            "Review",
            "A defect outside the usual migration families.",
            "See the rule's own explanation.",
            "Follow the rule's fix.",
        ),
    )
}
RULE_TRIAGE: dict[str, str] = {
    "broken-target": "replace",
    "legacy-url-broken": "replace",
    "valuable-url-unmapped": "reclaim",
    "homepage-redirect": "reclaim",
    "many-to-one": "reclaim",
    "canonical-mismatch": "consolidate",
    "noindex-target": "consolidate",
    "inconsistent-final-urls": "consolidate",
    "target-mismatch": "consolidate",
    "not-redirected": "consolidate",
    "query-dropped": "consolidate",
    "redirect-chain": "one-hop",
    "redirect-loop": "one-hop",
    "hop-limit": "one-hop",
    "temporary-redirect": "one-hop",
    "scheme-hop": "one-hop",
    "slash-hop": "one-hop",
    "case-hop": "one-hop",
    "host-hop": "one-hop",
    "https-downgrade": "one-hop",
    "meta-refresh": "one-hop",
    "status-mismatch": "one-hop",
    "map-chain": "one-hop",
    "map-loop": "one-hop",
    "map-self": "one-hop",
    "map-conflict": "one-hop",
}


# Families of the new-site rules, by name: a link or a page that errors is rot; signals that
# disagree (canonicals, sitemaps, hreflang, robots) are consolidation; extra hops are plumbing.
_TRIAGE_PATTERNS = (
    ("-broken", "replace"),
    ("canonical-", "consolidate"),
    ("sitemap-", "consolidate"),
    ("hreflang-", "consolidate"),
    ("robots-", "consolidate"),
    ("duplicate-", "consolidate"),
    ("target-not-in-", "consolidate"),
    ("internal-link-", "one-hop"),
    ("variant-", "one-hop"),
    ("-unredirected", "reclaim"),
)


def triage_of(rule_id: str) -> Triage:
    """The triage family of a rule: from the table, else from its name's family (``*-broken``
    → replace, ``canonical-*``/``sitemap-*``… → consolidate), else ``review``."""
    key = RULE_TRIAGE.get(rule_id)
    if key is None:
        key = next((k for pattern, k in _TRIAGE_PATTERNS if pattern in rule_id), "review")
    return TRIAGE[key]

"""The rules: a registry of pure functions over a read-only :class:`AuditContext`, and the runner.

A rule is registered with a stable id, a default severity and what it needs::

    @rule("redirect-loop", Severity.ERROR)
    def redirect_loops(ctx: AuditContext) -> Iterator[Finding]:
        \"\"\"Redirect loops  (first line: the title)

        What it detects. Why: … Fix: …  (the README catalogue and the report show this)
        \"\"\"

Rules do no I/O, no logging and keep no state. They build findings with
:func:`migrationaudit.checks.common.finding`; :func:`run_checks` stamps each one with the rule's
id and effective severity (default or configured override), so a rule cannot drift from its
registration. Each rule yields at most one finding per legacy URL (the fingerprint is
rule + URL). Rules needing a crawl are skipped without one, map rules without a map.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

import networkx as nx

from migrationaudit.checks.needs import (
    DISABLED,
    NO_ACCESS_LOG,
    NO_CRAWL,
    NO_DISCOVERY,
    NO_HOSTS,
    NO_MAP,
    NO_NEW_SITE,
    NO_PRIORITY,
    NO_PROBES,
    NO_RULE_FILE,
    NO_SITE_STAGE,
    NO_SITEMAP,
    NO_SITEMAP_READ,
    NO_SNAPSHOT,
    Need,
)
from migrationaudit.models.findings import Finding, RuleInfo, Severity, SkippedRule
from migrationaudit.models.hops import Chain
from migrationaudit.models.inputs import LegacyURL, RedirectRule
from migrationaudit.settings import CheckOptions

if TYPE_CHECKING:
    from migrationaudit.hostchecks.model import HostReport
    from migrationaudit.inputs.hosting import SkippedRow
    from migrationaudit.inputs.priorityindex import PriorityIndex
    from migrationaudit.inputs.traffic import TrafficIndex
    from migrationaudit.newsite.context import SiteContext
    from migrationaudit.parity.probes import Probe
    from migrationaudit.parity.snapshot import OldPage
    from migrationaudit.preflight.model import RuleFileFacts

# The skip reasons are part of the interface: tests and reports compare them.
__all__ = [
    "DISABLED",
    "NO_ACCESS_LOG",
    "NO_CRAWL",
    "NO_DISCOVERY",
    "NO_HOSTS",
    "NO_MAP",
    "NO_NEW_SITE",
    "NO_PRIORITY",
    "NO_PROBES",
    "NO_RULE_FILE",
    "NO_SITEMAP",
    "NO_SITEMAP_READ",
    "NO_SITE_STAGE",
    "NO_SNAPSHOT",
    "RULE_MODULES",
    "AuditContext",
    "Need",
    "RuleFunc",
    "RuleSpec",
    "all_rules",
    "rule",
    "rule_infos",
    "run_checks",
    "skip_reason",
]

# The modules holding rules, imported by all_rules() (registration happens at import).
RULE_MODULES = (
    "migrationaudit.checks.redirects",
    "migrationaudit.checks.extra_hops",
    "migrationaudit.checks.broken",
    "migrationaudit.checks.targets",
    "migrationaudit.checks.pages",
    "migrationaudit.checks.maps",
    "migrationaudit.checks.value",
    "migrationaudit.checks.sitemaps",
    "migrationaudit.checks.sitemap_files",
    "migrationaudit.checks.sitemap_coverage",
    "migrationaudit.checks.robots",
    "migrationaudit.checks.links",
    "migrationaudit.checks.hreflang",
    "migrationaudit.checks.variants",
    "migrationaudit.checks.safety",
    "migrationaudit.checks.scope",
    "migrationaudit.preflight.rules",
    "migrationaudit.checks.traffic",
    "migrationaudit.checks.hosts",
    "migrationaudit.parity.rules",
    "migrationaudit.parity.catchall",
)
T = TypeVar("T")


@dataclass(frozen=True)
class AuditContext:
    """Read-only input of every rule.

    ``rules``: the whole map in file order (conflicts included); ``legacy``: every URL to judge
    (map sources, then list URLs), deduplicated; ``graph``: the redirect graph, None when no
    crawl ran (map-only checks); ``chains``: legacy URL → its chain (empty without a crawl).
    """

    rules: tuple[RedirectRule, ...]
    legacy: tuple[LegacyURL, ...]
    graph: nx.DiGraph | None
    chains: Mapping[str, Chain]
    options: CheckOptions
    # What each URL is worth (links, clicks) from --priority exports; None without them.
    priority: PriorityIndex | None = None
    # The new site's side (host scope, robots/sitemaps/crawl/variants asked for); None when
    # the new-site stage did not run.
    site: SiteContext | None = None
    # Map rows set aside while reading (patterns, rewrites, rows that cannot be read).
    skipped_rows: tuple[SkippedRow, ...] = ()
    # A host rule file's facts (shadowed, ignored, chained rules) when its chains were
    # predicted (migrationaudit.preflight); None otherwise.
    rule_file: RuleFileFacts | None = None
    # Requests per URL from --access-log files; None without them.
    traffic: TrafficIndex | None = None
    # The legacy hosts' DNS answers and certificates (migrationaudit.hostchecks, with
    # --launched); None when they were not checked.
    hosts: HostReport | None = None
    # The legacy pages' facts before cutover (--snapshot); None without one.
    snapshot: Mapping[str, OldPage] | None = None
    # The catch-all probes' answers (--catch-all-probes); None when none were requested.
    probes: tuple[Probe, ...] | None = None
    # Answers several rules share, computed once per context (see memo()); not an input.
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def memo(self, key: str, make: Callable[[], T]) -> T:
        """``make()`` once per context: a question a dozen rules ask (the judged chains and
        their redirect counts). At a million legacy URLs each rule asking again cost seconds;
        the answer depends only on the context, so rules stay pure functions of it. The one
        cache of the rules and the verdicts (keys name the question: ``"judged"``,
        ``"robots_for"``...); nothing is kept in the graph."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]  # type: ignore[no-any-return]


RuleFunc = Callable[[AuditContext], Iterator[Finding]]


@dataclass(frozen=True)
class RuleSpec:
    """A registered rule: id, default severity, what it needs, the function and its docs."""

    rule_id: str
    severity: Severity
    needs: Need
    func: RuleFunc
    title: str
    doc: str

    def info(self) -> RuleInfo:
        """The entry as plain data for reports."""
        return RuleInfo(
            rule_id=self.rule_id, severity=self.severity, title=self.title, doc=self.doc
        )


_REGISTRY: dict[str, RuleSpec] = {}


def _split_doc(func: RuleFunc) -> tuple[str, str]:
    doc = inspect.cleandoc(func.__doc__ or "")
    title, _, body = doc.partition("\n")
    return title.strip(), body.strip()


def rule(
    rule_id: str, severity: Severity, needs: Need | str = Need.CRAWL
) -> Callable[[RuleFunc], RuleFunc]:
    """Register a rule function under a stable id with its default severity.

    ``needs`` is what it judges besides the map's rows (a :class:`~.needs.Need`, or its
    string): ``crawl`` (the chains; skipped without a crawl), ``map`` (the redirect map itself;
    skipped without one), and so on. The docstring is mandatory: its first line is the title,
    the rest the explanation shown in the report and the README.
    """
    try:
        need = Need(needs)
    except ValueError:
        known = ", ".join(n.value for n in Need)
        raise ValueError(f"rule {rule_id!r}: needs must be one of {known}, not {needs!r}") from None

    def register(func: RuleFunc) -> RuleFunc:
        title, doc = _split_doc(func)
        if not title or not doc:
            raise ValueError(
                f"rule {rule_id!r}: a docstring with a title line and a body is required"
            )
        known = _REGISTRY.get(rule_id)
        # Re-registering the same function (a module reloaded) is fine; another one is not.
        same = known is not None and (known.func.__module__, known.func.__qualname__) == (
            func.__module__,
            func.__qualname__,
        )
        if known is not None and not same:
            raise ValueError(f"rule id {rule_id!r} is registered twice")
        _REGISTRY[rule_id] = RuleSpec(rule_id, severity, need, func, title, doc)
        return func

    return register


def all_rules() -> tuple[RuleSpec, ...]:
    """Every registered rule, sorted by id (imports the rule modules)."""
    for name in RULE_MODULES:
        importlib.import_module(name)
    return tuple(_REGISTRY[k] for k in sorted(_REGISTRY))


def rule_infos() -> tuple[RuleInfo, ...]:
    """Every rule as plain data (default severities), sorted by id."""
    return tuple(spec.info() for spec in all_rules())


def skip_reason(need: Need, ctx: AuditContext) -> str | None:
    """Why a rule needing ``need`` cannot run on ``ctx`` (None: it can): the one place that
    decides it. Asked once per context and need (the verdicts ask for every legacy URL)."""
    return ctx.memo(f"skip-reason:{need.value}", lambda: _missing(need, ctx))


def _missing(need: Need, ctx: AuditContext) -> str | None:
    # The questions in the order of their reasons' priority.
    if need is Need.HOSTS:
        # the host checks run after a crawl and judge it with its probes (graph not needed)
        if ctx.hosts is None:
            return NO_CRAWL if ctx.graph is None else NO_HOSTS
        return None
    if need in (Need.MAP, Need.PRIORITY) and not ctx.rules:
        return NO_MAP
    if need in (Need.MAP, Need.PRIORITY, Need.RULE_FILE):  # judged without a crawl
        return None if _input(need, ctx) is not None else need.reason
    if ctx.graph is None:
        return NO_CRAWL
    if need.on_site:
        return NO_SITE_STAGE if ctx.site is None else _missing_on_site(need, ctx.site)
    return None if _input(need, ctx) is not None else need.reason


def _input(need: Need, ctx: AuditContext) -> object | None:
    """The context's field that holds the input ``need`` names (the map and the crawl are
    there once asked about; the new site's side is :func:`_missing_on_site`'s)."""
    fields = {
        Need.PRIORITY: ctx.priority,
        Need.RULE_FILE: ctx.rule_file,
        Need.ACCESS_LOG: ctx.traffic,
        Need.SNAPSHOT: ctx.snapshot,
        Need.PROBES: ctx.probes,
    }
    return fields.get(need, need)


def _missing_on_site(need: Need, site: SiteContext) -> str | None:
    """The new site's side: what was asked for, then what the crawl found."""
    asked = {Need.ROBOTS: site.robots, Need.SITE_CRAWL: site.crawl, Need.VARIANTS: site.variants}
    if need in asked:
        return None if asked[need] else need.reason
    if need is Need.OLD_SITEMAP:
        return None if site.old_sitemaps or site.scope.new_sites else need.reason
    if need is Need.SITEMAP_FILE:
        pointed = any(r.source != "probe" for r in site.sitemap_refs)
        return None if site.sitemap_files or pointed else need.reason
    if not site.scope.new_sites:
        return NO_NEW_SITE
    if need is Need.NEW_SITE:
        return None
    if not site.discover and not site.sitemaps_given:
        return NO_DISCOVERY
    refs = [r for r in site.sitemap_refs if not r.old]
    new_files = [f for f in site.sitemap_files if not f.old]
    if need is Need.SITEMAP and not new_files and all(r.source == "probe" for r in refs):
        return NO_SITEMAP
    if need is Need.SITEMAP_READ and not any(f.readable for f in new_files):
        named = [r for r in refs if r.source != "probe"]
        return NO_SITEMAP_READ if named or new_files else NO_SITEMAP
    return None


def _skip_reason(spec: RuleSpec, ctx: AuditContext) -> str | None:
    if spec.rule_id in ctx.options.disabled:
        return DISABLED
    return skip_reason(spec.needs, ctx)


def _sort_key(f: Finding) -> tuple[int, str, str, str]:
    return (-int(f.severity), f.rule_id, f.url, f.message)


def run_checks(ctx: AuditContext) -> tuple[tuple[Finding, ...], tuple[SkippedRule, ...]]:
    """Run every enabled rule that has its inputs; return (findings, skipped rules).

    Findings are sorted by severity (highest first), rule id, URL. Disabled rules and rules
    lacking an input are reported as skipped with the reason, in rule-id order.
    """
    overrides = dict(ctx.options.severity_overrides)
    findings: list[Finding] = []
    skipped: list[SkippedRule] = []
    for spec in all_rules():
        reason = _skip_reason(spec, ctx)
        if reason is not None:
            skipped.append(SkippedRule(spec.rule_id, reason))
            continue
        severity = overrides.get(spec.rule_id, spec.severity)
        findings.extend(replace(f, rule_id=spec.rule_id, severity=severity) for f in spec.func(ctx))
    findings.sort(key=_sort_key)
    return tuple(findings), tuple(skipped)

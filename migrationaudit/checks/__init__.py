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

from migrationaudit.models.findings import Finding, RuleInfo, Severity, SkippedRule
from migrationaudit.models.hops import Chain
from migrationaudit.models.inputs import LegacyURL, RedirectRule
from migrationaudit.settings import CheckOptions

if TYPE_CHECKING:
    from migrationaudit.hostchecks.model import HostReport
    from migrationaudit.inputs.accesslog import TrafficIndex
    from migrationaudit.inputs.hosting import SkippedRow
    from migrationaudit.inputs.priority import PriorityIndex
    from migrationaudit.newsite.context import SiteContext
    from migrationaudit.parity.probes import Probe
    from migrationaudit.parity.snapshot import OldPage
    from migrationaudit.preflight.model import RuleFileFacts

# The modules holding rules, imported by all_rules() (registration happens at import).
RULE_MODULES = (
    "migrationaudit.checks.redirects",
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
# "priority": a map and a --priority export; "rule-file": a host rule file read as one
# (check-map --map-format netlify|cloudflare|amplify, migrationaudit.preflight);
# "access-log": a crawl and an --access-log; "hosts": the host checks (--launched);
# "snapshot": a crawl and a --snapshot; "probes": a crawl and --catch-all-probes
NEEDS = ("map", "crawl", "priority", "rule-file", "access-log", "hosts", "snapshot", "probes")
# The new site's side (a crawl and more; see newsite.context.SiteContext.skip_reason):
SITE_NEEDS = ("new-site", "sitemap", "sitemap-read", "sitemap-file", "robots", "site-crawl",
              "variants", "old-sitemap")
DISABLED = "disabled by configuration"
NO_CRAWL = "no crawl was run"
NO_MAP = "no redirect map given"
NO_PRIORITY = "no --priority export given"
NO_RULE_FILE = "no host rule file predicted (check-map --map-format netlify|cloudflare|amplify)"
NO_ACCESS_LOG = "no --access-log given"
NO_HOSTS = "no host check ran (after launch: --launched)"
NO_SNAPSHOT = "no --snapshot or --old-origin given"
NO_PROBES = "no catch-all probes requested (--catch-all-probes)"
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
        the answer depends only on the context, so rules stay pure functions of it."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]  # type: ignore[no-any-return]


RuleFunc = Callable[[AuditContext], Iterator[Finding]]


@dataclass(frozen=True)
class RuleSpec:
    """A registered rule: id, default severity, what it needs, the function and its docs."""

    rule_id: str
    severity: Severity
    needs: str
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


def rule(rule_id: str, severity: Severity, needs: str = "crawl") -> Callable[[RuleFunc], RuleFunc]:
    """Register a rule function under a stable id with its default severity.

    ``needs`` is ``"crawl"`` (judges chains; skipped without a crawl) or ``"map"`` (judges the
    redirect map itself; skipped without one). The docstring is mandatory: its first line is
    the title, the rest the explanation shown in the report and the README.
    """
    if needs not in NEEDS and needs not in SITE_NEEDS:
        raise ValueError(f"rule {rule_id!r}: needs must be one of {NEEDS}, not {needs!r}")

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
        _REGISTRY[rule_id] = RuleSpec(rule_id, severity, needs, func, title, doc)
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


def _skip_reason(spec: RuleSpec, ctx: AuditContext) -> str | None:
    if spec.rule_id in ctx.options.disabled:
        return DISABLED
    if spec.needs == "crawl" and ctx.graph is None:
        return NO_CRAWL
    if spec.needs == "map" and not ctx.rules:
        return NO_MAP
    if spec.needs == "priority" and not ctx.rules:
        return NO_MAP
    if spec.needs == "priority" and ctx.priority is None:
        return NO_PRIORITY
    if spec.needs == "rule-file" and ctx.rule_file is None:
        return NO_RULE_FILE
    if spec.needs == "access-log" and ctx.graph is None:
        return NO_CRAWL
    if spec.needs == "access-log" and ctx.traffic is None:
        return NO_ACCESS_LOG
    if spec.needs == "hosts" and ctx.hosts is None:
        # the host checks run after a crawl and judge it with its probes (graph not needed)
        return NO_CRAWL if ctx.graph is None else NO_HOSTS
    if spec.needs in ("snapshot", "probes") and ctx.graph is None:
        return NO_CRAWL
    if spec.needs == "probes" and ctx.probes is None:
        return NO_PROBES
    if spec.needs == "snapshot" and ctx.snapshot is None:
        return NO_SNAPSHOT
    if spec.needs in SITE_NEEDS:
        if ctx.graph is None:
            return NO_CRAWL
        if ctx.site is None:
            return "the new-site stage did not run"
        return ctx.site.skip_reason(spec.needs, ctx.graph)
    return None


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

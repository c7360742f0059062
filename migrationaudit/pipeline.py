"""The audit pipeline, start to finish: inputs → crawl → graph → checks → verdicts → reports.

This is the one place that strings the stages together; the CLI and the Python API call it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from migrationaudit.checks import AuditContext, rule_infos, run_checks
from migrationaudit.crawl import run_crawl
from migrationaudit.errors import ConfigError, InputError
from migrationaudit.graph import build_graph, chains_for, gc_paused
from migrationaudit.inputs import Inputs, collect_legacy
from migrationaudit.inputs.accesslog import read_access_logs
from migrationaudit.inputs.common import check_base_url
from migrationaudit.inputs.crawlerranges import read_crawler_ranges
from migrationaudit.inputs.hosting import SkippedRow
from migrationaudit.inputs.mapfiles import read_map_file
from migrationaudit.inputs.priority import read_priority
from migrationaudit.inputs.priorityindex import valuable_unmapped
from migrationaudit.inputs.traffic import logged_legacy
from migrationaudit.inputs.urllist import read_url_list
from migrationaudit.models.findings import Finding, SkippedRule
from migrationaudit.models.hops import Chain, Hop
from migrationaudit.models.inputs import LegacyURL, RedirectRule
from migrationaudit.models.result import AuditResult, ParityPair, Suggestion, Verdict
from migrationaudit.newsite.context import attach as attach_site
from migrationaudit.newsite.context import notes as site_notes
from migrationaudit.newsite.plan import all_legacy, check_local_files, old_sitemap_legacy
from migrationaudit.newsite.plan import plan as plan_site
from migrationaudit.newsite.plan import prepare as prepare_site
from migrationaudit.newsite.records import SiteRun
from migrationaudit.newsite.records import read_records as read_site_records
from migrationaudit.options import AuditRequest
from migrationaudit.parity.oldorigin import saved_parity, side_crawls, with_snapshot
from migrationaudit.parity.pairs import failing_pairs
from migrationaudit.parity.probes import read_probes
from migrationaudit.parity.snapshot import read_snapshot
from migrationaudit.parity.suggest import suggest_targets
from migrationaudit.preflight.predict import rule_file_facts
from migrationaudit.rundir.job import CrawlSummary, saved_site_options
from migrationaudit.rundir.layout import RUN_SUBDIR
from migrationaudit.rundir.records import read_hops
from migrationaudit.rundir.saving import begin_run, save_inputs, save_run_info
from migrationaudit.runinfo import crawl_extra, run_info
from migrationaudit.runinfo import now as now  # re-exported: the check-map of a host rule file
from migrationaudit.settings import CheckOptions, SiteOptions
from migrationaudit.verdicts import build_verdicts, rank_by_value
from migrationaudit.web.scope import Scope, scope_of
from migrationaudit.web.urls import is_http

_run_info = run_info  # the name the check-map of a host rule file imports


def load_inputs(req: AuditRequest) -> Inputs:
    """Read and validate every input before any request is sent (InputError / ConfigError)."""
    if not (req.maps or req.url_lists or req.priority or req.site.old_sitemaps or req.access_logs):
        raise ConfigError(
            "nothing to audit: give a redirect map (--map), a URL list (--urls) "
            "or server logs (--access-log)"
        )
    check_local_files(req.site)
    base = check_base_url(req.base_url)
    target_base = check_base_url(req.target_base_url)
    rules: list[RedirectRule] = []
    skipped: list[SkippedRow] = []
    for m in req.maps:
        got, skip = read_map_file(m, base, target_base, req.map_format)
        rules.extend(got)
        skipped.extend(skip)
    rule_file = rule_file_facts(req, base)
    listed: list[LegacyURL] = []
    for u in req.url_lists:
        listed.extend(read_url_list(u, base))
    legacy = collect_legacy(rules, listed)
    priority = None
    if req.priority:
        priority = read_priority(req.priority, base, dict(req.priority_columns))
        # Pages with links or clicks that neither the map nor a list covers are audited too:
        # where they land today is what `valuable-url-unmapped` reports.
        legacy = legacy + tuple(valuable_unmapped(priority, legacy))
    traffic = None
    if req.access_logs:
        traffic = read_access_logs(
            req.access_logs,
            base,
            dict(req.access_log_fields),
            since=req.launched,
            ranges=read_crawler_ranges(req.crawler_ranges),
        )
        # Requested URLs on the inputs' own hosts are audited, most crawled first.
        traffic, logged = logged_legacy(traffic, legacy, (base, *req.allow_hosts))
        legacy = legacy + tuple(logged)
    # URLs of local legacy sitemaps are legacy URLs too (remote ones join after the crawl).
    legacy = legacy + old_sitemap_legacy(req.site, legacy)
    if not legacy and not any(is_http(s) for s in req.site.old_sitemaps):
        names = ", ".join(req.maps + req.url_lists + req.priority + req.access_logs)
        raise InputError(f"no URLs to audit in {names}")
    snapshot = read_snapshot(req.snapshot, (i.url for i in legacy)) if req.snapshot else None
    return Inputs(
        tuple(rules),
        legacy,
        tuple(skipped),
        priority,
        rule_file=rule_file,
        traffic=traffic,
        snapshot=snapshot,
    )


def audit_scope(req: AuditRequest, inputs: Inputs) -> Scope:
    """The hosts the inputs name besides the legacy URLs (which the crawl names itself): the
    map's targets, ``--crawl`` / ``--sitemap`` / ``--old-sitemap`` URLs, ``--new-host``,
    ``--staging-host`` and ``--allow-host`` (see :mod:`migrationaudit.web.scope`)."""
    site = req.site
    urls = [r.expected_target for r in inputs.rules if r.expected_target]
    urls += [u for u in (*site.crawl, *site.sitemaps, *site.old_sitemaps) if is_http(u)]
    # One URL per origin: a million-row map names a handful of hosts.
    origins = {u.split("/", 3)[2] if u.count("/") >= 2 else u: u for u in urls}
    try:
        return scope_of(origins.values(), (*site.new_hosts, *site.staging_hosts), req.allow_hosts)
    except ValueError as exc:
        raise ConfigError(f"--allow-host: {exc}") from None


def check_map_only(req: AuditRequest) -> AuditResult:
    """Run only the map rules (no request is sent)."""
    started = now()
    inputs = load_inputs(req)
    ctx = AuditContext(
        rules=inputs.rules,
        legacy=inputs.legacy,
        graph=None,
        chains={},
        options=req.checks,
        priority=inputs.priority,
        skipped_rows=inputs.skipped_rows,
        rule_file=inputs.rule_file,
        traffic=inputs.traffic,
        snapshot=inputs.snapshot,
        probes=inputs.probes,
    )
    findings, skipped = run_checks(ctx)
    skipped = tuple(s for s in skipped if s.reason != "no crawl was run")
    findings, verdicts = rank_by_value(
        findings, build_verdicts(ctx, findings), inputs.priority, inputs.traffic
    )
    return AuditResult(
        findings=findings,
        verdicts=verdicts,
        chains={},
        skipped=skipped,
        rules=rule_infos(),
        fail_on=req.fail_on,
        run=run_info(req, started, False, {"mode": "check-map", "input": inputs.notes()}),
    )


def run_audit(
    req: AuditRequest,
    progress: Callable[[int, int], None] | None = None,
    crawl: Callable[..., CrawlSummary] = run_crawl,
) -> AuditResult:
    """Read inputs, crawl hop by hop, judge every legacy URL, return the result.

    The crawl runs in a child process and streams hop records to ``out_dir/run/hops.jsonl``;
    reports are written by the caller (see :func:`migrationaudit.reports.write_reports`).
    ``crawl``: what fetches (run_crawl's signature; ``audit --redis`` passes the coordinator).
    """

    started = now()
    inputs = load_inputs(req)
    run_dir = req.out_dir / RUN_SUBDIR
    # Resumable at every moment: the old state goes and job.json comes first, inputs.json
    # (what --resume looks for) last, before the crawl's first request.
    begin_run(run_dir, req.crawl)
    prepare_site(run_dir, req.site, inputs.rules, inputs.legacy)
    save_inputs(run_dir, req, inputs)
    summary = crawl(
        (item.url for item in inputs.legacy),
        run_dir,
        req.crawl,
        progress=progress,
        scope=audit_scope(req, inputs),
    )
    inputs = side_crawls(req, inputs, run_dir, audit_scope(req, inputs))  # probes, old origin
    return finish_run(req, inputs, run_dir, summary, started)


def _saved_priority(req: AuditRequest, run_dir: Path) -> AuditRequest:
    """``req`` with the --priority exports (and their columns) of the run in ``run_dir``."""
    from migrationaudit.rundir.saved import _mover, load_inputs_file

    _, saved = load_inputs_file(run_dir)
    move = _mover(saved.get("cwd"))
    paths = tuple(move(str(p)) for p in saved.get("priority") or ())
    if not paths:
        return req
    columns = tuple(
        (str(c[0]), str(c[1]))
        for c in saved.get("priority_columns") or ()
        if isinstance(c, list | tuple) and len(c) == 2
    )
    return replace(req, priority=paths, priority_columns=req.priority_columns or columns)


def resume_audit(
    req: AuditRequest,
    run_dir: Path,
    progress: Callable[[int, int], None] | None = None,
    crawl: Callable[..., CrawlSummary] = run_crawl,
) -> AuditResult:
    """Continue the interrupted crawl of ``run_dir`` (``--resume``): URLs it recorded are not
    fetched again, the rest are, and the whole run is judged as if it had never stopped.
    Without maps or URL lists in ``req`` the run's saved inputs are used."""
    import json

    from migrationaudit.rundir.layout import INPUTS_FILE
    from migrationaudit.rundir.saved import load_inputs_file

    started = now()
    if req.site == SiteOptions():  # the new-site options of the run, unless given again
        req = replace(req, site=saved_site_options(run_dir) or req.site)
    req = saved_parity(req, run_dir)  # the run's --snapshot / --old-origin unless given again
    if req.maps or req.url_lists or req.priority or req.access_logs:
        if not req.priority:
            # The run's --priority exports unless given again: the maps given again do not
            # make the resumed run judge without link values (valuable-url-unmapped).
            req = _saved_priority(req, run_dir)
        inputs = load_inputs(req)
        save_inputs(run_dir, req, inputs)
    else:
        inputs, saved = load_inputs_file(run_dir)
        data = json.loads((run_dir / INPUTS_FILE).read_text(encoding="utf-8"))
        req = replace(
            req,
            maps=tuple(data.get("maps") or ()),
            url_lists=tuple(data.get("url_lists") or ()),
            base_url=saved.get("base_url"),
            target_base_url=saved.get("target_base_url"),
        )
    summary = crawl(
        (item.url for item in inputs.legacy),
        run_dir,
        req.crawl,
        progress=progress,
        resume=True,
        scope=audit_scope(req, inputs),
    )
    inputs = side_crawls(req, with_snapshot(req, inputs), run_dir, audit_scope(req, inputs))
    result = finish_run(req, inputs, run_dir, summary, started)
    result = replace(result, run=result.run.updated(resumed=True))
    save_run_info(run_dir, result.run)
    return result


@dataclass(frozen=True)
class Judged:
    """What the rules and verdicts make of a set of hop records."""

    findings: tuple[Finding, ...]
    verdicts: tuple[Verdict, ...]
    chains: dict[str, Chain]
    skipped: tuple[SkippedRule, ...]
    suggestions: tuple[Suggestion, ...] = ()  # targets for URLs without a working one
    parity: tuple[ParityPair, ...] = ()  # old and new page of each failing parity pair


@gc_paused()  # millions of acyclic objects: see migrationaudit.graph.gc_paused
def judge(
    inputs: Inputs,
    hops: Iterable[Hop],
    checks: CheckOptions,
    max_hops: int,
    site: SiteRun | None = None,
) -> Judged:
    """Build the redirect graph from ``hops``, follow every legacy URL's chain, run the rules
    and build the verdicts (no I/O: a saved run is judged again the same way). ``site``: the
    new-site stage's options and records (:mod:`migrationaudit.newsite`); without it the
    new-site rules are skipped."""
    graph = build_graph(hops)
    legacy = all_legacy(site, inputs.legacy) if site is not None else inputs.legacy
    chains = chains_for(graph, [item.url for item in legacy], max_hops)
    site_ctx = None
    if site is not None:
        site_ctx, _ = attach_site(site, graph, inputs.rules, legacy, chains)
    ctx = AuditContext(
        rules=inputs.rules,
        legacy=legacy,
        graph=graph,
        chains=chains,
        options=checks,
        priority=inputs.priority,
        site=site_ctx,
        skipped_rows=inputs.skipped_rows,
        rule_file=inputs.rule_file,
        traffic=inputs.traffic,
        snapshot=inputs.snapshot,
        probes=inputs.probes,
    )
    findings, skipped = run_checks(ctx)
    findings, verdicts = rank_by_value(
        findings, build_verdicts(ctx, findings), inputs.priority, inputs.traffic
    )
    return Judged(
        findings,
        verdicts,
        chains,
        skipped,
        suggest_targets(ctx, findings),
        failing_pairs(ctx, findings),
    )


def finish_run(
    req: AuditRequest, inputs: Inputs, run_dir: Path, summary: CrawlSummary, started: str
) -> AuditResult:
    """Judge the hop records of ``run_dir`` into the result, and save its run metadata
    (``run.json``) so that ``migrationaudit report`` can re-render the run later."""

    site = SiteRun(req.site, read_site_records(run_dir))
    inputs = replace(inputs, probes=read_probes(run_dir))  # --catch-all-probes' log
    judged = judge(inputs, read_hops(run_dir), req.checks, req.crawl.max_hops, site=site)
    partial = not summary.complete
    extra = {
        "mode": "audit",
        "input": inputs.notes(),
        "run_dir": str(run_dir),
        **crawl_extra(req.crawl, summary),
        "site": site_notes(site.records, plan_site(req.site, inputs.rules, inputs.legacy)[1]),
    }
    result = AuditResult(
        findings=judged.findings,
        verdicts=judged.verdicts,
        chains=judged.chains,
        skipped=judged.skipped,
        rules=rule_infos(),
        fail_on=req.fail_on,
        run=run_info(req, started, partial, extra),
        suggestions=judged.suggestions,
        parity=judged.parity,
    )
    save_run_info(run_dir, result.run)
    return result

"""Flows over a saved run: judge it again with today's rules and options (``migrationaudit
report``, ``diff``), and re-check only what failed (``audit --only-failed``), merged with the
rest."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from migrationaudit.checks import rule_infos
from migrationaudit.crawl import run_crawl
from migrationaudit.errors import ConfigError
from migrationaudit.gate import GatePolicy, apply
from migrationaudit.models.findings import Severity
from migrationaudit.models.result import AuditResult
from migrationaudit.models.runinfo import OnlyFailedInfo, RunOptions
from migrationaudit.newsite.records import SiteRun
from migrationaudit.newsite.records import read_records as read_site_records
from migrationaudit.options import AuditRequest
from migrationaudit.parity.probes import read_probes
from migrationaudit.pipeline import audit_scope, finish_run, judge, load_inputs
from migrationaudit.rundir.job import CrawlSummary, write_job, write_summary
from migrationaudit.rundir.layout import (
    HOPS_FILE,
    RECHECK_SUBDIR,
    RUN_SUBDIR,
    SITE_RECORDS_FILE,
)
from migrationaudit.rundir.records import read_hops, write_hops
from migrationaudit.rundir.saved import SavedRun, load_run
from migrationaudit.rundir.saving import save_inputs, save_run_info
from migrationaudit.runinfo import now
from migrationaudit.settings import CheckOptions, CrawlOptions, SiteOptions


def rebuild(saved: SavedRun, checks: CheckOptions, fail_on: Severity) -> AuditResult:
    """Judge a saved run again with ``checks`` and ``fail_on`` (no network)."""
    site = SiteRun(saved.site, read_site_records(saved.run_dir))
    inputs = replace(saved.inputs, probes=read_probes(saved.run_dir))  # --catch-all-probes
    judged = judge(inputs, read_hops(saved.run_dir), checks, saved.crawl.max_hops, site=site)
    run = saved.run
    options = (run.options or RunOptions()).updated(
        fail_on=fail_on.label,
        many_to_one=checks.many_to_one,
        disabled_rules=tuple(sorted(checks.disabled)),
    )
    run = run.updated(
        options=options,
        run_dir=str(saved.run_dir),
        rerendered_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    if saved.summary is not None and not run.has("partial"):
        run = run.updated(partial=not saved.summary.complete)
    run = run.without("priority_missing")  # a saved run.json never has it; said anew each time
    if saved.priority_missing:
        run = run.updated(priority_missing=saved.priority_missing)
    return AuditResult(
        findings=judged.findings,
        verdicts=judged.verdicts,
        chains=judged.chains,
        skipped=judged.skipped,
        rules=rule_infos(),
        fail_on=fail_on,
        run=run,
        suggestions=judged.suggestions,
        parity=judged.parity,
    )


def failing_urls(result: AuditResult) -> set[str]:
    """Legacy URLs that failed: a finding that fails the gate, or an incomplete chain."""
    urls = {f.url for f in result.gating_findings()}
    urls.update(v.url for v in result.verdicts if v.verdict == "incomplete")
    return urls


def _addresses(crawl: CrawlOptions) -> dict[str, list[str]]:
    """Where a crawl's requests go besides DNS: --resolve/--connect-to and --rewrite-host."""
    return {
        "--resolve/--connect-to": sorted(c.spec for c in crawl.connect_to),
        "--rewrite-host": sorted(f"{old}={new}" for old, new in crawl.rewrite_host),
    }


def _same_addresses(saved: SavedRun, crawl: CrawlOptions) -> None:
    """ConfigError unless ``crawl`` sends requests where the ``saved`` run sent them: merged
    records fetched from other addresses (staging in one, production in the other) would
    make one report of two sites."""
    then, now = _addresses(saved.crawl), _addresses(crawl)
    for option, values in then.items():
        if values != now[option]:
            raise ConfigError(
                f"--only-failed: {option} differs from the run in {saved.run_dir} "
                f"({', '.join(values) or 'none'} there, {', '.join(now[option]) or 'none'} "
                "now); its records cannot be merged with records fetched from other "
                "addresses. Leave the option out to reuse the run's, or audit afresh."
            )


def audit_only_failed(
    req: AuditRequest,
    previous: str | Path,
    policy: GatePolicy,
    progress: Callable[[int, int], None] | None = None,
) -> AuditResult:
    """Re-check only the legacy URLs that failed in the ``previous`` run (judged again under
    the current rules and ``policy``), plus URLs it did not have; merge with the rest.

    The re-check crawls into ``OUT/run-recheck/``; its hop records replace the previous
    records of the same URLs, and the merged records become ``OUT/run/`` (a complete run
    directory again), which is judged as a whole: global rules see every URL."""

    started = now()
    saved = load_run(previous)
    _same_addresses(saved, req.crawl)
    inputs = load_inputs(req) if (req.maps or req.url_lists) else saved.inputs
    if getattr(req, "site", None) == SiteOptions():
        req = replace(req, site=saved.site)
    before = apply(rebuild(saved, req.checks, req.fail_on), policy)
    failed = failing_urls(before)
    known = {v.url for v in before.verdicts}
    recheck = [i.url for i in inputs.legacy if i.url in failed or i.url not in known]
    # legacy URLs the earlier run found itself (e.g. in a fetched legacy sitemap)
    recheck += [v.url for v in before.verdicts if v.url in failed and v.url not in recheck]
    old_hops = list(read_hops(saved.run_dir))  # read before anything can overwrite them

    recheck_dir = req.out_dir / RECHECK_SUBDIR
    run_dir = req.out_dir / RUN_SUBDIR
    if recheck:
        # The scope of the whole audit: a re-checked chain may lead to any host it names.
        scope = audit_scope(req, inputs)
        summary = run_crawl(recheck, recheck_dir, req.crawl, progress=progress, scope=scope)
        new_hops = list(read_hops(recheck_dir))
    else:
        summary = CrawlSummary(seeds=0, fetched=0, complete=True, elapsed_s=0.0, interrupted=False)
        new_hops = []
    fresh = {h.url for h in new_hops}
    merged = [h for h in old_hops if h.url not in fresh] + new_hops

    save_inputs(run_dir, req, inputs)
    fetched = write_hops(run_dir / HOPS_FILE, merged)
    # The new-site stage (robots.txt, sitemaps, crawl) is not re-run: keep its records.

    records = saved.run_dir / SITE_RECORDS_FILE
    if records.is_file() and records.resolve() != (run_dir / SITE_RECORDS_FILE).resolve():
        shutil.copyfile(records, run_dir / SITE_RECORDS_FILE)
    write_job(run_dir, req.crawl)
    total = CrawlSummary(
        seeds=len(inputs.legacy),
        fetched=fetched,
        complete=summary.complete,
        elapsed_s=summary.elapsed_s,
        interrupted=summary.interrupted,
    )
    write_summary(run_dir, total)
    result = finish_run(req, inputs, run_dir, total, started)
    info = OnlyFailedInfo(
        previous=str(saved.run_dir),
        rechecked=len(recheck),
        kept=len(inputs.legacy) - len(recheck),
        recheck_dir=str(recheck_dir) if recheck else None,
        order=("previous", "rechecked", "kept", "recheck_dir"),
    )
    result = replace(result, run=result.run.updated(only_failed=info))
    save_run_info(run_dir, result.run)
    return result

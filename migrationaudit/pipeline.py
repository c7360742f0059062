"""The audit pipeline, start to finish: inputs → crawl → graph → checks → verdicts → reports.

This is the one place that strings the stages together; the CLI and the Python API call it.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from migrationaudit import __version__
from migrationaudit.checks import AuditContext, rule_infos, run_checks
from migrationaudit.errors import ConfigError, InputError
from migrationaudit.graph import build_graph, chains_for
from migrationaudit.inputs.common import check_base_url
from migrationaudit.inputs.hosting import SkippedRow
from migrationaudit.inputs.maps import read_map_file
from migrationaudit.inputs.urllist import read_url_list
from migrationaudit.models import AuditResult, LegacyURL, RedirectRule, Severity
from migrationaudit.settings import FAIL_ON, OUT_DIR, CheckOptions, CrawlOptions
from migrationaudit.verdicts import build_verdicts

RUN_SUBDIR = "run"


@dataclass(frozen=True)
class AuditRequest:
    """Everything one audit run is asked to do."""

    maps: tuple[str, ...] = ()
    url_lists: tuple[str, ...] = ()
    base_url: str | None = None
    target_base_url: str | None = None
    out_dir: Path = Path(OUT_DIR)
    crawl: CrawlOptions = field(default_factory=CrawlOptions)
    checks: CheckOptions = field(default_factory=CheckOptions)
    fail_on: Severity = FAIL_ON
    formats: tuple[str, ...] | None = None  # None: every format
    map_format: str = "auto"  # auto | csv | netlify | amplify


def collect_legacy(
    rules: Sequence[RedirectRule], lists: Iterable[LegacyURL]
) -> tuple[LegacyURL, ...]:
    """Map sources first (the first rule of a source wins; conflicts are findings), then list
    URLs not already mapped. One LegacyURL per distinct URL, in input order."""
    out: dict[str, LegacyURL] = {}
    for r in rules:
        if r.source not in out:
            out[r.source] = LegacyURL(url=r.source, origin=r.origin, rule=r)
    for item in lists:
        out.setdefault(item.url, item)
    return tuple(out.values())


@dataclass(frozen=True)
class Inputs:
    """Validated inputs: the map rules, the URLs to judge, and map rows that cannot be audited
    as one URL (pattern rules of hosting redirect files), kept to be reported."""

    rules: tuple[RedirectRule, ...]
    legacy: tuple[LegacyURL, ...]
    skipped_rows: tuple[SkippedRow, ...] = ()

    def notes(self) -> dict[str, Any]:
        reasons: dict[str, int] = {}
        for row in self.skipped_rows:
            reasons[row.reason] = reasons.get(row.reason, 0) + 1
        return {
            "map_rules": len(self.rules),
            "legacy_urls": len(self.legacy),
            "skipped_rows": len(self.skipped_rows),
            "skipped_reasons": reasons,
            "skipped_examples": [f"{r.origin}: {r.reason}" for r in self.skipped_rows[:20]],
        }


def load_inputs(req: AuditRequest) -> Inputs:
    """Read and validate every input before any request is sent (InputError / ConfigError)."""
    if not req.maps and not req.url_lists:
        raise ConfigError("nothing to audit: give a redirect map (--map) or a URL list (--urls)")
    base = check_base_url(req.base_url)
    target_base = check_base_url(req.target_base_url)
    rules: list[RedirectRule] = []
    skipped: list[SkippedRow] = []
    for m in req.maps:
        got, skip = read_map_file(m, base, target_base, req.map_format)
        rules.extend(got)
        skipped.extend(skip)
    listed: list[LegacyURL] = []
    for u in req.url_lists:
        listed.extend(read_url_list(u, base))
    legacy = collect_legacy(rules, listed)
    if not legacy:
        names = ", ".join(req.maps + req.url_lists)
        raise InputError(f"no URLs to audit in {names}")
    return Inputs(tuple(rules), legacy, tuple(skipped))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _run_info(req: AuditRequest, started: str, partial: bool, extra: dict[str, Any]) -> dict[str, Any]:
    crawl = asdict(req.crawl)
    crawl["connect_to"] = [str(c) for c in req.crawl.connect_to]
    return {
        "tool": "migrationaudit",
        "version": __version__,
        "python": platform.python_version(),
        "started_at": started,
        "finished_at": _now(),
        "inputs": list(req.maps) + list(req.url_lists),
        "base_url": req.base_url,
        "connect_to": crawl["connect_to"],
        "options": {
            "max_hops": req.crawl.max_hops,
            "concurrency": req.crawl.concurrency,
            "per_host_concurrency": req.crawl.per_host_concurrency,
            "delay": req.crawl.delay,
            "timeout": req.crawl.timeout,
            "retries": req.crawl.retries,
            "user_agent": req.crawl.user_agent,
            "many_to_one": req.checks.many_to_one,
            "fail_on": req.fail_on.label,
            "disabled_rules": sorted(req.checks.disabled),
        },
        "partial": partial,
        **extra,
    }


def check_map_only(req: AuditRequest) -> AuditResult:
    """Run only the map rules (no request is sent)."""
    started = _now()
    inputs = load_inputs(req)
    ctx = AuditContext(rules=inputs.rules, legacy=inputs.legacy, graph=None, chains={},
                       options=req.checks)
    findings, skipped = run_checks(ctx)
    skipped = tuple(s for s in skipped if s.reason != "no crawl was run")
    verdicts = build_verdicts(ctx, findings)
    return AuditResult(
        findings=findings, verdicts=verdicts, chains={}, skipped=skipped, rules=rule_infos(),
        fail_on=req.fail_on, run=_run_info(req, started, False, {"mode": "check-map", "input": inputs.notes()}),
    )


def run_audit(
    req: AuditRequest, progress: Callable[[int, int], None] | None = None
) -> AuditResult:
    """Read inputs, crawl hop by hop, judge every legacy URL, return the result.

    The crawl runs in a child process and streams hop records to ``out_dir/run/hops.jsonl``;
    reports are written by the caller (see :func:`migrationaudit.reports.write_reports`).
    """
    from migrationaudit.crawl import read_hops, run_crawl

    started = _now()
    inputs = load_inputs(req)
    rules, legacy = inputs.rules, inputs.legacy
    run_dir = req.out_dir / RUN_SUBDIR
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "inputs.json").write_text(
        json.dumps(
            {
                "maps": list(req.maps),
                "url_lists": list(req.url_lists),
                "legacy": [
                    {"url": item.url, "origin": item.origin.to_dict(),
                     "expected_url": item.expected_target}
                    for item in legacy
                ],
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    summary = run_crawl((item.url for item in legacy), run_dir, req.crawl, progress=progress)
    graph = build_graph(read_hops(run_dir))
    chains = chains_for(graph, [item.url for item in legacy], req.crawl.max_hops)
    ctx = AuditContext(rules=rules, legacy=legacy, graph=graph, chains=chains, options=req.checks)
    findings, skipped = run_checks(ctx)
    verdicts = build_verdicts(ctx, findings)
    partial = not summary.complete
    extra = {
        "mode": "audit",
        "input": inputs.notes(),
        "run_dir": str(run_dir),
        "crawl": {
            "seeds": summary.seeds,
            "fetched": summary.fetched,
            "elapsed_s": round(summary.elapsed_s, 2),
            "complete": summary.complete,
            "interrupted": summary.interrupted,
        },
    }
    return AuditResult(
        findings=findings, verdicts=verdicts, chains=chains, skipped=skipped, rules=rule_infos(),
        fail_on=req.fail_on, run=_run_info(req, started, partial, extra),
    )

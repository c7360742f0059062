"""Saved runs: what a run directory (``OUT/run/``) keeps so that a run can be judged again
without the network — re-rendered with a new configuration (``migrationaudit report``),
compared (``migrationaudit diff``) or partly re-checked (``--only-failed``).

A run directory holds, besides the crawl's own files (``seeds.txt``, ``job.json``,
``hops.jsonl``, ``crawl.json``, ``crawl.log``; see :mod:`migrationaudit.crawl`)::

    inputs.json   maps, url_lists, legacy (url, origin, expected_url)   — since the first
                  version; added: schema, rules (every map row with its origin, status and
                  note), listed (URL-list entries), skipped_rows, request (base URLs, map
                  format, --priority export paths and columns, working folder)
    run.json      the run metadata of the result (timestamps, options, crawl summary)

Everything is additive: a run directory without the added keys is still read (its map rows
are rebuilt from ``legacy``, without status or note).

The ``--priority`` exports are referenced, not copied (they can be large and are the user's
files): a re-render reads them again from their saved paths. One that is gone or no longer
readable is left out, and :attr:`SavedRun.notes` says so (the CLI prints the notes; the
re-rendered result names the missing files in ``run["priority_missing"]``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrationaudit.errors import InputError
from migrationaudit.inputs.hosting import SkippedRow
from migrationaudit.models import AuditResult, Hop, LegacyURL, Origin, RedirectRule, Severity
from migrationaudit.settings import CheckOptions, CrawlOptions, SiteOptions

if TYPE_CHECKING:
    from migrationaudit.crawl import CrawlSummary
    from migrationaudit.gate import GatePolicy
    from migrationaudit.inputs.priority import PriorityIndex
    from migrationaudit.pipeline import AuditRequest, Inputs

INPUTS_FILE = "inputs.json"
RUN_FILE = "run.json"
RECHECK_SUBDIR = "run-recheck"
SCHEMA = 2  # inputs.json: 1 = maps/url_lists/legacy only; 2 = rules, listed, request too


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _rule_dict(r: RedirectRule) -> dict[str, Any]:
    return {
        "source": r.source,
        "expected_target": r.expected_target,
        "expected_status": r.expected_status,
        "note": r.note,
        "origin": r.origin.to_dict(),
    }


def save_inputs(run_dir: Path, req: AuditRequest, inputs: Inputs) -> None:
    """Write ``inputs.json``: the validated inputs, enough to judge the run again."""
    listed = [item for item in inputs.legacy if item.rule is None]
    _write_json(
        Path(run_dir) / INPUTS_FILE,
        {
            "schema": SCHEMA,
            "maps": list(req.maps),
            "url_lists": list(req.url_lists),
            "legacy": [
                {
                    "url": item.url,
                    "origin": item.origin.to_dict(),
                    "expected_url": item.expected_target,
                }
                for item in inputs.legacy
            ],
            "rules": [_rule_dict(r) for r in inputs.rules],
            "listed": [{"url": item.url, "origin": item.origin.to_dict()} for item in listed],
            "skipped_rows": [
                {"origin": row.origin.to_dict(), "reason": row.reason}
                for row in inputs.skipped_rows
            ],
            "request": {
                "base_url": req.base_url,
                "target_base_url": req.target_base_url,
                "map_format": req.map_format,
                "priority": list(getattr(req, "priority", ())),
                "priority_columns": [list(c) for c in getattr(req, "priority_columns", ())],
                "site": dataclasses.asdict(req.site) if hasattr(req, "site") else None,
                "cwd": os.getcwd(),
            },
        },
    )


def save_run_info(run_dir: Path, run: Mapping[str, Any]) -> None:
    """Write ``run.json`` (the result's run metadata, as JSON data)."""
    from migrationaudit.reports.common import jsonable

    _write_json(Path(run_dir) / RUN_FILE, jsonable(run))


# --- reading a saved run ---------------------------------------------------------------------


@dataclass(frozen=True)
class SavedRun:
    """A run directory read back: its inputs, crawl options and summary, run metadata."""

    run_dir: Path
    inputs: Inputs
    crawl: CrawlOptions
    summary: CrawlSummary | None
    run: dict[str, Any]
    site: SiteOptions = dataclasses.field(default_factory=SiteOptions)
    # Problems reading the run again that do not stop a re-render (a --priority export gone),
    # one sentence each, for the user; ``priority_missing`` names the exports left out.
    notes: tuple[str, ...] = ()
    priority_missing: tuple[str, ...] = ()


def find_run_dir(path: str | Path) -> Path:
    """The run directory for ``path``: an ``OUT`` folder (its ``run/``) or the run directory
    itself. InputError when neither holds hop records."""
    from migrationaudit.crawl import HOPS_FILE

    path = Path(path)
    for candidate in (path / "run", path):
        if (candidate / HOPS_FILE).is_file() and (candidate / INPUTS_FILE).is_file():
            return candidate
    raise InputError(f"{path}: not a run directory (no run/{HOPS_FILE} and {INPUTS_FILE})")


def _origin(d: Mapping[str, Any], moved: Callable[[str], str]) -> Origin:
    return Origin(moved(str(d.get("file", ""))), int(d.get("line", 0)))


def _mover(saved_cwd: str | None) -> Callable[[str], str]:
    """Origins are paths relative to the folder the run was started in; rewrite them
    relative to the current one, so reports point at the same files."""
    here = os.getcwd()

    def move(file: str) -> str:
        if not saved_cwd or saved_cwd == here or not file or file.startswith("<") or file == "-":
            return file
        if os.path.isabs(file):
            return file
        return os.path.relpath(os.path.join(saved_cwd, file), here)

    return move


def load_inputs_file(run_dir: Path) -> tuple[Inputs, dict[str, Any]]:
    """The :class:`Inputs` saved in ``run_dir/inputs.json`` and its ``request`` block."""
    inputs, request, _ = _load_inputs(run_dir)
    return inputs, request


def _load_inputs(run_dir: Path) -> tuple[Inputs, dict[str, Any], PriorityReread]:
    from migrationaudit.pipeline import Inputs, collect_legacy

    path = run_dir / INPUTS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read saved inputs: {exc}", file=str(path)) from None
    request = dict(data.get("request") or {})
    move = _mover(request.get("cwd"))
    try:
        if "rules" in data:
            rules = tuple(
                RedirectRule(
                    source=r["source"],
                    expected_target=r.get("expected_target"),
                    origin=_origin(r["origin"], move),
                    expected_status=r.get("expected_status"),
                    note=r.get("note") or "",
                )
                for r in data["rules"]
            )
            listed = [
                LegacyURL(url=x["url"], origin=_origin(x["origin"], move))
                for x in data.get("listed", [])
            ]
        else:  # the first layout: only legacy URLs and their expected targets
            rules = tuple(
                RedirectRule(x["url"], x["expected_url"], _origin(x["origin"], move))
                for x in data["legacy"]
                if x.get("expected_url")
            )
            listed = [
                LegacyURL(url=x["url"], origin=_origin(x["origin"], move))
                for x in data["legacy"]
                if not x.get("expected_url")
            ]
        skipped = tuple(
            SkippedRow(_origin(x["origin"], move), str(x["reason"]))
            for x in data.get("skipped_rows", [])
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"corrupt saved inputs: {exc!r}", file=str(path)) from None
    legacy = collect_legacy(rules, listed)
    priority = _priority(request, move)
    return Inputs(rules, legacy, skipped, priority.index), request, priority


@dataclass(frozen=True)
class PriorityReread:
    """The run's ``--priority`` exports read again: the index of those still readable (None
    when none is), the exports left out, and a sentence for each problem."""

    index: PriorityIndex | None = None
    missing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _priority(request: Mapping[str, Any], move: Callable[[str], str]) -> PriorityReread:
    """The run's --priority exports read again from their saved paths (values for ranking).
    An export that is gone or unreadable now is left out and named in the notes: the
    re-render then ranks with what is left (nothing, when every export is gone) but judges
    the same URLs (the ones only an export had are saved among the listed URLs)."""
    from migrationaudit.errors import MigrationAuditError
    from migrationaudit.inputs.common import check_base_url
    from migrationaudit.inputs.priority import read_priority

    saved = [str(f) for f in request.get("priority") or []]
    if not saved:
        return PriorityReread()
    present: list[str] = []
    missing: list[str] = []
    notes: list[str] = []
    for original in saved:
        path = move(original)
        if os.path.isfile(path):
            present.append(path)
        else:
            missing.append(path)
            notes.append(f"--priority export {path} is gone: rendering without its link values")
    if not present:
        return PriorityReread(None, tuple(missing), tuple(notes))
    columns = {str(k): str(v) for k, v in request.get("priority_columns") or []}
    try:
        base = check_base_url(request.get("base_url"))
        return PriorityReread(
            read_priority(tuple(present), base, columns), tuple(missing), tuple(notes)
        )
    except MigrationAuditError as exc:
        notes.append(
            f"--priority exports cannot be read again ({exc}): rendering without link values"
        )
        return PriorityReread(None, tuple(missing + present), tuple(notes))


def load_run(path: str | Path) -> SavedRun:
    """Read a saved run (``OUT`` or ``OUT/run``); InputError when it is not one."""
    from migrationaudit.crawl import JOB_FILE, options_from_dict, read_summary

    run_dir = find_run_dir(path)
    inputs, request, priority = _load_inputs(run_dir)
    try:
        job = json.loads((run_dir / JOB_FILE).read_text(encoding="utf-8"))
        crawl = options_from_dict(job)
    except (OSError, ValueError, TypeError):
        crawl = CrawlOptions()
    try:
        run = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        run = {}
    if not isinstance(run, dict):
        run = {}
    return SavedRun(
        run_dir,
        inputs,
        crawl,
        read_summary(run_dir),
        run,
        _site_options(request),
        notes=priority.notes,
        priority_missing=priority.missing,
    )


def _site_options(request: Mapping[str, Any]) -> SiteOptions:
    """The new-site stage's options of a saved run (defaults when it has none)."""
    saved = request.get("site")
    if not isinstance(saved, dict):
        return SiteOptions()
    names = {f.name for f in dataclasses.fields(SiteOptions)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in saved.items() if k in names}
    try:
        return SiteOptions(**values)
    except TypeError:
        return SiteOptions()


def rebuild(saved: SavedRun, checks: CheckOptions, fail_on: Severity) -> AuditResult:
    """Judge a saved run again with ``checks`` and ``fail_on`` (no network)."""
    from migrationaudit.checks import rule_infos
    from migrationaudit.crawl import read_hops
    from migrationaudit.pipeline import judge
    from migrationaudit.sitecheck import SiteRun, read_records

    site = SiteRun(saved.site, read_records(saved.run_dir))
    judged = judge(saved.inputs, read_hops(saved.run_dir), checks, saved.crawl.max_hops, site=site)
    run = dict(saved.run)
    options = dict(run.get("options") or {})
    options.update(
        fail_on=fail_on.label,
        many_to_one=checks.many_to_one,
        disabled_rules=sorted(checks.disabled),
    )
    run.update(
        options=options,
        run_dir=str(saved.run_dir),
        rerendered_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    if saved.summary is not None and "partial" not in run:
        run["partial"] = not saved.summary.complete
    run.pop("priority_missing", None)  # a saved run.json never has it; said anew each time
    if saved.priority_missing:
        run["priority_missing"] = list(saved.priority_missing)
    return AuditResult(
        findings=judged.findings,
        verdicts=judged.verdicts,
        chains=judged.chains,
        skipped=judged.skipped,
        rules=rule_infos(),
        fail_on=fail_on,
        run=run,
    )


# --- --only-failed ---------------------------------------------------------------------------


def failing_urls(result: AuditResult) -> set[str]:
    """Legacy URLs that failed: a finding that fails the gate, or an incomplete chain."""
    urls = {f.url for f in result.gating_findings()}
    urls.update(v.url for v in result.verdicts if v.verdict == "incomplete")
    return urls


def _write_hops(path: Path, hops: Iterable[Hop]) -> int:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    count = 0
    try:
        with tmp.open("w", encoding="utf-8") as f:
            for h in hops:
                f.write(json.dumps(h.to_dict(), ensure_ascii=False) + "\n")
                count += 1
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return count


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
    from migrationaudit.crawl import (
        HOPS_FILE,
        JOB_FILE,
        SUMMARY_FILE,
        options_to_dict,
        read_hops,
        run_crawl,
    )
    from migrationaudit.crawl import CrawlSummary as Summary
    from migrationaudit.gate import apply
    from migrationaudit.pipeline import RUN_SUBDIR, _now, finish_run, load_inputs

    started = _now()
    saved = load_run(previous)
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
        summary = run_crawl(recheck, recheck_dir, req.crawl, progress=progress)
        new_hops = list(read_hops(recheck_dir))
    else:
        summary = Summary(seeds=0, fetched=0, complete=True, elapsed_s=0.0, interrupted=False)
        new_hops = []
    fresh = {h.url for h in new_hops}
    merged = [h for h in old_hops if h.url not in fresh] + new_hops

    save_inputs(run_dir, req, inputs)
    fetched = _write_hops(run_dir / HOPS_FILE, merged)
    # The new-site stage (robots.txt, sitemaps, crawl) is not re-run: keep its records.
    from migrationaudit.sitework import RECORDS_FILE

    records = saved.run_dir / RECORDS_FILE
    if records.is_file() and records.resolve() != (run_dir / RECORDS_FILE).resolve():
        shutil.copyfile(records, run_dir / RECORDS_FILE)
    _write_json(run_dir / JOB_FILE, options_to_dict(req.crawl))
    total = Summary(
        seeds=len(inputs.legacy),
        fetched=fetched,
        complete=summary.complete,
        elapsed_s=summary.elapsed_s,
        interrupted=summary.interrupted,
    )
    _write_json(run_dir / SUMMARY_FILE, total.to_dict())
    result = finish_run(req, inputs, run_dir, total, started)
    info = {
        "previous": str(saved.run_dir),
        "rechecked": len(recheck),
        "kept": len(inputs.legacy) - len(recheck),
        "recheck_dir": str(recheck_dir) if recheck else None,
    }
    result = replace(result, run={**result.run, "only_failed": info})
    save_run_info(run_dir, result.run)
    return result

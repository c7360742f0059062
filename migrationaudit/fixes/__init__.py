"""The corrected redirect map and server rules: what the observed chains say each legacy URL
should redirect to (:mod:`~migrationaudit.fixes.plan`), written as files for each server
(:mod:`~migrationaudit.fixes.servers`) to ``OUT/fixes/``."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from migrationaudit.errors import ReportError
from migrationaudit.fixes.plan import FIXES_SUBDIR, FixPlan, build_fixes
from migrationaudit.fixes.servers import render_all
from migrationaudit.fixes.suggested import SUGGESTED_FILE, accept_suggestions, render_suggestions
from migrationaudit.models.result import AuditResult
from migrationaudit.rundir.layout import commit, discard, os_reason, stage


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused (as it was before, after): reading a big plan's
    server files back makes millions of small acyclic objects (freed by reference counting),
    and each full collection they set off scanned the whole run's result again — 40 % of
    the time of writing fixes/ for 100,000 URLs."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def write_fixes(result: AuditResult, out_dir: Path, accept: float | None = None) -> FixPlan:
    """Plan the fixes and write every file to ``out_dir/fixes/`` (all or nothing replaced);
    suggestions scoring ``accept`` or more are merged in (``--accept-suggestions``); a rule
    that would still chain is not written (pre-flight reads the server files back)."""
    with _no_cycle_collection():
        return _write_fixes(result, out_dir, accept)


def _write_fixes(result: AuditResult, out_dir: Path, accept: float | None) -> FixPlan:
    from migrationaudit.preflight.fixcheck import checked_plan

    plan = build_fixes(result)
    if accept is not None:
        plan = accept_suggestions(plan, result, accept)
    rendered = render_all(plan)
    checked = checked_plan(plan, rendered)  # a rule that would still chain is not written
    if checked is not plan:  # rules were moved to review: the files change with them
        plan, rendered = checked, render_all(checked)
    folder = Path(out_dir) / FIXES_SUBDIR
    staged: dict[Path, Path] = {}
    files = {**rendered, SUGGESTED_FILE: render_suggestions(result.suggestions)}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            staged[folder / name] = stage(folder / name, text, sync=False)
        commit(staged)
    except OSError as exc:
        discard(staged)
        raise ReportError(f"cannot write {folder}: {os_reason(exc)}") from exc
    return plan

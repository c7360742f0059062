"""Writing a run directory's saved state: the start of a run (:func:`begin_run`), the inputs
(``inputs.json``, :func:`save_inputs`) and the run metadata (``run.json``,
:func:`save_run_info`). What these files hold, and how they are read back, is in
:mod:`migrationaudit.rundir.saved`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path
from typing import Any

from migrationaudit.errors import ReportError
from migrationaudit.inputs import Inputs
from migrationaudit.models.inputs import RedirectRule
from migrationaudit.models.result import jsonable
from migrationaudit.models.runinfo import RunInfo
from migrationaudit.options import AuditRequest
from migrationaudit.rundir.job import write_job
from migrationaudit.rundir.layout import (
    HOPS_FILE,
    INPUTS_FILE,
    RUN_FILE,
    SCHEMA,
    SHARDS_DIR,
    SITE_JOB_FILE,
    SITE_RECORDS_FILE,
    SUMMARY_FILE,
    lock_run_dir,
    sweep_staged,
    write_or_fail,
)
from migrationaudit.rundir.savedlogs import logs_request
from migrationaudit.settings import CrawlOptions


def write_json(path: Path, data: Any) -> None:
    """Write a JSON state file atomically; ReportError (exit 4) names the file when it
    cannot be written."""
    write_or_fail(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


# Files of an earlier run in the folder that a new run replaces (inputs.json first: from then
# on the folder is not resumable until the new inputs.json is written).
_STALE = (INPUTS_FILE, HOPS_FILE, SUMMARY_FILE, RUN_FILE, SITE_RECORDS_FILE, SITE_JOB_FILE)


def begin_run(run_dir: Path, crawl: CrawlOptions) -> None:
    """Start a new run in ``run_dir``: drop an earlier run's state and write ``job.json``.
    The caller then writes the new-site job and, last, ``inputs.json``. Waits for a crawl
    process of an earlier, killed run that is still closing down (see
    :func:`migrationaudit.crawl.lock_run_dir`)."""

    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create {run_dir}: {exc.strerror or exc}") from exc
    lock = lock_run_dir(run_dir)
    try:
        for name in _STALE:
            (run_dir / name).unlink(missing_ok=True)
        shutil.rmtree(run_dir / SHARDS_DIR, ignore_errors=True)
        sweep_staged(run_dir)
        write_job(run_dir, crawl)
    except OSError as exc:
        raise ReportError(f"cannot write {exc.filename or run_dir}: {exc.strerror or exc}") from exc
    finally:
        os.close(lock)


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
    write_json(
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
                | ({"unreadable": True, "text": row.text} if row.unreadable else {})
                for row in inputs.skipped_rows
            ],
            # the host rule files' facts (migrationaudit.preflight), for a run judged again
            **(
                {
                    "rule_file": {
                        "format": inputs.rule_file.fmt,
                        "notes": [n.to_dict() for n in inputs.rule_file.notes],
                        "answers": [a.to_dict() for a in inputs.rule_file.answers],
                    }
                }
                if inputs.rule_file is not None
                else {}
            ),
            "request": {
                "base_url": req.base_url,
                "target_base_url": req.target_base_url,
                "map_format": req.map_format,
                "priority": list(getattr(req, "priority", ())),
                "priority_columns": [list(c) for c in getattr(req, "priority_columns", ())],
                "site": dataclasses.asdict(req.site) if hasattr(req, "site") else None,
                **logs_request(req),
                # content parity: the snapshot (absolute) or the old origin, for a resume
                **{k: v for k in ("snapshot", "old_origin") if (v := getattr(req, k, None))},
                "cwd": os.getcwd(),
            },
        },
    )


def save_run_info(run_dir: Path, run: RunInfo) -> None:
    """Write ``run.json`` (the result's run metadata, as JSON data)."""

    write_json(Path(run_dir) / RUN_FILE, jsonable(run.to_dict()))


# --- reading a saved run ---------------------------------------------------------------------

"""A run folder checked before it is read again: every state file of the right shape and types,
or an InputError naming the file (and the line, for JSON lines). A run folder is never
half-read."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from migrationaudit.errors import InputError
from migrationaudit.rundir.job import options_from_dict
from migrationaudit.rundir.layout import (
    HOPS_FILE,
    INPUTS_FILE,
    JOB_FILE,
    RUN_FILE,
    SCHEMA,
    SITE_RECORDS_FILE,
    SUMMARY_FILE,
)
from migrationaudit.rundir.records import check_jsonl, checked_hop_line, site_line_check
from migrationaudit.settings import CrawlOptions


def _json_object(path: Path, what: str) -> dict[str, Any] | None:
    """A state file's JSON object; None when the file is absent; InputError when it is not
    readable JSON or not an object."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {what}: {exc}", str(path)) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"corrupt {what}: not JSON ({exc})", str(path)) from None
    if not isinstance(data, dict):
        raise InputError(f"corrupt {what}: expected a JSON object", str(path))
    return data


def _check_inputs_shape(data: Mapping[str, Any], path: Path) -> None:
    schema = data.get("schema", 1)
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise InputError(f"corrupt saved inputs: bad schema {schema!r}", str(path))
    if schema > SCHEMA:
        raise InputError(
            f"written by a newer migrationaudit (schema {schema}; this version reads up to "
            f"{SCHEMA}): re-run the audit, or use the version that wrote it",
            str(path),
        )
    lists = ("maps", "url_lists", "legacy", "rules", "listed", "skipped_rows")
    for key in lists:
        if key in data and not isinstance(data[key], list):
            raise InputError(f'corrupt saved inputs: "{key}" must be a list', str(path))
    if "legacy" not in data:
        raise InputError('corrupt saved inputs: no "legacy" list', str(path))
    for key in ("legacy", "rules", "listed"):
        for k, item in enumerate(data.get(key) or []):
            if not isinstance(item, dict) or not isinstance(
                item.get("url", item.get("source")), str
            ):
                raise InputError(
                    f'corrupt saved inputs: "{key}"[{k}] must be an object with a URL', str(path)
                )
            origin = item.get("origin")
            if origin is not None and not (
                isinstance(origin, dict)
                and isinstance(origin.get("file", ""), str)
                and isinstance(origin.get("line", 0), int)
            ):
                raise InputError(f'corrupt saved inputs: "{key}"[{k}].origin', str(path))
    if "request" in data and not isinstance(data["request"], dict | None):
        raise InputError('corrupt saved inputs: "request" must be an object', str(path))


def _check_job_shape(data: Mapping[str, Any], path: Path) -> None:

    fields = {f.name: f for f in dataclasses.fields(CrawlOptions)}
    defaults = CrawlOptions()
    for key, value in data.items():
        if key not in fields:
            continue  # an option of another version: ignored, like options_from_dict does
        expected = getattr(defaults, key)
        if isinstance(expected, bool):
            ok = isinstance(value, bool)
        elif isinstance(expected, int | float):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif isinstance(expected, tuple):
            ok = isinstance(value, list)
        elif isinstance(expected, str):
            ok = isinstance(value, str)
        else:
            ok = True  # optional values (None by default): options_from_dict checks them
        if not ok:
            raise InputError(f'corrupt crawl options: "{key}" has the wrong type', str(path))
    try:
        options_from_dict(dict(data))
    except (TypeError, ValueError, KeyError) as exc:
        raise InputError(f"corrupt crawl options: {exc}", str(path)) from None


_SUMMARY_FLAGS = frozenset({"complete", "interrupted"})


_SUMMARY_NUMBERS = frozenset({"seeds", "fetched", "elapsed_s", "finished", "workers"})


def check_state(run_dir: Path) -> dict[str, Any]:
    """Refuse a run directory whose state files were damaged or edited by hand, or written by
    a newer version: InputError naming the file (and the line, for JSON lines). Checks
    ``inputs.json``, ``job.json``, ``crawl.json``, ``run.json``, ``site-job.json`` and every
    complete line of ``hops.jsonl`` and ``site.jsonl``. A last line cut off by a kill is
    allowed (it is dropped); an absent optional file is too. Returns ``inputs.json``'s data
    (checked), so a reader of the run need not read it again."""
    from migrationaudit.rundir.layout import SITE_JOB_FILE

    run_dir = Path(run_dir)
    inputs = _json_object(run_dir / INPUTS_FILE, "saved inputs")
    if inputs is None:
        raise InputError("no saved inputs: not a run directory", str(run_dir / INPUTS_FILE))
    _check_inputs_shape(inputs, run_dir / INPUTS_FILE)
    job = _json_object(run_dir / JOB_FILE, "crawl options")
    if job is not None:
        _check_job_shape(job, run_dir / JOB_FILE)
    summary = _json_object(run_dir / SUMMARY_FILE, "crawl summary")
    if summary is not None:
        for key, value in summary.items():
            if key in _SUMMARY_FLAGS:
                ok = isinstance(value, bool)
            elif key in _SUMMARY_NUMBERS:
                ok = isinstance(value, int | float) and not isinstance(value, bool)
            else:
                continue  # text, or a key of another version: CrawlSummary.from_dict reads it
            if not ok:
                msg = f'corrupt crawl summary: "{key}" has the wrong type'
                raise InputError(msg, str(run_dir / SUMMARY_FILE))
    _json_object(run_dir / RUN_FILE, "run metadata")
    _json_object(run_dir / SITE_JOB_FILE, "new-site job")
    hops = run_dir / HOPS_FILE

    def hop_line(line: bytes, lineno: int) -> None:
        # Decoded and checked only: the Hops are built when the records are read.
        checked_hop_line(line, hops, lineno)

    check_jsonl(hops, hop_line)
    check_jsonl(run_dir / SITE_RECORDS_FILE, site_line_check(run_dir / SITE_RECORDS_FILE))
    return inputs

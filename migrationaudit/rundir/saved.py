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
are rebuilt from ``legacy``, without status or note). A run directory written by a newer
version (``schema`` above :data:`SCHEMA`) or edited by hand (bad JSON, a record of the wrong
shape) is refused with an :class:`InputError` naming the file and, for JSON lines, the line
(:func:`check_state`, :func:`hop_record`): it is never half-read. State is JSON; nothing is
ever pickled.

The order of a new run makes every moment of it resumable
(:func:`~migrationaudit.rundir.saving.begin_run`): the previous
state is dropped, ``job.json`` and the new-site job are written, and ``inputs.json`` comes
last: a folder with ``inputs.json`` can be resumed (``--resume``), one without it never
started its crawl.

The ``--priority`` exports are referenced, not copied (they can be large and are the user's
files): a re-render reads them again from their saved paths. One that is gone or no longer
readable is left out, and :attr:`SavedRun.notes` says so (the CLI prints the notes; the
re-rendered result names the missing files in ``run.priority_missing``).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrationaudit.errors import InputError, MigrationAuditError
from migrationaudit.inputs import Inputs, collect_legacy
from migrationaudit.inputs.common import check_base_url
from migrationaudit.inputs.hosting import SkippedRow
from migrationaudit.inputs.priority import read_priority
from migrationaudit.inputs.priorityindex import PriorityIndex
from migrationaudit.models.inputs import LegacyURL, Origin, RedirectRule
from migrationaudit.models.runinfo import RunInfo
from migrationaudit.preflight.model import RuleFileFacts
from migrationaudit.rundir.job import (
    CrawlSummary,
    options_from_dict,
    read_summary,
    site_options_from_dict,
)
from migrationaudit.rundir.layout import (
    HOPS_FILE,
    INPUTS_FILE,
    JOB_FILE,
    RUN_FILE,
)
from migrationaudit.rundir.savedlogs import reread_logs
from migrationaudit.rundir.state import check_state
from migrationaudit.settings import CrawlOptions, SiteOptions


@dataclass(frozen=True)
class SavedRun:
    """A run directory read back: its inputs, crawl options and summary, run metadata."""

    run_dir: Path
    inputs: Inputs
    crawl: CrawlOptions
    summary: CrawlSummary | None
    run: RunInfo
    site: SiteOptions = dataclasses.field(default_factory=SiteOptions)
    # Problems reading the run again that do not stop a re-render (a --priority export gone),
    # one sentence each, for the user; ``priority_missing`` names the exports left out.
    notes: tuple[str, ...] = ()
    priority_missing: tuple[str, ...] = ()


def find_run_dir(path: str | Path) -> Path:
    """The run directory for ``path``: an ``OUT`` folder (its ``run/``) or the run directory
    itself. InputError when neither is one: a run directory has ``inputs.json`` and hop
    records or, when it was stopped before its crawl wrote any, ``job.json``."""

    path = Path(path)
    for candidate in (path / "run", path):
        if (candidate / INPUTS_FILE).is_file() and (
            (candidate / HOPS_FILE).is_file() or (candidate / JOB_FILE).is_file()
        ):
            return candidate
    raise InputError(f"{path}: not a run directory (no run/{HOPS_FILE} and {INPUTS_FILE})")


# --- checking a saved run's state files -------------------------------------------------------


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


def _load_inputs(
    run_dir: Path, data: dict[str, Any] | None = None
) -> tuple[Inputs, dict[str, Any], PriorityReread]:
    """The saved inputs; ``data``: ``inputs.json`` already read (and checked)."""
    path = run_dir / INPUTS_FILE
    if data is None:
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
            SkippedRow(
                _origin(x["origin"], move),
                str(x["reason"]),
                bool(x.get("unreadable", False)),
                str(x.get("text", "")),
            )
            for x in data.get("skipped_rows", [])
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"corrupt saved inputs: {exc!r}", file=str(path)) from None
    legacy = collect_legacy(rules, listed)
    priority = _priority(request, move)
    traffic, log_notes = reread_logs(request, move)
    priority = dataclasses.replace(priority, notes=priority.notes + log_notes)
    inputs = Inputs(
        rules, legacy, skipped, priority.index, rule_file=_rule_file(data), traffic=traffic
    )
    return inputs, request, priority


def _rule_file(data: dict[str, Any]) -> RuleFileFacts | None:
    """The saved host rule files' facts (None for a run without one, or an older run)."""
    from migrationaudit.preflight.model import PredictedAnswer, RuleNote, facts_from_notes

    saved = data.get("rule_file")
    if not isinstance(saved, dict):
        return None
    try:
        notes = [RuleNote.from_dict(n) for n in saved.get("notes") or ()]
        answers = [PredictedAnswer.from_dict(a) for a in saved.get("answers") or ()]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"corrupt saved rule-file facts: {exc!r}") from None
    return facts_from_notes(str(saved.get("format", "")), notes, answers)


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

    run_dir = find_run_dir(path)
    checked = check_state(run_dir)  # inputs.json is read once: tens of MB at 100,000 URLs
    inputs, request, priority = _load_inputs(run_dir, checked)
    try:
        job = json.loads((run_dir / JOB_FILE).read_text(encoding="utf-8"))
        crawl = options_from_dict(job)
    except (OSError, ValueError, TypeError):
        crawl = CrawlOptions()
    try:
        data = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    return SavedRun(
        run_dir,
        inputs,
        crawl,
        read_summary(run_dir),
        RunInfo.from_dict(data if isinstance(data, dict) else {}),
        _site_options(request),
        notes=priority.notes,
        priority_missing=priority.missing,
    )


def _site_options(request: Mapping[str, Any]) -> SiteOptions:
    """The new-site stage's options of a saved run (defaults when it has none)."""
    return site_options_from_dict(request.get("site")) or SiteOptions()


# --- --only-failed ---------------------------------------------------------------------------

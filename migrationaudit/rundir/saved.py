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

The order of a new run makes every moment of it resumable (:func:`begin_run`): the previous
state is dropped, ``job.json`` and the new-site job are written, and ``inputs.json`` comes
last: a folder with ``inputs.json`` can be resumed (``--resume``), one without it never
started its crawl.

The ``--priority`` exports are referenced, not copied (they can be large and are the user's
files): a re-render reads them again from their saved paths. One that is gone or no longer
readable is left out, and :attr:`SavedRun.notes` says so (the CLI prints the notes; the
re-rendered result names the missing files in ``run["priority_missing"]``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrationaudit.errors import InputError, MigrationAuditError, ReportError
from migrationaudit.inputs import Inputs, collect_legacy
from migrationaudit.inputs.common import check_base_url
from migrationaudit.inputs.hosting import SkippedRow
from migrationaudit.inputs.priority import PriorityIndex, read_priority
from migrationaudit.models import LegacyURL, Origin, RedirectRule, jsonable
from migrationaudit.options import AuditRequest
from migrationaudit.rundir.layout import (
    HOPS_FILE,
    INPUTS_FILE,
    JOB_FILE,
    RUN_FILE,
    SHARDS_DIR,
    SITE_JOB_FILE,
    SITE_RECORDS_FILE,
    SUMMARY_FILE,
    atomic_write,
    lock_run_dir,
    sweep_staged,
    write_or_fail,
)
from migrationaudit.rundir.records import check_jsonl, hop_record, site_line_check
from migrationaudit.settings import ConnectTo, CrawlOptions, SiteOptions


def write_json(path: Path, data: Any) -> None:
    """Write a JSON state file atomically; ReportError (exit 4) names the file when it
    cannot be written."""
    write_or_fail(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


SCHEMA = 2  # inputs.json: 1 = maps/url_lists/legacy only; 2 = rules, listed, request too


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

    write_json(Path(run_dir) / RUN_FILE, jsonable(run))


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


def check_state(run_dir: Path) -> None:
    """Refuse a run directory whose state files were damaged or edited by hand, or written by
    a newer version: InputError naming the file (and the line, for JSON lines). Checks
    ``inputs.json``, ``job.json``, ``crawl.json``, ``run.json``, ``site-job.json`` and every
    complete line of ``hops.jsonl`` and ``site.jsonl``. A last line cut off by a kill is
    allowed (it is dropped); an absent optional file is too."""
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
        hop_record(line, hops, lineno)

    check_jsonl(hops, hop_line)
    check_jsonl(run_dir / SITE_RECORDS_FILE, site_line_check(run_dir / SITE_RECORDS_FILE))


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
    check_state(run_dir)
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
    return site_options_from_dict(request.get("site")) or SiteOptions()


# --- --only-failed ---------------------------------------------------------------------------


MAX_RUNTIME_STOP = "max-runtime"  # CrawlSummary.stopped: the --max-runtime deadline passed



SECRET_OPTIONS = frozenset({"headers"})  # CrawlOptions fields never written to job.json



@dataclass(frozen=True)
class CrawlSummary:
    """How a crawl went: seed count, hop records written, legacy URLs whose chain finished,
    and whether it ran to the end."""

    seeds: int
    fetched: int
    complete: bool
    elapsed_s: float
    interrupted: bool
    finished: int = 0
    workers: int = 1  # crawl processes that shared the seeds (see plan_workers)
    # A run-level limit that stopped the crawl before its end ("max-runtime"), else None.
    stopped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CrawlSummary:
        return cls(
            seeds=int(d.get("seeds", 0)),
            fetched=int(d.get("fetched", 0)),
            complete=bool(d.get("complete", False)),
            elapsed_s=float(d.get("elapsed_s", 0.0)),
            interrupted=bool(d.get("interrupted", False)),
            finished=int(d.get("finished", 0)),
            workers=int(d.get("workers", 1)),
            stopped=str(d["stopped"]) if d.get("stopped") else None,
        )



def options_to_dict(options: CrawlOptions) -> dict[str, Any]:
    """CrawlOptions as the JSON object stored in job.json (secrets left out)."""
    data = dataclasses.asdict(dataclasses.replace(options, headers=()))
    for secret in SECRET_OPTIONS:
        data.pop(secret, None)
    return data



def options_from_dict(d: dict[str, Any]) -> CrawlOptions:
    """The inverse of :func:`options_to_dict` (unknown keys are ignored)."""
    fields = {f.name for f in dataclasses.fields(CrawlOptions)}
    kwargs = {k: v for k, v in d.items() if k in fields}
    kwargs["connect_to"] = tuple(ConnectTo(**c) for c in d.get("connect_to", ()))
    kwargs["scrapy_settings"] = tuple((str(k), str(v)) for k, v in d.get("scrapy_settings", ()))
    kwargs["rewrite_host"] = tuple((str(a), str(b)) for a, b in d.get("rewrite_host", ()))
    for secret in SECRET_OPTIONS:
        kwargs.pop(secret, None)
    return CrawlOptions(**kwargs)



def read_summary(run_dir: Path) -> CrawlSummary | None:
    """The run's crawl.json, or None when the crawl never finished writing it."""
    try:
        data = json.loads((Path(run_dir) / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return CrawlSummary.from_dict(data) if isinstance(data, dict) else None



def write_summary(run_dir: Path, summary: CrawlSummary) -> None:
    """Write ``crawl.json`` (the crawl summary) atomically; ReportError when it cannot be."""
    write_or_fail(run_dir / SUMMARY_FILE, json.dumps(summary.to_dict()) + "\n")



def write_job(run_dir: Path, options: CrawlOptions) -> None:
    """Write ``job.json`` (the crawl options, secrets left out) atomically."""
    atomic_write(Path(run_dir) / JOB_FILE, json.dumps(options_to_dict(options), indent=2) + "\n")


def site_options_from_dict(data: Any) -> SiteOptions | None:
    """SiteOptions from their saved form (``dataclasses.asdict``; lists for tuples); None
    when ``data`` holds none."""
    if not isinstance(data, dict):
        return None
    names = {f for f in SiteOptions.__dataclass_fields__}
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names
    }
    try:
        return SiteOptions(**values)
    except TypeError:
        return None



def saved_site_options(run_dir: Path) -> SiteOptions | None:
    """The new-site options a run was started with (``inputs.json``'s request), for a resume
    that does not give them again."""
    try:
        data = json.loads((Path(run_dir) / INPUTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    request = data.get("request") if isinstance(data, dict) else None
    return site_options_from_dict(request.get("site") if isinstance(request, dict) else None)

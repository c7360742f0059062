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
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrationaudit.errors import ConfigError, InputError, ReportError
from migrationaudit.inputs.hosting import SkippedRow
from migrationaudit.models import (
    AuditResult,
    Hop,
    HopKind,
    LegacyURL,
    Origin,
    RedirectRule,
    Severity,
)
from migrationaudit.settings import CheckOptions, CrawlOptions, SiteOptions

if TYPE_CHECKING:
    from migrationaudit.crawl import CrawlSummary
    from migrationaudit.gate import GatePolicy
    from migrationaudit.inputs.priority import PriorityIndex
    from migrationaudit.pipeline import AuditRequest, Inputs

HOP_KINDS = frozenset(k.value for k in HopKind)  # checked once per hop record read

INPUTS_FILE = "inputs.json"
RUN_FILE = "run.json"
RECHECK_SUBDIR = "run-recheck"
SCHEMA = 2  # inputs.json: 1 = maps/url_lists/legacy only; 2 = rules, listed, request too


def _write_json(path: Path, data: Any) -> None:
    """Write ``data`` atomically; ReportError (exit 4) names the file when it cannot be."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


# Files of an earlier run in the folder that a new run replaces (inputs.json first: from then
# on the folder is not resumable until the new inputs.json is written).
_STALE = (INPUTS_FILE, "hops.jsonl", "crawl.json", RUN_FILE, "site.jsonl", "site-job.json")


def begin_run(run_dir: Path, crawl: CrawlOptions) -> None:
    """Start a new run in ``run_dir``: drop an earlier run's state and write ``job.json``.
    The caller then writes the new-site job and, last, ``inputs.json``. Waits for a crawl
    process of an earlier, killed run that is still closing down (see
    :func:`migrationaudit.crawl.lock_run_dir`)."""
    from migrationaudit.crawl import SHARDS_DIR, lock_run_dir, write_job

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


_STAGED = re.compile(r"^\..+\.(?:[0-9a-f]{12}|\d+)\.tmp$")


def sweep_staged(folder: Path) -> None:
    """Remove temporary files that a killed writer left behind in ``folder`` (the hidden
    ``.NAME.XXXX.tmp`` files of atomic writes; the real files were never touched)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if _STAGED.match(entry.name) and entry.is_file(follow_symlinks=False):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


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
                | ({"unreadable": True, "text": row.text} if row.unreadable else {})
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
    itself. InputError when neither is one: a run directory has ``inputs.json`` and hop
    records or, when it was stopped before its crawl wrote any, ``job.json``."""
    from migrationaudit.crawl import HOPS_FILE, JOB_FILE

    path = Path(path)
    for candidate in (path / "run", path):
        if (candidate / INPUTS_FILE).is_file() and (
            (candidate / HOPS_FILE).is_file() or (candidate / JOB_FILE).is_file()
        ):
            return candidate
    raise InputError(f"{path}: not a run directory (no run/{HOPS_FILE} and {INPUTS_FILE})")


# --- checking a saved run's state files -------------------------------------------------------

_OPTIONAL_TEXT = ("location", "target", "error", "ambiguity")
_PAGE_TEXT = (
    "content_type",
    "title",
    "canonical",
    "canonical_header",
    "meta_robots",
    "x_robots_tag",
    "meta_refresh",
)


def _hop_problem(d: Any) -> str | None:
    """What is wrong with a hop record's shape (None: nothing). Types are checked, not only
    keys: a hand-edited ``"status": "301"`` would otherwise be judged as a non-redirect."""
    if not isinstance(d, dict):
        return f"expected a JSON object, got {type(d).__name__}"
    if not isinstance(d.get("url"), str) or not d["url"]:
        return '"url" must be a non-empty string'
    status = d.get("status")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
        return '"status" must be an integer or null'
    if d.get("kind") not in HOP_KINDS:
        return f'"kind" must be one of {", ".join(k.value for k in HopKind)}'
    for key in _OPTIONAL_TEXT:
        if d.get(key) is not None and not isinstance(d[key], str):
            return f'"{key}" must be a string or null'
    elapsed = d.get("elapsed_ms")
    if elapsed is not None and (not isinstance(elapsed, int | float) or isinstance(elapsed, bool)):
        return '"elapsed_ms" must be a number'
    headers = d.get("headers")
    if headers is not None and not (
        isinstance(headers, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    ):
        return '"headers" must be an object of strings'
    page = d.get("page")
    if page is not None:
        if not isinstance(page, dict):
            return '"page" must be an object or null'
        for key in _PAGE_TEXT:
            if page.get(key) is not None and not isinstance(page[key], str):
                return f'"page.{key}" must be a string or null'
        pairs = page.get("hreflang") or []
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            for p in pairs
        ):
            return '"page.hreflang" must be a list of [language, URL] pairs'
        links = page.get("links")
        if links is not None and not (
            isinstance(links, list) and all(isinstance(u, str) for u in links)
        ):
            return '"page.links" must be a list of strings'
    return None


def hop_record(line: str | bytes, path: Path, lineno: int) -> Hop:
    """One line of ``hops.jsonl`` as a Hop; InputError naming ``path:lineno`` when the line
    is not JSON or not a hop record of the right shape and types."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise InputError(f"corrupt hop record: not JSON ({exc})", str(path), lineno) from None
    problem = _hop_problem(data)
    if problem is not None:
        raise InputError(f"corrupt hop record: {problem}", str(path), lineno)
    return Hop.from_dict(data)


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
    from migrationaudit.crawl import options_from_dict

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


def _check_jsonl(path: Path, check: Callable[[bytes, int], None]) -> None:
    """Every complete line of a JSON-lines file through ``check``; a last line without its
    newline (cut off by a kill) is not checked: readers and resumes drop it."""
    try:
        f = path.open("rb")
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", str(path)) from None
    with f:
        for lineno, line in enumerate(f, start=1):
            if line.endswith(b"\n") and line.strip():
                check(line, lineno)


def _site_line(path: Path) -> Callable[[bytes, int], None]:
    def check(line: bytes, lineno: int) -> None:
        try:
            record = json.loads(line)
        except ValueError as exc:
            msg = f"corrupt site record: not JSON ({exc})"
            raise InputError(msg, str(path), lineno) from None
        if not isinstance(record, dict) or not isinstance(record.get("t"), str):
            raise InputError('corrupt site record: expected an object with "t"', str(path), lineno)

    return check


_SUMMARY_FLAGS = frozenset({"complete", "interrupted"})
_SUMMARY_NUMBERS = frozenset({"seeds", "fetched", "elapsed_s", "finished", "workers"})


def check_state(run_dir: Path) -> None:
    """Refuse a run directory whose state files were damaged or edited by hand, or written by
    a newer version: InputError naming the file (and the line, for JSON lines). Checks
    ``inputs.json``, ``job.json``, ``crawl.json``, ``run.json``, ``site-job.json`` and every
    complete line of ``hops.jsonl`` and ``site.jsonl``. A last line cut off by a kill is
    allowed (it is dropped); an absent optional file is too."""
    from migrationaudit.crawl import HOPS_FILE, JOB_FILE, SUMMARY_FILE
    from migrationaudit.sitework import JOB_FILE as SITE_JOB_FILE
    from migrationaudit.sitework import RECORDS_FILE as SITE_RECORDS_FILE

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

    _check_jsonl(hops, hop_line)
    _check_jsonl(run_dir / SITE_RECORDS_FILE, _site_line(run_dir / SITE_RECORDS_FILE))


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
    from migrationaudit.pipeline import RUN_SUBDIR, _now, audit_scope, finish_run, load_inputs

    started = _now()
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

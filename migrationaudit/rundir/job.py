"""The crawl's side of a run folder: its options (``job.json``, secrets left out), its summary
(``crawl.json``), and the new-site options a run was started with."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrationaudit.rundir.layout import (
    INPUTS_FILE,
    JOB_FILE,
    SUMMARY_FILE,
    atomic_write,
    write_or_fail,
)
from migrationaudit.settings import ConnectTo, CrawlOptions, SiteOptions

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

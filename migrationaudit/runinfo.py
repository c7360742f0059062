"""The run's metadata as the pipeline makes it: one :class:`~migrationaudit.models.RunInfo` per
result, from the request, the crawl's summary and what the stage adds (``mode``, the input
notes). The keys and their order are those ``run.json`` has always had."""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from migrationaudit import __version__
from migrationaudit.crawl import access_info
from migrationaudit.humanize import format_duration
from migrationaudit.launch import launch_info
from migrationaudit.models.runinfo import RunInfo
from migrationaudit.options import AuditRequest
from migrationaudit.rundir.job import CrawlSummary
from migrationaudit.settings import CrawlOptions


def now() -> str:
    """The current UTC time as the run metadata writes it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_info(req: AuditRequest, started: str, partial: bool, extra: Mapping[str, Any]) -> RunInfo:
    """The run's metadata: tool, timestamps, inputs, options, how the sites were reached, and
    ``extra`` (``mode``, ``input`` and what the stage adds) last."""
    crawl = asdict(req.crawl)
    crawl["connect_to"] = [str(c) for c in req.crawl.connect_to]
    return RunInfo.from_dict(
        {
            "tool": "migrationaudit",
            "version": __version__,
            "python": platform.python_version(),
            "started_at": started,
            "finished_at": now(),
            "inputs": [*req.maps, *req.url_lists, *req.priority, *req.access_logs],
            "base_url": req.base_url,
            "connect_to": crawl["connect_to"],
            "options": {
                "max_hops": req.crawl.max_hops,
                "concurrency": req.crawl.concurrency,
                "per_host_concurrency": req.crawl.per_host_concurrency,
                "workers": req.crawl.workers,
                "delay": req.crawl.delay,
                "timeout": req.crawl.timeout,
                "retries": req.crawl.retries,
                "user_agent": req.crawl.user_agent,
                "many_to_one": req.checks.many_to_one,
                "fail_on": req.fail_on.label,
                "disabled_rules": sorted(req.checks.disabled),
            },
            "partial": partial,
            **access_info(req.crawl),  # TLS verification, --rewrite-host, scoped header names
            **({"launched": launch_info(req.launched)} if req.launched else {}),
            **extra,
        }
    )


def stop_reason(crawl: CrawlOptions, stopped: str) -> str:
    """The report's line for a run stopped by a limit: "--max-runtime 15m reached"."""

    if stopped == "max-runtime":
        return f"--max-runtime {format_duration(crawl.max_runtime)} reached"
    return f"{stopped} reached"


def crawl_extra(crawl: CrawlOptions, summary: CrawlSummary) -> dict[str, Any]:
    """``crawl`` (how the crawl went) and, when a run-level limit stopped it, ``stopped``."""
    stats = {
        "seeds": summary.seeds,
        "fetched": summary.fetched,
        "elapsed_s": round(summary.elapsed_s, 2),
        "complete": summary.complete,
        "interrupted": summary.interrupted,
        "workers": summary.workers,  # crawl processes (--workers)
        # A run-level limit that stopped the crawl ("max-runtime"): exit 3, resumable.
        **({"stopped": summary.stopped} if summary.stopped else {}),
    }
    return {
        "crawl": stats,
        **({"stopped": stop_reason(crawl, summary.stopped)} if summary.stopped else {}),
    }

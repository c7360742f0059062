"""Requesting the catch-all probes with the audit's crawl (its options, scope and politeness),
in a run folder of their own inside the audit's, and logging them (``probes.jsonl``)."""

from __future__ import annotations

from pathlib import Path

from migrationaudit.crawl import run_crawl
from migrationaudit.graph import build_graph, chains_for
from migrationaudit.inputs import Inputs
from migrationaudit.options import AuditRequest
from migrationaudit.parity.probes import probe_scopes, probe_urls, probes_of, write_probes
from migrationaudit.rundir.layout import PROBES_SUBDIR
from migrationaudit.rundir.records import read_hops
from migrationaudit.web.scope import Scope


def run_probes(req: AuditRequest, inputs: Inputs, run_dir: Path, scope: Scope | None = None) -> int:
    """With ``--catch-all-probes``: request the probes of the audit's hosts and directories
    and log them. How many (0 when not asked for)."""
    if not req.site.catch_all_probes:
        return 0
    crawl = req.crawl
    urls = probe_urls(probe_scopes(inputs.legacy, inputs.rules, req.site))
    probe_dir = Path(run_dir) / PROBES_SUBDIR
    run_crawl((u for _, u in urls), probe_dir, crawl, scope=scope)
    chains = chains_for(build_graph(read_hops(probe_dir)), [u for _, u in urls], crawl.max_hops)
    write_probes(run_dir, probes_of(urls, chains))
    return len(urls)

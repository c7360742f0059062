"""Stage ``scale``: graph + rules + outputs on N synthetic legacy URLs, no crawl.

Writes the hop records a correct crawl of the synthetic site (:mod:`synthsite`) would write
(≈2.25 per legacy URL) straight to ``WORK/run/hops.jsonl`` and the URL list to
``WORK/urls.txt``, then runs the audit's stages one by one in this process, timing each and
reading the peak RSS so far (``ru_maxrss``), the current RSS after it and the stage's own peak
(``stage_peak_mb``: the highest RSS a sampler thread saw while the stage ran, every 20 ms; the
process-wide peak hides an output's cost behind the graph's):

inputs (read the URL list) → graph (decode ``hops.jsonl``, timed apart as ``read_s`` /
``read_cpu_s``, then ``build_graph``) → chains → [site: the new-site stage, with ``--site``]
→ rules (``run_checks``) → verdicts → collect (the garbage collector's one sweep after judging,
see ``migrationaudit.graph.gc_paused``) → one stage per output format (``write_reports``). Every
stage's ``cpu_s`` is this process's CPU time, steadier than wall time on a shared machine.

Prints one JSON object on stdout: {"n", "hop_records", "stages": [{"stage", "s",
"cpu_s", "peak_rss_mb", "rss_mb", "stage_peak_mb"}], "findings", "outputs": {file: bytes}}.

    python bench/scale.py --n 1000000 --work /tmp/scale
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthsite import KINDS, _chain, write_url_list

FORMATS = ("json", "csv", "junit", "markdown", "sarif", "html")


def _page(title: str, canonical: str) -> dict[str, Any]:
    return {
        "content_type": "text/html",
        "title": title,
        "canonical": canonical,
        "canonical_header": None,
        "meta_robots": None,
        "x_robots_tag": None,
        "meta_refresh": None,
    }


def _record(url: str, status: int, target: str | None, page: dict[str, Any] | None) -> str:
    headers: dict[str, str] = {"server": "nginx/1.22.1", "content-type": "text/html"}
    if target is not None:
        headers["location"] = target
    return json.dumps(
        {
            "url": url,
            "status": status,
            "kind": "http-redirect" if target is not None else "final",
            "location": target,
            "target": target,
            "error": None,
            "elapsed_ms": 1.0,
            "headers": headers,
            "page": page,
        },
        separators=(",", ":"),
    )


def write_hops(n: int, path: Path) -> int:
    """The hop records of the first ``n`` legacy URLs, each URL once; the count written."""
    seen: set[str] = set()
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            kind = KINDS[i % len(KINDS)]
            chain = _chain(i)
            for pos, url in enumerate(chain):
                if url in seen:
                    break  # a shared tail (funnel hubs): recorded once
                seen.add(url)
                last = pos == len(chain) - 1
                if kind == "loop" and last:
                    out.write(_record(url, 301, chain[0], None) + "\n")
                elif not last:
                    temporary = (kind == "temporary" and pos == 0) or (kind == "four" and pos == 1)
                    out.write(_record(url, 302 if temporary else 301, chain[pos + 1], None) + "\n")
                elif kind in ("gone", "removed"):
                    status = 404 if kind == "gone" else 410
                    out.write(_record(url, status, None, _page("Not Found", "")) + "\n")
                else:
                    canonical = f"http://new.example/n/{i}/" if kind == "canonical" else url
                    out.write(_record(url, 200, None, _page(f"Page {i}", canonical)) + "\n")
                written += 1
    # Shared tails are few (funnel hubs): ``seen`` is what the crawl itself would hold.
    return written


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class _StagePeak:
    """The highest RSS seen since the last :meth:`take`, sampled by a daemon thread."""

    def __init__(self, every_s: float = 0.02) -> None:
        self.peak = _rss_mb()
        self._every = every_s
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, _rss_mb())
            time.sleep(self._every)

    def take(self) -> float:
        """The peak since the last call (at least the RSS now), then start over."""
        now = _rss_mb()
        peak, self.peak = max(self.peak, now), now
        return peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--no-fixes", dest="fixes", action="store_false", help="skip fixes/")
    parser.add_argument(
        "--no-suggest", dest="suggest", action="store_false", help="skip suggested targets"
    )
    parser.add_argument(
        "--site",
        action="store_true",
        help="also run the new-site stage as an audit does (default options, no site records)",
    )
    args = parser.parse_args(argv)

    run_dir = args.work / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    urls = write_url_list(args.n, args.work / "urls.txt")
    records = write_hops(args.n, run_dir / "hops.jsonl")
    generate_s = round(time.monotonic() - started, 2)

    # Imported after generation: the generator's memory is not the audit's.
    from migrationaudit.checks import AuditContext, rule_infos, run_checks
    from migrationaudit.graph import build_graph, chains_for, gc_paused
    from migrationaudit.models.result import AuditResult
    from migrationaudit.newsite.context import attach as attach_site
    from migrationaudit.newsite.plan import all_legacy
    from migrationaudit.newsite.records import SiteRun
    from migrationaudit.options import AuditRequest
    from migrationaudit.parity.pairs import failing_pairs
    from migrationaudit.parity.suggest import suggest_targets
    from migrationaudit.pipeline import load_inputs
    from migrationaudit.reports import write_reports
    from migrationaudit.rundir.records import read_hops
    from migrationaudit.settings import CheckOptions, SiteOptions
    from migrationaudit.verdicts import build_verdicts, rank_by_value

    stages: list[dict[str, Any]] = []
    sampler = _StagePeak()
    clock = time.monotonic()
    cpu = time.process_time()

    def stage(name: str, **extra: float) -> None:
        nonlocal clock, cpu
        now = time.monotonic()
        stages.append(
            {
                "stage": name,
                "s": round(now - clock, 2),
                "cpu_s": round(time.process_time() - cpu, 2),
                "peak_rss_mb": _peak_mb(),
                "rss_mb": _rss_mb(),
                "stage_peak_mb": sampler.take(),
                **extra,
            }
        )
        print(f"  {stages[-1]}", file=sys.stderr, flush=True)
        clock = time.monotonic()
        cpu = time.process_time()

    stage("start")
    req = AuditRequest(url_lists=(str(urls),), out_dir=args.work / "report")
    inputs = load_inputs(req)
    stage("inputs")
    # The stages of pipeline.judge, one by one, with the collector paused as judge pauses it.
    judging = gc_paused()
    judging.__enter__()
    # Decoding timed apart from building (``read_s``, ``read_cpu_s`` of the graph stage); the
    # list only adds its pointers: the graph keeps every Hop anyway.
    read_clock, read_cpu = time.monotonic(), time.process_time()
    hops = list(read_hops(run_dir))
    read_s = round(time.monotonic() - read_clock, 2)
    read_cpu_s = round(time.process_time() - read_cpu, 2)
    graph = build_graph(hops)
    del hops
    stage("graph", read_s=read_s, read_cpu_s=read_cpu_s)
    site = SiteRun(SiteOptions()) if args.site else None
    legacy = all_legacy(site, inputs.legacy) if site is not None else inputs.legacy
    chains = chains_for(graph, [item.url for item in legacy], 10)
    stage("chains")
    site_ctx = None
    if site is not None:
        site_ctx, _ = attach_site(site, graph, inputs.rules, legacy, chains)
        stage("site")
    ctx = AuditContext(
        rules=inputs.rules,
        legacy=legacy,
        graph=graph,
        chains=chains,
        options=CheckOptions(),
        priority=inputs.priority,
        site=site_ctx,
    )
    findings, skipped = run_checks(ctx)
    stage("rules")
    findings, verdicts = rank_by_value(findings, build_verdicts(ctx, findings), inputs.priority)
    stage("verdicts")
    # What judge does last: targets suggested for the URLs without a working one (the
    # new site's pages ranked by TF-IDF), and the parity pairs.
    suggestions = suggest_targets(ctx, findings) if args.suggest else ()
    parity = failing_pairs(ctx, findings)
    if args.suggest:  # brute-force nearest pages: URLs needing a target × new pages
        stage("suggest", suggestions=len(suggestions))
    del ctx, graph  # as pipeline.judge returns: the outputs get the result, not the graph
    judging.__exit__(None, None, None)  # the one full collection judge ends with
    stage("collect")
    result = AuditResult(
        findings=findings,
        verdicts=verdicts,
        chains=chains,
        skipped=skipped,
        rules=rule_infos(),
        fail_on=req.fail_on,
        run={"mode": "bench-scale", "input": inputs.notes(), "partial": False},
        suggestions=suggestions,
        parity=parity,
    )
    outputs: dict[str, int] = {}
    for fmt in [f for f in args.formats.split(",") if f]:
        for name, path in write_reports(result, req.out_dir, [fmt]).items():
            outputs[name] = path.stat().st_size
        stage(f"output:{fmt}")
    if args.fixes:  # an audit writes fixes/ by default (--fixes)
        from migrationaudit.fixes import write_fixes

        plan = write_fixes(result, req.out_dir)
        stage("fixes", fixes=len(plan.fixes))
    print(
        json.dumps(
            {
                "n": args.n,
                "hop_records": records,
                "generate_s": generate_s,
                "stages": stages,
                "findings": len(findings),
                "outputs": outputs,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

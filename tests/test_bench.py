"""Smoke test of the benchmark (bench/run.py) at N = 500: it still runs end to end and yields
numbers for all three clients. No timing is asserted: the machine is shared and noisy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
N = 500

sys.path.insert(0, str(BENCH))

from synthsite import expected_requests  # noqa: E402


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    work = tmp_path_factory.mktemp("bench")
    out = work / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--n", str(N), "--scale-n", str(N), "--workers",
         "2", "--work", str(work / "w"), "--json", str(out), "--timeout", "120"],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    data: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return data


def test_all_three_clients_produce_numbers(report: dict[str, object]) -> None:
    (crawl,) = report["crawl"]  # type: ignore[misc]
    results = {r["client"]: r for r in crawl["results"]}
    assert set(results) == {"aiohttp", "scrapy-ref", "project"}
    distinct = expected_requests(N)
    for name, r in results.items():
        assert r["legacy"] == N, name
        assert r["wall_s"] > 0 and r["legacy_per_s"] > 0 and r["requests_per_s"] > 0, name
        assert r["peak_rss_mb"] > 10, name  # a Python process tree was really sampled
    # Both references fetch every distinct URL of the site exactly once; the audit also
    # reads the robots.txt of the legacy hosts (recorded as hops too).
    assert results["aiohttp"]["requests"] == results["scrapy-ref"]["requests"] == distinct
    assert distinct <= results["project"]["requests"] <= distinct + 10
    assert set(crawl["ratios"]) == {"project/aiohttp", "project/scrapy-ref"}
    assert all(v > 0 for v in crawl["ratios"].values())


def test_the_project_run_was_sharded_and_judged(report: dict[str, object]) -> None:
    work = Path(report["argv"][report["argv"].index("--work") + 1])  # type: ignore[index,union-attr]
    run_dir = work / f"crawl-{N}" / "project" / "report" / "run"
    summary = json.loads((run_dir / "crawl.json").read_text(encoding="utf-8"))
    assert summary["workers"] == 2 and summary["complete"] and summary["finished"] == N
    findings = json.loads((run_dir.parent / "findings.json").read_text(encoding="utf-8"))
    rules = {f["rule"] for f in findings["findings"]}
    # The synthetic site plants these defects (see bench/synthsite.py).
    assert {"redirect-loop", "redirect-chain", "temporary-redirect"} <= rules, rules


def test_scale_stage_reports_every_stage(report: dict[str, object]) -> None:
    scale = report["scale"]
    assert scale["n"] == N and scale["hop_records"] == expected_requests(N)  # type: ignore[index]
    stages = [s["stage"] for s in scale["stages"]]  # type: ignore[index]
    assert stages[:6] == ["start", "inputs", "graph", "chains", "rules", "verdicts"]
    assert "output:html" in stages and "output:json" in stages
    assert all(s["peak_rss_mb"] > 0 for s in scale["stages"])  # type: ignore[index]
    assert scale["findings"] > 0  # type: ignore[index]

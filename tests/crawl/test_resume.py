"""Interrupted runs: Ctrl-C / SIGTERM stop cleanly with a partial report (exit 130 / 143), and
``--resume`` continues without fetching again what was recorded, ending with the verdicts of
an uninterrupted run. The CLI runs in a subprocess against a slow scenario site."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from migrationaudit.crawl import run_crawl
from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import parse_site
from migrationaudit.rundir.layout import HOPS_FILE
from migrationaudit.rundir.records import drop_cut_off_record as _drop_cut_off_record
from migrationaudit.rundir.records import read_hops
from migrationaudit.settings import CrawlOptions
from migrationaudit.spiders.frontier import ChainProgress

OLD, NEW = "http://old.example", "https://new.example"
N = 14


def _routes() -> list[dict[str, Any]]:
    routes: list[dict[str, Any]] = []
    for i in range(N):
        if i % 7 == 3:  # a chain of two
            routes.append({"url": f"{OLD}/p{i}", "status": 301, "location": f"{OLD}/q{i}"})
            routes.append({"url": f"{OLD}/q{i}", "status": 302, "location": f"{NEW}/p{i}"})
        elif i % 7 == 5:  # a loop
            routes.append({"url": f"{OLD}/p{i}", "status": 301, "location": f"{OLD}/r{i}"})
            routes.append({"url": f"{OLD}/r{i}", "status": 301, "location": f"{OLD}/p{i}"})
            continue
        elif i % 7 == 6:  # a broken target
            routes.append({"url": f"{OLD}/p{i}", "status": 301, "location": f"{NEW}/gone{i}"})
            continue
        else:
            routes.append({"url": f"{OLD}/p{i}", "status": 301, "location": f"{NEW}/p{i}"})
        routes.append({"url": f"{NEW}/p{i}", "title": f"Page {i}", "delay": 0.25})
    return routes


@pytest.fixture(scope="module")
def slow_site() -> Iterator[ScenarioServer]:
    with ScenarioServer(parse_site({"routes": _routes()})) as server:
        yield server


@pytest.fixture(scope="module")
def inputs(slow_site: ScenarioServer, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Command-line arguments: the map, the scenario's CA and its connect-to entries."""
    folder = tmp_path_factory.mktemp("inputs")
    mapfile = folder / "map.csv"
    rows = ["old_url,new_url"] + [f"{OLD}/p{i},{NEW}/p{i}" for i in range(N)]
    mapfile.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ca = folder / "ca.pem"
    ca.write_bytes(slow_site.ca_pem)
    args = ["--map", str(mapfile), "--ca-bundle", str(ca), "--timeout", "5", "--retries", "0"]
    for entry in slow_site.connect_to():
        args += ["--connect-to", entry.spec]
    return args


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "migrationaudit.cli", "audit", *args]


def _interrupt(cmd: list[str], out: Path, signum: int, after_lines: int) -> tuple[int, str]:
    """Run ``cmd``; once ``after_lines`` hop records exist, send ``signum``; (code, stderr)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    hops = out / "run" / HOPS_FILE
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if hops.is_file() and hops.read_bytes().count(b"\n") >= after_lines:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the crawl ended before it could be interrupted"
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, stderr


def _verdicts(out: Path) -> dict[str, tuple[Any, ...]]:
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return {
        v["url"]: (v["verdict"], v["outcome"], v["final_url"], v["final_status"], tuple(v["rules"]))
        for v in data["verdicts"]
    }


def test_sigint_then_resume_matches_an_uninterrupted_run(
    slow_site: ScenarioServer, inputs: list[str], tmp_path: Path
) -> None:
    clean_out = tmp_path / "clean"
    clean = subprocess.run(
        _cli(*inputs, "--out", str(clean_out), "--no-fixes", "-q"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert clean.returncode in (0, 1) and "Traceback" not in clean.stderr, clean.stderr
    expected = _verdicts(clean_out)
    assert {v[0] for v in expected.values()} >= {"ok", "error"}  # a varied run

    out = tmp_path / "out"
    cmd = _cli(
        *inputs,
        "--out",
        str(out),
        "--no-fixes",
        "--concurrency",
        "2",
        "--per-host-concurrency",
        "1",
    )
    code, stderr = _interrupt(cmd, out, signal.SIGINT, after_lines=6)
    assert code == 130, stderr
    assert "partial report written" in stderr and "--resume" in stderr
    partial = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert partial["summary"]["partial"] is True
    assert partial["run"]["crawl"]["interrupted"] is True
    assert any(v["verdict"] == "incomplete" for v in partial["verdicts"])
    if (out / "report.html").is_file():
        assert "Partial run" in (out / "report.html").read_text(encoding="utf-8")
    recorded = {h.url for h in read_hops(out / "run")}
    assert 6 <= len(recorded) < len(expected) * 2

    seen = len(slow_site.requests)
    resumed = subprocess.run(
        _cli("--resume", str(out), "--no-fixes", "-q"), capture_output=True, text=True, timeout=120
    )
    assert resumed.returncode == clean.returncode, resumed.stderr
    assert _verdicts(out) == expected
    refetched = {r.url for r in slow_site.requests[seen:]} & recorded
    assert not refetched, f"fetched again after resume: {refetched}"
    final = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert final["summary"]["partial"] is False and final["run"]["resumed"] is True
    # the rules skipped and the new site's side read as in the uninterrupted run
    whole = json.loads((clean_out / "findings.json").read_text(encoding="utf-8"))
    assert final["skipped_rules"] == whole["skipped_rules"]
    assert final["run"]["site"] == whole["run"]["site"]
    hops = [h.url for h in read_hops(out / "run")]
    assert len(hops) == len(set(hops))  # every URL recorded once, across both runs


def test_sigterm_stops_with_143_and_a_partial_report(inputs: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    cmd = _cli(*inputs, "--out", str(out), "--no-fixes", "--concurrency", "1", "--format", "json")
    code, stderr = _interrupt(cmd, out, signal.SIGTERM, after_lines=2)
    assert code == 143, stderr
    assert "Traceback" not in stderr
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert data["summary"]["partial"] is True
    assert (out / "run" / "crawl.json").is_file()  # the crawl process closed cleanly


# -- the crawl layer --------------------------------------------------------------------------


def test_run_crawl_resume_replays_records(
    scenario_server: Callable[..., ScenarioServer], tmp_path: Path
) -> None:
    routes = [
        {"url": "http://a.example/1", "status": 301, "location": "http://a.example/2"},
        {"url": "http://a.example/2", "status": 301, "location": "http://a.example/3"},
        {"url": "http://a.example/3", "title": "three"},
        {"url": "http://a.example/x", "status": 301, "location": "http://a.example/2"},
        {"url": "http://a.example/y", "title": "y"},
    ]
    server = scenario_server(routes)
    seeds = ["http://a.example/1", "http://a.example/x", "http://a.example/y"]
    options = CrawlOptions(connect_to=server.connect_to(), timeout=2.0, retries=0)
    run_dir = tmp_path / "run"
    full = run_crawl(seeds, run_dir, options)
    assert full.complete and full.fetched == 5
    lines = (run_dir / HOPS_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [json.loads(line)["url"] for line in lines[:2]]
    # An interrupted run: two records, then a record cut off mid-write.
    (run_dir / HOPS_FILE).write_text("".join(lines[:2]) + lines[2][:30], encoding="utf-8")
    before = {url: server.count(url) for url, *_ in map(lambda r: (r["url"],), routes)}
    resumed = run_crawl(seeds, run_dir, options, resume=True)
    assert resumed.complete and resumed.fetched == 5 and resumed.finished == 3
    hops = {h.url: h for h in read_hops(run_dir)}
    assert len(hops) == 5 and hops["http://a.example/3"].status == 200
    for url in kept:
        assert server.count(url) == before[url], f"{url} fetched again"
    assert sum(server.count(str(r["url"])) - before[str(r["url"])] for r in routes) == 3


def test_drop_cut_off_record(tmp_path: Path) -> None:
    path = tmp_path / "hops.jsonl"
    path.write_bytes(b'{"a":1}\n{"b":2}\n{"c":')
    _drop_cut_off_record(path)
    assert path.read_bytes() == b'{"a":1}\n{"b":2}\n'
    _drop_cut_off_record(path)  # a whole file is left alone
    assert path.read_bytes() == b'{"a":1}\n{"b":2}\n'
    path.write_bytes(b'{"only": "cut')
    _drop_cut_off_record(path)
    assert path.read_bytes() == b""
    _drop_cut_off_record(tmp_path / "missing.jsonl")


def test_chain_progress_counts_finished_legacy_urls() -> None:
    onward: dict[str, str] = {}
    chains = ChainProgress(onward, max_hops=3)

    def record(url: str, target: str | None = None) -> None:
        if target is not None:
            onward[url] = target
        chains.record(url)

    chains.seed("a")  # a → b → c (200)
    chains.seed("x")  # x → b, shares the tail
    chains.seed("l1")  # l1 → l2 → l1: a loop
    chains.seed("h0")  # h0 → h1 → h2 → h3 → h4: past max_hops
    assert chains.done == 0
    record("a", "b")
    record("x", "b")
    assert chains.done == 0
    record("b", "c")
    record("c")
    assert chains.done == 2
    record("l1", "l2")
    record("l2", "l1")
    assert chains.done == 3
    for i in range(4):
        record(f"h{i}", f"h{i + 1}")
    assert chains.done == 4  # h4 is never fetched: the chain is finished at the hop limit
    chains.seed("c")  # a legacy URL recorded earlier as another's target: done at once
    assert chains.done == 5 and not chains.waiting


@pytest.mark.parametrize("again", [False, True], ids=["saved-inputs", "map-given-again"])
def test_resumed_demo_says_what_an_uninterrupted_run_says(tmp_path: Path, again: bool) -> None:
    """The demo migration (new-site sitemaps, an old sitemap, variants, --priority), stopped
    early with Ctrl-C and resumed: its findings, skipped_rules and run.site (sitemaps
    included, in one order) are those of an uninterrupted run; also when the resume names
    the map and URL list again but not the --priority export (the run's is kept)."""
    from migrationaudit.demo.cases import case_args
    from migrationaudit.demo.site import load_site

    case = Path(__file__).resolve().parents[2] / "sample_maps" / "demo"
    with ScenarioServer(load_site(case / "site.json")) as server:
        ca = tmp_path / "ca.pem"
        ca.write_bytes(server.ca_pem)
        base = _cli(
            "--map", str(case / "redirects.csv"), "--urls", str(case / "urls.txt"),
            "--priority", str(case / "priority.csv"), "--ca-bundle", str(ca),
            "--timeout", "5", "--retries", "0", "--no-fixes", "--format", "json",
            *case_args(case),
        )  # fmt: skip
        for entry in server.connect_to():
            base += ["--connect-to", entry.spec]
        clean = subprocess.run(
            [*base, "--out", str(tmp_path / "clean")], capture_output=True, text=True, timeout=180
        )
        assert clean.returncode == 1, clean.stderr
        out = tmp_path / "out"
        slow = [*base, "--out", str(out), "--concurrency", "1", "--per-host-concurrency", "1"]
        code, stderr = _interrupt(slow, out, signal.SIGINT, after_lines=3)
        assert code == 130, stderr
        given = ["--map", str(case / "redirects.csv"), "--urls", str(case / "urls.txt")]
        resumed = subprocess.run(
            _cli("--resume", str(out), "-q", *(given if again else [])),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert resumed.returncode == clean.returncode, resumed.stderr
    whole = json.loads((tmp_path / "clean" / "findings.json").read_text(encoding="utf-8"))
    final = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert final["run"]["resumed"] is True
    assert sorted((f["rule"], f["url"]) for f in final["findings"]) == sorted(
        (f["rule"], f["url"]) for f in whole["findings"]
    )
    assert final["skipped_rules"] == whole["skipped_rules"]
    assert final["run"]["site"] == whole["run"]["site"]
    sitemaps = [(s["old"], s["url"]) for s in final["run"]["site"]["sitemaps"]]
    assert sitemaps == sorted(sitemaps) and len(sitemaps) == 6

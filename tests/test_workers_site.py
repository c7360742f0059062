"""``--workers N`` with the new site's side on (issue 5): the same findings as one process.

Process 0 leads the work that needs the whole crawl in view (given and legacy sitemaps,
``--crawl``, sitemap discovery) and every process does the per-seed work of its own seeds;
the other processes tell the lead which new-site origins they meet. Audits of the golden
cases (scenario sites on 127.0.0.1, the CLI in a subprocess) with one and two processes must
give the same findings (rule, url, severity, evidence) and verdicts, and the two-process run
must really have used two.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from migrationaudit.crawl.shards import shard_of
from migrationaudit.demo.cases import case_args
from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import load_site, parse_site
from migrationaudit.rundir.layout import LOG_FILE, SHARDS_DIR, SUMMARY_FILE
from migrationaudit.rundir.layout import SITE_RECORDS_FILE as RECORDS_FILE

SAMPLES = Path(__file__).resolve().parent.parent / "sample_maps"


def audit(server: ScenarioServer, out: Path, args: list[str], workers: int) -> dict[str, Any]:
    """Run ``migrationaudit audit`` with ``--workers`` against ``server``; findings.json."""
    ca = out.parent / "ca.pem"
    out.parent.mkdir(parents=True, exist_ok=True)
    ca.write_bytes(server.ca_pem)
    cmd = [sys.executable, "-m", "migrationaudit.cli", "audit", "--out", str(out),
           "--timeout", "5", "--retries", "0", "-q", "--ca-bundle", str(ca),
           "--workers", str(workers), *args]  # fmt: skip
    for entry in server.connect_to():
        cmd += ["--connect-to", entry.spec]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    text = (out / "findings.json").read_text(encoding="utf-8")
    # Each run has a server of its own: its ephemeral ports are not part of the result.
    for port, name in ((server.http_port, "HTTP_PORT"), (server.https_port, "HTTPS_PORT")):
        text = text.replace(f":{port}", f":{name}")
    return json.loads(text)


def findings_of(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The findings as (rule, url, severity, evidence hops), sorted."""
    return sorted(
        (f["rule"], f["url"], f["severity"], json.dumps(f["hops"], sort_keys=True))
        for f in data["findings"]
    )


def verdicts_of(data: dict[str, Any]) -> list[str]:
    return sorted(json.dumps(v, sort_keys=True) for v in data["verdicts"])


def crawl_of(out: Path) -> tuple[dict[str, Any], str]:
    run = out / "run"
    return json.loads((run / SUMMARY_FILE).read_text()), (run / LOG_FILE).read_text()


def case_seeds(case: Path) -> list[str]:
    with (case / "redirects.csv").open(encoding="utf-8") as f:
        rows = [r[0] for r in csv.reader(f) if r and "://" in r[0]]
    if (case / "urls.txt").is_file():
        rows += [u for u in (case / "urls.txt").read_text().split() if "://" in u]
    return rows


@pytest.mark.parametrize(
    ("name", "extra"),
    # demo: map + URL list + --crawl + --variants + a remote legacy sitemap;
    # newsite: given and local sitemaps, discovery from robots.txt, --crawl (+ --variants).
    [("demo", []), ("newsite", ["--variants"])],
)
def test_two_workers_find_what_one_does(name: str, extra: list[str], tmp_path: Path) -> None:
    case = SAMPLES / name
    assert {shard_of(s, 2) for s in case_seeds(case)} == {0, 1}  # both processes had seeds
    args = ["--map", str(case / "redirects.csv"), *case_args(case), *extra]
    if (case / "urls.txt").is_file():
        args += ["--urls", str(case / "urls.txt")]
    runs = {}
    for workers in (1, 2):
        # A fresh server per run: scenario routes with state (resets, counters) start over.
        with ScenarioServer(load_site(case / "site.json")) as server:
            out = tmp_path / f"w{workers}"
            runs[workers] = (audit(server, out, args, workers), out)
            lines = (out / "run" / RECORDS_FILE).read_text(encoding="utf-8").splitlines()
            sitemaps = {r["url"] for r in map(json.loads, lines) if r["t"] == "sitemap"}
            # Only the lead reads sitemaps: none is fetched twice.
            fetched = {u: server.count(u) for u in sitemaps if "://" in u}
            assert fetched and set(fetched.values()) == {1}, fetched
    (one, _), (two, out2) = runs[1], runs[2]
    assert findings_of(two) == findings_of(one)
    assert verdicts_of(two) == verdicts_of(one)
    assert one["findings"] and one["verdicts"]
    summary, log = crawl_of(out2)
    assert summary["workers"] == 2 and summary["complete"], summary
    assert "2 crawl processes" in log and "process 0 leads the new-site work" in log
    assert crawl_of(runs[1][1])[0]["workers"] == 1
    assert not (out2 / "run" / SHARDS_DIR).exists()
    # The merge kept one record per URL and no site record twice.
    hop_lines = (out2 / "run" / "hops.jsonl").read_text(encoding="utf-8").splitlines()
    hops = [json.loads(line)["url"] for line in hop_lines]
    assert len(hops) == len(set(hops))
    lines = (out2 / "run" / RECORDS_FILE).read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(set(lines))
    robots = [json.loads(x)["url"] for x in lines if json.loads(x)["t"] == "robots"]
    assert len(robots) == len(set(robots)) and robots


# A new-site host only the seeds of process 1 reach: its robots.txt names a sitemap, found
# only if process 1 tells the lead about the host.
OLD = "http://old.example"
NEW_A = "https://a.newsite.example"
NEW_B = "https://b.newsite.example"


def relay_site(seeds_a: list[str], seeds_b: list[str]) -> dict[str, Any]:
    routes: list[dict[str, Any]] = []
    for s in seeds_a:
        routes += [
            {"url": s, "status": 301, "location": NEW_A + urlpath(s)},
            {"url": NEW_A + urlpath(s), "title": "A", "canonical": NEW_A + urlpath(s)},
        ]
    for s in seeds_b:
        routes += [
            {"url": s, "status": 301, "location": NEW_B + urlpath(s)},
            {"url": NEW_B + urlpath(s), "title": "B", "canonical": NEW_B + urlpath(s)},
        ]
    routes += [
        {"url": f"{NEW_A}/robots.txt", "body": "User-agent: *\nAllow: /\n",
         "content_type": "text/plain"},
        {"url": f"{NEW_B}/robots.txt", "content_type": "text/plain",
         "body": f"User-agent: *\nAllow: /\nSitemap: {NEW_B}/sitemap-b.xml\n"},
        {"url": f"{NEW_B}/sitemap-b.xml", "sitemap": [f"{NEW_B}/listed", f"{NEW_B}/gone"]},
        {"url": f"{NEW_B}/listed", "title": "Listed", "canonical": f"{NEW_B}/elsewhere"},
        {"url": f"{NEW_B}/elsewhere", "title": "Elsewhere"},
        {"url": f"{NEW_B}/gone", "status": 404},
    ]  # fmt: skip
    return {"routes": routes}


def urlpath(url: str) -> str:
    return url[len(OLD) :]


def test_the_lead_discovers_sitemaps_of_hosts_only_peers_meet(tmp_path: Path) -> None:
    candidates = [f"{OLD}/p{i}" for i in range(40)]
    seeds_a = [s for s in candidates if shard_of(s, 2) == 0][:4]
    seeds_b = [s for s in candidates if shard_of(s, 2) == 1][:4]
    redirects = tmp_path / "redirects.csv"
    redirects.write_text(
        "".join(f"{s},{NEW_A}{urlpath(s)}\n" for s in seeds_a)
        + "".join(f"{s},{NEW_B}{urlpath(s)}\n" for s in seeds_b),
        encoding="utf-8",
    )
    site = parse_site(relay_site(seeds_a, seeds_b))
    runs = {}
    for workers in (1, 2):
        with ScenarioServer(site) as server:
            out = tmp_path / f"w{workers}"
            data = audit(server, out, ["--map", str(redirects)], workers)
            counts = {u: server.count(u) for u in (f"{NEW_B}/listed", f"{NEW_B}/elsewhere")}
            runs[workers] = (data, out, counts)
    (one, _, counts1), (two, out2, counts2) = runs[1], runs[2]
    assert crawl_of(out2)[0]["workers"] == 2
    # Only the lead looks for sitemaps; it read the one process 1's host names, and went on
    # to what it lists (the canonical target of a listed page too).
    assert counts1 == counts2 == {f"{NEW_B}/listed": 1, f"{NEW_B}/elsewhere": 1}
    lines = (out2 / "run" / RECORDS_FILE).read_text(encoding="utf-8").splitlines()
    records = [json.loads(x) for x in lines]
    docs = [r for r in records if r["t"] == "sitemap"]
    assert [d["url"] for d in docs] == [f"{NEW_B}/sitemap-b.xml"]
    assert findings_of(two) == findings_of(one)
    assert verdicts_of(two) == verdicts_of(one)
    rules = {f[0] for f in findings_of(two)}
    assert rules & {"sitemap-non-200", "sitemap-non-canonical", "sitemap-broken"}, rules


def test_a_sharded_site_run_resumes_to_the_findings_of_an_uninterrupted_one(
    tmp_path: Path,
) -> None:
    old, new = "http://old.example", "https://new.example"
    seeds = [f"{old}/p{i}" for i in range(12)]
    assert {shard_of(s, 2) for s in seeds} == {0, 1}
    routes: list[dict[str, Any]] = [
        {"url": f"{new}/robots.txt", "content_type": "text/plain",
         "body": f"User-agent: *\nSitemap: {new}/sitemap.xml\n"},
        {"url": f"{new}/sitemap.xml", "sitemap": [f"{new}/p0", f"{new}/extra"]},
        {"url": f"{new}/extra", "title": "Extra", "canonical": f"{new}/p1"},
    ]  # fmt: skip
    for i, s in enumerate(seeds):
        target = f"{new}/p{i}" if i % 4 else f"{new}/gone{i}"
        routes += [
            {"url": s, "status": 301, "location": target},
            {"url": f"{new}/p{i}", "title": f"P{i}", "delay": 0.25},
        ]
    redirects = tmp_path / "redirects.csv"
    redirects.write_text("".join(f"{s},{new}/p{i}\n" for i, s in enumerate(seeds)), "utf-8")
    args = ["--map", str(redirects), "--concurrency", "2", "--per-host-concurrency", "2"]
    with ScenarioServer(parse_site({"routes": routes})) as server:
        clean = audit(server, tmp_path / "clean" / "out", args, 2)
        out = tmp_path / "cut" / "out"
        ca = out.parent / "ca.pem"
        out.parent.mkdir(parents=True)
        ca.write_bytes(server.ca_pem)
        cmd = [sys.executable, "-m", "migrationaudit.cli", "audit", "--out", str(out),
               "--timeout", "5", "--retries", "0", "-q", "--ca-bundle", str(ca),
               "--workers", "2", *args]  # fmt: skip
        for entry in server.connect_to():
            cmd += ["--connect-to", entry.spec]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        shards = out / "run" / SHARDS_DIR
        try:
            for _ in range(600):  # records are in the shards until the merge
                lines = sum(p.read_bytes().count(b"\n") for p in shards.glob("*/hops.jsonl"))
                if lines >= 6 or proc.poll() is not None:
                    break
                time.sleep(0.05)
            assert proc.poll() is None, "the crawl ended before it could be interrupted"
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 130, stderr
        hop_lines = (out / "run" / "hops.jsonl").read_text(encoding="utf-8").splitlines()
        recorded = {json.loads(line)["url"] for line in hop_lines}
        assert recorded and not shards.exists()
        seen = len(server.requests)
        resumed = subprocess.run(
            [sys.executable, "-m", "migrationaudit.cli", "audit", "--resume", str(out), "-q"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert resumed.returncode in (0, 1), resumed.stderr
        refetched = {r.url for r in server.requests[seen:]} & recorded
        text = (out / "findings.json").read_text(encoding="utf-8")
        for port, name in ((server.http_port, "HTTP_PORT"), (server.https_port, "HTTPS_PORT")):
            text = text.replace(f":{port}", f":{name}")
    assert not refetched, f"fetched again after resume: {refetched}"
    data = json.loads(text)
    summary, log = crawl_of(out)
    assert summary["workers"] == 2 and summary["complete"] and "2 crawl processes" in log
    assert findings_of(data) == findings_of(clean)
    assert verdicts_of(data) == verdicts_of(clean)
    # The lead's discovery made it through the interruption: the sitemap was read, and the
    # page it lists recorded once.
    final = (out / "run" / "hops.jsonl").read_text(encoding="utf-8").splitlines()
    urls = [json.loads(line)["url"] for line in final]
    assert len(urls) == len(set(urls)) and f"{new}/extra" in urls
    records = (out / "run" / RECORDS_FILE).read_text(encoding="utf-8").splitlines()
    assert f"{new}/sitemap.xml" in {
        r["url"] for r in map(json.loads, records) if r["t"] == "sitemap"
    }

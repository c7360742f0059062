"""The built-in demo migration (map, URL list, --crawl, --variants, a legacy sitemap, TLS)
audited through Redis by two local workers gives the findings and verdicts of a local run:
the new site's side runs on the coordinator over the gathered records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from distributed.redisserver import RedisServer
from migrationaudit.demo.cases import case_args
from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import load_site

DEMO = Path(__file__).resolve().parents[2] / "sample_maps" / "demo"


def audit(server: ScenarioServer, out: Path, extra: list[str]) -> dict[str, Any]:
    ca = out.parent / f"ca-{server.https_port}.pem"
    out.parent.mkdir(parents=True, exist_ok=True)
    ca.write_bytes(server.ca_pem)
    cmd = [sys.executable, "-m", "migrationaudit.cli", "audit", "--out", str(out),
           "--map", str(DEMO / "redirects.csv"), "--urls", str(DEMO / "urls.txt"),
           *case_args(DEMO), "--timeout", "5", "--retries", "0", "-q", "--ca-bundle",
           str(ca), "--format", "json", *extra]  # fmt: skip
    for entry in server.connect_to():
        cmd += ["--connect-to", entry.spec]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode in (0, 1), proc.stderr
    text = (out / "findings.json").read_text(encoding="utf-8")
    for port, name in ((server.http_port, "HTTP_PORT"), (server.https_port, "HTTPS_PORT")):
        text = text.replace(f":{port}", f":{name}")
    return json.loads(text)  # type: ignore[no-any-return]


def test_demo_through_redis_finds_what_a_local_run_finds(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    runs = []
    for extra in (["--workers", "1"], ["--redis", redis_server.url, "--local-workers", "2"]):
        # A fresh server per run: routes with state (fail_times, counters) start over.
        with ScenarioServer(load_site(DEMO / "site.json")) as server:
            runs.append(audit(server, tmp_path / f"run{len(runs)}", extra))
    local, distributed = runs
    key = ("rule", "url", "severity")
    assert sorted(tuple(f[k] for k in key) for f in distributed["findings"]) == sorted(
        tuple(f[k] for k in key) for f in local["findings"]
    )
    assert sorted(json.dumps(v, sort_keys=True) for v in distributed["verdicts"]) == sorted(
        json.dumps(v, sort_keys=True) for v in local["verdicts"]
    )
    assert local["findings"] and local["verdicts"]

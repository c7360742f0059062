"""Helpers of the distributed tests: a generated migration site, and the CLI (coordinator,
workers, a local reference run) in subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from migrationaudit.demo.server import ScenarioServer

OLD = "http://old.example"
NEW = "https://new.example"
CLI = [sys.executable, "-m", "migrationaudit.cli"]


def chain_site(n: int = 40, delay: float = 0.0) -> tuple[dict[str, Any], list[str]]:
    """A migration of ``n`` legacy URLs: one-hop and two-hop chains, chains sharing a tail,
    404s, a loop; every answer waits ``delay`` seconds. Returns (site, legacy URLs)."""
    routes: list[dict[str, Any]] = []
    legacy: list[str] = []
    for i in range(n):
        url = f"{OLD}/p{i}"
        legacy.append(url)
        kind = i % 5
        if kind == 0:  # one hop to a live page
            routes.append({"url": url, "status": 301, "location": f"{NEW}/p{i}"})
            routes.append({"url": f"{NEW}/p{i}", "title": f"P{i}", "canonical": f"{NEW}/p{i}"})
        elif kind == 1:  # two hops, the second shared by every such chain
            routes.append({"url": url, "status": 301, "location": f"{OLD}/moved"})
        elif kind == 2:  # a 302 to a 404
            routes.append({"url": url, "status": 302, "location": f"{NEW}/gone{i}"})
            routes.append({"url": f"{NEW}/gone{i}", "status": 404})
        elif kind == 3:  # unredirected 404
            routes.append({"url": url, "status": 404})
        else:  # into the loop
            routes.append({"url": url, "status": 301, "location": f"{OLD}/loop-a"})
    routes += [
        {"url": f"{OLD}/moved", "status": 301, "location": f"{NEW}/home"},
        {"url": f"{NEW}/home", "title": "Home", "canonical": f"{NEW}/home"},
        {"url": f"{OLD}/loop-a", "status": 301, "location": f"{OLD}/loop-b"},
        {"url": f"{OLD}/loop-b", "status": 301, "location": f"{OLD}/loop-a"},
    ]
    if delay:
        for r in routes:
            r["delay"] = delay
    return {"routes": routes}, legacy


def audit_cmd(server: ScenarioServer, out: Path, urls: Path, *extra: str) -> list[str]:
    """``migrationaudit audit`` of the URL list ``urls`` against ``server``."""
    ca = out.parent / f"ca-{server.https_port}.pem"
    out.parent.mkdir(parents=True, exist_ok=True)
    ca.write_bytes(server.ca_pem)
    cmd = [*CLI, "audit", "--urls", str(urls), "--out", str(out), "--timeout", "5",
           "--retries", "0", "-q", "--ca-bundle", str(ca), "--no-robots",
           "--no-sitemap-discovery", "--format", "json", *extra]  # fmt: skip
    for entry in server.connect_to():
        cmd += ["--connect-to", entry.spec]
    return cmd


def resume_cmd(cmd: list[str], *extra: str) -> list[str]:
    """An :func:`audit_cmd` command as ``--resume OUT`` of its own run (inputs left out)."""
    out = cmd[cmd.index("--out") + 1]
    return [*cmd[: cmd.index("--urls")], "--resume", out, *cmd[cmd.index("--out") + 2 :], *extra]


def resumed_as_uninterrupted(
    cmd: list[str], server: ScenarioServer, expected: list[str], *extra: str
) -> list[str]:
    """Resume the run of ``cmd`` (with ``extra``) to its end: it has the ``expected``
    verdicts and one record per URL, whose URLs are returned."""
    out = Path(cmd[cmd.index("--out") + 1])
    proc = subprocess.run(resume_cmd(cmd, *extra), capture_output=True, text=True, timeout=180)
    assert proc.returncode in (0, 1), proc.stderr
    assert verdicts(out, server) == expected
    fetched = hop_urls(out)
    assert len(fetched) == len(set(fetched))
    return fetched


def worker_cmd(server: ScenarioServer, redis_url: str, *extra: str) -> list[str]:
    cmd = [*CLI, "worker", "--redis", redis_url, "-q", *extra]
    for entry in server.connect_to():
        cmd += ["--connect-to", entry.spec]
    return cmd


def start(cmd: list[str], log: Path, **env: str) -> subprocess.Popen[bytes]:
    """A process in a group of its own (killed as a whole, as a machine going away)."""
    with log.open("ab") as err:
        return subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
            env={**os.environ, **env},
        )


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process started by :func:`start` and everything it started."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def wait_for_records(out: Path, at_least: int, proc: subprocess.Popen[bytes]) -> int:
    """Wait (at most 60 s) until the run's hops.jsonl has ``at_least`` lines."""
    hops = out / "run" / "hops.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if hops.is_file():
            lines = hops.read_bytes().count(b"\n")
            if lines >= at_least:
                return lines
        time.sleep(0.05)
    raise AssertionError(f"no {at_least} records in time (exit code {proc.poll()})")


def verdicts(out: Path, server: ScenarioServer) -> list[str]:
    """The run's verdicts, sorted, with the server's ephemeral ports taken out."""
    text = (out / "findings.json").read_text(encoding="utf-8")
    for port, name in ((server.http_port, "HTTP_PORT"), (server.https_port, "HTTPS_PORT")):
        text = text.replace(f":{port}", f":{name}")
    data = json.loads(text)
    return sorted(json.dumps(v, sort_keys=True) for v in data["verdicts"])


def findings(out: Path) -> list[tuple[str, str]]:
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return sorted((f["rule"], f["url"]) for f in data["findings"])


def hop_urls(out: Path) -> list[str]:
    lines = (out / "run" / "hops.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["url"] for line in lines]

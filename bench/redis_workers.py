"""Distributed audits through Redis against ``--workers`` on one machine.

The synthetic site (:mod:`synthsite`, nginx on loopback) is audited with ``--urls`` (no
robots.txt, no sitemap discovery, in every run alike) once per configuration: ``--workers
1`` and ``--workers 2`` (local processes over shards), then ``--redis`` with 1, 2 and 4
``--local-workers`` (a redis-server on loopback, started here, ended by PID). Reported: wall
time, CPU of the process tree (redis-server's own CPU apart), the URLs fetched against the
site's truth, whether the verdicts match the first run's, and the per-URL cost of Redis
(commands and redis-server CPU per legacy URL, from ``INFO commandstats``).

    .venv/bin/python bench/redis_workers.py --n 10000 --json out.json

Every process is started through ``run.run_measured`` (ended by PID on timeout); every wait
is bounded.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import machine, run_measured  # noqa: E402
from synthsite import NginxSite, expected_requests, write_url_list  # noqa: E402

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class Redis:
    """redis-server on a free loopback port, nothing saved; ended by PID."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.proc: subprocess.Popen[bytes] | None = None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> Redis:
        self.folder.mkdir(parents=True, exist_ok=True)
        cmd = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
               str(self.folder), "--save", "", "--appendonly", "no"]  # fmt: skip
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def cpu_s(self) -> float:
        """redis-server's CPU seconds so far (utime + stime)."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        return ticks / float(_clock_ticks())

    def commands(self) -> int:
        import redis

        client = redis.Redis.from_url(self.url, decode_responses=True, socket_timeout=10)
        stats = client.info("commandstats")
        return sum(int(v["calls"]) for k, v in stats.items() if k != "cmdstat_info")


def _clock_ticks() -> int:
    import os

    return int(os.sysconf("SC_CLK_TCK"))


def audit_once(
    site: NginxSite, urls: Path, out: Path, extra: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    cmd = [sys.executable, "-c", "import sys; from migrationaudit.cli import main; main()"]
    cmd += ["audit", "--urls", str(urls), "--out", str(out), "--quiet", "--retries", "0"]
    cmd += ["--no-robots", "--no-sitemap-discovery", "--format", "json"]
    cmd += [f"--connect-to={c}" for c in site.connect_to()]
    cmd += ["--concurrency", str(args.concurrency), "--per-host-concurrency", str(args.concurrency)]
    cmd += extra
    out.mkdir(parents=True, exist_ok=True)
    code, wall, peak, _, cpu = run_measured(cmd, args.timeout, out.parent / f"{out.name}.log")
    crawl = json.loads((out / "run" / "crawl.json").read_text(encoding="utf-8"))
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return {
        "exit_code": code,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_rss_mb": round(peak, 1),
        "fetched": crawl.get("fetched"),
        "complete": crawl.get("complete"),
        "legacy_urls_per_s": round(args.n / wall, 1),
        "_verdicts": sorted(json.dumps(v, sort_keys=True) for v in data["verdicts"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="legacy URLs (at most 100,000)")
    parser.add_argument("--local", type=int, action="append", help="--workers runs (1, 2)")
    parser.add_argument("--redis", type=int, action="append", help="--local-workers (1 2 4)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=1200.0, help="per audit, seconds")
    parser.add_argument("--work", type=Path, help="keep outputs here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    args = parser.parse_args(argv)
    args.n = min(args.n, 100_000)  # bounded: a benchmark of the mechanism, not of the site
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="redis-workers-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        urls = write_url_list(args.n, work / "urls.txt")
        with NginxSite(work / "nginx") as site:
            for w in args.local or [1, 2]:
                r = audit_once(site, urls, work / f"local-w{w}", ["--workers", str(w)], args)
                runs.append({"mode": f"--workers {w}", **r})
                _show(runs[-1], args.n)
            for k in args.redis or [1, 2, 4]:
                with Redis(work / f"redis-{k}") as redis_server:
                    extra = ["--redis", redis_server.url, "--local-workers", str(k)]
                    cpu0, calls0 = redis_server.cpu_s(), redis_server.commands()
                    r = audit_once(site, urls, work / f"redis-w{k}", extra, args)
                    r["redis_cpu_s"] = round(redis_server.cpu_s() - cpu0, 2)
                    calls = redis_server.commands() - calls0
                    r["redis_commands_per_url"] = round(calls / args.n, 1)
                    r["redis_cpu_us_per_url"] = round(r["redis_cpu_s"] * 1e6 / args.n, 1)
                runs.append({"mode": f"--redis --local-workers {k}", **r})
                _show(runs[-1], args.n)
    truth = expected_requests(args.n)
    same = all(r["_verdicts"] == runs[0]["_verdicts"] for r in runs)
    for r in runs:
        del r["_verdicts"]
    print(f"distinct URLs of the site: {truth}; same verdicts in every run: {same}")
    result = {"n": args.n, "truth_requests": truth, "runs": runs, "same_verdicts": same,
              "machine": machine()}  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if same and all(r["exit_code"] in (0, 1) for r in runs) else 1


def _show(r: dict[str, Any], n: int) -> None:
    redis_part = ""
    if "redis_cpu_s" in r:
        redis_part = (
            f", redis-server cpu {r['redis_cpu_s']} s ({r['redis_cpu_us_per_url']} us and "
            f"{r['redis_commands_per_url']} commands per legacy URL)"
        )
    print(
        f"n={n} {r['mode']}: wall {r['wall_s']} s ({r['legacy_urls_per_s']} URLs/s), cpu "
        f"{r['cpu_s']} s, peak RSS {r['peak_rss_mb']} MB, fetched {r['fetched']}, complete "
        f"{r['complete']}, exit {r['exit_code']}{redis_part}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())

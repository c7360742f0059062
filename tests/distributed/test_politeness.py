"""Politeness totals across workers, measured on the server: --concurrency and
--per-host-concurrency hold over three workers together, --delay spaces the requests to a
host whichever worker sends them, and a Retry-After told to one worker pauses them all."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

from distributed.countserver import CountingServer
from distributed.redisserver import RedisServer

CLI = [sys.executable, "-m", "migrationaudit.cli"]


def run(
    server: CountingServer, redis: RedisServer, tmp: Path, urls: list[str], *extra: str
) -> None:
    """A coordinator and three workers over ``urls`` on hosts a/b/c.example → ``server``."""
    (tmp / "urls.txt").write_text("\n".join(urls) + "\n", encoding="utf-8")
    reach = []
    for host in ("a.example", "b.example", "c.example"):
        reach += ["--connect-to", f"{host}:80:127.0.0.1:{server.port}"]
    audit = [*CLI, "audit", "--urls", str(tmp / "urls.txt"), "--out", str(tmp / "out"),
             "--no-robots", "--no-sitemap-discovery", "--format", "json", "-q", "--timeout",
             "10", "--redis", redis.url, *reach, *extra]  # fmt: skip
    coordinator = subprocess.Popen(audit, stderr=subprocess.PIPE, text=True)
    workers = [
        subprocess.Popen([*CLI, "worker", "-q", "--redis", redis.url, "--exit-when-idle", "3"])
        for _ in range(3)
    ]
    _, err = coordinator.communicate(timeout=180)
    assert coordinator.returncode in (0, 1), err
    for w in workers:
        assert w.wait(timeout=60) == 0


def test_concurrency_totals_hold_across_workers(redis_server: RedisServer, tmp_path: Path) -> None:
    urls = [f"http://{h}.example/p{i}" for i in range(12) for h in ("a", "b", "c")]
    with CountingServer(hold=0.2) as server:
        run(server, redis_server, tmp_path, urls, "--concurrency", "2",
            "--per-host-concurrency", "1")  # fmt: skip
    assert len(server.arrivals) == len(urls)
    assert server.max_in_flight == 2  # three workers, two requests at a time in all
    assert set(server.host_max.values()) == {1}


def test_delay_and_retry_after_hold_across_workers(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    urls = [f"http://a.example/p{i}" for i in range(6)]
    urls += ["http://b.example/limited"] + [f"http://b.example/q{i}" for i in range(6)]
    with CountingServer(hold=0.05, retry_after=2) as server:
        run(server, redis_server, tmp_path, urls, "--delay", "0.4", "--retries", "1")
    a = sorted(t for host, _, t, _ in server.arrivals if host == "a.example")
    assert len(a) == 6
    # --delay 0.4 between two requests to a host as the host sees them, whichever worker
    # sent them (the next one is granted only --delay after the answer to the last).
    assert min(y - x for x, y in itertools.pairwise(a)) >= 0.4
    b = [(path, t, status) for host, path, t, status in server.arrivals if host == "b.example"]
    assert len(b) == 8 and [p for p, _, _ in b].count("/limited") == 2  # retried once
    told = next(t for _, t, status in b if status == 429)
    after = [t for _, t, _ in b if t > told]
    assert after  # the retry at least
    assert min(after) - told >= 1.8  # every worker waited for Retry-After: 2

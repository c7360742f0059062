"""Distributed audits for real: a redis-server on 127.0.0.1, the scenario site served on
127.0.0.1, the coordinator (``audit --redis``) and the workers (``migrationaudit worker``) as
separate processes. Each run is compared with a local run (``--workers 1``) of the same site."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from distributed.redisserver import RedisServer
from distributed.support import (
    OLD,
    audit_cmd,
    chain_site,
    hop_urls,
    kill_group,
    resumed_as_uninterrupted,
    start,
    verdicts,
    wait_for_records,
    worker_cmd,
)
from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import parse_site
from migrationaudit.distributed.coordinator import job_id_of
from migrationaudit.distributed.store import JOBS_KEY, JobKeys


def local_reference(site: dict, legacy: list[str], tmp_path: Path) -> list[str]:  # type: ignore[type-arg]
    """The verdicts of a single-process run of the same site."""
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(legacy) + "\n", encoding="utf-8")
    with ScenarioServer(parse_site(site)) as server:
        out = tmp_path / "local"
        proc = subprocess.run(
            [*audit_cmd(server, out, urls), "--workers", "1"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode in (0, 1), proc.stderr
        return verdicts(out, server)


def test_three_workers_same_verdicts_each_url_fetched_once(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    site, legacy = chain_site(60)
    expected = local_reference(site, legacy, tmp_path)
    urls = tmp_path / "urls.txt"
    with ScenarioServer(parse_site(site)) as server:
        out = tmp_path / "dist"
        # The Redis URL from the environment, as a password would be given.
        coordinator = start(
            audit_cmd(server, out, urls), tmp_path / "c.log", MIGRATIONAUDIT_REDIS=redis_server.url
        )
        workers = [
            start(
                worker_cmd(server, redis_server.url, "--exit-when-idle", "3"),
                tmp_path / f"w{k}.log",
            )
            for k in range(3)
        ]
        assert coordinator.wait(timeout=180) in (0, 1), (tmp_path / "c.log").read_text()
        for w in workers:
            assert w.wait(timeout=60) == 0, (tmp_path / "w0.log").read_text()
        assert verdicts(out, server) == expected
        fetched = hop_urls(out)
        assert len(fetched) == len(set(fetched))  # one record per URL
        counts = {u: server.count(u) for u in fetched}
        assert set(counts.values()) == {1}, {u: c for u, c in counts.items() if c != 1}
        assert len(server.requests) == len(fetched)
    client = redis_server.client()
    stats = client.info("commandstats")  # type: ignore[attr-defined]
    # The records went through Redis: one per URL, read by the coordinator's group.
    assert stats["cmdstat_xadd"]["calls"] == len(fetched)
    assert stats["cmdstat_xreadgroup"]["calls"] > 0
    assert client.keys("migrationaudit:{*") == []  # type: ignore[attr-defined]
    assert client.smembers(JOBS_KEY) == set()  # type: ignore[attr-defined]


def test_worker_killed_mid_run_loses_nothing(redis_server: RedisServer, tmp_path: Path) -> None:
    site, legacy = chain_site(30, delay=0.2)
    expected = local_reference(site, legacy, tmp_path)
    urls = tmp_path / "urls.txt"
    with ScenarioServer(parse_site(site)) as server:
        out = tmp_path / "dist"
        coordinator = start(
            audit_cmd(
                server,
                out,
                urls,
                "--redis",
                redis_server.url,
                "--lease-timeout",
                "2",
                "--concurrency",
                "4",
            ),
            tmp_path / "c.log",
        )
        workers = [
            start(
                worker_cmd(server, redis_server.url, "--exit-when-idle", "5"),
                tmp_path / f"w{k}.log",
            )
            for k in range(2)
        ]
        wait_for_records(out, 5, coordinator)
        kill_group(workers[0])  # the worker and its job process, at once
        assert coordinator.wait(timeout=180) in (0, 1), (tmp_path / "c.log").read_text()
        assert workers[1].wait(timeout=60) == 0
        assert verdicts(out, server) == expected
        fetched = hop_urls(out)
        assert len(fetched) == len(set(fetched))


def test_coordinator_killed_and_resumed(redis_server: RedisServer, tmp_path: Path) -> None:
    site, legacy = chain_site(30, delay=0.2)
    expected = local_reference(site, legacy, tmp_path)
    urls = tmp_path / "urls.txt"
    with ScenarioServer(parse_site(site)) as server:
        out = tmp_path / "dist"
        cmd = audit_cmd(
            server,
            out,
            urls,
            "--redis",
            redis_server.url,
            "--local-workers",
            "2",
            "--concurrency",
            "4",
            "--lease-timeout",
            "2",
        )
        coordinator = start(cmd, tmp_path / "c.log")
        wait_for_records(out, 5, coordinator)
        kill_group(coordinator)
        client = redis_server.client()
        assert client.sismember(JOBS_KEY, job_id_of(out / "run"))  # type: ignore[attr-defined]
        resumed_as_uninterrupted(cmd, server, expected)
    assert client.keys("migrationaudit:{*") == []  # type: ignore[attr-defined]


def test_redis_stopped_mid_run_is_a_one_line_error(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    site, legacy = chain_site(40, delay=0.3)
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(legacy) + "\n", encoding="utf-8")
    with ScenarioServer(parse_site(site)) as server:
        out = tmp_path / "dist"
        coordinator = start(
            audit_cmd(server, out, urls, "--redis", redis_server.url, "--concurrency", "2"),
            tmp_path / "c.log",
        )
        worker = start(worker_cmd(server, redis_server.url), tmp_path / "w.log")
        wait_for_records(out, 3, coordinator)
        redis_server.stop()
        assert coordinator.wait(timeout=120) == 2
        assert worker.wait(timeout=120) == 2
    err = (tmp_path / "c.log").read_text().strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("migrationaudit: error: lost Redis at redis://127.0.0.1:"), err
    werr = (tmp_path / "w.log").read_text()
    assert "migrationaudit: error: lost Redis at" in werr and "Traceback" not in werr


def test_unreachable_redis_fails_fast(tmp_path: Path) -> None:
    from distributed.redisserver import free_port

    urls = tmp_path / "urls.txt"
    urls.write_text(f"{OLD}/a\n", encoding="utf-8")
    url = f"redis://127.0.0.1:{free_port()}/0"
    with ScenarioServer(parse_site({"routes": []})) as server:
        proc = subprocess.run(
            audit_cmd(server, tmp_path / "out", urls, "--redis", url),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"migrationaudit: error: cannot reach Redis at {url}: "
        + proc.stderr.split(f"{url}: ", 1)[1].strip()
    ]
    proc = subprocess.run([*worker_cmd(server, url)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "cannot reach Redis" in proc.stderr


def test_worker_enforces_the_job_scope(redis_server: RedisServer, tmp_path: Path) -> None:
    site, legacy = chain_site(5)
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(legacy) + "\n", encoding="utf-8")
    with ScenarioServer(parse_site(site)) as server:
        out = tmp_path / "dist"
        coordinator = start(
            audit_cmd(server, out, urls, "--redis", redis_server.url), tmp_path / "c.log"
        )
        keys = JobKeys(job_id_of(out / "run"))
        client = redis_server.client()
        deadline = time.monotonic() + 60
        while not client.exists(keys.job) and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.05)
        foreign = ["http://foreign.example/secret", f"http://127.0.0.1:{server.http_port}/p0"]
        client.lpush(keys.frontier, *foreign)  # type: ignore[attr-defined]
        # The worker could reach foreign.example (its own --connect-to): only the scope stops it.
        reach = f"foreign.example:80:127.0.0.1:{server.http_port}"
        worker = start(
            worker_cmd(server, redis_server.url, "--exit-when-idle", "3", "--connect-to", reach),
            tmp_path / "w.log",
        )
        assert coordinator.wait(timeout=120) in (0, 1), (tmp_path / "c.log").read_text()
        assert worker.wait(timeout=60) == 0
        assert server.count("http://foreign.example/secret") == 0
        assert not any(r.host == "127.0.0.1" for r in server.requests)
    import json

    lines = (out / "run" / "hops.jsonl").read_text(encoding="utf-8").splitlines()
    records = {r["url"]: r for r in map(json.loads, lines)}
    for url in foreign:
        assert records[url]["kind"] == "offsite", records[url]


@pytest.mark.parametrize("local", [True, False])
def test_credentials_are_never_published(
    redis_server: RedisServer, tmp_path: Path, local: bool
) -> None:
    """--auth/--header reach the legacy origin from the workers, never Redis (every command
    sent to Redis is watched) and never another origin."""
    import threading

    site, legacy = chain_site(10)
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(legacy) + "\n", encoding="utf-8")
    seen: list[str] = []
    monitor_client = redis_server.client()
    stop = threading.Event()

    def watch() -> None:
        with monitor_client.monitor() as m:  # type: ignore[attr-defined]
            for command in m.listen():
                seen.append(str(command.get("command", "")))
                if stop.is_set():
                    return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    time.sleep(0.2)
    secrets = ["--auth", "bob:S3cretPass", "--header", "X-Token: T0kenValue"]
    with ScenarioServer(parse_site(site)) as server:
        out = tmp_path / "dist"
        if local:
            cmd = [
                *audit_cmd(server, out, urls, "--redis", redis_server.url, "--local-workers", "2"),
                *secrets,
            ]
            proc = start(cmd, tmp_path / "c.log")
        else:
            proc = start(
                audit_cmd(server, out, urls, "--redis", redis_server.url), tmp_path / "c.log"
            )
            worker = start(
                [*worker_cmd(server, redis_server.url, "--exit-when-idle", "3"), *secrets],
                tmp_path / "w.log",
            )
            assert worker.wait(timeout=120) == 0
        assert proc.wait(timeout=120) in (0, 1), (tmp_path / "c.log").read_text()
        old_host = [r for r in server.requests if r.host == "old.example"]
        new_host = [r for r in server.requests if r.host == "new.example"]
        assert old_host and new_host
        assert all(r.headers.get("x-token") == "T0kenValue" for r in old_host)
        assert all(r.headers.get("authorization", "").startswith("Basic ") for r in old_host)
        assert not any("x-token" in r.headers or "authorization" in r.headers for r in new_host)
    stop.set()
    redis_server.client().ping()  # type: ignore[attr-defined]
    thread.join(timeout=10)
    assert len(seen) > 20  # the monitor saw the run
    text = "\n".join(seen)
    assert "S3cretPass" not in text and "T0kenValue" not in text
    assert "Ym9iOlMzY3JldFBhc3M" not in text  # base64 of bob:S3cretPass


def test_max_runtime_partial_then_resume(redis_server: RedisServer, tmp_path: Path) -> None:
    """--max-runtime stops the coordinator cleanly (partial report, exit 3, the job kept in
    Redis); --resume with --redis completes it with the verdicts of an uninterrupted run."""
    site, legacy = chain_site(30, delay=0.3)
    expected = local_reference(site, legacy, tmp_path)
    urls = tmp_path / "urls.txt"
    with ScenarioServer(parse_site(site)) as server:
        out = tmp_path / "dist"
        cmd = audit_cmd(server, out, urls, "--redis", redis_server.url, "--local-workers", "1",
                        "--concurrency", "2")  # fmt: skip
        first = subprocess.run([*cmd, "--max-runtime", "4"], capture_output=True, text=True,
                               timeout=120)  # fmt: skip
        assert first.returncode == 3, first.stderr
        assert 0 < len(hop_urls(out)) < len(legacy)
        client = redis_server.client()
        assert client.exists(JobKeys(job_id_of(out / "run")).job)  # type: ignore[attr-defined]
        resumed_as_uninterrupted(cmd, server, expected)


def test_local_workers_need_redis(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{OLD}/a\n", encoding="utf-8")
    with ScenarioServer(parse_site({"routes": []})) as server:
        proc = subprocess.run(
            [*audit_cmd(server, tmp_path / "out", urls), "--local-workers", "2"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "migrationaudit: error: --local-workers needs --redis"


def test_rediss_with_a_password(tmp_path: Path) -> None:
    """rediss:// (TLS, verified: the private CA through SSL_CERT_FILE, as OpenSSL reads it)
    and a password: a coordinator and a worker complete a run; errors never show it."""
    server_ = RedisServer(tmp_path / "redis", password="pa55word", tls=True).start()
    try:
        site, legacy = chain_site(10)
        urls = tmp_path / "urls.txt"
        urls.write_text("\n".join(legacy) + "\n", encoding="utf-8")
        env = {"SSL_CERT_FILE": str(server_.ca_file), "MIGRATIONAUDIT_REDIS": server_.url}
        with ScenarioServer(parse_site(site)) as server:
            out = tmp_path / "dist"
            coordinator = start(audit_cmd(server, out, urls), tmp_path / "c.log", **env)
            worker = start(
                [*worker_cmd(server, server_.url, "--exit-when-idle", "3")], tmp_path / "w.log",
                SSL_CERT_FILE=str(server_.ca_file),
            )  # fmt: skip
            assert coordinator.wait(timeout=120) in (0, 1), (tmp_path / "c.log").read_text()
            assert worker.wait(timeout=60) == 0
            assert len(set(hop_urls(out))) == len(hop_urls(out)) > len(legacy)
        stats = server_.client().info("commandstats")  # type: ignore[attr-defined]
        assert stats["cmdstat_xadd"]["calls"] == len(hop_urls(out))
        # Without the CA, TLS verification fails: one line, no password.
        proc = subprocess.run(
            worker_cmd(server, server_.url), capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 2 and "cannot reach Redis at rediss://127.0.0.1:" in proc.stderr
        assert "pa55word" not in proc.stderr
    finally:
        server_.stop()


def test_local_partial_run_resumed_through_redis(redis_server: RedisServer, tmp_path: Path) -> None:
    """A run with no job in Redis (a local run stopped by --max-runtime, or a job whose keys
    expired) resumed with --redis: the frontier is rebuilt from the records so far, which are
    not fetched again."""
    site, legacy = chain_site(30, delay=0.3)
    expected = local_reference(site, legacy, tmp_path)
    urls = tmp_path / "urls.txt"
    with ScenarioServer(parse_site(site)) as server:
        out = tmp_path / "dist"
        cmd = audit_cmd(server, out, urls, "--concurrency", "2")
        first = subprocess.run([*cmd, "--max-runtime", "4"], capture_output=True, text=True,
                               timeout=120)  # fmt: skip
        assert first.returncode == 3, first.stderr
        before = set(hop_urls(out))
        assert 0 < len(before) < len(legacy)
        extra = ("--redis", redis_server.url, "--local-workers", "2")
        resumed_as_uninterrupted(cmd, server, expected, *extra)
        again = {u: server.count(u) for u in before if server.count(u) != 1}
        assert again == {}, again  # recorded before: not fetched again

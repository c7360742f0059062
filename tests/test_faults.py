"""Faults: SIGKILL at random moments then ``--resume``, hand-edited state files, a server
killed and restarted mid-crawl, disk full / read-only output (exit 4), byte-identical outputs
across two runs, and a small soak run (bench/soak.py).

Every crawl runs the CLI in a subprocess against a real server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import parse_site
from migrationaudit.rundir.layout import HOPS_FILE, INPUTS_FILE, JOB_FILE, RUN_FILE, SUMMARY_FILE

ROOT = Path(__file__).resolve().parent.parent
OLD, NEW = "http://old.example", "http://new.example"
N = 240  # legacy URLs of the kill site
KILLS = 20
SEED = 20240607


def _routes(n: int, delay: float, slow: float = 0.0) -> list[dict[str, Any]]:
    """A varied migration: direct, two-hop chains, loops, broken targets, 404s, 302s. New
    pages answer after ``delay`` seconds, one in ten after ``slow`` (when larger)."""
    routes: list[dict[str, Any]] = []
    for i in range(n):
        kind = i % 6
        if kind == 0:
            routes.append({"url": f"{OLD}/p{i}", "status": 301, "location": f"{NEW}/p{i}"})
        elif kind == 1:
            routes.append({"url": f"{OLD}/p{i}", "status": 301, "location": f"{OLD}/q{i}"})
            routes.append({"url": f"{OLD}/q{i}", "status": 301, "location": f"{NEW}/p{i}"})
        elif kind == 2:
            continue  # no route: 404
        elif kind == 3:
            routes.append({"url": f"{OLD}/p{i}", "status": 301, "location": f"{OLD}/r{i}"})
            routes.append({"url": f"{OLD}/r{i}", "status": 301, "location": f"{OLD}/p{i}"})
            continue
        elif kind == 4:
            routes.append({"url": f"{OLD}/p{i}", "status": 301, "location": f"{NEW}/gone{i}"})
            continue
        else:
            routes.append({"url": f"{OLD}/p{i}", "status": 302, "location": f"{NEW}/p{i}"})
        wait = max(delay, slow) if i % 10 == 0 else delay
        routes.append({"url": f"{NEW}/p{i}", "title": f"Page {i}", "delay": wait})
    return routes


def _write_map(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "map.csv"
    rows = ["old_url,new_url"] + [f"{OLD}/p{i},{NEW}/p{i}" for i in range(n)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "migrationaudit.cli", *args]


def _audit_args(mapfile: Path, server: ScenarioServer, *extra: str) -> list[str]:
    args = ["audit", "--map", str(mapfile), "--timeout", "5", "--retries", "0", "--no-fixes"]
    for entry in server.connect_to():
        args += ["--connect-to", entry.spec]
    return [*args, *extra]


def _verdicts(out: Path) -> dict[str, tuple[Any, ...]]:
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return {
        v["url"]: (v["verdict"], v["outcome"], v["final_url"], v["final_status"], tuple(v["rules"]))
        for v in data["verdicts"]
    }


def _hop_urls(run_dir: Path) -> list[str]:
    """URLs of the complete records of hops.jsonl (a torn last line left out)."""
    urls = []
    with (run_dir / HOPS_FILE).open("rb") as f:
        for line in f:
            if line.endswith(b"\n") and line.strip():
                urls.append(json.loads(line)["url"])
    return urls


def _crawl_children(out: Path) -> list[int]:
    """Pids of crawl processes still working on ``out`` (an orphan of a killed CLI)."""
    pids = []
    needle = str(out / "run").encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"migrationaudit.crawl" in cmdline and needle in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.fixture(scope="module")
def kill_site() -> Iterator[ScenarioServer]:
    with ScenarioServer(parse_site({"routes": _routes(N, 0.03)})) as server:
        yield server


# -- 1. SIGKILL at 20 random moments, then --resume ------------------------------------------


def _kill_when(proc: subprocess.Popen[bytes], out: Path, trigger: tuple[str, float]) -> str:
    """Wait for the trigger, then SIGKILL the CLI's whole process group; what happened."""
    kind, value = trigger
    hops = out / "run" / HOPS_FILE
    started = time.monotonic()
    deadline = started + 30
    while time.monotonic() < deadline and proc.poll() is None:
        if kind == "time" and time.monotonic() - started >= value:
            break
        if kind == "hops":
            try:
                if hops.read_bytes().count(b"\n") >= value:
                    break
            except OSError:
                pass
        if kind == "report" and any(p.name.endswith(".tmp") for p in out.iterdir()):
            break  # a report file is being staged: kill in the middle of writing them
        time.sleep(0.002 if kind == "report" else 0.01)
    if proc.poll() is not None:
        return "ended"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return kind


def test_sigkill_twenty_times_then_resume_matches_an_uninterrupted_run(
    kill_site: ScenarioServer, tmp_path: Path
) -> None:
    mapfile = _write_map(tmp_path / "in", N)
    base = _audit_args(mapfile, kill_site, "--concurrency", "4", "-q")
    clean_out = tmp_path / "clean"
    clean = subprocess.run(
        _cli(*base, "--out", str(clean_out)), capture_output=True, text=True, timeout=120
    )
    assert clean.returncode in (0, 1), clean.stderr
    expected = _verdicts(clean_out)
    assert len(expected) == N
    total = len(_hop_urls(clean_out / "run"))

    rng = random.Random(SEED)
    # Moments spread over the whole run: start-up (time), the crawl (hop records written so
    # far, rising), and the report writing at the end (a staged temporary report file).
    marks = sorted(rng.sample(range(5, total - 5), 13))
    triggers: list[tuple[str, float]] = [("time", rng.uniform(0.05, 1.2)) for _ in range(3)]
    triggers += [("hops", m) for m in marks]
    triggers += [("report", 0.0) for _ in range(4)]
    assert len(triggers) == KILLS
    out = tmp_path / "out"
    happened = []
    for k, trigger in enumerate(triggers):
        # Between kills the orphaned crawl process may still be closing: --resume must wait
        # for it (a lock), never append to hops.jsonl alongside it.
        if k == 0 or not (out / "run" / INPUTS_FILE).is_file():
            cmd = _cli(*base, "--out", str(out))
        else:
            cmd = _cli("audit", "--resume", str(out), "--no-fixes", "-q")
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            happened.append(_kill_when(proc, out, trigger))
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        assert "Traceback" not in stderr, stderr
        if trigger[0] == "report" and happened[-1] == "ended":
            # The run finished before a report file was seen staged: start it over.
            assert proc.returncode in (0, 1), stderr
    killed = sum(1 for h in happened if h != "ended")
    assert killed >= KILLS - 4, happened  # nearly every moment was caught alive
    assert any(h == "report" for h in happened), happened

    resumed = subprocess.run(
        _cli("audit", "--resume", str(out), "--no-fixes", "-q"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == clean.returncode, resumed.stderr
    got = _verdicts(out)
    assert list(got) == list(expected)  # every legacy URL, once, in input order
    assert got == expected
    urls = _hop_urls(out / "run")
    assert len(urls) == len(set(urls)), "a URL recorded twice"
    assert set(urls) == set(_hop_urls(clean_out / "run"))
    final = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert final["summary"]["partial"] is False
    deadline = time.monotonic() + 20
    while _crawl_children(out) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _crawl_children(out), "an orphaned crawl process outlived the run"
    leftovers = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert not leftovers, leftovers  # staged files of a killed report writer are swept


def test_resume_waits_for_the_orphaned_crawl_process(scenario_server: Any, tmp_path: Path) -> None:
    """The crawl process outlives a SIGKILLed CLI for a while (it closes down when it sees
    its stdin close, recording the answers in flight): a resume started at once must wait
    for it rather than fetch and record the same URLs alongside it."""
    n = 24
    server = scenario_server(_routes(n, 0.0, slow=4.0))
    slow = [f"{NEW}/p{i}" for i in range(n) if i % 10 == 0 and i % 6 in (0, 1, 5)]
    mapfile = _write_map(tmp_path / "in", n)
    out = tmp_path / "out"
    args = _audit_args(mapfile, server, "--concurrency", "8", "-q", "--out", str(out))
    proc = subprocess.Popen(
        _cli(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 30
        # Kill while the slow pages are in flight (the fast ones are recorded by then).
        while time.monotonic() < deadline and not all(server.count(url) for url in slow):
            time.sleep(0.02)
        time.sleep(1.0)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert _crawl_children(out), "the crawl process should still be closing down"
    assert not set(slow) & set(_hop_urls(out / "run"))
    resumed = subprocess.run(
        _cli("audit", "--resume", str(out), "--no-fixes", "-q"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode in (0, 1), resumed.stderr
    urls = _hop_urls(out / "run")
    assert len(urls) == len(set(urls)), "a URL recorded twice"
    assert set(slow) <= set(urls)
    for url in slow:
        assert server.count(url) == 1, f"{url} fetched again while its first fetch was recorded"


# -- 2. state files edited by hand are refused, clearly ---------------------------------------


@pytest.fixture(scope="module")
def finished_run(kill_site: ScenarioServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete small run (its OUT folder), copied by each tamper case."""
    folder = tmp_path_factory.mktemp("finished")
    mapfile = _write_map(folder / "in", 18)
    out = folder / "out"
    done = subprocess.run(
        _cli(*_audit_args(mapfile, kill_site, "-q", "--out", str(out), "--format", "json")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    return out


def _replace_line(path: Path, lineno: int, text: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[lineno - 1] = text + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def _edit_json(path: Path, **changes: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


def _third_hop_retyped(run: Path) -> None:
    path = run / HOPS_FILE
    record = json.loads(path.read_text(encoding="utf-8").splitlines()[2])
    record["status"] = str(record["status"])  # "301": a string where a number belongs
    _replace_line(path, 3, json.dumps(record))


TAMPERS: dict[str, tuple[Any, str]] = {
    # case: (edit of OUT/run, what the message must name)
    "hops-bad-json": (
        lambda run: _replace_line(run / HOPS_FILE, 3, '{"url": "x", '),
        "hops.jsonl:3",
    ),
    "hops-wrong-types": (_third_hop_retyped, "hops.jsonl:3"),
    "hops-not-object": (lambda run: _replace_line(run / HOPS_FILE, 2, "[1, 2]"), "hops.jsonl:2"),
    "inputs-bad-json": (lambda run: (run / INPUTS_FILE).write_text("{oops"), "inputs.json"),
    "inputs-newer-schema": (lambda run: _edit_json(run / INPUTS_FILE, schema=99), "inputs.json"),
    "inputs-legacy-not-list": (
        lambda run: _edit_json(run / INPUTS_FILE, legacy={"a": 1}),
        "inputs.json",
    ),
    "job-wrong-type": (lambda run: _edit_json(run / JOB_FILE, concurrency="many"), "job.json"),
    "summary-bad-json": (lambda run: (run / SUMMARY_FILE).write_text("[1,"), "crawl.json"),
    "run-not-object": (lambda run: (run / RUN_FILE).write_text("[]"), "run.json"),
}


@pytest.mark.parametrize("command", ["report", "resume"])
@pytest.mark.parametrize("case", sorted(TAMPERS))
def test_a_tampered_state_file_is_refused_naming_it(
    finished_run: Path, tmp_path: Path, case: str, command: str
) -> None:
    out = tmp_path / "out"
    shutil.copytree(finished_run, out)
    edit, where = TAMPERS[case]
    edit(out / "run")
    before = (out / "findings.json").read_bytes()
    if command == "report":
        cmd = _cli("report", str(out), "--no-fixes", "-q", "--format", "json")
    else:
        cmd = _cli("audit", "--resume", str(out), "--no-fixes", "-q")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr  # one line, no traceback
    assert lines[0].startswith("migrationaudit: error: ")
    assert f"{out / 'run'}/{where}" in lines[0], lines[0]
    assert (out / "findings.json").read_bytes() == before  # nothing was rewritten


def test_a_torn_last_line_is_not_tampering(finished_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(finished_run, out)
    with (out / "run" / HOPS_FILE).open("a", encoding="utf-8") as f:
        f.write('{"url": "http://old.example/cut", "sta')  # a kill in mid-write
    done = subprocess.run(
        _cli("report", str(out), "--no-fixes", "-q"), capture_output=True, text=True, timeout=60
    )
    assert done.returncode in (0, 1), done.stderr


def test_state_is_never_pickled() -> None:
    """State is JSON: no module of the package imports pickle, shelve or marshal."""
    pattern = re.compile(r"^\s*(import|from)\s+(c?pickle|shelve|marshal|dill)\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("migrationaudit", "spiders", "reports")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders


# -- 3. the server is killed and restarted mid-crawl -------------------------------------------

_SERVER = r"""
import socket, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, log, gen = int(sys.argv[1]), open(sys.argv[2], "a", buffering=1), sys.argv[3]
hang = sys.argv[4] if len(sys.argv) > 4 else ""

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        log.write(gen + " " + self.path + "\n")
        if self.path == hang:
            time.sleep(600)  # held open until this server is killed: a request cut mid-flight
        if self.path.startswith("/p"):
            self.send_response(301)
            self.send_header("Location", "http://new.example/n" + self.path[2:])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        time.sleep(0.05)
        body = b"<html><head><title>n</title></head><body>ok</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

class S(ThreadingHTTPServer):
    daemon_threads = True
    def server_bind(self):
        # SO_REUSEPORT: the next generation listens before this one is killed, so a request
        # cut by the kill is retried against a server that is already up (no race on time)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()

server = S(("127.0.0.1", port), H)
log.write(gen + " READY\n")
server.serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(what: str, ready: Callable[[], bool], timeout: float = 60) -> None:
    """Wait for an event (a line in a log); the timeout is a safety net, not a schedule."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _logged(log: Path, line: str) -> bool:
    return log.is_file() and line in log.read_text(encoding="utf-8").splitlines()


def _start_server(port: int, log: Path, gen: int, hang: str = "") -> subprocess.Popen[bytes]:
    """The test server on ``port`` (a process of its own: it can be SIGKILLed); it logs
    ``GEN READY`` once listening and ``GEN PATH`` for every request; ``hang``: a path it
    never answers."""
    proc = subprocess.Popen([sys.executable, "-c", _SERVER, str(port), str(log), str(gen), hang])
    _wait_for(f"server {gen} to listen",
              lambda: _logged(log, f"{gen} READY") or proc.poll() is not None)  # fmt: skip
    assert proc.poll() is None, "the test server did not start"
    return proc


def test_server_killed_and_restarted_mid_crawl(tmp_path: Path) -> None:
    n = 120
    port = _free_port()
    log = tmp_path / "requests.log"
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"http://old.example/p{i}\n" for i in range(n)), encoding="utf-8")
    out = tmp_path / "out"
    args = ["audit", "--urls", str(urls), "--out", str(out), "--no-fixes", "-q"]
    args += ["--concurrency", "4", "--retries", "2", "--timeout", "30", "--format", "json"]
    # the hop crawl alone: robots.txt and sitemap discovery on the landing host would be fetched
    # at moments the outages do not control (their records are not re-checked by --only-failed)
    args += ["--no-robots", "--no-sitemap-discovery"]
    for host in ("old.example", "new.example"):
        args += ["--connect-to", f"{host}:80:127.0.0.1:{port}"]
    # Generation 1 holds /n30 open. Once the crawl has asked for it, generation 2 starts
    # listening on the same port and generation 1 is SIGKILLed: the held request is cut and
    # must be retried and answered. Each step waits on an event in the log, never on time.
    server = _start_server(port, log, 1, hang="/n30")
    audit = subprocess.Popen(_cli(*args), stderr=subprocess.PIPE, text=True)
    hops = out / "run" / HOPS_FILE

    def network_errors() -> bool:
        return hops.is_file() and b'"network-error"' in hops.read_bytes()

    try:
        _wait_for("the held request", lambda: _logged(log, "1 /n30") or audit.poll() is not None)
        second = _start_server(port, log, 2, hang="/n110")
        server.kill()  # SIGKILL: the held request is cut; generation 2 takes the retry
        server.wait()
        server = second
        # A long outage the retries do not ride out: generation 2 holds /n110 (so the crawl
        # cannot end first) and is killed once asked for it; it stays down until a URL is
        # recorded as a network error, then comes back for the rest of the crawl.
        _wait_for("the second held request",
                  lambda: _logged(log, "2 /n110") or audit.poll() is not None)  # fmt: skip
        server.kill()
        server.wait()
        _wait_for("a network-error record", lambda: network_errors() or audit.poll() is not None)
        server = _start_server(port, log, 3)
        _, stderr = audit.communicate(timeout=300)
    finally:
        if audit.poll() is None:
            audit.kill()
            audit.wait()
        server.kill()
        server.wait()
    assert audit.returncode in (0, 1), stderr  # the run ends normally
    assert "Traceback" not in stderr
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert data["summary"]["partial"] is False
    assert len(data["verdicts"]) == n
    records = [json.loads(line) for line in hops.read_text(encoding="utf-8").splitlines()]
    errors = {r["url"]: r["error"] for r in records if r["kind"] == "network-error"}
    assert errors, "the long outage left no network-error record"
    assert set(errors.values()) <= {
        "connection refused",
        "connection reset",
        "connection closed without a response",
    }, errors
    requested = [line.split(" ", 1) for line in log.read_text(encoding="utf-8").splitlines()]
    healthy = {r["url"] for r in records if r["status"] == 200}
    # The request cut by the first kill was retried and answered by generation 2.
    assert ["2", "/n30"] in requested
    assert "http://new.example/n30" in healthy

    # --only-failed fetches the failed URLs again (the server is up now): all healthy.
    server = _start_server(port, log, 9)
    try:
        again = subprocess.run(
            _cli(*args, "--only-failed", str(out)), capture_output=True, text=True, timeout=300
        )
    finally:
        server.kill()
        server.wait()
    assert again.returncode in (0, 1), again.stderr
    records = [json.loads(line) for line in hops.read_text(encoding="utf-8").splitlines()]
    assert not [r for r in records if r["kind"] == "network-error"]
    final = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert {v["final_status"] for v in final["verdicts"]} == {200}


# -- 4. disk full / read-only output: exit 4, the previous outputs intact ----------------------


def _limited(cmd: list[str], max_file_bytes: int) -> list[str]:
    """``cmd`` run with every file it writes capped at ``max_file_bytes`` (RLIMIT_FSIZE;
    Python ignores SIGXFSZ, so a write past the cap fails with EFBIG, "File too large"):
    a full disk, for real, without root or mounts. Crawl processes inherit the cap."""
    setup = (
        "import os, resource, sys; "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({max_file_bytes}, {max_file_bytes})); "
        "os.execv(sys.argv[1], sys.argv[1:])"
    )
    return [sys.executable, "-c", setup, *cmd]


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("migrationaudit: error: cannot write "), lines[0]
    return lines[0]


def test_report_on_a_full_disk_exits_4_and_keeps_the_previous_outputs(
    finished_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(finished_run, out)
    before = (out / "findings.json").read_bytes()
    assert len(before) > 4096
    cmd = _cli("report", str(out), "--no-fixes", "-q", "--format", "json")
    done = subprocess.run(_limited(cmd, 4096), capture_output=True, text=True, timeout=60)
    assert done.returncode == 4, done.stderr
    line = _one_error_line(done.stderr)
    assert f"{out / 'findings.json'}: File too large" in line
    assert (out / "findings.json").read_bytes() == before  # the previous report is whole
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def test_hop_records_on_a_full_disk_exit_4_then_resume_completes(
    kill_site: ScenarioServer, tmp_path: Path
) -> None:
    n = 60
    mapfile = _write_map(tmp_path / "in", n)
    clean_out = tmp_path / "clean"
    base = _audit_args(mapfile, kill_site, "-q", "--format", "json")
    clean = subprocess.run(
        _cli(*base, "--out", str(clean_out)), capture_output=True, text=True, timeout=120
    )
    assert clean.returncode in (0, 1), clean.stderr
    run = clean_out / "run"
    others = max(p.stat().st_size for p in run.iterdir() if p.name != HOPS_FILE)
    hops_size = (run / HOPS_FILE).stat().st_size
    cap = (others + hops_size) // 2
    assert others < cap < hops_size  # only the hop records outgrow the cap

    out = tmp_path / "out"
    done = subprocess.run(
        _limited(_cli(*base, "--out", str(out)), cap), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 4, done.stderr
    line = _one_error_line(done.stderr)
    assert f"{out / 'run' / HOPS_FILE}: File too large" in line
    kept = _hop_urls(out / "run")  # the records flushed before the disk filled up
    assert len(kept) > 10 and len(kept) == len(set(kept))
    assert not (out / "findings.json").exists()

    resumed = subprocess.run(
        _cli("audit", "--resume", str(out), "--no-fixes", "-q"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == clean.returncode, resumed.stderr
    assert _verdicts(out) == _verdicts(clean_out)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_exits_4(finished_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(finished_run, out)
    before = (out / "findings.json").read_bytes()
    out.chmod(0o555)
    try:
        done = subprocess.run(
            _cli("report", str(out), "--no-fixes", "-q", "--format", "json"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        out.chmod(0o755)
    assert done.returncode == 4, done.stderr
    assert "Permission denied" in _one_error_line(done.stderr)
    assert (out / "findings.json").read_bytes() == before


# -- 5. two runs on the same site write the same bytes -----------------------------------------

_TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")
# A duration in JSON (also HTML-escaped inside the report): "elapsed_s": 0.97
_DURATION = re.compile(rb"(elapsed_(?:s|ms)(?:\"|&#34;|&quot;)?\s*[:=]\s*)-?[0-9.e+-]+")


def _masked(name: str, data: bytes) -> bytes:
    """The file with its timestamps and durations masked: all that may differ."""
    data = _TIMESTAMP.sub(b"<time>", data)
    data = _DURATION.sub(rb"\1<duration>", data)
    if name == "hops.csv":  # the elapsed_ms column: how long each request took
        rows = data.split(b"\n")
        col = rows[0].split(b",").index(b"elapsed_ms")
        out = [rows[0]]
        for row in rows[1:]:
            cells = row.split(b",")
            if len(cells) > col:
                cells[col] = b"<duration>"
            out.append(b",".join(cells))
        data = b"\n".join(out)
    return data


def test_two_runs_write_byte_identical_outputs(kill_site: ScenarioServer, tmp_path: Path) -> None:
    mapfile = _write_map(tmp_path / "in", 60)
    out = tmp_path / "out"
    kinds = ("html", "json", "csv", "junit", "markdown", "sarif")
    formats = [a for f in kinds for a in ("--format", f)]
    copies = []
    args = _audit_args(mapfile, kill_site, "-q", "--out", str(out), *formats)
    args.remove("--no-fixes")  # fixes/ too
    # Concurrent requests: the records arrive in another order each time.
    for k in range(2):
        done = subprocess.run(_cli(*args), capture_output=True, text=True, timeout=120)
        assert done.returncode in (0, 1), done.stderr
        copy = tmp_path / f"copy{k}"
        shutil.copytree(out, copy, ignore=shutil.ignore_patterns("run"))
        copies.append(copy)
    first, second = copies
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    expected = {"findings.json", "findings.sarif", "hops.csv", "verdicts.csv", "findings.csv",
                "junit.xml", "summary.md", "report.html"}  # fmt: skip
    assert expected <= set(names)
    assert (first / "fixes").is_dir()
    for name in names:
        if (first / name).is_dir():
            for a in sorted((first / name).rglob("*")):
                b = second / name / a.relative_to(first / name)
                if a.is_file():
                    assert a.read_bytes() == b.read_bytes(), f"{name}/{a.name} differs"
            continue
        a, b = (first / name).read_bytes(), (second / name).read_bytes()
        assert _masked(name, a) == _masked(name, b), f"{name} differs beyond time fields"


# -- 6. soak: a flaky server, every legacy URL judged once -------------------------------------


def test_soak_2000_urls_with_5xx_slow_and_resets(tmp_path: Path) -> None:
    """bench/soak.py at N = 2,000 (1 % 503, 0.5 % 2 s answers, 0.1 % resets; two crawl
    processes): one verdict per legacy URL, the faults recorded after their retries."""
    summary_file = tmp_path / "soak.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), "--urls", "2000", "--work",
         str(tmp_path / "w"), "--json", str(summary_file), "--timeout", "240"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert summary_file.is_file(), done.stderr[-3000:]
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    assert summary["ok"], summary["problems"]
    assert done.returncode == 0
    assert summary["verdicts"] == 2000
    assert summary["planted"] == {"ok": 1968, "slow": 10, "error": 20, "reset": 2}

"""The benchmark: the project's audit against the fastest Python bound, on one synthetic site.

Stage ``crawl`` (per ``--n``): generate the synthetic migration site of N legacy URLs
(:mod:`synthsite`), serve it with nginx on an ephemeral loopback port, then run one after another

* ``aiohttp``: the bare asyncio/aiohttp hop follower (``bench/aiohttp_follower.py``),
* ``scrapy-ref``: the bare Scrapy hop spider, tuned as in the notes (``bench/scrapy_reference.py``),
* ``project``: ``migrationaudit audit --urls`` end to end (crawl, graph, rules, every output),

each in a process tree of its own whose RSS is sampled (sum over the tree, every 50 ms), and
report legacy URLs/s, requests/s, peak RSS and wall time, plus the ratios project/aiohttp and
project/scrapy-ref. Stage ``scale``: ``bench/scale.py`` (graph + rules + outputs on synthetic
hop records, no crawl).

    .venv/bin/python bench/run.py --n 10000 --n 100000 --scale-n 1000000 --json out.json
    .venv/bin/python bench/run.py --scale-records 10000000 --scale-formats none --timeout 7200

Every process started here is ended by PID; every wait is bounded by ``--timeout``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthsite import NginxSite, expected_requests, write_url_list  # noqa: E402

SAMPLE_S = 0.05
CLIENTS = ("aiohttp", "scrapy-ref", "project")


@dataclass
class Measure:
    """One client's run."""

    client: str
    n: int
    legacy: int
    requests: int
    wall_s: float
    peak_rss_mb: float
    exit_code: int
    cpu_s: float = 0.0  # user + system CPU of the whole process tree
    legacy_per_s: float = 0.0
    requests_per_s: float = 0.0
    cpu_ms_per_request: float = 0.0

    def __post_init__(self) -> None:
        if self.wall_s > 0:
            self.legacy_per_s = round(self.legacy / self.wall_s, 1)
            self.requests_per_s = round(self.requests / self.wall_s, 1)
        if self.requests:
            self.cpu_ms_per_request = round(self.cpu_s * 1000 / self.requests, 3)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ")".
        fields = stat[stat.rfind(b")") + 2 :].split()
        kids.setdefault(int(fields[1]), []).append(int(entry.name))
    return kids


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, in KiB."""
    kids = _children()
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_kb(pid)
        stack.extend(kids.get(pid, ()))
    return total


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(cmd: list[str], timeout: float, log: Path) -> tuple[int, float, float, str, float]:
    """Run ``cmd``; return (exit code, wall seconds, peak tree RSS in MB, stdout, CPU seconds
    of the tree: every descendant is waited for by its parent, so RUSAGE_CHILDREN has it)."""
    peak = [0]
    cpu_before = _children_cpu()
    with log.open("wb") as err:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, start_new_session=True)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], tree_rss_kb(proc.pid))
                done.wait(SAMPLE_S)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # its own session: the whole tree, by the leader's PID
            proc.communicate()
            raise
        finally:
            wall = time.monotonic() - started
            done.set()
            sampler.join()
    cpu = _children_cpu() - cpu_before
    return proc.returncode, wall, peak[0] / 1024, out.decode("utf-8", "replace"), cpu


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def bench_crawl(n: int, work: Path, args: argparse.Namespace) -> list[Measure]:
    """Stage ``crawl`` at ``n`` legacy URLs: the three clients on the same site."""
    work.mkdir(parents=True, exist_ok=True)
    urls = write_url_list(n, work / "urls.txt")
    py = sys.executable
    results: list[Measure] = []
    with NginxSite(work / "nginx") as site:
        connect = site.connect_to()
        for client in args.clients:
            out = work / client
            out.mkdir(exist_ok=True)
            if client == "aiohttp":
                cmd = [py, str(HERE / "aiohttp_follower.py"), str(urls), str(out / "hops.jsonl")]
                cmd += [f"--connect-to={c}" for c in connect]
                cmd += ["--concurrency", str(args.concurrency)]
                records = out / "hops.jsonl"
            elif client == "scrapy-ref":
                cmd = [py, str(HERE / "scrapy_reference.py"), str(urls), str(out / "hops.jsonl")]
                cmd += ["--proxy", f"http://127.0.0.1:{site.port}"]
                cmd += ["--concurrency", str(args.concurrency)]
                records = out / "hops.jsonl"
            else:
                cmd = [py, "-c", "import sys; from migrationaudit.cli import main; main()"]
                cmd += ["audit", "--urls", str(urls), "--out", str(out / "report"), "--quiet"]
                cmd += [f"--connect-to={c}" for c in connect]
                cmd += ["--concurrency", str(args.concurrency)]
                cmd += ["--per-host-concurrency", str(args.concurrency)]
                cmd += ["--retries", "0"]
                if args.workers is not None:
                    cmd += ["--workers", str(args.workers)]
                records = out / "report" / "run" / "hops.jsonl"
            code, wall, peak, stdout, cpu = run_measured(cmd, args.timeout, out / "stderr.log")
            ok = {"project": (0, 1)}.get(client, (0,))  # 1: the audit found errors (it must)
            if code not in ok:
                tail = (out / "stderr.log").read_text(encoding="utf-8", errors="replace")
                raise RuntimeError(f"{client} exited with {code}:\n{tail[-2000:]}")
            requests = _count_lines(records)
            legacy = n
            if client != "project":
                legacy = int(json.loads(stdout.strip().splitlines()[-1])["legacy"])
            m = Measure(
                client, n, legacy, requests, round(wall, 3), round(peak, 1), code, round(cpu, 2)
            )
            results.append(m)
            print(
                f"  n={n} {client:<10} {m.wall_s:8.2f} s  {m.legacy_per_s:9.1f} legacy/s  "
                f"{m.requests_per_s:9.1f} req/s  {m.peak_rss_mb:7.1f} MB  {m.cpu_s:7.1f} CPU s  "
                f"({requests} requests)",
                file=sys.stderr,
            )
    return results


def ratios(results: list[Measure]) -> dict[str, float]:
    """project/aiohttp and project/scrapy-ref in legacy URLs/s (wall-time based)."""
    by = {m.client: m for m in results}
    out: dict[str, float] = {}
    project = by.get("project")
    for ref in ("aiohttp", "scrapy-ref"):
        other = by.get(ref)
        if project and other and other.legacy_per_s:
            out[f"project/{ref}"] = round(project.legacy_per_s / other.legacy_per_s, 3)
    return out


def legacy_for_records(records: int) -> int:
    """Legacy URLs whose synthetic migration records about ``records`` hops."""
    return max(1, round(records / 2.25))


def bench_scale(
    n: int, work: Path, timeout: float, formats: str, suggest: bool = True
) -> dict[str, Any]:
    """Stage ``scale``: graph + rules + outputs on ``n`` synthetic legacy URLs (a subprocess:
    its peak RSS is its own)."""
    cmd = [sys.executable, str(HERE / "scale.py"), "--n", str(n), "--work", str(work)]
    if formats:
        cmd += ["--formats", "" if formats == "none" else formats]
    if formats == "none":  # judging alone: no fixes/ either
        cmd.append("--no-fixes")
    if not suggest:
        cmd.append("--no-suggest")
    code, wall, peak, stdout, cpu = run_measured(cmd, timeout, work.parent / f"scale-{n}.log")
    if code != 0:
        log = (work.parent / f"scale-{n}.log").read_text(encoding="utf-8", errors="replace")
        raise RuntimeError(f"scale stage exited with {code}:\n{log[-2000:]}")
    data: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    data["wall_s"] = round(wall, 2)
    data["peak_rss_mb_sampled"] = round(peak, 1)
    data["cpu_s"] = round(cpu, 2)
    return data


def machine() -> dict[str, Any]:
    """Where the numbers come from."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(HERE.parent), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        commit, dirty = "", ""
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "mem_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "commit": commit + ("+dirty" if dirty else ""),
        "loadavg_before": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="legacy URLs (repeatable)")
    parser.add_argument("--scale-n", type=int, default=0, help="graph+rules stage size (0: skip)")
    parser.add_argument(
        "--scale-records",
        type=int,
        default=0,
        help="the scale stage sized in hop records instead (≈2.25 a legacy URL): 10000000 "
        "judges ten million; with --scale-formats none, judging alone",
    )
    parser.add_argument("--scale-formats", default="", help="output formats (default: all)")
    parser.add_argument(
        "--scale-no-suggest",
        dest="scale_suggest",
        action="store_false",
        help="the scale stage without suggested targets (brute force: URLs needing one × pages)",
    )
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=None, help="project --workers")
    parser.add_argument("--timeout", type=float, default=3600.0, help="per client run, seconds")
    parser.add_argument("--work", type=Path, help="keep outputs here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="write all numbers here")
    args = parser.parse_args(argv)
    args.clients = [c for c in args.clients.split(",") if c]
    unknown = set(args.clients) - set(CLIENTS)
    if unknown:
        parser.error(f"unknown clients: {', '.join(sorted(unknown))}")

    with tempfile.TemporaryDirectory(prefix="ma-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        report: dict[str, Any] = {"machine": machine(), "argv": sys.argv, "crawl": []}
        for n in args.n or []:
            print(f"crawl stage, n={n} ({expected_requests(n)} distinct URLs)", file=sys.stderr)
            results = bench_crawl(n, work / f"crawl-{n}", args)
            report["crawl"].append(
                {"n": n, "results": [asdict(m) for m in results], "ratios": ratios(results)}
            )
            print(f"  ratios: {ratios(results)}", file=sys.stderr)
        if args.scale_records and not args.scale_n:
            args.scale_n = legacy_for_records(args.scale_records)
        if args.scale_n:
            print(f"scale stage, n={args.scale_n}", file=sys.stderr)
            report["scale"] = bench_scale(
                args.scale_n,
                work / f"scale-{args.scale_n}",
                args.timeout,
                args.scale_formats,
                args.scale_suggest,
            )
            print(f"  {report['scale']}", file=sys.stderr)
        report["machine"]["loadavg_after"] = os.getloadavg()[0]
        text = json.dumps(report, indent=2)
        if args.json:
            args.json.write_text(text + "\n", encoding="utf-8")
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

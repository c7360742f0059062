"""Soak run: N legacy URLs against a flaky loopback server, audited end to end by the CLI.

The server (an asyncio HTTP/1.1 keep-alive server in a process of its own) answers legacy URL
``i`` by ``i % 1000``::

    0-9     1 %    503 every time (a server error the crawler retries, then records)
    10-14   0.5 %  answers after 2 s (slow, but within the timeout: a normal 301)
    15      0.1 %  TCP reset every time (retried, then recorded as a network error)
    else           301 to http://new.soak/n/i, which answers 200

Checks: every legacy URL ends with exactly one verdict; the 503s and resets were requested
1 + retries times and are recorded as such; every other URL lands on its 200 page. Prints a
JSON summary (wall time, peak RSS of the CLI and its crawl processes) and exits 1 when a
check fails.

    python bench/soak.py --urls 100000 [--work DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

OLD, NEW = "old.soak", "new.soak"
SLOW_S = 2.0
RETRIES = 2  # the audit's default --retries


def kind_of(i: int) -> str:
    """The fault planted on legacy URL ``i``: error, slow, reset or ok."""
    h = i % 1000
    if h < 10:
        return "error"
    if h < 15:
        return "slow"
    if h == 15:
        return "reset"
    return "ok"


# -- the server ----------------------------------------------------------------------------


class _Stats:
    def __init__(self) -> None:
        self.hits: dict[str, int] = {}  # faulty legacy paths only: requests received
        self.requests = 0


async def _handle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, stats: _Stats
) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            parts = line.split(" ")
            path = parts[1] if len(parts) == 3 else "/"
            stats.requests += 1
            if path == "/__stats":
                body = json.dumps({"hits": stats.hits, "requests": stats.requests}).encode()
                await _send(writer, 200, body, "application/json")
                continue
            status, location = 404, None
            if path.startswith("/p/"):
                i = int(path[3:]) if path[3:].isdigit() else -1
                kind = kind_of(i) if i >= 0 else "ok"
                if kind != "ok":
                    stats.hits[path] = stats.hits.get(path, 0) + 1
                if kind == "reset":
                    sock = writer.get_extra_info("socket")
                    # SO_LINGER 0: close() sends a TCP RST, the client sees a reset.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                if kind == "error":
                    await _send(writer, 503, b"busy", "text/plain")
                    continue
                if kind == "slow":
                    await asyncio.sleep(SLOW_S)
                status, location = 301, f"http://{NEW}/n/{path[3:]}"
            elif path.startswith("/n/"):
                status = 200
            body = b"<html><head><title>n</title></head><body>ok</body></html>"
            await _send(writer, status, body if status == 200 else b"", "text/html", location)
    finally:
        writer.close()


async def _send(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    content_type: str,
    location: str | None = None,
) -> None:
    head = f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n"
    if location:
        head += f"Location: {location}\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    writer.write(head.encode("latin-1") + body)
    await writer.drain()


def serve(port_file: Path) -> None:
    """Serve on an ephemeral loopback port (written to ``port_file``) until SIGTERM."""

    async def main() -> None:
        stats = _Stats()
        server = await asyncio.start_server(
            lambda r, w: _handle(r, w, stats), "127.0.0.1", 0, backlog=1024
        )
        port = server.sockets[0].getsockname()[1]
        tmp = port_file.with_suffix(".tmp")
        tmp.write_text(str(port))
        tmp.replace(port_file)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with server:
            await stop.wait()

    asyncio.run(main())


# -- the run --------------------------------------------------------------------------------


def _start_server(work: Path) -> tuple[subprocess.Popen[bytes], int]:
    port_file = work / "port"
    port_file.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if port_file.is_file():
            return proc, int(port_file.read_text())
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("soak: the server did not start")


def run(n: int, work: Path, timeout: float) -> dict[str, Any]:
    """Audit ``n`` legacy URLs against the flaky server; the summary with its checks."""
    work.mkdir(parents=True, exist_ok=True)
    urls = work / "urls.txt"
    with urls.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(f"http://{OLD}/p/{i}\n")
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    server, port = _start_server(work)
    try:
        cmd = [sys.executable, "-m", "migrationaudit.cli", "audit", "--urls", str(urls)]
        cmd += ["--out", str(out), "--no-fixes", "-q", "--format", "json"]
        cmd += ["--retries", str(RETRIES), "--timeout", "30"]
        for host in (OLD, NEW):
            cmd += ["--connect-to", f"{host}:80:127.0.0.1:{port}"]
        started = time.monotonic()
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        wall = time.monotonic() - started
        # The CLI and the crawl processes it waited for; the server is not waited for yet.
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/__stats", timeout=10) as resp:
            stats = json.loads(resp.read())
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    summary: dict[str, Any] = {
        "urls": n,
        "exit_code": done.returncode,
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(rss_mb, 1),
        "server_requests": stats["requests"],
    }
    problems: list[str] = []
    if done.returncode not in (0, 1) or not (out / "findings.json").is_file():
        problems.append(f"exit code {done.returncode}: {done.stderr.strip()[-2000:]}")
        return {**summary, "ok": False, "problems": problems}
    summary.update(check(n, out, stats["hits"], problems))
    return {**summary, "ok": not problems, "problems": problems[:20]}


def check(n: int, out: Path, hits: dict[str, int], problems: list[str]) -> dict[str, Any]:
    """Every legacy URL judged once; faults recorded after their retries. Fills ``problems``."""
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    verdicts = data["verdicts"]
    seen: dict[str, dict[str, Any]] = {}
    for v in verdicts:
        if v["url"] in seen:
            problems.append(f"two verdicts for {v['url']}")
        seen[v["url"]] = v
    if len(seen) != n:
        problems.append(f"{len(seen)} legacy URLs judged, expected {n}")
    hops: dict[str, dict[str, Any]] = {}
    with (out / "run" / "hops.jsonl").open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record["url"] in hops:
                problems.append(f"two records for {record['url']}")
            hops[record["url"]] = record
    counts = {"ok": 0, "slow": 0, "error": 0, "reset": 0}
    for i in range(n):
        url, path, kind = f"http://{OLD}/p/{i}", f"/p/{i}", kind_of(i)
        counts[kind] += 1
        v, hop = seen.get(url), hops.get(url)
        if v is None or hop is None:
            problems.append(f"{url}: no verdict or no record")
            continue
        if kind == "error":
            if hop["status"] != 503 or hits.get(path) != 1 + RETRIES:
                problems.append(f"{url}: 503 recorded {hop['status']}, hits {hits.get(path)}")
        elif kind == "reset":
            # >=: aiohttp itself sends a request again once when a reused keep-alive
            # connection drops (each of our attempts can reach the server twice).
            if hop["kind"] != "network-error" or (hits.get(path) or 0) < 1 + RETRIES:
                problems.append(f"{url}: reset recorded {hop['error']}, hits {hits.get(path)}")
        elif v["final_status"] != 200:
            problems.append(f"{url} ({kind}): final status {v['final_status']}")
    return {"verdicts": len(verdicts), "hop_records": len(hops), "planted": counts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--urls", type=int, default=100_000, help="legacy URLs (100000)")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write the summary to this file")
    parser.add_argument("--timeout", type=float, default=3600.0, help="for the audit (s)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    if args.work:
        summary = run(args.urls, args.work, args.timeout)
    else:
        with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
            summary = run(args.urls, Path(tmp), args.timeout)
    text = json.dumps(summary, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

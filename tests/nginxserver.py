"""A real nginx on 127.0.0.1 for the tests (Debian's nginx, installed by
scripts/install-system-deps.sh): one process, no daemon, everything under ``prefix``."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    cmd: list[str], port: int, log: Path, seconds: float, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes] | None:
    """Start a server (its stderr in ``log``) and wait, at most ``seconds``, until it accepts
    connections on 127.0.0.1:``port``; the process, or None when it ended (``log`` says why)."""
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    if proc.poll() is None:
        return proc
    proc.wait(timeout=10)
    return None


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server of :func:`start_server` (by its PID)."""
    proc.terminate()
    proc.wait(timeout=10)


@contextmanager
def running_nginx(prefix: Path, http_block: Callable[[int], str]) -> Iterator[int]:
    """nginx with ``http { <temp paths> <http_block(port)> }`` listening on a free loopback
    port; yields the port, stops it (by PID) on exit. A port taken between choosing and binding
    is tried again, up to three times; nginx missing skips the test."""
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (scripts/install-system-deps.sh installs it)")
    prefix.mkdir(parents=True, exist_ok=True)
    temp = " ".join(
        f"{kind}_temp_path {prefix}/tmp-{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    for _attempt in range(3):
        port = free_port()
        (prefix / "nginx.conf").write_text(
            f"""daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 128; }}
http {{
    {temp}
{http_block(port)}
}}
""",
            encoding="utf-8",
        )
        log = prefix / "stderr.log"
        cmd = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
        proc = start_server([*cmd, "-e", str(prefix / "error.log")], port, log, 5)
        if proc is not None:
            try:
                yield port
            finally:
                stop_server(proc)
            return
        message = log.read_text(errors="replace")
        if "Address already in use" not in message:
            pytest.fail(f"nginx did not start: {message}")
    pytest.fail("nginx found no free port")

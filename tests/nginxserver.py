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
        with log.open("wb") as err:
            cmd = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
            proc = subprocess.Popen(
                [*cmd, "-e", str(prefix / "error.log")], stdout=subprocess.DEVNULL, stderr=err
            )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            try:
                yield port
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            return
        proc.wait(timeout=10)
        message = log.read_text(errors="replace")
        if "Address already in use" not in message:
            pytest.fail(f"nginx did not start: {message}")
    pytest.fail("nginx found no free port")

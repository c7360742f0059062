"""A real Redis on 127.0.0.1 for the tests (Debian's redis-server, installed by
scripts/install-system-deps.sh): one process on a free port, its own data folder, nothing
saved to disk, ended by PID."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """``redis-server`` on a free loopback port, with ``password`` when given."""

    def __init__(self, folder: Path, password: str | None = None, tls: bool = False) -> None:
        self.folder = folder
        self.password = password
        self.tls = tls  # rediss://: a throwaway CA (``ca_file``) and a certificate for 127.0.0.1
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        scheme = "rediss" if self.tls else "redis"
        return f"{scheme}://{auth}127.0.0.1:{self.port}/0"

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    def _tls_args(self) -> list[str]:
        from migrationaudit.demo.tls import make_tls

        ca, cert, key = make_tls(("127.0.0.1",))
        self.ca_file.write_bytes(ca)
        (self.folder / "cert.pem").write_bytes(cert)
        (self.folder / "key.pem").write_bytes(key)
        return ["--port", "0", "--tls-port", str(self.port),
                "--tls-cert-file", str(self.folder / "cert.pem"),
                "--tls-key-file", str(self.folder / "key.pem"),
                "--tls-ca-cert-file", str(self.ca_file), "--tls-auth-clients", "no"]  # fmt: skip

    def _answers(self) -> bool:
        import ssl

        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as raw:
            if not self.tls:
                raw.sendall(b"PING\r\n")
                return bool(raw.recv(64))
            context = ssl.create_default_context(cafile=str(self.ca_file))
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(b"PING\r\n")
                return bool(s.recv(64))

    def start(self) -> RedisServer:
        if not Path(REDIS_SERVER).exists():
            pytest.skip("redis-server is not installed (scripts/install-system-deps.sh)")
        self.folder.mkdir(parents=True, exist_ok=True)
        for _attempt in range(3):
            self.port = free_port()
            cmd = [REDIS_SERVER, "--bind", "127.0.0.1",
                   "--dir", str(self.folder), "--save", "", "--appendonly", "no",
                   "--daemonize", "no", "--logfile", str(self.folder / "redis.log")]  # fmt: skip
            cmd += self._tls_args() if self.tls else ["--port", str(self.port)]
            if self.password:
                cmd += ["--requirepass", self.password]
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if self._answers():
                        return self
                except OSError:
                    time.sleep(0.05)
            self.stop()
        raise RuntimeError(f"redis-server did not start: see {self.folder / 'redis.log'}")

    def client(self) -> object:
        import redis

        extra = {"ssl_ca_certs": str(self.ca_file)} if self.tls else {}
        return redis.Redis.from_url(self.url, decode_responses=True, socket_timeout=10, **extra)

    def stop(self) -> None:
        """End the server (by its PID), at once."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

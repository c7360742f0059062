"""A deterministic synthetic migration site of N legacy URLs, served by Debian's nginx.

Every legacy URL ``i`` gets a kind from ``i % 20`` (so the mix is the same at every N):

==========  =====  ===========================================================================
kind        share  chain
==========  =====  ===========================================================================
direct      40 %   old-a /p/i  -301-> new /n/i/ (200)
slash       10 %   old-b /s/i  -301-> new /n/i  -301-> new /n/i/ (200)
www         10 %   old /w/i -301-> www.old /w/i -301-> new /n/i -301-> new /n/i/ (200)
four         5 %   old /q/i -301-> www.old /q/i -302-> www.new /q/i -301-> new /n/i -301-> /n/i/
temporary    5 %   old-a /t/i  -302-> new /n/i/ (200)
loop         5 %   old-b /loop/i/a -301-> /loop/i/b -301-> /loop/i/a
gone        10 %   old-a /gone/i  404
canonical    5 %   old-a /c/i -301-> new /cn/i/ (200, canonical names /n/i/)
funnel       5 %   old-b /cat/i -301-> new /hub/<last 2 digits of i>/ (200): shared tails
removed      5 %   old-a /old/i  410
==========  =====  ===========================================================================

About 2.25 requests per legacy URL. All host names are virtual hosts of one nginx listening on
an ephemeral loopback port; clients reach them like ``curl --connect-to HOST:80:127.0.0.1:PORT``.
The routes are regex ``location`` + ``return`` rules (no per-URL table), so nginx's memory and
start-up time do not grow with N. ``/sitemap.xml`` on the new host lists a sample of new pages.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HOSTS = (
    "old-a.example",
    "old-b.example",
    "old.example",
    "www.old.example",
    "new.example",
    "www.new.example",
)
KINDS = (
    "direct", "direct", "direct", "direct", "direct", "direct", "direct", "direct",
    "slash", "slash", "www", "www", "four", "temporary", "loop",
    "gone", "gone", "canonical", "funnel", "removed",
)  # fmt: skip
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


def legacy_url(i: int) -> str:
    """The legacy URL number ``i`` (its kind is ``KINDS[i % 20]``)."""
    kind = KINDS[i % len(KINDS)]
    return {
        "direct": f"http://old-a.example/p/{i}",
        "slash": f"http://old-b.example/s/{i}",
        "www": f"http://old.example/w/{i}",
        "four": f"http://old.example/q/{i}",
        "temporary": f"http://old-a.example/t/{i}",
        "loop": f"http://old-b.example/loop/{i}/a",
        "gone": f"http://old-a.example/gone/{i}",
        "canonical": f"http://old-a.example/c/{i}",
        "funnel": f"http://old-b.example/cat/{i}",
        "removed": f"http://old-a.example/old/{i}",
    }[kind]


def legacy_urls(n: int) -> Iterator[str]:
    """The first ``n`` legacy URLs, in order."""
    return (legacy_url(i) for i in range(n))


def write_url_list(n: int, path: Path) -> Path:
    """The URL list of the site (one URL a line)."""
    with path.open("w", encoding="utf-8") as f:
        for url in legacy_urls(n):
            f.write(url + "\n")
    return path


_PAGE = (
    "'<!doctype html><html><head><title>Page $1</title>"
    '<link rel="canonical" href="http://new.example/$2"></head><body>ok</body></html>\''
)


def _page(canonical: str) -> str:
    return _PAGE.replace("$2", canonical)


def nginx_conf(prefix: Path, port: int) -> str:
    """The nginx configuration of the site (one worker, no logs on the hot path)."""
    new = "http://new.example"
    return f"""
worker_processes 1;
daemon off;
master_process on;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    default_type text/html;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp;
    scgi_temp_path {prefix}/tmp;
    server {{
        listen 127.0.0.1:{port} default_server;
        server_name old-a.example old-b.example;
        location ~ ^/p/(\\d+)$ {{ return 301 {new}/n/$1/; }}
        location ~ ^/s/(\\d+)$ {{ return 301 {new}/n/$1; }}
        location ~ ^/t/(\\d+)$ {{ return 302 {new}/n/$1/; }}
        location ~ ^/loop/(\\d+)/a$ {{ return 301 http://old-b.example/loop/$1/b; }}
        location ~ ^/loop/(\\d+)/b$ {{ return 301 http://old-b.example/loop/$1/a; }}
        location ~ ^/gone/ {{ return 404; }}
        location ~ ^/c/(\\d+)$ {{ return 301 {new}/cn/$1/; }}
        location ~ ^/cat/\\d*(\\d\\d)$ {{ return 301 {new}/hub/$1/; }}
        location ~ ^/old/ {{ return 410; }}
        location / {{ return 404; }}
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name old.example;
        location / {{ return 301 http://www.old.example$request_uri; }}
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name www.old.example;
        location ~ ^/w/(\\d+)$ {{ return 301 {new}/n/$1; }}
        location ~ ^/q/(\\d+)$ {{ return 302 http://www.new.example/q/$1; }}
        location / {{ return 404; }}
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name www.new.example;
        location ~ ^/q/(\\d+)$ {{ return 301 {new}/n/$1; }}
        location / {{ return 301 {new}$request_uri; }}
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name new.example;
        location ~ ^/n/(\\d+)$ {{ return 301 {new}/n/$1/; }}
        location ~ ^/n/(\\d+)/$ {{ return 200 {_page("n/$1/")}; }}
        location ~ ^/cn/(\\d+)/$ {{ return 200 {_page("n/$1/")}; }}
        location ~ ^/hub/(\\d+)/$ {{ return 200 {_page("hub/$1/")}; }}
        location = /sitemap.xml {{
            default_type application/xml;
            return 200 '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{new}/n/0/</loc></url><url><loc>{new}/hub/1/</loc></url></urlset>';
        }}
        location / {{ return 404; }}
    }}
}}
"""


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (bound and released; nginx binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NginxSite:
    """The synthetic site served by nginx on 127.0.0.1 in a prefix dir of its own.

    ``with NginxSite() as site:`` starts nginx (foreground master, ended by PID on exit)."""

    def __init__(self, workdir: Path | None = None) -> None:
        self._own_dir = workdir is None
        self.prefix = Path(workdir or tempfile.mkdtemp(prefix="ma-bench-nginx-"))
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def connect_to(self) -> list[str]:
        """``HOST:80:127.0.0.1:PORT`` for every host name of the site."""
        return [f"{h}:80:127.0.0.1:{self.port}" for h in HOSTS]

    def start(self) -> NginxSite:
        (self.prefix / "tmp").mkdir(parents=True, exist_ok=True)
        last_error = ""
        for _attempt in range(5):  # a port taken between free_port() and bind: try another
            self.port = free_port()
            conf = self.prefix / "nginx.conf"
            conf.write_text(nginx_conf(self.prefix, self.port), encoding="utf-8")
            self.proc = subprocess.Popen(
                [NGINX, "-p", str(self.prefix), "-c", str(conf)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            if self._wait_ready():
                return self
            last_error = self._stop_proc()
        raise RuntimeError(f"nginx did not start: {last_error}")

    def _wait_ready(self) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{self.port}/gone/1", headers={"Host": "old-a.example"}
                )
                urllib.request.urlopen(req, timeout=1)
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def _stop_proc(self) -> str:
        proc, self.proc = self.proc, None
        if proc is None:
            return ""
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)  # graceful: the master ends its worker
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        return err.strip()

    def stop(self) -> None:
        self._stop_proc()
        if self._own_dir:
            shutil.rmtree(self.prefix, ignore_errors=True)

    def __enter__(self) -> NginxSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def expected_requests(n: int) -> int:
    """Distinct URLs a correct hop-by-hop client fetches for the first ``n`` legacy URLs."""
    seen: set[str] = set()
    for i in range(n):
        seen.update(_chain(i))
    return len(seen)


def _chain(i: int) -> list[str]:
    kind = KINDS[i % len(KINDS)]
    new = "http://new.example"
    start = legacy_url(i)
    tail = {
        "direct": [f"{new}/n/{i}/"],
        "slash": [f"{new}/n/{i}", f"{new}/n/{i}/"],
        "www": [f"http://www.old.example/w/{i}", f"{new}/n/{i}", f"{new}/n/{i}/"],
        "four": [
            f"http://www.old.example/q/{i}",
            f"http://www.new.example/q/{i}",
            f"{new}/n/{i}",
            f"{new}/n/{i}/",
        ],
        "temporary": [f"{new}/n/{i}/"],
        "loop": [f"http://old-b.example/loop/{i}/b"],
        "canonical": [f"{new}/cn/{i}/"],
        "funnel": [f"{new}/hub/{str(i)[-2:]}/"],
    }.get(kind, [])
    return [start, *tail]


if __name__ == "__main__":  # pragma: no cover - a manual look at the site
    with NginxSite() as site:
        print(f"nginx on 127.0.0.1:{site.port} (pid {site.proc.pid if site.proc else '?'})")
        print("\n".join(site.connect_to()))
        input("Enter stops nginx: ")

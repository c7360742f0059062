"""An HTTP server on 127.0.0.1 that counts requests in flight (in all and per Host) and when
each one arrived: what politeness across workers is measured with. Every answer waits
``hold`` seconds; ``/limited`` answers 429 with ``Retry-After`` the first time."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class CountingServer:
    def __init__(self, hold: float = 0.15, retry_after: int = 2) -> None:
        self.hold = hold
        self.retry_after = retry_after
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.host_in_flight: dict[str, int] = defaultdict(int)
        self.host_max: dict[str, int] = defaultdict(int)
        self.arrivals: list[tuple[str, str, float, int]] = []  # host, path, time, status
        self._limited_done = False
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> CountingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, h: BaseHTTPRequestHandler) -> None:
        host = (h.headers.get("Host") or "").split(":")[0]
        status = 200
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.host_in_flight[host] += 1
            self.host_max[host] = max(self.host_max[host], self.host_in_flight[host])
            if h.path == "/limited" and not self._limited_done:
                self._limited_done = True
                status = 429
            self.arrivals.append((host, h.path, time.monotonic(), status))
        try:
            time.sleep(self.hold)
            body = b"<html><head><title>ok</title></head><body>ok</body></html>"
            h.send_response(status)
            if status == 429:
                h.send_header("Retry-After", str(self.retry_after))
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        finally:
            with self.lock:
                self.in_flight -= 1
                self.host_in_flight[host] -= 1

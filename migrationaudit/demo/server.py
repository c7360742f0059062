"""The scenario server: every routed host of a site on one HTTP and one HTTPS listener on
127.0.0.1, answering as the site definition says."""

from __future__ import annotations

import socket
import socketserver
import ssl
import struct
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from migrationaudit.demo.render import render_page, route_body
from migrationaudit.demo.site import (
    AFTER_WAIT_S,
    DEFAULT_CONTENT_TYPE,
    RequestLog,
    Route,
    Site,
    _ascii_host,
    route_key,
)
from migrationaudit.demo.tls import make_tls
from migrationaudit.settings import ConnectTo


class _Handler(BaseHTTPRequestHandler):
    """Answers one connection's requests from the scenario's routes."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the crawler's pool expects
    server_version = "scenario/1"
    timeout = 30  # an idle keep-alive connection frees its thread after this
    server: _Server

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_POST(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is self.server.owner.requests

    def _answer(self, *, send_body: bool) -> None:
        owner = self.server.owner
        host = _host_only(self.headers.get("Host", ""))
        sni = getattr(self.connection, "sni_name", None)
        owner.log(
            RequestLog(
                method=self.command,
                scheme=self.server.scheme,
                host=host,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                sni=sni,
                at=time.monotonic(),
            )
        )
        route, hits, moved = owner.match(self.server.scheme, host, self.path)
        if moved is not None:
            page = render_page(Route(url=moved, location=moved), 301)
            self._send(301, [("Location", moved)], page, send_body=send_body)
            return
        if route is None:
            page = render_page(Route(url="http://x/", title="404 Not Found"), 404)
            self._send(404, [], page, send_body=send_body)
            return
        if route.after is not None and not owner.wait_answered(route.after):
            self.close_connection = True
            return
        if route.delay and owner.stopping.wait(route.delay):
            self.close_connection = True
            return
        if route.action == "reset":
            self._reset()
            return
        if hits <= route.fail_times:
            page = render_page(Route(url=route.url), route.fail_status)
            self._send(route.fail_status, list(route.fail_headers), page, send_body=send_body)
            return
        headers = list(route.headers)
        if route.location is not None:
            headers.insert(0, ("Location", owner.expand(route.location)))
        body, extra, content_type = route_body(route, route.status)
        self._send(route.status, headers + extra, body, content_type, send_body=send_body)
        owner.answered(route.url)

    def _send(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: str | bytes,
        content_type: str | None = None,
        *,
        send_body: bool = True,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        names = {name.lower() for name, _ in headers}
        if "content-type" not in names:
            self.send_header("Content-Type", content_type or DEFAULT_CONTENT_TYPE)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def _reset(self) -> None:
        # SO_LINGER 0 makes close() send a TCP RST: the client sees a reset, no response.
        sock = self.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RD)
        except OSError:
            pass
        sock.close()
        self.close_connection = True



def expand_location(location: str, http_port: int, https_port: int) -> str:
    """``location`` with ``{http_port}`` / ``{https_port}`` replaced by the given ports."""
    return location.replace("{http_port}", str(http_port)).replace("{https_port}", str(https_port))



def _host_only(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:8080 → ::1, as urlsplit().hostname gives it
        return host[1 : host.find("]")] if "]" in host else host
    return _ascii_host(host.rsplit(":", 1)[0] if ":" in host else host)



class _Server(ThreadingHTTPServer):
    """One listener (HTTP or HTTPS); TLS is negotiated in the connection's own thread so a
    stalled handshake never blocks the accept loop."""

    daemon_threads = True

    def __init__(
        self,
        owner: ScenarioServer,
        host: str,
        scheme: str,
        tls: ssl.SSLContext | None,
    ) -> None:
        self.owner = owner
        self.scheme = scheme
        self.tls = tls
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can stall offline.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        conn = request
        self.owner.track(conn, add=True)
        try:
            if self.tls is not None:
                request.settimeout(10)
                conn = self.tls.wrap_socket(request, server_side=True)
                self.owner.track(conn, add=True)
            self.RequestHandlerClass(conn, client_address, self)  # type: ignore[arg-type]
        except (OSError, ssl.SSLError):
            pass  # a client that hangs up mid-request is not the server's problem
        finally:
            self.owner.track(request, add=False)
            if conn is not request:
                self.owner.track(conn, add=False)
                conn.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        super().handle_error(request, client_address)



class ScenarioServer:
    """Serve a :class:`Site` on 127.0.0.1: one HTTP and one HTTPS listener, threaded.

    Use as a context manager (``with ScenarioServer(site) as server:``) or call
    :meth:`start` / :meth:`stop`. ``requests`` logs every request received.
    """

    def __init__(self, site: Site, host: str = "127.0.0.1") -> None:
        self.site = site
        self.host = host
        self.requests: list[RequestLog] = []
        self.stopping = threading.Event()
        self.ca_pem = b""
        self.cert_pem = b""
        self.http_port = 0
        self.https_port = 0
        self.dead_port = 0
        self._hits: dict[tuple[str, str, str], int] = {}
        self._answered: dict[tuple[str, str, str], threading.Event] = {}
        self._lock = threading.Lock()
        self._open: set[Any] = set()
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._dead_sock: socket.socket | None = None

    def __enter__(self) -> ScenarioServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> ScenarioServer:
        """Bind the listeners (ephemeral ports) and serve in daemon threads."""
        if self._servers:
            return self
        self.ca_pem, self.cert_pem, key_pem = make_tls(self.site.served_hosts)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.sni_callback = _remember_sni
        # load_cert_chain only reads files; the key lives on disk for microseconds.
        with tempfile.TemporaryDirectory() as tmp:
            cert_file, key_file = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
            cert_file.write_bytes(self.cert_pem + self.ca_pem)
            key_file.write_bytes(key_pem)
            tls.load_cert_chain(cert_file, key_file)
        http = _Server(self, self.host, "http", None)
        https = _Server(self, self.host, "https", tls)
        self.http_port, self.https_port = http.server_port, https.server_port
        # A bound socket that never listens: connecting to it is refused, and holding it
        # keeps another process from taking the port while the server runs.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._dead_sock = socket.socket(family, socket.SOCK_STREAM)
        self._dead_sock.bind((self.host, 0))
        self.dead_port = self._dead_sock.getsockname()[1]
        for server in (http, https):
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"scenario-{server.scheme}",
                daemon=True,
            )
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and free the ports."""
        self.stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=5)
        if self._dead_sock is not None:
            self._dead_sock.close()
            self._dead_sock = None
        self._servers.clear()
        self._threads.clear()

    def connect_to(self) -> tuple[ConnectTo, ...]:
        """Entries pointing every routed host at this server and every dead host at a port
        that refuses connections (80 → HTTP listener, 443 → HTTPS listener, explicit ports
        in route URLs by their scheme)."""
        entries: dict[tuple[str, int], ConnectTo] = {}
        for host in self.site.served_hosts:
            entries[(host, 80)] = ConnectTo(host, 80, self.host, self.http_port)
            entries[(host, 443)] = ConnectTo(host, 443, self.host, self.https_port)
        for route in self.site.routes:
            parts = urlsplit(route.url)
            if parts.port is not None:
                port = self.https_port if parts.scheme == "https" else self.http_port
                key = (route.key[1], parts.port)
                entries[key] = ConnectTo(route.key[1], parts.port, self.host, port)
        for host in self.site.dead_hosts:
            for port in (80, 443):
                entries[(host, port)] = ConnectTo(host, port, self.host, self.dead_port)
        return tuple(entries.values())

    def expand(self, location: str) -> str:
        """A route's Location with ``{http_port}`` / ``{https_port}`` replaced by this server's
        listening ports (a redirect to e.g. ``http://localhost:{http_port}/``: a host the
        audit does not name that would reach this very server if it were requested)."""
        return expand_location(location, self.http_port, self.https_port)

    def count(self, url: str) -> int:
        """How many requests the server received for ``url`` (matched like routes)."""
        key = route_key(url)
        with self._lock:
            logs = list(self.requests)
        return sum(1 for r in logs if route_key(r.url) == key)

    # -- called from the connection threads --

    def _answered_event(self, url: str) -> threading.Event:
        with self._lock:
            return self._answered.setdefault(route_key(url), threading.Event())

    def answered(self, url: str) -> None:
        """Mark ``url`` answered (a route's whole answer was sent)."""
        self._answered_event(url).set()

    def wait_answered(self, url: str) -> bool:
        """Wait until ``url`` has been answered (False: the server is stopping or
        :data:`AFTER_WAIT_S` passed)."""
        event = self._answered_event(url)
        deadline = time.monotonic() + AFTER_WAIT_S
        while not event.wait(0.05):
            if self.stopping.is_set() or time.monotonic() > deadline:
                return False
        return True

    def log(self, entry: RequestLog) -> None:
        with self._lock:
            self.requests.append(entry)

    def match(self, scheme: str, host: str, path: str) -> tuple[Route | None, int, str | None]:
        """The route for a request, how many times it has been hit (this one included), and
        the URL a redirected variant is sent to (see :meth:`Site.resolve`)."""
        route, moved = self.site.resolve(scheme, host, path)
        if route is None:
            return None, 0, moved
        with self._lock:
            hits = self._hits[route.key] = self._hits.get(route.key, 0) + 1
        return route, hits, None

    def track(self, conn: Any, *, add: bool) -> None:
        with self._lock:
            if add:
                self._open.add(conn)
            else:
                self._open.discard(conn)



def _remember_sni(sock: Any, server_name: str | None, ctx: ssl.SSLContext) -> None:
    # The SSLSocket outlives the handshake; the request handler reads the name from it.
    sock.sni_name = server_name
    return None

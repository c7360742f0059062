"""A raw-bytes HTTP(S) test server on loopback, for hostile-server tests.

Unlike ``http.server`` it writes exactly the bytes a handler gives it, so tests can send what
real servers must not: malformed status lines and headers, several Location headers, bad
chunked encoding, a Content-Length larger than the body, bombs, slow drips, resets.

Routing is on the Host header's name plus the path (``route("/a", h, host="old.test")``);
``host=None`` matches any host. Unrouted requests get the ``default`` handler (a 404).
Import it from a test module in tests/ as ``from rawserver import RawServer, Canary, ...``.
Every request received is recorded in ``server.requests`` (thread-safe list of RawRequest).

:class:`Canary` is a listener that must stay silent: it answers anything with 200 "canary"
and records it; ``assert_silent()`` fails a test with what it received.

One request per connection: after the handler returns, the server closes the socket (the
canned :func:`respond` sends ``Connection: close``). Handlers run in a thread each; slow
handlers should use :meth:`Conn.drip` / :meth:`Conn.sleep`, which stop when the server stops.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus

MAX_HEAD = 1024 * 1024
MAX_BODY = 16 * 1024 * 1024


@dataclass
class RawRequest:
    """One request as the server read it."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    raw: bytes = b""
    peer: tuple[str, int] | None = None
    tls: bool = False

    @property
    def path(self) -> str:
        """The request target without its query string."""
        return self.target.split("?", 1)[0]

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        low = name.lower()
        for k, v in self.headers:
            if k.lower() == low:
                return v
        return None

    def header_values(self, name: str) -> list[str]:
        low = name.lower()
        return [v for k, v in self.headers if k.lower() == low]

    @property
    def host(self) -> str:
        """The Host header's name, lower case, without the port ("" when missing)."""
        value = (self.header("Host") or "").strip().lower()
        if value.startswith("["):
            return value[1 : value.find("]")] if "]" in value else value
        return value.rsplit(":", 1)[0] if ":" in value else value


class Conn:
    """The accepted socket, with helpers that respect the server's stop."""

    def __init__(self, sock: socket.socket, stopping: threading.Event) -> None:
        self.sock = sock
        self._stopping = stopping

    def send(self, data: bytes) -> None:
        """Write ``data`` whole (errors from a client that went away are ignored)."""
        with contextlib.suppress(OSError):
            self.sock.sendall(data)

    def sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; False when the server is stopping (stop early)."""
        return not self._stopping.wait(seconds)

    def drip(self, data: bytes, *, chunk: int = 1, interval: float = 0.2) -> None:
        """Send ``data`` ``chunk`` bytes at a time, ``interval`` seconds apart (slow-loris)."""
        for i in range(0, len(data), chunk):
            try:
                self.sock.sendall(data[i : i + chunk])
            except OSError:
                return
            if not self.sleep(interval):
                return

    def reset(self) -> None:
        """Close with a TCP RST instead of a FIN."""
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)
            self.sock.close()


Handler = Callable[[RawRequest, Conn], None]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def head_bytes(
    status: int | str = 200,
    headers: Iterable[tuple[str, str]] | Sequence[tuple[str, str]] = (),
    *,
    reason: str | None = None,
    version: str = "HTTP/1.1",
) -> bytes:
    """A status line and header block, exactly as given (latin-1 / raw UTF-8 values kept)."""
    if isinstance(status, str):
        line = status  # a whole, possibly malformed, status line
    else:
        line = f"{version} {status} {reason if reason is not None else _reason(status)}"
    out = [line.encode("utf-8", "surrogateescape")]
    for name, value in headers:
        out.append(f"{name}: {value}".encode("utf-8", "surrogateescape"))
    return b"\r\n".join(out) + b"\r\n\r\n"


def respond(
    status: int | str = 200,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    content_length: bool = True,
    close: bool = True,
) -> Handler:
    """A handler answering with a fixed response. ``headers`` are sent as given, then
    ``Content-Length`` (unless ``content_length`` is False or one was given) and
    ``Connection: close``."""
    given = list(headers)
    names = {n.lower() for n, _ in given}
    if content_length and "content-length" not in names and "transfer-encoding" not in names:
        given.append(("Content-Length", str(len(body))))
    if close and "connection" not in names:
        given.append(("Connection", "close"))
    data = head_bytes(status, given) + body

    def handle(_req: RawRequest, conn: Conn) -> None:
        conn.send(data)

    return handle


def raw(data: bytes) -> Handler:
    """A handler that writes ``data`` exactly and closes."""

    def handle(_req: RawRequest, conn: Conn) -> None:
        conn.send(data)

    return handle


def redirect(location: str | Sequence[str], status: int = 301) -> Handler:
    """A redirect with one Location header, or several when ``location`` is a list."""
    values = [location] if isinstance(location, str) else list(location)
    return respond(status, [("Location", v) for v in values])


def page(
    html: str | bytes = "<html><head><title>ok</title></head><body>ok</body></html>",
    status: int = 200,
    headers: Iterable[tuple[str, str]] = (),
) -> Handler:
    """An HTML page."""
    body = html.encode() if isinstance(html, str) else html
    return respond(status, [("Content-Type", "text/html; charset=utf-8"), *headers], body)


NOT_FOUND = respond(404, [("Content-Type", "text/plain")], b"not found")


class RawServer:
    """A threaded raw-bytes server on ``host`` (127.0.0.1 by default), an ephemeral port.
    Use as a context manager, or call :meth:`start` / :meth:`stop`."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
        default: Handler | None = None,
    ) -> None:
        self.host = host
        self.ssl_context = ssl_context
        self.default = default or NOT_FOUND
        self.requests: list[RawRequest] = []
        self.errors: list[str] = []  # handshake/parse failures seen by the server
        self._routes: dict[tuple[str | None, str], Handler] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self.port: int = self._sock.getsockname()[1]
        self._thread: threading.Thread | None = None
        self._workers: list[threading.Thread] = []

    # -- set-up --

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    def base(self, host: str | None = None) -> str:
        """``scheme://host:port`` (host defaults to the listening address)."""
        name = host or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"{self.scheme}://{name}:{self.port}"

    def url(self, path: str = "/", host: str | None = None) -> str:
        return self.base(host) + path

    def route(self, path: str, handler: Handler, host: str | None = None) -> None:
        """Answer ``path`` (exact request target, query included if given with one; else the
        path alone) on ``host`` (any host when None) with ``handler``."""
        with self._lock:
            self._routes[(host.lower() if host else None, path)] = handler

    def hits(self, path: str | None = None) -> list[RawRequest]:
        """Requests received (for ``path`` only when given)."""
        with self._lock:
            reqs = list(self.requests)
        return [r for r in reqs if path is None or r.path == path or r.target == path]

    # -- running --

    def start(self) -> RawServer:
        self._sock.listen(128)
        self._sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._serve, name="rawserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)
        with contextlib.suppress(OSError):
            self._sock.close()
        for t in list(self._workers):
            t.join(2)

    def __enter__(self) -> RawServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, peer = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._handle, args=(sock, peer), daemon=True)
            self._workers = [w for w in self._workers if w.is_alive()]
            self._workers.append(t)
            t.start()

    def _handle(self, sock: socket.socket, peer: tuple[str, int]) -> None:
        sock.settimeout(10)
        try:
            if self.ssl_context is not None:
                try:
                    sock = self.ssl_context.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError) as exc:
                    with self._lock:
                        self.errors.append(f"tls: {exc}")
                    return
            request = self._read(sock, peer)
            if request is None:
                return
            with self._lock:
                self.requests.append(request)
                handler = (
                    self._routes.get((request.host, request.target))
                    or self._routes.get((request.host, request.path))
                    or self._routes.get((None, request.target))
                    or self._routes.get((None, request.path))
                    or self.default
                )
            handler(request, Conn(sock, self._stopping))
        except Exception as exc:  # a handler bug must not kill the server thread silently
            with self._lock:
                self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    def _read(self, sock: socket.socket, peer: tuple[str, int]) -> RawRequest | None:
        data = b""
        while b"\r\n\r\n" not in data:
            if len(data) > MAX_HEAD:
                return None
            try:
                chunk = sock.recv(65536)
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) < 3:
            parts += [""] * (3 - len(parts))
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        req = RawRequest(
            method=parts[0],
            target=parts[1],
            version=parts[2],
            headers=headers,
            raw=head + b"\r\n\r\n",
            peer=peer,
            tls=self.ssl_context is not None,
        )
        length = req.header("Content-Length")
        if length and length.isdigit():
            need = min(int(length), MAX_BODY)
            body = rest
            while len(body) < need:
                try:
                    chunk = sock.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                body += chunk
            req.body = body[:need]
        return req


class Canary(RawServer):
    """A listener that must receive nothing: answers 200 "canary" and records every request."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            default=respond(200, [("Content-Type", "text/plain")], b"canary"), **kwargs
        )  # type: ignore[arg-type]

    def assert_silent(self) -> None:
        """Fail with what arrived when anything arrived."""
        time.sleep(0.05)  # a request racing the assertion still counts
        got = self.hits()
        assert not got, "canary received: " + "; ".join(
            f"{r.method} {r.target} Host={r.header('Host')} "
            f"auth={'yes' if r.header('Authorization') else 'no'} "
            f"cookie={'yes' if r.header('Cookie') else 'no'}"
            for r in got
        )

"""A migration on loopback for the parity, catch-all and suggestion tests: an old host and a
new host served by one threaded HTTP server (by Host header), the old host first serving its
pages (before cutover, for ``snapshot``) and then redirecting them (after cutover, for
``audit``). Texts are generated here from a fixed vocabulary (nothing downloaded)."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WORDS = (
    "lamp table chair garden brass oak linen cotton kitchen shelf mirror rug velvet copper "
    "candle glass ceramic walnut cushion basket lantern clock vase bench stool desk drawer "
    "light warm bright soft tall round square woven carved polished handmade vintage modern "
    "room home hall porch window evening morning winter summer river harbour market village "
    "craft maker workshop timber stone wool clay iron silver golden quiet simple sturdy "
    "narrow wide heavy gentle careful patient honest old new small large long short"
).split()


def text(seed: int, words: int) -> str:
    """``words`` words of plain sentences, the same for the same seed."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < words:
        sentence = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
        sentence[0] = sentence[0].capitalize()
        out.extend(sentence)
        out[-1] += "."
    return " ".join(out[:words])


@dataclass(frozen=True)
class Page:
    """An HTML page (or a file: ``content_type`` and ``raw``)."""

    title: str = ""
    h1: tuple[str, ...] = ()
    description: str | None = None
    body: str = ""
    lang: str | None = "en"
    jsonld: tuple[str, ...] = ()
    robots: str | None = None
    canonical: str | None = None
    content_type: str = "text/html; charset=utf-8"
    raw: bytes | None = None

    def render(self) -> bytes:
        if self.raw is not None:
            return self.raw
        head = [f"<title>{self.title}</title>"]
        if self.description is not None:
            head.append(f'<meta name="description" content="{self.description}">')
        if self.robots:
            head.append(f'<meta name="robots" content="{self.robots}">')
        if self.canonical:
            head.append(f'<link rel="canonical" href="{self.canonical}">')
        for kind in self.jsonld:
            data = {"@context": "https://schema.org", "@type": kind, "name": self.title}
            head.append(f'<script type="application/ld+json">{json.dumps(data)}</script>')
        lang = f' lang="{self.lang}"' if self.lang else ""
        h1 = "".join(f"<h1>{h}</h1>" for h in self.h1)
        paragraphs = "".join(f"<p>{p}.</p>" for p in self.body.split(". ") if p)
        html = (
            f"<!doctype html><html{lang}><head>{''.join(head)}</head><body>"
            f'<nav><a href="/">Home</a></nav>{h1}{paragraphs}</body></html>'
        )
        return html.encode("utf-8")


Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Host:
    """What one host answers: pages by path, redirects by path, and for any other path
    ``fallback`` (None: a plain 404)."""

    pages: dict[str, Page] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    fallback: Callable[[str], Answer] | None = None

    def answer(self, path: str) -> Answer:
        if path in self.redirects:
            return 301, {"Location": self.redirects[path]}, b""
        page = self.pages.get(path)
        if page is not None:
            return 200, {"Content-Type": page.content_type}, page.render()
        if self.fallback is not None:
            return self.fallback(path)
        return 404, {"Content-Type": "text/html"}, b"<html><title>Not found</title></html>"


class LoopbackSites:
    """One HTTP server on 127.0.0.1 answering for several host names (``hosts``, changeable
    between runs). Use as a context manager; ``url(host, path)`` names a page on it."""

    def __init__(self, hosts: dict[str, Host]) -> None:
        self.hosts = hosts
        sites = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = (self.headers.get("Host") or "").split(":")[0].lower()
                host = sites.hosts.get(name)
                if host is None:
                    status, headers, body = 421, {}, b""
                else:
                    status, headers, body = host.answer(self.path)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackSites:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port}{path}"

    def resolve_args(self) -> list[str]:
        out: list[str] = []
        for name in self.hosts:
            out += ["--resolve", f"{name}:{self.port}:127.0.0.1"]
        return out

"""Sitemaps, read safely: XML ``<urlset>`` and ``<sitemapindex>``, text sitemaps, gzip.

A sitemap comes from the audited site, so it is hostile input. Parsing never resolves
entities, never loads a DTD or anything from the network, refuses a DOCTYPE outright (a sitemap
has none; billion-laughs and XXE payloads need one), keeps lxml's ``huge_tree`` guard on, and
streams (``iterparse``, elements cleared as they are read), so memory stays flat. gzip is
inflated with a ceiling on the output: a decompression bomb stops at the protocol's 50 MB and is
reported, never inflated in full.

The protocol's per-file ceilings (50,000 URLs, 50 MB uncompressed) are not errors here: the
document records that it exceeded them (``over_limit``) and keeps the first 50,000 entries,
which is what search engines would read at best; the rules turn it into a finding. Problems that
make (part of) a file unreadable are listed in ``errors``; a file is never an exception, except a
local file that cannot be read at all (:class:`~migrationaudit.errors.InputError`).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from migrationaudit.errors import InputError
from migrationaudit.settings import SITEMAP_MAX_BYTES, SITEMAP_MAX_URLS
from migrationaudit.web.urls import is_http

URLSET = "urlset"
INDEX = "index"
TEXT = "text"
XHTML_NS = "http://www.w3.org/1999/xhtml"
GZIP_MAGIC = b"\x1f\x8b"
MAX_ERRORS = 5  # error messages kept per file (the count is always kept)
_ENTRY_END = re.compile(rb"</(?:[\w.-]+:)?(?:url|sitemap)\s*>")
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_INFLATE_CHUNK = 1024 * 1024
_FEED_CHUNK = 256 * 1024  # bytes handed to the XML parser at a time
_SNIFF = 4096  # bytes looked at to tell a text sitemap from binary junk


@dataclass(frozen=True)
class SitemapEntry:
    """One ``<url>`` (or ``<sitemap>`` of an index, or line of a text sitemap): its ``loc``,
    the 1-based line it is on, and its ``xhtml:link`` hreflang alternates (language, URL)."""

    loc: str
    line: int
    alternates: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"loc": self.loc, "line": self.line}
        if self.alternates:
            out["alternates"] = [list(a) for a in self.alternates]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> SitemapEntry:
        alts = d.get("alternates") or ()
        return cls(
            loc=str(d["loc"]),
            line=int(d.get("line") or 0),  # type: ignore[call-overload]
            alternates=tuple((str(a), str(b)) for a, b in alts),  # type: ignore[attr-defined]
        )


@dataclass(frozen=True)
class SitemapDoc:
    """What one sitemap file holds.

    ``format``: ``"urlset"``, ``"index"`` (entries are child sitemaps), ``"text"``, or None when
    nothing in it is a sitemap. ``count``: entries seen (``entries`` keeps at most the
    protocol's 50,000). ``size``: uncompressed bytes read. ``over_limit``: the protocol ceilings
    it exceeds, as text. ``errors``: the first few problems found (``error_count`` in all)."""

    source: str
    format: str | None
    entries: tuple[SitemapEntry, ...] = ()
    count: int = 0
    size: int = 0
    compressed: bool = False
    over_limit: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    error_count: int = 0

    @property
    def is_index(self) -> bool:
        return self.format == INDEX


@dataclass
class _Builder:
    """Collects a document while it is parsed (entries, counts and capped error messages)."""

    max_urls: int
    entries: list[SitemapEntry] = field(default_factory=list)
    count: int = 0
    errors: list[str] = field(default_factory=list)
    error_count: int = 0

    def error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)

    def add(self, loc: str, line: int, alternates: tuple[tuple[str, str], ...] = ()) -> None:
        loc = loc.strip()
        if not loc:
            self.error(f"line {line}: empty <loc>")
            return
        if not is_http(loc):
            self.error(f"line {line}: {loc[:200]!r} is not an absolute http(s) URL")
            return
        self.count += 1
        if self.count <= self.max_urls:
            self.entries.append(SitemapEntry(loc, line, alternates))


def inflate(data: bytes, max_bytes: int) -> tuple[bytes, bool, str | None]:
    """gunzip ``data`` (several members allowed) into at most ``max_bytes`` + 1 bytes:
    (output, stopped_at_ceiling, error). Never allocates more than the ceiling."""
    out = bytearray()
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            chunk = rest
            while chunk:
                room = max_bytes + 1 - len(out)
                piece = d.decompress(chunk, min(room, _INFLATE_CHUNK))
                out += piece
                if len(out) > max_bytes:
                    return bytes(out[:max_bytes]), True, None
                chunk = d.unconsumed_tail
                if not piece and not chunk:
                    break
            if not d.eof:
                return bytes(out), False, "gzip data ends early (truncated file?)"
            rest = d.unused_data
            if rest and not rest.startswith(GZIP_MAGIC):
                break  # trailing garbage after the last member: ignored, as gzip does
    except zlib.error as exc:
        return bytes(out), False, f"invalid gzip data: {exc}"
    return bytes(out), False, None


def parse_sitemap(
    data: bytes,
    source: str,
    *,
    max_urls: int = SITEMAP_MAX_URLS,
    max_bytes: int = SITEMAP_MAX_BYTES,
) -> SitemapDoc:
    """Parse one sitemap file (gzip detected by its magic bytes; XML or text by its content)."""
    compressed = data[:2] == GZIP_MAGIC
    errors: list[str] = []
    over: list[str] = []
    if compressed:
        data, stopped, error = inflate(data, max_bytes)
        if stopped:
            over.append(f"more than {max_bytes // (1024 * 1024)} MB uncompressed (read stopped)")
        if error:
            errors.append(error)
    elif len(data) > max_bytes:
        over.append(f"more than {max_bytes // (1024 * 1024)} MB uncompressed")
        data = data[:max_bytes]
    b = _Builder(max_urls)
    for e in errors:
        b.error(e)
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    fmt: str | None
    if head.startswith(b"<"):
        fmt = _parse_xml(data, b)
    else:
        fmt = _parse_text(data, b)
    if b.count > max_urls:
        over.append(f"{b.count:,} URLs (more than {max_urls:,})")
    return SitemapDoc(
        source=source,
        format=fmt,
        entries=tuple(b.entries),
        count=b.count,
        size=len(data),
        compressed=compressed,
        over_limit=tuple(over),
        errors=tuple(b.errors),
        error_count=b.error_count,
    )


def _local(tag: object) -> tuple[str, str]:
    """(namespace, local name) of an lxml tag (comments and PIs have no str tag)."""
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _parse_xml(data: bytes, b: _Builder) -> str | None:
    if _DOCTYPE.search(data):
        # A sitemap has no DTD; a DOCTYPE is how entity-expansion and external-entity attacks
        # start. Refused before lxml sees it.
        b.error("DOCTYPE or ENTITY declaration refused (sitemaps have none)")
        return None
    state = _XmlState(b)
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    # Fed in chunks and drained after each one, and drained once more after a syntax error:
    # the entries read before a cut (a capped or truncated file) are kept whatever lxml
    # version reads them (iterparse over the whole buffer drops them from lxml 6.2 on, where
    # the error is raised before the events already parsed are handed out).
    try:
        view = memoryview(data)
        for start in range(0, len(data), _FEED_CHUNK):
            parser.feed(bytes(view[start : start + _FEED_CHUNK]))
            if not state.take(parser.read_events()):
                return None
        parser.close()
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else 0
        # After an error libxml2 closes the open elements itself: an entry whose closing tag
        # is not in the bytes before the error (a <loc> cut mid-URL) is not an entry.
        state.limit = len(_ENTRY_END.findall(data, 0, _offset(data, exc.position)))
        if not state.take(parser.read_events()):
            return None
        msg = str(exc.msg) if exc.msg else str(exc)
        b.error(f"malformed XML at line {line}: {msg[:200]}")
        return state.fmt
    if not state.take(parser.read_events()):
        return None
    return state.fmt


def _offset(data: bytes, position: tuple[int, int] | None) -> int:
    """Byte offset of a (line, column) position that lxml reports (1-based), or the end."""
    if not position or position[0] < 1:
        return len(data)
    line, column = position
    start = 0
    for _ in range(line - 1):
        start = data.find(b"\n", start) + 1
        if start == 0:
            return len(data)
    return min(len(data), start + max(column - 1, 0))


class _XmlState:
    """The streaming reader's place in a sitemap: depth, format, the <loc> and alternates of
    the entry being read."""

    def __init__(self, b: _Builder) -> None:
        self.b = b
        self.fmt: str | None = None
        self.depth = 0
        self.alternates: list[tuple[str, str]] = []
        self.loc: tuple[str, int] | None = None
        self.closed = 0  # </url> and </sitemap> read
        self.limit: int | None = None  # closing tags really in the data (after an error)

    def take(self, events: Iterable[tuple[str, Any]]) -> bool:
        """Read parsed events; False when the root says this is not a sitemap."""
        b = self.b
        for event, el in events:
            ns, name = _local(el.tag)
            if event == "start":
                self.depth += 1
                if self.depth == 1:
                    if name == "urlset":
                        self.fmt = URLSET
                    elif name == "sitemapindex":
                        self.fmt = INDEX
                    else:
                        b.error(f"not a sitemap: the root element is <{name or el.tag}>")
                        return False
                continue
            self.depth -= 1
            depth = self.depth
            if depth == 2 and name == "loc":
                self.loc = ((el.text or ""), el.sourceline or 0)
            elif depth == 2 and name == "link" and ns == XHTML_NS and self.fmt == URLSET:
                rel = (el.get("rel") or "").lower().split()
                lang, href = el.get("hreflang"), el.get("href")
                if "alternate" in rel and lang and href:
                    self.alternates.append((lang.strip(), href.strip()))
            elif depth == 1 and name in ("url", "sitemap"):
                self.closed += 1
                if self.limit is not None and self.closed > self.limit:
                    return True
                if self.loc is None:
                    b.error(f"line {el.sourceline or 0}: <{name}> without <loc>")
                else:
                    b.add(self.loc[0], self.loc[1], tuple(self.alternates))
                self.loc, self.alternates = None, []
            if depth <= 1:
                # Free what was read: a 50,000-entry file never sits in memory as a tree.
                el.clear(keep_tail=False)
                parent = el.getparent()
                if parent is not None:
                    while el.getprevious() is not None:
                        del parent[0]
        return True


def _parse_text(data: bytes, b: _Builder) -> str | None:
    if b"\0" in data[:_SNIFF]:
        b.error("binary data, not a sitemap")
        return None
    text = data.decode("utf-8", errors="replace")
    if "\ufffd" in text:
        b.error("not UTF-8: undecodable bytes replaced")
    for lineno, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if line:
            b.add(line, lineno)
    return TEXT if b.count else None


def read_sitemap_file(
    path: str | Path, *, max_urls: int = SITEMAP_MAX_URLS, max_bytes: int = SITEMAP_MAX_BYTES
) -> SitemapDoc:
    """Parse a local sitemap file (``.xml``, ``.xml.gz``, ``.txt``); :class:`InputError` when
    it cannot be read at all. At most ``max_bytes`` + 1 bytes are read from disk."""
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read sitemap: {exc.strerror or exc}", file=str(path)) from None
    return parse_sitemap(data, str(path), max_urls=max_urls, max_bytes=max_bytes)

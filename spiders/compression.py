"""Bounded decoding of ``Content-Encoding`` bodies: gzip, deflate, br and zstd, each stopping at
a cap on the *decoded* size, so a decompression bomb (a gigabyte of zeros in a megabyte) costs
at most the cap in memory.

Why not Scrapy's own helpers (``scrapy.utils._compression``, 2.19): they also decode in 64 KiB
steps with a ``max_size``, but going over it raises and throws away what was decoded, so a big
page would lose its head (the title and canonical the audit needs) and a big sitemap all of its
URLs; and they are private. Here the output stops at the cap and what was decoded is kept, with
``truncated`` set: a body over its cap is a result, not an error.

Every decoder is fed the whole (already capped) compressed body and asked for at most
:data:`STEP` bytes of output at a time; the caller stops asking at the cap, so nothing is ever
inflated past it. Stacked encodings (``gzip, gzip``, or a ``.gz`` file served with
``Content-Encoding: gzip``) are undone last-applied first, each layer under the same cap;
several gzip or zstd members/frames in one body are read one after another, as ``gzip -d`` does.

The caps per kind of fetch (:func:`body_cap`): a redirect's body
:data:`~migrationaudit.settings.REDIRECT_MAX_BODY`, a robots.txt
:data:`~migrationaudit.settings.ROBOTS_MAX_BYTES`, a sitemap
:data:`~migrationaudit.settings.SITEMAP_MAX_BYTES`, any other page the crawl's
``max_body`` (:data:`~migrationaudit.settings.MAX_BODY`). The download handler applies the same
cap to the bytes on the wire.
"""

from __future__ import annotations

import io
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import brotli

from migrationaudit.settings import (
    MAX_BODY,
    REDIRECT_MAX_BODY,
    ROBOTS_MAX_BYTES,
    SITEMAP_MAX_BYTES,
)

if sys.version_info >= (3, 14):  # pragma: no cover - the stdlib module from 3.14 on
    from compression import zstd
else:
    from backports import zstd

STEP = 64 * 1024  # decoded bytes asked for per call: the most a cap can be overshot by inside
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
FETCH_KINDS = ("page", "robots", "sitemap")  # what a request fetches (``meta["fetch"]``)


class DecodeError(ValueError):
    """The data is not valid for its encoding (or ends before its end marker)."""


@dataclass(frozen=True)
class Decoded:
    """The outcome of :func:`decode_body`.

    ``body``: what was decoded (at most the cap); ``truncated``: more output was coming past the
    cap (the rest was never inflated); ``error``: why decoding stopped early (bad or cut data),
    None when it did not; ``remaining``: encodings left on the body, outermost first (unknown
    ones, and every one applied before them), for the ``Content-Encoding`` header."""

    body: bytes
    truncated: bool = False
    error: str | None = None
    remaining: tuple[str, ...] = ()


def body_cap(kind: str | None, status: int, page_cap: int = MAX_BODY) -> int:
    """The most body bytes (on the wire, and again once decoded) kept for an answer with
    ``status`` to a request that fetches ``kind`` (see :data:`FETCH_KINDS`; None = a page)."""
    if 300 <= status < 400:
        return REDIRECT_MAX_BODY  # a redirect's body is never what the audit reads
    if kind == "sitemap":
        return SITEMAP_MAX_BYTES
    if kind == "robots":
        return ROBOTS_MAX_BYTES  # Google ignores what follows the first 500 KiB
    return page_cap


def split_encodings(values: Iterable[bytes | str]) -> tuple[list[str], list[str]]:
    """``Content-Encoding`` header values → (encodings to undo, last applied first; encodings
    to leave, in header order). Decoding stops at the first unknown encoding from the end:
    what was applied before it cannot be reached. ``identity`` is dropped."""
    names = [
        name.strip().lower()
        for value in values
        for name in (value.decode("latin-1") if isinstance(value, bytes) else value).split(",")
    ]
    names = [n for n in names if n and n != "identity"]
    undo: list[str] = []
    while names and names[-1] in DECODERS:
        undo.append(names.pop())
    return undo, names


def decode_body(body: bytes, encodings: Iterable[bytes | str], cap: int) -> Decoded:
    """Undo ``encodings`` (``Content-Encoding`` values) on ``body``, keeping at most ``cap``
    decoded bytes per layer (see the module docstring). Never raises on bad data."""
    undo, remaining = split_encodings(encodings)
    truncated = False
    for k, name in enumerate(undo):
        body, cut, error = _bounded(DECODERS[name](body), cap)
        truncated = truncated or cut
        if error is not None:
            # What was decoded so far is returned; the caller decides whether it is usable
            # (a body cut on the wire always ends early). This layer and the ones applied
            # before it stay on the header.
            left = (*remaining, *reversed(undo[k:]))
            return Decoded(body=body, truncated=truncated, error=error, remaining=left)
    return Decoded(body=body, truncated=truncated, remaining=tuple(remaining))


def _bounded(pieces: Iterator[bytes], cap: int) -> tuple[bytes, bool, str | None]:
    """Join ``pieces`` up to ``cap`` bytes: (output, more was coming, error). Stops pulling
    at the cap, so the decoder never inflates further."""
    out = io.BytesIO()  # getvalue() hands its buffer over without a copy
    size = 0
    try:
        for piece in pieces:
            room = cap - size
            if len(piece) > room:
                out.write(piece[:room])
                return out.getvalue(), True, None
            out.write(piece)
            size += len(piece)
    except DecodeError as exc:
        return out.getvalue(), False, str(exc)
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()  # a generator stopped at the cap: its decompressor goes now
    return out.getvalue(), False, None


def gunzip_pieces(data: bytes) -> Iterator[bytes]:
    """Decoded pieces (at most :data:`STEP` bytes each) of gzip ``data``, member after member;
    trailing bytes that do not start another member are ignored, as ``gzip -d`` does."""
    rest = data
    while rest:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        yield from _zlib_pieces(d, rest, "gzip")
        rest = d.unused_data
        if not rest.startswith(GZIP_MAGIC):
            return


def inflate_pieces(data: bytes) -> Iterator[bytes]:
    """Decoded pieces of ``deflate`` data: zlib-wrapped as HTTP says, or raw deflate as some
    servers send it (told apart by the zlib header's check bits)."""
    zlib_header = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
    d = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
    yield from _zlib_pieces(d, data, "deflate")


def _zlib_pieces(d: Any, data: bytes, name: str) -> Iterator[bytes]:
    chunk = data
    try:
        while not d.eof:
            piece = d.decompress(chunk, STEP)
            chunk = d.unconsumed_tail
            if piece:
                yield piece
            elif not chunk:
                # No input left, nothing more out, no end marker: the data was cut.
                raise DecodeError(f"{name} data ends early")
    except zlib.error as exc:
        raise DecodeError(f"invalid {name} data: {exc}") from None


def unbrotli_pieces(data: bytes) -> Iterator[bytes]:
    """Decoded pieces of brotli data (``output_buffer_limit`` keeps each one near STEP)."""
    d = brotli.Decompressor()
    try:
        piece = d.process(data, output_buffer_limit=STEP)
        while True:
            if piece:
                yield piece
            if d.is_finished():
                return
            piece = d.process(b"", output_buffer_limit=STEP)
            if not piece and not d.is_finished():
                raise DecodeError("br data ends early")
    except brotli.error as exc:
        raise DecodeError(f"invalid br data: {exc}") from None


def unzstd_pieces(data: bytes) -> Iterator[bytes]:
    """Decoded pieces of zstd data, frame after frame."""
    rest = data
    try:
        while rest:
            d = zstd.ZstdDecompressor()
            piece = d.decompress(rest, STEP)
            while True:
                if piece:
                    yield piece
                if d.eof:
                    break
                if d.needs_input:
                    raise DecodeError("zstd data ends early")
                piece = d.decompress(b"", STEP)
            rest = d.unused_data
            if not rest.startswith(ZSTD_MAGIC):
                return  # trailing bytes that are not another frame: ignored, as for gzip
    except (zstd.ZstdError, EOFError) as exc:
        raise DecodeError(f"invalid zstd data: {exc}") from None


DECODERS: dict[str, Callable[[bytes], Iterator[bytes]]] = {
    "gzip": gunzip_pieces,
    "x-gzip": gunzip_pieces,
    "deflate": inflate_pieces,
    "br": unbrotli_pieces,
    "zstd": unzstd_pieces,
}

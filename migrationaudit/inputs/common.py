"""Shared helpers for input readers: decoding, streaming lines, URL validation, line numbers.

Decoding policy (the same for every text input: maps, URL lists, hosting redirect files,
``--priority`` exports), decided on the bytes, never guessed per line:

1. A byte order mark decides: UTF-8, UTF-16 LE/BE or UTF-32 LE/BE (the mark is dropped).
2. No mark, but the first 4 KiB are ASCII text interleaved with NUL bytes (``a\0b\0``): UTF-16
   LE (or BE for ``\0a\0b``), as Ahrefs and some Excel versions write it.
3. Anything else must be UTF-8. It is *not* decoded as Windows-1252 (an Excel "CSV" export on
   Windows writes ``é`` as ``0xE9`` and smart quotes as ``0x93``/``0x94``): one wrong guess would
   turn every non-ASCII URL into a different URL, audited without a word. Such a file is
   refused with the line and byte of the first undecodable byte, what it would mean in
   Windows-1252, and how to convert it.

A NUL character in the decoded text (a binary file, a spreadsheet saved as ``.xlsx``) is
refused with its line. The whole file is validated in one streaming pass before any row is
parsed, so readers can then stream rows with flat memory (:func:`open_text`,
:func:`iter_lines`). Line numbers count ``\r\n``, ``\n`` and ``\r`` alike, as :mod:`csv` does.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO
from urllib.parse import urljoin, urlsplit, urlunsplit

from migrationaudit.errors import ConfigError, InputError

STDIN = "-"
CHUNK = 1 << 20  # bytes decoded at a time when a file is validated
SNIFF = 4096  # bytes looked at to detect UTF-16 without a BOM
MAX_LINE = 1 << 20  # characters in one physical line: more is not a map row, list entry or URL
# Whitespace (``\s`` is ``str.isspace``) or an ASCII control character: not part of a URL.
# One regex search instead of a Python loop per character: a million-row map checks 2M URLs.
_BAD_URL_CHAR = re.compile(r"[\s\x00-\x1f\x7f]")
_HTTP_PREFIX = re.compile(r"^https?://", re.IGNORECASE)
# Where the scheme and authority of an absolute or scheme-relative URL end (the path starts).
_AUTHORITY = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//[^/?#]*")
# A relative reference that starts like a host name and a path ("old.example/a",
# "www.old.example:8080/"): a URL whose scheme was left out, not a path to resolve.
_HOST_NO_SCHEME = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?(?::\d+(?:[/?#]|$)|[/?#])"
)

# Longest marks first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
LABELS = {
    "utf-8": "UTF-8",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "utf-32-le": "UTF-32 LE",
    "utf-32-be": "UTF-32 BE",
}


def sniff_encoding(head: bytes) -> tuple[str, int]:
    """(codec, length of the byte order mark) for a file starting with ``head``.

    See the module docstring for the policy; the codec is one of :data:`LABELS`."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    pairs = len(head) // 2
    if pairs >= 2:
        even = head[0 : pairs * 2 : 2]
        odd = head[1 : pairs * 2 : 2]
        # ASCII-range text in UTF-16 has a NUL in every other byte. Demanding it in most pairs
        # and rarely on the other side (U+0100, U+4E00... have a NUL there) keeps a stray NUL
        # or a binary file from passing as text; U+0000 in the decoded text is refused anyway.
        if odd.count(0) >= 0.6 * pairs and even.count(0) <= 0.25 * odd.count(0):
            return "utf-16-le", 0
        if even.count(0) >= 0.6 * pairs and odd.count(0) <= 0.25 * even.count(0):
            return "utf-16-be", 0
    return "utf-8", 0


class LineCounter:
    """Counts line breaks in text fed piece by piece (``\r\n`` split across pieces is one)."""

    def __init__(self) -> None:
        self.breaks = 0
        self._cr = False

    def feed(self, text: str) -> None:
        if not text:
            return
        n = text.count("\n") + text.count("\r") - text.count("\r\n")
        if self._cr and text[0] == "\n":
            n -= 1
        self.breaks += n
        self._cr = text[-1] == "\r"

    @property
    def line(self) -> int:
        """The 1-based line the next character is on."""
        return self.breaks + 1


def _undecodable(codec: str, bad: bytes, offset: int) -> str:
    message = (
        f"undecodable bytes (not UTF-8 or UTF-16) at byte {offset}: {bad!r}"
        if codec == "utf-8"
        else f"undecodable bytes (invalid {LABELS[codec]}) at byte {offset}: {bad!r}"
    )
    if codec == "utf-8" and bad and bad[0] >= 0x80:
        try:
            as_1252 = bad[:1].decode("cp1252")
        except UnicodeDecodeError:
            return message
        message += (
            f"; in Windows-1252 0x{bad[0]:02X} is {as_1252!r} (an Excel 'CSV' export?): "
            "save it as 'CSV UTF-8' or convert it: iconv -f cp1252 -t utf-8"
        )
    return message


def _validate(raw: BinaryIO, codec: str, name: str, start: int) -> None:
    """Decode ``raw`` from ``start`` to the end, keeping nothing; InputError at the first
    undecodable byte or NUL character, naming its line."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    lines = LineCounter()
    offset = start
    raw.seek(start)
    while True:
        chunk = raw.read(CHUNK)
        final = not chunk
        pending = decoder.getstate()[0]
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            lines.feed(exc.object[: exc.start].decode(codec, errors="replace"))
            where = offset - len(pending) + exc.start
            bad = exc.object[exc.start : exc.start + 4]
            raise InputError(_undecodable(codec, bad, where), file=name, line=lines.line) from None
        nul = text.find("\x00")
        if nul >= 0:
            lines.feed(text[:nul])
            raise InputError(
                "NUL byte in text (is this a binary file?)", file=name, line=lines.line
            )
        lines.feed(text)
        offset += len(chunk)
        if final:
            return


@dataclass(frozen=True)
class TextInput:
    """A validated input file open for reading: display name, codec, text stream."""

    name: str
    codec: str
    stream: TextIO

    @property
    def encoding(self) -> str:
        """Human name of the encoding (``UTF-8``, ``UTF-16 LE``…)."""
        return LABELS.get(self.codec, self.codec)


@contextmanager
def open_text(path: str | Path) -> Iterator[TextInput]:
    """Open a file (or stdin, ``-``) as text after validating all of it (see the module
    docstring), without holding it in memory: the stream decodes as it is read. Stdin cannot be
    read twice, so it is buffered."""
    name = str(path)
    try:
        if name == STDIN:
            raw: BinaryIO = io.BytesIO(sys.stdin.buffer.read())
            name = "<stdin>"
        else:
            raw = open(path, "rb")  # closed by ``with raw`` below
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=name) from None
    with raw:
        try:
            codec, bom = sniff_encoding(raw.read(SNIFF))
            _validate(raw, codec, name, bom)
            raw.seek(bom)
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror or exc}", file=name) from None
        stream = io.TextIOWrapper(raw, encoding=codec, errors="strict", newline="")
        try:
            yield TextInput(name, codec, stream)
        finally:
            stream.detach()  # ``with raw`` closes the file


def iter_lines(stream: TextIO, name: str, max_line: int = MAX_LINE) -> Iterator[str]:
    """Physical lines of ``stream`` with their line ends (``\r\n``, ``\n`` or ``\r``).

    A line longer than ``max_line`` characters raises InputError naming it, after reading at
    most ``max_line`` + 1 characters of it: a 10 MB cell or a file without line breaks costs
    no more memory than that."""
    lineno = 0
    while True:
        line = stream.readline(max_line + 1)
        if not line:
            return
        lineno += 1
        if len(line) > max_line:
            raise InputError(
                f"line longer than {max_line} characters (a huge cell or no line breaks?)",
                file=name,
                line=lineno,
            )
        yield line


def split_lines(text: str) -> list[str]:
    """Lines of ``text`` split at ``\r\n``, ``\n`` and ``\r`` only (``str.splitlines`` also
    splits at form feeds, ``\x1c``-``\x1e``, NEL and U+2028, which would shift line numbers
    away from the ones :mod:`csv` and editors show)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def read_text(path: str | Path) -> tuple[str, str]:
    """Return (display name, text) of a file or of stdin (``-``), decoded by the policy of the
    module docstring (a byte order mark is dropped). InputError names the line of an
    undecodable byte or a NUL."""
    with open_text(path) as src:
        return src.name, src.stream.read()


def decode_bytes(data: bytes, name: str) -> str:
    """Text of ``data`` (a file already read) by the same policy as :func:`read_text`."""
    codec, bom = sniff_encoding(data[:SNIFF])
    _validate(io.BytesIO(data), codec, name, bom)
    return data[bom:].decode(codec)


def csv_problem(exc: csv.Error) -> str:
    """A one-line explanation of a :mod:`csv` error (its own words are terse)."""
    text = str(exc)
    if "field larger than field limit" in text:
        return (
            f"malformed CSV: a field larger than {csv.field_size_limit()} characters "
            "(a huge cell, or an unbalanced quote swallowing the lines after it)"
        )
    if "unexpected end of data" in text:
        return (
            "malformed CSV: unbalanced quote: the quoted field that starts on this line "
            "never closes (unexpected end of data)"
        )
    return f"malformed CSV: {text}"


def missing_scheme(value: str) -> bool:
    """Whether ``value`` starts like a host name and a path or port (``old.example/a``): a URL
    whose scheme was left out, not a relative path."""
    return _HOST_NO_SCHEME.match(value.strip()) is not None


def check_url(raw: str, base_url: str | None, file: str, line: int, what: str = "URL") -> str:
    """Validate one URL from an input file and make it absolute.

    Relative URLs (``/path``) need ``base_url``. Only http and https are accepted. The fragment
    is dropped: it is never sent to a server, so it cannot be audited.
    """
    value = raw.strip()
    if not value:
        raise InputError(f"empty {what}", file=file, line=line)
    if " " in value and (value.startswith("/") or _HTTP_PREFIX.match(value)):
        # Browsers percent-encode a space in the path or query (WHATWG, as the audit reads
        # Location): "/docs/Usando audio y video" is /docs/Usando%20audio%20y%20video. A space
        # in the scheme or host is still an unparseable URL (below), and so is text that is
        # no URL or path at all ("(not set)" in an analytics export).
        m = _AUTHORITY.match(value)
        head = m.end() if m else 0
        value = value[:head] + value[head:].replace(" ", "%20")
    if _BAD_URL_CHAR.search(value):
        raise InputError(
            f"unparseable {what} {value!r}: contains whitespace or control characters",
            file=file,
            line=line,
        )
    if missing_scheme(value):
        raise InputError(
            f"{what} {value!r} is missing its scheme: write http://{value} or https://{value}",
            file=file,
            line=line,
        )
    try:
        parts = urlsplit(value)
        if not parts.scheme and not parts.netloc:
            if base_url is None:
                raise InputError(
                    f"relative {what} {value!r} needs --base-url", file=file, line=line
                )
            value = urljoin(base_url, value)
            parts = urlsplit(value)
        elif not parts.scheme and parts.netloc:  # //host/path
            if base_url is None:
                raise InputError(
                    f"scheme-relative {what} {value!r} needs --base-url", file=file, line=line
                )
            value = urljoin(base_url, value)
            parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise InputError(f"unparseable {what} {value!r}: {exc}", file=file, line=line) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InputError(
            f"{what} {value!r} has scheme {parts.scheme!r}; only http and https can be audited",
            file=file,
            line=line,
        )
    if not parts.hostname:
        raise InputError(f"unparseable {what} {value!r}: no host", file=file, line=line)
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))


def check_base_url(base_url: str | None) -> str | None:
    """Validate ``--base-url`` (must be an absolute http(s) URL); ConfigError otherwise."""
    if base_url is None:
        return None
    try:
        return check_url(base_url, None, "--base-url", 0, what="base URL")
    except InputError as exc:
        raise ConfigError(f"--base-url: {exc.reason}") from None

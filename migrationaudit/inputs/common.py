"""Shared helpers for input readers: decoding, URL validation, line numbers."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

from migrationaudit.errors import ConfigError, InputError

STDIN = "-"


def read_text(path: str | Path) -> tuple[str, str]:
    """Return (display name, text) of a file or of stdin (``-``), decoded as UTF-8.

    A UTF-8 BOM is dropped. Undecodable bytes raise InputError naming the line.
    """
    name = str(path)
    try:
        if name == STDIN:
            data = sys.stdin.buffer.read()
            name = "<stdin>"
        else:
            data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=name) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"undecodable bytes (not UTF-8) at byte {exc.start}: "
            f"{data[exc.start : exc.start + 4]!r}",
            file=name,
            line=line,
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError("NUL byte in text (is this a binary file?)", file=name, line=line)
    return name, text


def check_url(raw: str, base_url: str | None, file: str, line: int, what: str = "URL") -> str:
    """Validate one URL from an input file and make it absolute.

    Relative URLs (``/path``) need ``base_url``. Only http and https are accepted. The fragment
    is dropped: it is never sent to a server, so it cannot be audited.
    """
    value = raw.strip()
    if not value:
        raise InputError(f"empty {what}", file=file, line=line)
    if any(ch.isspace() for ch in value) or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InputError(
            f"unparseable {what} {value!r}: contains whitespace or control characters",
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

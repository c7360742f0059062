"""Download failures as short, stable messages ("connection refused", "timeout after 30s",
"dns: ...", "tls: ...") with a ``transient`` flag that the retry policy reads."""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from typing import TYPE_CHECKING

import aiohttp

if TYPE_CHECKING:
    pass


MAX_ERROR_TEXT = 200



class HopDownloadError(Exception):
    """A request got no usable HTTP answer. ``message`` is the short text recorded on the
    Hop; ``transient`` says whether a retry may help (refused, reset, timeout, DNS
    temporary failure)."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient



def describe_error(exc: BaseException, timeout: float) -> HopDownloadError:
    """Map an aiohttp/asyncio/OS error to a short message and a transient flag."""
    if isinstance(exc, HopDownloadError):
        return exc
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return HopDownloadError(f"timeout after {timeout:g}s", transient=True)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        os_error = exc.os_error
        temporary = getattr(os_error, "errno", None) == socket.EAI_AGAIN
        reason = os_error.strerror or str(os_error) or "cannot resolve"
        return HopDownloadError(short_text(f"dns: {exc.host}: {reason}"), transient=temporary)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        cert_error = exc.certificate_error
        why = getattr(cert_error, "verify_message", None) or str(cert_error)
        return HopDownloadError(
            short_text(f"tls: certificate verify failed: {why}"), transient=False
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = exc.verify_message or str(exc)
        return HopDownloadError(
            short_text(f"tls: certificate verify failed: {why}"), transient=False
        )
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        cause: BaseException = exc.os_error if isinstance(exc, aiohttp.ClientSSLError) else exc
        text = getattr(cause, "reason", None) or getattr(cause, "strerror", None) or cause
        return HopDownloadError(short_text(f"tls: {text}"), transient=False)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        # Also what a stale keep-alive connection looks like: worth one more try.
        return HopDownloadError("connection closed without a response", transient=True)
    if isinstance(exc, aiohttp.ClientResponseError):
        return HopDownloadError(short_text(f"protocol: {exc.message}"), transient=False)
    if isinstance(exc, aiohttp.InvalidURL):
        return HopDownloadError(short_text(f"invalid URL: {exc}"), transient=False)
    if isinstance(exc, aiohttp.ClientConnectorError):
        exc = exc.os_error
    if isinstance(exc, ConnectionRefusedError) or _errno(exc) == errno.ECONNREFUSED:
        return HopDownloadError("connection refused", transient=True)
    if isinstance(exc, ConnectionResetError | BrokenPipeError) or _errno(exc) in (
        errno.ECONNRESET,
        errno.EPIPE,
    ):
        return HopDownloadError("connection reset", transient=True)
    if isinstance(exc, OSError):
        if _errno(exc) in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return HopDownloadError(short_text(f"unreachable: {exc.strerror}"), transient=False)
        return HopDownloadError(short_text(f"network: {exc.strerror or exc}"), transient=False)
    if isinstance(exc, aiohttp.ClientError):
        return HopDownloadError(short_text(f"network: {exc}"), transient=False)
    return HopDownloadError(short_text(f"{type(exc).__name__}: {exc}"), transient=False)



def _errno(exc: BaseException) -> int | None:
    return getattr(exc, "errno", None)



def short_text(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_TEXT else text[: MAX_ERROR_TEXT - 1] + "…"

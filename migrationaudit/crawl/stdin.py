"""A crawl child's stdin, shared by the local crawl's children and the distributed workers'
job processes: the one line the parent hands over (secrets, never written to disk), then the
pipe's end, which tells the child that its parent has gone away."""

from __future__ import annotations

import os
import signal
import threading


def read_line() -> bytes:
    """The first line of stdin, newline included (raw one-byte reads: nothing past it is
    buffered, and :func:`watch_parent` reads the same descriptor after it)."""
    buf = bytearray()
    while not buf.endswith(b"\n"):
        chunk = os.read(0, 1)
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def watch_parent() -> None:
    """Stop (as on Ctrl-C) when the parent goes away: its end of our stdin closes."""

    def wait_for_eof() -> None:
        # os.read on the raw descriptor: a buffered reader's lock would abort the
        # interpreter's shutdown while this daemon thread blocks in it.
        try:
            while os.read(0, 65536):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=wait_for_eof, name="watch-parent", daemon=True).start()

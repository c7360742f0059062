"""The run folder's JSON-lines records: hop records (``hops.jsonl``) read, checked and
written, and the rule for a last line that a kill cut off, written once.

A record is appended and flushed as it arrives (the spider does it, one line a fetched URL),
so a SIGKILL loses at most the line being written: readers skip a last line without its
newline, and a resume cuts it (:func:`drop_cut_off_record`) before appending after it. A line
that is complete but not a record of the right shape is refused with an InputError naming the
file and line: a run folder is never half-read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from migrationaudit.errors import InputError
from migrationaudit.models.hops import Hop, HopKind
from migrationaudit.rundir.layout import HOPS_FILE, SITE_RECORDS_FILE, atomic_write
from migrationaudit.rundir.shared import Shared

HOP_KINDS = frozenset(k.value for k in HopKind)  # checked once per hop record read


_OPTIONAL_TEXT = ("location", "target", "error", "ambiguity")


_PAGE_TEXT = (
    "content_type",
    "title",
    "canonical",
    "canonical_header",
    "meta_robots",
    "x_robots_tag",
    "meta_refresh",
)


def _hop_problem(d: Any) -> str | None:
    """What is wrong with a hop record's shape (None: nothing). Types are checked, not only
    keys: a hand-edited ``"status": "301"`` would otherwise be judged as a non-redirect."""
    if not isinstance(d, dict):
        return f"expected a JSON object, got {type(d).__name__}"
    if not isinstance(d.get("url"), str) or not d["url"]:
        return '"url" must be a non-empty string'
    status = d.get("status")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
        return '"status" must be an integer or null'
    if d.get("kind") not in HOP_KINDS:
        return f'"kind" must be one of {", ".join(k.value for k in HopKind)}'
    for key in _OPTIONAL_TEXT:
        if d.get(key) is not None and not isinstance(d[key], str):
            return f'"{key}" must be a string or null'
    elapsed = d.get("elapsed_ms")
    if elapsed is not None and (not isinstance(elapsed, int | float) or isinstance(elapsed, bool)):
        return '"elapsed_ms" must be a number'
    headers = d.get("headers")
    if headers is not None and not (
        isinstance(headers, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    ):
        return '"headers" must be an object of strings'
    page = d.get("page")
    if page is not None:
        if not isinstance(page, dict):
            return '"page" must be an object or null'
        for key in _PAGE_TEXT:
            if page.get(key) is not None and not isinstance(page[key], str):
                return f'"page.{key}" must be a string or null'
        pairs = page.get("hreflang") or []
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            for p in pairs
        ):
            return '"page.hreflang" must be a list of [language, URL] pairs'
        links = page.get("links")
        if links is not None and not (
            isinstance(links, list) and all(isinstance(u, str) for u in links)
        ):
            return '"page.links" must be a list of strings'
    return None


def checked_hop_line(line: str | bytes, path: Path, lineno: int) -> dict[str, Any]:
    """One line of ``hops.jsonl`` decoded and checked (not yet a Hop: a check of the whole
    file before it is read needs no objects); InputError naming ``path:lineno`` when the line
    is not JSON or not a hop record of the right shape and types."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise InputError(f"corrupt hop record: not JSON ({exc})", str(path), lineno) from None
    problem = _hop_problem(data)
    if problem is not None:
        raise InputError(f"corrupt hop record: {problem}", str(path), lineno)
    return data  # type: ignore[no-any-return]


def hop_record(line: str | bytes, path: Path, lineno: int, shared: Shared | None = None) -> Hop:
    """One line of ``hops.jsonl`` as a Hop; InputError naming ``path:lineno`` when the line
    is not JSON or not a hop record of the right shape and types. With ``shared``, its
    values are the objects earlier records of the same read already hold (see
    :class:`Shared`)."""
    data = checked_hop_line(line, path, lineno)
    if shared is None:
        return Hop.from_dict(data)
    return shared.hop(data)


def check_jsonl(path: Path, check: Callable[[bytes, int], None]) -> None:
    """Every complete line of a JSON-lines file through ``check``; a last line without its
    newline (cut off by a kill) is not checked: readers and resumes drop it."""
    try:
        f = path.open("rb")
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", str(path)) from None
    with f:
        for lineno, line in enumerate(f, start=1):
            if line.endswith(b"\n") and line.strip():
                check(line, lineno)


def site_line_check(path: Path) -> Callable[[bytes, int], None]:
    def check(line: bytes, lineno: int) -> None:
        try:
            record = json.loads(line)
        except ValueError as exc:
            msg = f"corrupt site record: not JSON ({exc})"
            raise InputError(msg, str(path), lineno) from None
        if not isinstance(record, dict) or not isinstance(record.get("t"), str):
            raise InputError('corrupt site record: expected an object with "t"', str(path), lineno)

    return check


def read_hops(run_dir: Path) -> Iterator[Hop]:
    """Stream the Hop records of a run directory.

    A last line cut off mid-write (a killed run) is skipped; any other unreadable line, or
    a record of the wrong shape or types, is an :class:`InputError` naming the file and
    line (:func:`hop_record`)."""
    path = Path(run_dir) / HOPS_FILE
    try:
        f = path.open(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no hop records here (was the crawl run?)", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read hop records: {exc}", file=str(path)) from None
    shared = Shared()
    with f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            if not line.endswith("\n"):
                try:  # the last line: whole but unterminated (written by hand), or cut off
                    yield hop_record(line, path, lineno, shared)
                except InputError:
                    return  # the truncated last record of an interrupted run
                return
            yield hop_record(line, path, lineno, shared)


def drop_cut_off_record(path: Path) -> None:
    """Cut a last line that a kill left half-written: the resumed run appends after it."""
    try:
        with path.open("rb+") as f:
            size = f.seek(0, os.SEEK_END)
            if size == 0:
                return
            f.seek(size - 1)
            if f.read(1) == b"\n":
                return
            end = size
            while end > 0:
                step = min(65536, end)
                f.seek(end - step)
                chunk = f.read(step)
                cut = chunk.rfind(b"\n")
                if cut >= 0:
                    f.truncate(end - step + cut + 1)
                    return
                end -= step
            f.truncate(0)
    except FileNotFoundError:
        return


def count_lines(path: Path) -> int:
    try:
        with path.open("rb") as f:
            return sum(1 for line in f if line.endswith(b"\n"))
    except OSError:
        return 0


def hop_key(line: bytes) -> object:
    try:
        return hash(json.loads(line)["url"])
    except (ValueError, KeyError, TypeError):
        return None  # unreadable: kept as it is (read_hops names it)


def site_key(line: bytes) -> object:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if isinstance(record, dict) and record.get("t") == "robots":
        return hash(("robots", str(record.get("url"))))
    return hash(line)


def merge_lines(target: Path, sources: list[Path], key: Callable[[bytes], object]) -> int:
    """``target``'s complete lines then the sources', first line per key (None: always
    kept), written atomically over ``target``. Memory: one hash per distinct key."""
    seen: set[object] = set()
    written = 0

    def lines() -> Iterator[bytes]:
        nonlocal written
        for path in (target, *sources):
            try:
                f = path.open("rb")
            except FileNotFoundError:
                continue
            with f:
                for line in f:
                    if not line.endswith(b"\n") or not line.strip():
                        continue  # cut off by a kill: its URL is fetched again on resume
                    k = key(line)
                    if k is not None:
                        if k in seen:
                            continue
                        seen.add(k)
                    written += 1
                    yield line

    atomic_write(target, lines())
    return written


def write_hops(path: Path, hops: Iterable[Hop]) -> int:
    """Write hop records as ``hops.jsonl`` atomically (the spider's encoding: compact ASCII
    JSON, one a line); how many."""
    count = 0

    def lines() -> Iterator[bytes]:
        nonlocal count
        for h in hops:
            count += 1
            yield encode_hop(h.to_dict())

    atomic_write(path, lines())
    return count


def encode_hop(record: dict[str, Any]) -> bytes:
    """One hop record as a line of ``hops.jsonl`` (what every writer of the file writes)."""
    return (json.dumps(record, separators=(",", ":")) + "\n").encode("ascii")


def read_site_lines(run_dir: Path) -> list[dict[str, Any]]:
    """The new-site records of an interrupted run (a cut-off last line is skipped)."""
    path = run_dir / SITE_RECORDS_FILE
    if not path.is_file():
        return []
    out: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out

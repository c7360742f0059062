"""The snapshot of the legacy pages before cutover: one JSON Lines file (gzip when its name
ends in ``.gz``), one line per legacy URL with the facts of the page it answers with today.

Each line is flat, so ``pandas.read_json(path, lines=True)`` reads it as a table::

    {"url": "...", "final_url": "...", "status": 200, "content_type": "text/html",
     "title": "...", "h1": ["..."], "description": "...", "canonical": "...", "lang": "en",
     "hreflang": [["de", "..."]], "jsonld_types": ["Product"], "word_count": 812,
     "link_count": 64, "fingerprint": "32 hex digits", ...}

It is written from the crawl's hop records while the lines are produced (never held whole in
memory) and read back for the legacy URLs of one audit only.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrationaudit.errors import InputError
from migrationaudit.models.findings import Finding
from migrationaudit.models.hops import Chain, PageFacts

# PageFacts keys a snapshot line leaves out: the links themselves (their count is kept) and
# what only a redirect needs.
_LEFT_OUT = ("links", "meta_refresh")


@dataclass(frozen=True, slots=True)
class OldPage:
    """What a legacy URL answered with when the snapshot was taken."""

    url: str
    final_url: str | None
    status: int | None
    page: PageFacts | None

    @property
    def healthy(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def media_type(self) -> str | None:
        """The content type without parameters, lower-case ("text/html")."""
        ctype = self.page.content_type if self.page else None
        return ctype.split(";", 1)[0].strip().lower() or None if ctype else None


def snapshot_line(url: str, chain: Chain) -> dict[str, Any]:
    """The snapshot line of ``url`` from its chain."""
    final = chain.final
    page = final.page if final is not None else None
    facts = page.to_dict() if page is not None else {}
    for key in _LEFT_OUT:
        facts.pop(key, None)
    return {
        "url": url,
        "final_url": final.url if final is not None else None,
        "status": final.status if final is not None else None,
        "error": (final.error if final is not None else None) or (
            None if final is not None else str(chain.outcome)
        ),
        **facts,
    }


def snapshot_chunks(lines: Iterable[Mapping[str, Any]], gz: bool) -> Iterator[bytes]:
    """The snapshot file's bytes, chunk by chunk (gzip-compressed with ``gz``)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31) if gz else None  # wbits 31: gzip
    batch: list[str] = []
    for line in lines:
        batch.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        if len(batch) >= 1000:
            data = "".join(batch).encode("utf-8")
            batch.clear()
            yield packer.compress(data) if packer else data
    data = "".join(batch).encode("utf-8")
    yield packer.compress(data) + packer.flush() if packer else data


def _open(path: Path) -> Any:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def read_snapshot(path: str | Path, wanted: Iterable[str] | None = None) -> dict[str, OldPage]:
    """The snapshot's pages by legacy URL (only those of ``wanted`` when given). InputError
    (file and line) for a file that is not a snapshot."""
    path = Path(path)
    keep = set(wanted) if wanted is not None else None
    out: dict[str, OldPage] = {}
    try:
        with _open(path) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    d = json.loads(line)
                    url = str(d["url"])
                except (ValueError, KeyError, TypeError):
                    raise InputError(
                        "not a snapshot line (JSON with a url)", file=str(path), line=number
                    ) from None
                if keep is not None and url not in keep:
                    continue
                page = PageFacts.from_dict(d) if d.get("content_type") or d.get("title") else None
                status = d.get("status")
                out[url] = OldPage(
                    url=url,
                    final_url=d.get("final_url"),
                    status=int(status) if isinstance(status, int) else None,
                    page=page,
                )
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError(f"cannot read the snapshot: {reason}", file=str(path)) from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read the snapshot: {exc}", file=str(path)) from None
    return out


def parity_column(
    snapshot: Mapping[str, OldPage] | None, url: str, findings: Iterable[Finding]
) -> str | None:
    """The verdict table's parity cell of ``url``: "ok", the parity rules that failed
    ("title, content"), or None when the snapshot does not have the URL (or there is none)."""
    if snapshot is None or url not in snapshot:
        return None
    failed = sorted({f.rule_id.removeprefix("parity-") for f in findings
                     if f.rule_id.startswith("parity-")})
    return ", ".join(failed) or "ok"

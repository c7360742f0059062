"""What a crawl process is asked to do on the new site's side (``site-job.json``), and the
files through which it reports (``site.jsonl``) and through which --workers peers relay the
origins they meet to the lead."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from migrationaudit.rundir.layout import SITE_ENDED_FILE as ENDED_FILE
from migrationaudit.rundir.layout import SITE_JOB_FILE as JOB_FILE
from migrationaudit.rundir.layout import SITE_ORIGINS_FILE as ORIGINS_FILE
from migrationaudit.rundir.layout import SITE_RECORDS_FILE as RECORDS_FILE
from migrationaudit.settings import (
    CRAWL_DEPTH,
    CRAWL_MAX_PAGES,
    SITEMAP_FETCH_LIMIT,
    SITEMAP_MAX_DEPTH,
)

Emit = Callable[[dict[str, Any]], None]



@dataclass(frozen=True)
class SiteJob:
    """What the new-site side of one crawl does (``RUN_DIR/site-job.json``).

    ``new_sites`` / ``old_sites``: site names (hosts without ``www.``) of the new and the old
    site; ``robots``: read the robots.txt of every audited origin; ``discover``: look for the new
    site's sitemaps (robots.txt ``Sitemap:`` lines, ``/sitemap.xml``); ``sitemaps`` /
    ``local_sitemaps``: given new-site sitemaps (URLs / files); ``old_sitemaps``: remote legacy
    sitemaps (their URLs are legacy URLs); ``crawl``: start pages of the new-site crawl."""

    new_sites: tuple[str, ...] = ()
    old_sites: tuple[str, ...] = ()
    robots: bool = True
    discover: bool = True
    sitemaps: tuple[str, ...] = ()
    local_sitemaps: tuple[str, ...] = ()
    old_sitemaps: tuple[str, ...] = ()
    crawl: tuple[str, ...] = ()
    max_pages: int = CRAWL_MAX_PAGES
    depth: int = CRAWL_DEPTH
    variants: bool = False
    fetch_limit: int = SITEMAP_FETCH_LIMIT
    max_sitemap_depth: int = SITEMAP_MAX_DEPTH
    # Sites of --staging-host: never a landing host (see the module docstring).
    staging_sites: tuple[str, ...] = ()
    # --workers N (see the module docstring): "" the whole job, "lead" or "peer"; a lead's
    # ``peers`` are the peers' run directories, relative to its own.
    part: str = ""
    peers: tuple[str, ...] = ()

    def lead_part(self, peers: Iterable[str]) -> SiteJob:
        """The job of process 0 of a sharded crawl: all of it, plus the peers' origins."""
        return replace(self, part="lead", peers=tuple(peers))

    def peer_part(self) -> SiteJob:
        """The job of another process of a sharded crawl: the per-seed work only."""
        return replace(
            self, part="peer", peers=(), sitemaps=(), local_sitemaps=(), old_sitemaps=(), crawl=()
        )

    def write(self, run_dir: Path) -> None:
        (Path(run_dir) / JOB_FILE).write_text(json.dumps(asdict(self), indent=1) + "\n", "utf-8")

    @classmethod
    def read(cls, run_dir: Path) -> SiteJob | None:
        """The job of a run directory; None when the run has none (a plain audit)."""
        path = Path(run_dir) / JOB_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for k, v in known.items():
            if isinstance(v, list):
                known[k] = tuple(v)
        return cls(**known)



class PeerFeed:
    """The lead's view of one peer (--workers): the robots.txt URLs of the new-site origins
    it met so far (:data:`ORIGINS_FILE`), read as they come, and whether it has ended (the
    parent's :data:`ENDED_FILE` mark: written after the peer exited, so its file is whole)."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self._offset = 0

    def ended(self) -> bool:
        """Whether the peer process has ended (check before the last :meth:`read`)."""
        return (self.run_dir / ENDED_FILE).exists()

    def read(self) -> list[str]:
        """The origins written since the last call (complete lines only)."""
        try:
            with (self.run_dir / ORIGINS_FILE).open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return []
        whole = data[: data.rfind(b"\n") + 1]
        self._offset += len(whole)
        return [line for line in whole.decode("utf-8").splitlines() if line]



def open_relay(run_dir: Path) -> tuple[Callable[[str], None], Callable[[], None]]:
    """A peer's ``relay`` writing :data:`ORIGINS_FILE` line by line (flushed), and its
    ``close``."""
    f = (Path(run_dir) / ORIGINS_FILE).open("a", encoding="utf-8")

    def relay(origin: str) -> None:
        f.write(origin + "\n")
        f.flush()

    return relay, f.close



def open_records(run_dir: Path) -> tuple[Emit, Callable[[], None]]:
    """An ``emit`` writing ``site.jsonl`` line by line (flushed), and its ``close``."""
    f = (Path(run_dir) / RECORDS_FILE).open("a", encoding="utf-8")

    def emit(record: dict[str, Any]) -> None:
        f.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")
        f.flush()

    return emit, f.close

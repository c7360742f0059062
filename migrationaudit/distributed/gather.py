"""The coordinator's side of the hop stream: records read through the job's consumer group,
written to ``hops.jsonl`` (each URL once) before they are acknowledged, and the test for the
end of the run (frontier empty, nothing leased, the stream drained)."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from pathlib import Path
from typing import IO, Any

from migrationaudit.crawl.process import ProgressCallback, report_progress
from migrationaudit.distributed.store import GROUP, JobStore
from migrationaudit.errors import CrawlError, InputError, ReportError
from migrationaudit.rundir.layout import HOPS_FILE, LOG_FILE, os_reason
from migrationaudit.rundir.records import encode_hop, hop_record
from migrationaudit.spiders.frontier import ChainProgress

REFRESH_S = 0.5  # how often the coordinator refreshes expiries, reclaims leases, looks at idle
READ_BLOCK_MS = 200
READ_COUNT = 1000


class Gatherer:
    """Hop records from the job's stream into ``hops.jsonl``, each URL once."""

    def __init__(
        self, run_dir: Path, max_hops: int, seeds: list[str], previous: dict[str, str | None]
    ) -> None:
        self.path = run_dir / HOPS_FILE
        self.written_urls: set[str] = set(previous)
        self.onward: dict[str, str] = {u: t for u, t in previous.items() if t}
        self.chains = ChainProgress(self.onward, max_hops)
        for seed in seeds:
            self.chains.seed(seed)
        for url in previous:
            self.chains.record(url)
        self.consumer = f"coordinator-{os.getpid()}-{secrets.token_hex(4)}"
        self._out: IO[bytes] | None = None

    @property
    def written(self) -> int:
        return len(self.written_urls)

    def gather(
        self,
        store: JobStore,
        procs: list[subprocess.Popen[bytes]],
        max_runtime: float,
        started: float,
        progress: ProgressCallback | None,
        total: int,
    ) -> str:
        """Read until the job is done ("done") or ``max_runtime`` passed ("stopped")."""
        self._out = self.path.open("ab")
        client, stream = store.client, store.keys.hops
        cursor = "0-0"
        for _ in range(1_000_000):  # the records an earlier coordinator had not acknowledged
            cursor, entries, *_ = client.xautoclaim(
                stream, GROUP, self.consumer, min_idle_time=0, start_id=cursor, count=READ_COUNT
            )
            self._take(store, entries)
            if cursor == "0-0":
                break
        last_check = 0.0
        while True:
            entries = self._read(store, READ_BLOCK_MS)
            self._take(store, entries)
            report_progress(progress, self.chains.done, total, self.written)
            if time.monotonic() - last_check < REFRESH_S:
                continue
            last_check = time.monotonic()
            store.refresh()
            store.reclaim()
            if max_runtime > 0 and time.monotonic() - started >= max_runtime:
                return "stopped"
            if not entries and store.idle():
                # Every record was on the stream before the last lease went: read them all.
                for _ in range(1_000_000):
                    entries = self._read(store, None)
                    if not entries:
                        break
                    self._take(store, entries)
                report_progress(progress, self.chains.done, total, self.written)
                return "done"
            if procs and all(p.poll() is not None for p in procs):
                failed = [p.returncode for p in procs if p.returncode]
                if failed:
                    raise CrawlError(
                        f"every local worker ended before the run did (exit code {failed[0]}); "
                        f"see {self.path.parent / LOG_FILE}"
                    )

    def _read(self, store: JobStore, block: int | None) -> list[Any]:
        reply = store.client.xreadgroup(
            GROUP, self.consumer, {store.keys.hops: ">"}, count=READ_COUNT, block=block
        )
        return list(reply[0][1]) if reply else []

    def _take(self, store: JobStore, entries: list[Any]) -> None:
        if not entries:
            return
        assert self._out is not None
        ids = []
        for entry_id, fields in entries:
            ids.append(entry_id)
            if not fields or "h" not in fields:
                continue  # deleted meanwhile: written before
            try:
                hop = hop_record(fields["h"], self.path, 0)
            except InputError:
                continue  # not a hop record: not ours to judge
            if hop.url in self.written_urls:
                continue  # handed over twice (a coordinator stopped before its XACK)
            try:
                self._out.write(encode_hop(hop.to_dict()))
            except OSError as exc:
                raise ReportError(f"cannot write {self.path}: {os_reason(exc)}") from exc
            self.written_urls.add(hop.url)
            if hop.is_redirect and hop.target:
                self.onward[hop.url] = hop.target
            self.chains.record(hop.url)
        try:
            self._out.flush()  # in the file before Redis forgets them
        except OSError as exc:
            raise ReportError(f"cannot write {self.path}: {os_reason(exc)}") from exc
        store.client.xack(store.keys.hops, GROUP, *ids)
        store.client.xdel(store.keys.hops, *ids)

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

"""Shared fixtures: scenario sites served for real on 127.0.0.1, and a crawl runner."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from migrationaudit.crawl import run_crawl
from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import Site, parse_site
from migrationaudit.models.hops import Hop
from migrationaudit.rundir.job import CrawlSummary
from migrationaudit.rundir.layout import LOG_FILE
from migrationaudit.rundir.records import read_hops
from migrationaudit.settings import CrawlOptions

ServerFactory = Callable[..., ScenarioServer]


@pytest.fixture
def scenario_server() -> Iterator[ServerFactory]:
    """Factory: ``scenario_server(routes=[...], dead_hosts=[...])`` or ``scenario_server(
    site=Site(...))`` → a started :class:`ScenarioServer`, stopped after the test."""
    servers: list[ScenarioServer] = []

    def make(
        routes: Iterable[Mapping[str, Any]] = (),
        dead_hosts: Iterable[str] = (),
        *,
        site: Site | None = None,
    ) -> ScenarioServer:
        if site is None:
            site = parse_site({"routes": list(routes), "dead_hosts": list(dead_hosts)})
        server = ScenarioServer(site).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@dataclass(frozen=True)
class CrawlRun:
    """One finished crawl: its summary, its records by URL, and its run directory."""

    summary: CrawlSummary
    hops: Mapping[str, Hop]
    run_dir: Path
    order: tuple[str, ...]  # record order, as written

    def __getitem__(self, url: str) -> Hop:
        return self.hops[url]


def scenario_ca_file(server: ScenarioServer, folder: Path) -> Path:
    """The server's CA certificate as a PEM file in ``folder`` (for ``ca_bundle``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"scenario-ca-{server.https_port}.pem"
    path.write_bytes(server.ca_pem)
    return path


def crawl_with(
    server: ScenarioServer,
    seeds: Iterable[str],
    run_dir: Path,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> CrawlRun:
    """Crawl ``seeds`` against ``server`` (hostnames via connect_to, plus ``extra_connect_to``
    entries); small timeouts, no retries unless asked. Fails the test if the crawl logged
    errors or tracebacks."""
    options.setdefault("timeout", 2.0)
    options.setdefault("retries", 0)
    if "ca_bundle" not in options:
        # TLS is verified: trust the scenario's throwaway CA, as a user would with --ca-bundle.
        options["ca_bundle"] = str(scenario_ca_file(server, run_dir.parent))
    extra = tuple(options.pop("extra_connect_to", ()))
    opts = CrawlOptions(connect_to=server.connect_to() + extra, **options)
    summary = run_crawl(list(seeds), run_dir, opts, progress=progress)
    records = list(read_hops(run_dir))
    log = (run_dir / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log and "ERROR" not in log, log
    urls = [h.url for h in records]
    assert len(urls) == len(set(urls)), "a URL was recorded twice"
    return CrawlRun(summary, {h.url: h for h in records}, run_dir, tuple(urls))


@pytest.fixture(scope="session")
def crawl_runner() -> Callable[..., CrawlRun]:
    """:func:`crawl_with` for module-scoped crawls: ``crawl_runner(server, seeds, run_dir,
    progress=None, **options)``."""
    return crawl_with


@pytest.fixture
def crawl(tmp_path: Path) -> Callable[..., CrawlRun]:
    """``crawl(server, seeds, **CrawlOptions fields)`` → :class:`CrawlRun` in a fresh dir."""
    counter = iter(range(1_000_000))

    def run(server: ScenarioServer, seeds: Iterable[str], **options: Any) -> CrawlRun:
        return crawl_with(server, seeds, tmp_path / f"run{next(counter)}", **options)

    return run

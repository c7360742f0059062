"""An in-memory crawl: the real HopSpider (and its new-site side) answered by a scenario Site
without sockets, so a whole audit of a sample_maps case runs in milliseconds.

The answers are built like the scenario server builds them (``Site.resolve``, ``route_body``)
and handed to the spider as Scrapy responses, as the download handler would: hosts without a
route answer like an unresolvable name, dead hosts refuse, ``Content-Encoding: gzip`` is
inflated (with the crawl's size cap), bodies are cut at the crawl's body cap.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from twisted.python.failure import Failure

from migrationaudit.crawl.job import write_scope
from migrationaudit.demo.render import render_page, route_body
from migrationaudit.demo.server import expand_location
from migrationaudit.demo.site import Route, Site, route_key
from migrationaudit.inputs import Inputs
from migrationaudit.models.hops import Hop
from migrationaudit.newsite.plan import plan, start_run
from migrationaudit.newsite.records import SiteRun, read_records
from migrationaudit.options import AuditRequest
from migrationaudit.pipeline import audit_scope, judge, load_inputs
from migrationaudit.rundir.layout import HOPS_FILE, SEEDS_FILE
from migrationaudit.rundir.records import read_hops
from migrationaudit.settings import MAX_BODY, CheckOptions, CrawlOptions, SiteOptions
from migrationaudit.spiders.errors import HopDownloadError
from migrationaudit.spiders.extract import PAGE_TEXT_META
from migrationaudit.spiders.hop import HopSpider
from migrationaudit.web.scope import Scope

TIMEOUT = 5.0  # what tests/test_golden.py passes to the CLI
INFLATED_CAP = max(MAX_BODY * 4, 1024 * 1024)  # the crawl's DOWNLOAD_MAXSIZE


def _answer(site: Site, request: Request, hits: dict[str, int]) -> Response | HopDownloadError:
    scheme, host, path = route_key(request.url)
    if host in site.dead_hosts:
        return HopDownloadError("connection refused", transient=True)
    if host not in site.served_hosts:
        return HopDownloadError(f"dns: {host}: Name or service not known", transient=False)
    route, moved = site.resolve(scheme, host, path)
    headers: list[tuple[str, str]] = []
    if moved is not None:
        status, body = 301, render_page(Route(url=moved, location=moved), 301).encode()
        headers.append(("Location", moved))
        content_type = "text/html; charset=utf-8"
    elif route is None:
        status, body = 404, render_page(Route(url="http://x/", title="404 Not Found"), 404).encode()
        content_type = "text/html; charset=utf-8"
    else:
        if route.action == "reset":
            return HopDownloadError("connection reset", transient=True)
        if route.delay >= TIMEOUT:
            return HopDownloadError(f"timeout after {TIMEOUT:g}s", transient=True)
        hits[route.url] = hits.get(route.url, 0) + 1
        if hits[route.url] <= route.fail_times:
            status = route.fail_status
            body = render_page(Route(url=route.url), status).encode()
            content_type = "text/html; charset=utf-8"
        else:
            status = route.status
            body, extra, ctype = route_body(route, status)
            content_type = ctype or "text/html; charset=utf-8"
            if route.location is not None:
                # A port placeholder names no listener here: the default ports stand in.
                headers.append(("Location", expand_location(route.location, 80, 443)))
            headers += list(route.headers) + extra
    headers.append(("Content-Type", content_type))
    flags: list[str] = []
    if len(body) > MAX_BODY:
        body, flags = body[:MAX_BODY], ["truncated"]
    if any(k.lower() == "content-encoding" for k, _ in headers):
        try:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            inflated = d.decompress(body, INFLATED_CAP + 1)
            if len(inflated) > INFLATED_CAP:
                raise ValueError("too large")
            body = inflated
        except (zlib.error, ValueError):
            body, flags = b"", [*flags, "undecodable"]
    scrapy_headers = Headers(headers)
    cls = responsetypes.from_args(headers=scrapy_headers, url=request.url, body=body)
    if flags and "undecodable" in flags:
        cls = Response
    return cls(
        url=request.url,
        status=status,
        headers=scrapy_headers,
        body=body,
        request=request,
        flags=flags,
    )


def crawl(
    site: Site,
    seeds: Iterable[str],
    run_dir: Path,
    max_hops: int = 10,
    *,
    stop_after: int | None = None,
    resume: bool = False,
    page_text: bool = False,
) -> list[Hop]:
    """Crawl ``seeds`` (and the site job already in ``run_dir``, if any) in memory.
    ``stop_after``: answer that many requests, then stop as an interrupted run does;
    ``resume``: continue the run in ``run_dir`` (its records are replayed, not fetched);
    ``page_text``: pages' bodies are read too, as with PageTextMiddleware (--snapshot)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    seeds = list(seeds)
    (run_dir / SEEDS_FILE).write_text("".join(f"{s}\n" for s in seeds), encoding="utf-8")
    spider = HopSpider(run_dir=run_dir, max_hops=max_hops, retries=0, resume=resume)
    if resume:
        spider._load_previous()
    spider.output.open()
    queue: deque[Request] = deque()
    for url in seeds:
        queue.extend(spider._reach(url, 0))
        if spider.site is not None:
            queue.extend(spider._site_reach(spider.site.legacy_seed(url)))
    if spider.site is not None:
        queue.extend(spider._site_reach(spider.site.start()))
    hits: dict[str, int] = {}
    answered = 0
    while queue:
        if stop_after is not None and answered >= stop_after:
            break
        answered += 1
        request = queue.popleft()
        if page_text:
            request.meta[PAGE_TEXT_META] = True
        answer = _answer(site, request, hits)
        if isinstance(answer, HopDownloadError):
            failure = Failure(answer)
            failure.request = request  # type: ignore[attr-defined]
            queue.extend(spider.on_error(failure))
        else:
            queue.extend(spider.parse(answer))
    spider.closed("finished" if not queue else "shutdown")
    assert (run_dir / HOPS_FILE).is_file()
    return list(read_hops(run_dir))


def _write_scope(run_dir: Path, req: AuditRequest, inputs: Inputs) -> None:
    """The run's scope.json, as run_crawl writes it for the CLI (the hosts the inputs name)."""
    scope = audit_scope(req, inputs)
    for item in inputs.legacy:
        scope.add_url(item.url)
    write_scope(run_dir, CrawlOptions(), (), scope)


def probe(site: Site, inputs: Inputs, opts: SiteOptions, run_dir: Path, max_hops: int) -> Inputs:
    """``inputs`` with the catch-all probes' answers when ``opts`` asks for them, requested in
    memory and logged in ``run_dir`` as the pipeline's run_probes does."""
    from dataclasses import replace

    from migrationaudit.graph import build_graph, chains_for
    from migrationaudit.parity.probes import (
        probe_scopes,
        probe_urls,
        probes_of,
        read_probes,
        write_probes,
    )

    if not opts.catch_all_probes:
        return inputs
    urls = probe_urls(probe_scopes(inputs.legacy, inputs.rules, opts))
    probe_dir = run_dir / "probes"
    probe_dir.mkdir(parents=True, exist_ok=True)
    write_scope(probe_dir, CrawlOptions(), (), Scope.read(run_dir))
    hops = crawl(site, [u for _, u in urls], probe_dir, max_hops)
    write_probes(run_dir, probes_of(urls, chains_for(build_graph(hops), [u for _, u in urls],
                                                     max_hops)))
    return replace(inputs, probes=read_probes(run_dir))


def audit_case(
    case: Path,
    site: Site,
    run_dir: Path,
    *,
    max_hops: int = 10,
    options: SiteOptions | None = None,
) -> tuple[Inputs, object]:
    """Audit a sample_maps case in memory as the CLI would (the case's audit.json options
    unless ``options``): (inputs, the pipeline's Judged result)."""
    from migrationaudit.demo.cases import case_maps, case_options, case_snapshot

    urls = (str(case / "urls.txt"),) if (case / "urls.txt").is_file() else ()
    opts = options if options is not None else case_options(case)
    snapshot = case_snapshot(case)
    req = AuditRequest(maps=case_maps(case), url_lists=urls, site=opts, snapshot=snapshot)
    inputs = load_inputs(req)
    job, _ = plan(opts, inputs.rules, inputs.legacy)
    start_run(run_dir, job)
    _write_scope(run_dir, req, inputs)
    urls = [item.url for item in inputs.legacy]
    hops = crawl(site, urls, run_dir, max_hops, page_text=snapshot is not None)
    inputs = probe(site, inputs, opts, run_dir, max_hops)
    checks = CheckOptions(max_hops=max_hops)
    judged = judge(inputs, hops, checks, max_hops, site=SiteRun(opts, read_records(run_dir)))
    return inputs, judged


def audit_site(
    tmp: Path,
    routes: Iterable[dict[str, object]],
    *,
    rows: Iterable[tuple[str, str]] = (),
    urls: Iterable[str] = (),
    dead_hosts: Iterable[str] = (),
    redirect_variants: bool = False,
    max_hops: int = 10,
    base_url: str | None = None,
    target_base_url: str | None = None,
    **site_options: object,
) -> Any:
    """Audit a tiny site in memory: ``rows`` (old, new) become the map (paths are read against
    ``base_url`` / ``target_base_url`` as ``--base-url`` / ``--target-base-url`` read them),
    ``urls`` a URL list, ``site_options`` the :class:`SiteOptions` (e.g.
    ``crawl=("https://n.test/",)``). Returns the pipeline's Judged result (findings, verdicts,
    chains, skipped)."""
    from migrationaudit.demo.site import parse_site

    tmp.mkdir(parents=True, exist_ok=True)
    maps: tuple[str, ...] = ()
    rows = list(rows)
    if rows:
        (tmp / "map.csv").write_text(
            "old_url,new_url\n" + "".join(f"{a},{b}\n" for a, b in rows), encoding="utf-8"
        )
        maps = (str(tmp / "map.csv"),)
    lists: tuple[str, ...] = ()
    urls = list(urls)
    if urls:
        (tmp / "urls.txt").write_text("".join(f"{u}\n" for u in urls), encoding="utf-8")
        lists = (str(tmp / "urls.txt"),)
    site = parse_site(
        {
            "routes": list(routes),
            "dead_hosts": list(dead_hosts),
            "redirect_variants": redirect_variants,
        }
    )
    opts = SiteOptions(**site_options)  # type: ignore[arg-type]
    req = AuditRequest(
        maps=maps,
        url_lists=lists,
        site=opts,
        base_url=base_url,
        target_base_url=target_base_url,
    )
    inputs = load_inputs(req)
    run_dir = tmp / "run"
    job, _ = plan(opts, inputs.rules, inputs.legacy)
    start_run(run_dir, job)
    _write_scope(run_dir, req, inputs)
    hops = crawl(site, [item.url for item in inputs.legacy], run_dir, max_hops)
    checks = CheckOptions(max_hops=max_hops)
    return judge(inputs, hops, checks, max_hops, site=SiteRun(opts, read_records(run_dir)))


def pairs(judged: Any, rule_id: str | None = None) -> set[tuple[str, str]]:
    """(rule, url) of a Judged result's findings (of one rule)."""
    return {(f.rule_id, f.url) for f in judged.findings if rule_id in (None, f.rule_id)}


def fired(judged: Any, rule_id: str) -> list[str]:
    """URLs one rule fired on, sorted."""
    return sorted(f.url for f in judged.findings if f.rule_id == rule_id)

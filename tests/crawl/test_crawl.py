"""run_crawl against a real scenario site on 127.0.0.1 (hostnames via connect_to).

Most scenarios share one crawl (a crawl costs a child process); each test asserts on its part.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from migrationaudit.crawl.shards import merge_shards, plan_workers, shard_of, shard_options
from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import parse_site
from migrationaudit.errors import CrawlError, InputError
from migrationaudit.models.hops import Hop, HopKind
from migrationaudit.rundir.job import options_from_dict, read_summary
from migrationaudit.rundir.layout import (
    HOPS_FILE,
    JOB_FILE,
    LOG_FILE,
    SEEDS_FILE,
    SHARDS_DIR,
    SUMMARY_FILE,
)
from migrationaudit.rundir.records import read_hops
from migrationaudit.settings import ConnectTo

if TYPE_CHECKING:
    from conftest import CrawlRun

OLD, NEW = "http://old.example", "https://new.example"


def _chain(base: str, n: int) -> list[dict[str, object]]:
    """``base/0`` → ``base/1`` → … → ``base/n`` (200): n redirects."""
    routes: list[dict[str, object]] = [
        {"url": f"{base}/{i}", "status": 301, "location": f"{base}/{i + 1}"} for i in range(n)
    ]
    return [*routes, {"url": f"{base}/{n}", "title": f"end of {base}"}]


ROUTES: list[dict[str, object]] = [
    # a 3-hop chain: relative Location, a fragment, HTTP → HTTPS, then a page
    {
        "url": f"{OLD}/three",
        "status": 301,
        "location": "/three-b",
        "headers": {"Set-Cookie": "s=1"},
    },
    {"url": f"{OLD}/three-b", "status": 302, "location": f"{NEW}/three#section"},
    {"url": f"{NEW}/three", "status": 307, "location": f"{NEW}/three-final"},
    {
        "url": f"{NEW}/three-final",
        "title": "Three",
        "canonical": "/three-final",
        "robots": "index, follow",
        "headers": {
            "Cache-Control": "max-age=60",
            "X-Robots-Tag": ["noarchive", "nosnippet"],
            "Link": f'<{NEW}/three-final>; rel="canonical"',
            "X-Not-Kept": "1",
        },
    },
    # a loop
    {"url": "http://loop.example/a", "status": 301, "location": "/b"},
    {"url": "http://loop.example/b", "status": 302, "location": "/a"},
    # 12 redirects then a page
    *_chain("http://long.example", 12),
    # two legacy URLs through one shared hop
    {"url": f"{OLD}/x1", "status": 301, "location": f"{NEW}/shared"},
    {"url": f"{OLD}/x2", "status": 301, "location": f"{NEW}/shared"},
    {"url": f"{NEW}/shared", "status": 301, "location": f"{NEW}/shared-final"},
    {"url": f"{NEW}/shared-final", "title": "Shared"},
    # a long chain (10 redirects) and a short, late one sharing the tail t1 → t2
    *[
        {
            "url": f"http://deep.example/{i}",
            "status": 301,
            "location": f"http://deep.example/{i + 1}",
        }
        for i in range(9)
    ],
    {"url": "http://deep.example/9", "status": 301, "location": "http://tail.example/t1"},
    # answered once t1 (10 redirects deep) has been answered: an event, not a time
    {"url": f"{OLD}/short", "status": 301, "location": "http://tail.example/t1",
     "after": "http://tail.example/t1", "delay": 0.2},
    {"url": "http://tail.example/t1", "status": 301, "location": "http://tail.example/t2"},
    {"url": "http://tail.example/t2", "title": "Tail"},
    # failures and retries
    {"url": f"{OLD}/slow", "delay": 5},
    {"url": f"{OLD}/flaky", "fail_times": 1, "title": "Flaky but fine"},
    {"url": f"{OLD}/down", "fail_times": 99},
    {"url": f"{OLD}/gone", "status": 410},
    {"url": f"{OLD}/reset", "action": "reset"},
    {"url": f"{OLD}/noloc", "status": 302},
    # meta refresh, Refresh header, self refresh
    {"url": f"{OLD}/meta", "title": "Moved", "refresh": f"0; url={NEW}/meta-target"},
    {"url": f"{NEW}/meta-target", "title": "Meta target"},
    {"url": f"{OLD}/refresh-header", "headers": {"Refresh": "0;url=/meta-target2"}},
    {"url": f"{OLD}/meta-target2", "title": "Header target"},
    {"url": f"{OLD}/self-refresh", "refresh": "30"},
    # targets that are never requested
    {"url": f"{OLD}/to-ftp", "status": 301, "location": "ftp://files.example/x.zip"},
    {"url": f"{OLD}/to-js", "status": 302, "location": "javascript:alert(1)"},
    # an internationalised host name (sent as punycode)
    {"url": "http://bücher.example/straße", "title": "Bücher"},
    # a non-HTML answer
    {
        "url": f"{NEW}/file.pdf",
        "body": "%PDF-1.4 not really",
        "content_type": "application/pdf",
        "headers": {
            "X-Robots-Tag": "noindex",
            "Link": '<https://new.example/doc>; rel="canonical"',
        },
    },
]

SEEDS = [
    f"{OLD}/three#top",
    f"{OLD}/three",  # the same URL once the fragment is gone: fetched once
    "http://loop.example/a",
    "http://long.example/0",
    f"{OLD}/x1",
    f"{OLD}/x2",
    "http://deep.example/0",
    f"{OLD}/short",
    "http://gone.example/page",
    f"{OLD}/slow",
    f"{OLD}/flaky",
    f"{OLD}/down",
    f"{OLD}/missing",
    f"{OLD}/gone",
    f"{OLD}/reset",
    f"{OLD}/noloc",
    f"{OLD}/meta",
    f"{OLD}/refresh-header",
    f"{OLD}/self-refresh",
    f"{OLD}/to-ftp",
    f"{OLD}/to-js",
    f"{NEW}/file.pdf",
    "http://bücher.example/straße",
    "https://plain.example/",
]


@pytest.fixture(scope="module")
def site_server() -> Iterator[ScenarioServer]:
    site = parse_site({"routes": ROUTES, "dead_hosts": ["gone.example"]})
    with ScenarioServer(site) as server:
        yield server


@pytest.fixture(scope="module")
def progress_calls() -> list[tuple[int, int]]:
    return []


@pytest.fixture(scope="module")
def run(
    site_server: ScenarioServer,
    tmp_path_factory: pytest.TempPathFactory,
    progress_calls: list[tuple[int, int]],
    crawl_runner: Callable[..., CrawlRun],
) -> CrawlRun:
    run_dir = tmp_path_factory.mktemp("crawl") / "run"
    return crawl_runner(
        site_server,
        SEEDS,
        run_dir,
        progress=lambda done, total: progress_calls.append((done, total)),
        max_hops=10,
        retries=1,
        timeout=2.0,
        # TLS spoken to the plain HTTP listener: a handshake failure
        extra_connect_to=[ConnectTo("plain.example", 443, "127.0.0.1", site_server.http_port)],
    )


def test_run_directory_files(run: CrawlRun) -> None:
    assert (run.run_dir / SEEDS_FILE).read_text().splitlines() == SEEDS
    job = json.loads((run.run_dir / JOB_FILE).read_text())
    options = options_from_dict(job)
    assert options.max_hops == 10 and options.retries == 1 and options.connect_to
    summary = json.loads((run.run_dir / SUMMARY_FILE).read_text())
    assert summary["seeds"] == len(SEEDS)
    assert summary["fetched"] == len(run.hops)
    assert summary["complete"] is True and summary["interrupted"] is False
    assert run.summary.complete and not run.summary.interrupted
    assert run.summary.fetched == len(run.hops)


def test_progress_reported(run: CrawlRun, progress_calls: list[tuple[int, int]]) -> None:
    # done counts legacy URLs whose chain is finished (loops and hop limits included), so it
    # ends exactly at the number of seeds, not at the number of URLs fetched.
    assert progress_calls, "no progress reported"
    assert progress_calls[-1] == (len(SEEDS), len(SEEDS))
    assert run.summary.finished == len(SEEDS) < run.summary.fetched == len(run.hops)
    dones = [d for d, _ in progress_calls]
    assert dones == sorted(dones)
    assert all(d <= len(SEEDS) for d in dones)


def test_three_hop_chain_with_headers(run: CrawlRun) -> None:
    first, second, third = run[f"{OLD}/three"], run[f"{OLD}/three-b"], run[f"{NEW}/three"]
    assert (first.status, first.kind, first.location) == (301, HopKind.HTTP_REDIRECT, "/three-b")
    assert first.target == f"{OLD}/three-b"
    assert (second.status, second.location) == (302, f"{NEW}/three#section")
    assert second.target == f"{NEW}/three"  # fragment dropped
    assert (third.status, third.target) == (307, f"{NEW}/three-final")
    assert first.headers["location"] == "/three-b"
    assert first.headers["server"] == "scenario/1"
    assert first.elapsed_ms > 0
    final = run[f"{NEW}/three-final"]
    assert (final.status, final.kind, final.target) == (200, HopKind.FINAL, None)
    assert final.headers["cache-control"] == "max-age=60"
    assert final.headers["x-robots-tag"] == "noarchive, nosnippet"
    assert "x-not-kept" not in final.headers
    assert set(final.headers) <= {
        "location",
        "cache-control",
        "server",
        "via",
        "x-robots-tag",
        "link",
        "content-type",
        "refresh",
    }
    assert final.page is not None
    assert final.page.title == "Three"
    assert final.page.canonical == f"{NEW}/three-final"
    assert final.page.canonical_header == f"{NEW}/three-final"
    assert final.page.meta_robots == "index, follow"
    assert final.page.x_robots_tag == "noarchive, nosnippet"
    assert final.page.content_type == "text/html; charset=utf-8"


def test_fragment_seeds_fetched_once(run: CrawlRun, site_server: ScenarioServer) -> None:
    assert f"{OLD}/three#top" not in run.hops
    assert site_server.count(f"{OLD}/three") == 1


def test_loop_is_recorded_and_the_run_ends(run: CrawlRun, site_server: ScenarioServer) -> None:
    a, b = run["http://loop.example/a"], run["http://loop.example/b"]
    assert a.target == "http://loop.example/b" and b.target == "http://loop.example/a"
    assert site_server.count("http://loop.example/a") == 1
    assert site_server.count("http://loop.example/b") == 1


def test_hop_limit_fetches_max_hops_plus_one(run: CrawlRun, site_server: ScenarioServer) -> None:
    fetched = [u for u in run.hops if u.startswith("http://long.example/")]
    assert sorted(fetched) == sorted(f"http://long.example/{i}" for i in range(11))
    assert run["http://long.example/10"].target == "http://long.example/11"
    assert site_server.count("http://long.example/11") == 0
    assert site_server.count("http://long.example/12") == 0


def test_shared_hop_fetched_once(run: CrawlRun, site_server: ScenarioServer) -> None:
    assert run[f"{OLD}/x1"].target == run[f"{OLD}/x2"].target == f"{NEW}/shared"
    assert site_server.count(f"{NEW}/shared") == 1
    assert site_server.count(f"{NEW}/shared-final") == 1
    assert run[f"{NEW}/shared-final"].status == 200


def test_short_chain_reopens_a_tail_cut_off_by_a_long_one(
    run: CrawlRun, site_server: ScenarioServer
) -> None:
    # deep/0 … deep/9 → t1 is 10 redirects deep, so t2 (depth 11) was cut off; the short
    # chain reaches t1 at depth 1 later, and t2 must then be fetched after all.
    order = run.order
    t1, t2, short = "http://tail.example/t1", "http://tail.example/t2", f"{OLD}/short"
    assert order.index(t1) < order.index(short) < order.index(t2)
    assert run[t2].status == 200
    assert site_server.count(t1) == 1 and site_server.count(t2) == 1


def test_dead_host_is_a_network_error(run: CrawlRun) -> None:
    hop = run["http://gone.example/page"]
    assert (hop.kind, hop.status, hop.error) == (
        HopKind.NETWORK_ERROR,
        None,
        "connection refused",
    )


def test_timeout_is_a_network_error_and_retried(run: CrawlRun, site_server: ScenarioServer) -> None:
    hop = run[f"{OLD}/slow"]
    assert (hop.kind, hop.status, hop.error) == (HopKind.NETWORK_ERROR, None, "timeout after 2s")
    assert 1900 < hop.elapsed_ms < 4000
    assert site_server.count(f"{OLD}/slow") == 2


def test_503_is_retried_until_success(run: CrawlRun, site_server: ScenarioServer) -> None:
    hop = run[f"{OLD}/flaky"]
    assert hop.status == 200 and hop.page is not None and hop.page.title == "Flaky but fine"
    assert site_server.count(f"{OLD}/flaky") == 2


def test_retries_run_out_and_the_last_answer_is_recorded(
    run: CrawlRun, site_server: ScenarioServer
) -> None:
    assert run[f"{OLD}/down"].status == 503
    assert site_server.count(f"{OLD}/down") == 2  # 1 try + retries=1


def test_4xx_is_never_retried(run: CrawlRun, site_server: ScenarioServer) -> None:
    assert run[f"{OLD}/missing"].status == 404
    assert run[f"{OLD}/gone"].status == 410
    assert site_server.count(f"{OLD}/missing") == 1
    assert site_server.count(f"{OLD}/gone") == 1


def test_tls_failure_is_a_network_error(run: CrawlRun) -> None:
    hop = run["https://plain.example/"]
    assert hop.kind is HopKind.NETWORK_ERROR and hop.status is None
    assert hop.error is not None and hop.error.startswith("tls: "), hop.error


def test_reset_is_a_network_error(run: CrawlRun) -> None:
    hop = run[f"{OLD}/reset"]
    assert hop.kind is HopKind.NETWORK_ERROR
    assert hop.error in ("connection reset", "connection closed without a response")


def test_redirect_without_location(run: CrawlRun) -> None:
    hop = run[f"{OLD}/noloc"]
    assert (hop.status, hop.kind, hop.target) == (302, HopKind.FINAL, None)
    assert hop.error == "invalid redirect: no Location header"


def test_meta_refresh_and_refresh_header(run: CrawlRun) -> None:
    meta = run[f"{OLD}/meta"]
    assert (meta.status, meta.kind, meta.target) == (
        200,
        HopKind.META_REFRESH,
        f"{NEW}/meta-target",
    )
    assert meta.page is not None and meta.page.meta_refresh == f"0; url={NEW}/meta-target"
    assert run[f"{NEW}/meta-target"].page.title == "Meta target"  # type: ignore[union-attr]
    header = run[f"{OLD}/refresh-header"]
    assert (header.kind, header.target) == (HopKind.META_REFRESH, f"{OLD}/meta-target2")
    assert header.headers["refresh"] == "0;url=/meta-target2"
    assert run[f"{OLD}/meta-target2"].status == 200
    assert run[f"{OLD}/self-refresh"].kind is HopKind.FINAL


def test_non_http_targets_get_synthetic_hops(run: CrawlRun) -> None:
    ftp = run["ftp://files.example/x.zip"]
    assert (ftp.kind, ftp.status, ftp.error) == (
        HopKind.NETWORK_ERROR,
        None,
        "unsupported scheme: ftp",
    )
    assert run["javascript:alert(1)"].error == "unsupported scheme: javascript"
    assert run[f"{OLD}/to-js"].target == "javascript:alert(1)"


def test_idn_host_and_path(run: CrawlRun, site_server: ScenarioServer) -> None:
    hop = run["http://bücher.example/straße"]  # recorded under the URL as requested
    assert hop.status == 200 and hop.page is not None and hop.page.title == "Bücher"
    assert any(
        r.host == "xn--bcher-kva.example" and r.path == "/stra%C3%9Fe" for r in site_server.requests
    )


def test_non_html_answer_gets_header_facts(run: CrawlRun) -> None:
    hop = run[f"{NEW}/file.pdf"]
    assert hop.kind is HopKind.FINAL and hop.page is not None
    assert hop.page.content_type == "application/pdf"
    assert hop.page.title is None
    assert hop.page.x_robots_tag == "noindex"
    assert hop.page.canonical_header == "https://new.example/doc"


def test_https_via_connect_to_keeps_host_and_sni(
    run: CrawlRun, site_server: ScenarioServer
) -> None:
    https = [r for r in site_server.requests if r.scheme == "https"]
    assert https
    assert {r.sni for r in https} == {"new.example"}
    assert {r.host for r in https} == {"new.example"}
    assert all(r.headers["user-agent"].startswith("migrationaudit/") for r in https)
    assert all("cookie" not in r.headers for r in site_server.requests)
    assert run[f"{NEW}/three"].status == 307


def test_every_seed_ends_on_a_record(run: CrawlRun) -> None:
    for seed in SEEDS:
        url = seed.split("#")[0]
        seen: set[str] = set()
        while url in run.hops and url not in seen:
            seen.add(url)
            hop = run[url]
            if not hop.is_redirect:
                break
            assert hop.target is not None
            url = hop.target
        # ends on a record, a revisit (loop) or the hop limit (long.example/11)
        assert url in run.hops or url == "http://long.example/11", seed


# -- separate crawls --------------------------------------------------------------------------


def test_run_crawl_twice_in_one_process(
    scenario_server: Callable[..., ScenarioServer], crawl: Callable[..., CrawlRun]
) -> None:
    server = scenario_server(
        [
            {"url": "http://a.example/", "status": 301, "location": "https://b.example/"},
            {"url": "https://b.example/", "title": "B"},
        ]
    )
    first = crawl(server, ["http://a.example/"])
    second = crawl(server, ["http://a.example/"])
    assert first.order == second.order == ("http://a.example/", "https://b.example/")
    assert first.summary.complete and second.summary.complete
    assert server.count("http://a.example/") == 2


def test_body_cap_keeps_the_head(
    scenario_server: Callable[..., ScenarioServer], crawl: Callable[..., CrawlRun]
) -> None:
    big = "<html><head><title>Big</title></head><body>" + "x" * 200_000 + "</body></html>"
    server = scenario_server([{"url": "http://big.example/", "body": big}])
    result = crawl(server, ["http://big.example/"], max_body=4096)
    hop = result["http://big.example/"]
    assert hop.status == 200 and hop.page is not None and hop.page.title == "Big"


def test_interrupted_crawl_keeps_what_it_had(
    scenario_server: Callable[..., ScenarioServer], tmp_path: Path
) -> None:
    routes = [{"url": f"http://slow.example/{i}", "delay": 0.4} for i in range(40)]
    server = scenario_server(routes)

    def interrupt(done: int, total: int) -> None:
        if done >= 2:
            raise KeyboardInterrupt

    run_dir = tmp_path / "run"
    from migrationaudit.crawl import run_crawl
    from migrationaudit.settings import CrawlOptions

    options = CrawlOptions(connect_to=server.connect_to(), concurrency=2, per_host_concurrency=2)
    summary = run_crawl([str(r["url"]) for r in routes], run_dir, options, progress=interrupt)
    assert summary.interrupted and not summary.complete
    assert summary.seeds == 40
    hops = list(read_hops(run_dir))
    assert 2 <= len(hops) < 40
    assert summary.fetched == len(hops)
    assert read_summary(run_dir) is not None  # the child closed cleanly and wrote it


def test_crawl_machinery_failure_raises_crawl_error(
    scenario_server: Callable[..., ScenarioServer], crawl: Callable[..., CrawlRun]
) -> None:
    server = scenario_server([{"url": "http://a.example/"}])
    with pytest.raises(CrawlError, match="crawl process") as info:
        crawl(server, ["http://a.example/"], scrapy_settings=(("CONCURRENT_REQUESTS", "many"),))
    assert "many" in str(info.value)  # the tail of the child's stderr


# -- read_hops --------------------------------------------------------------------------------


def _write_hops(run_dir: Path, text: str) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / HOPS_FILE).write_text(text, encoding="utf-8")


def _line(url: str) -> str:
    hop = Hop(url=url, status=200, kind=HopKind.FINAL, headers={"server": "x"})
    return json.dumps(hop.to_dict()) + "\n"


def test_read_hops_tolerates_a_truncated_last_line(tmp_path: Path) -> None:
    cut = _line("http://c.example/")[:25]
    _write_hops(tmp_path, _line("http://a.example/") + _line("http://b.example/") + cut)
    hops = list(read_hops(tmp_path))
    assert [h.url for h in hops] == ["http://a.example/", "http://b.example/"]
    assert hops[0] == Hop.from_dict(json.loads(_line("http://a.example/")))


def test_read_hops_rejects_a_corrupt_middle_line(tmp_path: Path) -> None:
    _write_hops(tmp_path, _line("http://a.example/") + "{not json\n" + _line("http://b.example/"))
    with pytest.raises(InputError) as info:
        list(read_hops(tmp_path))
    assert info.value.line == 2 and info.value.file == str(tmp_path / HOPS_FILE)


def test_read_hops_without_a_crawl(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no hop records"):
        list(read_hops(tmp_path))
    assert read_summary(tmp_path) is None


# -- --workers: shards of the seeds, merged ----------------------------------------------------


@pytest.fixture(scope="module")
def sharded(
    run: CrawlRun,  # first: the scenario's retry counters are shared by both crawls
    site_server: ScenarioServer,
    tmp_path_factory: pytest.TempPathFactory,
    crawl_runner: Callable[..., CrawlRun],
) -> CrawlRun:
    run_dir = tmp_path_factory.mktemp("sharded") / "run"
    return crawl_runner(
        site_server,
        SEEDS,
        run_dir,
        max_hops=10,
        retries=1,
        timeout=2.0,
        workers=2,
        extra_connect_to=[ConnectTo("plain.example", 443, "127.0.0.1", site_server.http_port)],
    )


def test_two_workers_record_what_one_does(run: CrawlRun, sharded: CrawlRun) -> None:
    assert {shard_of(s, 2) for s in SEEDS} == {0, 1}  # both processes had seeds
    assert sharded.summary.workers == 2 and run.summary.workers == 1
    assert set(sharded.hops) == set(run.hops)  # and no URL twice (crawl_with checks)
    for url, hop in run.hops.items():
        other = sharded[url]
        assert (other.kind, other.target) == (hop.kind, hop.target), url
    assert sharded.summary.complete and sharded.summary.finished == len(SEEDS)
    assert sharded.summary.fetched == len(sharded.hops)
    assert not (sharded.run_dir / SHARDS_DIR).exists()  # merged and removed
    assert read_summary(sharded.run_dir) == sharded.summary
    job = options_from_dict(json.loads((sharded.run_dir / JOB_FILE).read_text()))
    assert job.workers == 2
    assert "2 crawl processes" in (sharded.run_dir / LOG_FILE).read_text()


def test_a_tail_shared_across_workers_is_recorded_once(
    scenario_server: Callable[..., ScenarioServer], crawl: Callable[..., CrawlRun]
) -> None:
    seeds = [f"http://a.example/{i}" for i in range(8)]
    routes: list[dict[str, object]] = [
        {"url": s, "status": 301, "location": "http://b.example/shared"} for s in seeds
    ]
    routes.append({"url": "http://b.example/shared", "title": "Shared"})
    server = scenario_server(routes)
    assert {shard_of(s, 2) for s in seeds} == {0, 1}
    result = crawl(server, seeds, workers=2)
    assert result.summary.workers == 2 and result.summary.finished == 8
    # Each process fetched the shared target once; the merge kept one record of it.
    assert server.count("http://b.example/shared") == 2
    assert list(result.order).count("http://b.example/shared") == 1
    assert result.summary.fetched == len(result.hops) == 9


def test_sharded_resume_does_not_fetch_again(
    scenario_server: Callable[..., ScenarioServer], tmp_path: Path
) -> None:
    from migrationaudit.crawl import run_crawl
    from migrationaudit.settings import CrawlOptions

    routes: list[dict[str, object]] = []
    for i in range(6):
        routes += [
            {"url": f"http://a.example/{i}", "status": 301, "location": f"http://b.example/{i}"},
            {"url": f"http://b.example/{i}", "title": f"page {i}"},
        ]
    server = scenario_server(routes)
    seeds = [f"http://a.example/{i}" for i in range(6)]
    options = CrawlOptions(connect_to=server.connect_to(), timeout=2.0, retries=0, workers=2)
    run_dir = tmp_path / "run"
    assert run_crawl(seeds, run_dir, options).fetched == 12
    lines = (run_dir / HOPS_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [json.loads(line)["url"] for line in lines[:5]]
    # Interrupted: five records, a sixth cut off, and a shard left unmerged (parent killed)
    # that holds one more record.
    (run_dir / HOPS_FILE).write_text("".join(lines[:5]) + lines[5][:20], encoding="utf-8")
    (run_dir / SHARDS_DIR / "1").mkdir(parents=True)
    (run_dir / SHARDS_DIR / "1" / HOPS_FILE).write_text(lines[6], encoding="utf-8")
    kept.append(json.loads(lines[6])["url"])
    before = {str(r["url"]): server.count(str(r["url"])) for r in routes}
    resumed = run_crawl(seeds, run_dir, options, resume=True)
    assert resumed.complete and resumed.workers == 2
    assert resumed.fetched == 12 and resumed.finished == 6
    hops = {h.url: h for h in read_hops(run_dir)}
    assert len(hops) == 12 and all(h.status in (200, 301) for h in hops.values())
    for url in kept:
        assert server.count(url) == before[url], f"{url} fetched again"
    assert sum(server.count(u) - n for u, n in before.items()) == 12 - len(kept)


def test_interrupted_sharded_crawl_keeps_what_it_had(
    scenario_server: Callable[..., ScenarioServer], tmp_path: Path
) -> None:
    from migrationaudit.crawl import run_crawl
    from migrationaudit.settings import CrawlOptions

    routes = [{"url": f"http://slow.example/{i}", "delay": 0.4} for i in range(40)]
    server = scenario_server(routes)

    def interrupt(done: int, total: int) -> None:
        if done >= 2:
            raise KeyboardInterrupt  # raised in the caller's thread, as Ctrl-C would be

    options = CrawlOptions(
        connect_to=server.connect_to(), concurrency=2, per_host_concurrency=2, workers=2
    )
    run_dir = tmp_path / "run"
    seeds = [str(r["url"]) for r in routes]
    summary = run_crawl(seeds, run_dir, options, progress=interrupt)
    assert summary.interrupted and not summary.complete and summary.workers == 2
    assert summary.seeds == 40
    hops = list(read_hops(run_dir))
    assert 2 <= len(hops) < 40 and summary.fetched == len(hops)
    assert read_summary(run_dir) == summary
    assert not (run_dir / SHARDS_DIR).exists()


def test_plan_workers() -> None:
    from migrationaudit.newsite.job import SiteJob
    from migrationaudit.settings import WORKER_MIN_SEEDS, CrawlOptions

    auto = CrawlOptions()
    assert plan_workers(auto, 10, cpus=4).workers == 1  # too few seeds to pay for a process
    assert plan_workers(auto, 3 * WORKER_MIN_SEEDS, cpus=4).workers == 3
    assert plan_workers(auto, 100 * WORKER_MIN_SEEDS, cpus=4).workers == 4
    two = CrawlOptions(workers=2)
    assert plan_workers(two, 10, cpus=1).workers == 2  # asked for: no minimum
    assert plan_workers(two, 1).workers == 1  # never more processes than seeds
    assert plan_workers(CrawlOptions(workers=8, per_host_concurrency=3), 100).workers == 3
    assert plan_workers(CrawlOptions(workers=2, delay=0.5), 100).workers == 1
    robots_only = SiteJob(old_sites=("old.example",))
    assert plan_workers(two, 100, robots_only).workers == 2
    for job in (
        SiteJob(sitemaps=("https://new.example/sitemap.xml",)),
        SiteJob(crawl=("https://new.example/",)),
        SiteJob(new_sites=("new.example",)),  # discovery on a known new site
    ):
        # Sharded too: process 0 leads the whole-crawl work (tests/test_workers_site.py).
        plan = plan_workers(two, 100, job)
        assert plan.workers == 2 and "process 0 leads the new-site work" in plan.reason
    assert plan_workers(two, 100, SiteJob(new_sites=("n.example",), discover=False)).workers == 2


def test_shard_options_keep_the_totals() -> None:
    from migrationaudit.settings import CrawlOptions

    one = shard_options(CrawlOptions(concurrency=16, per_host_concurrency=8, workers=2), 2)
    assert (one.concurrency, one.per_host_concurrency, one.workers) == (8, 4, 1)


def test_shard_of_is_stable_and_spreads() -> None:
    urls = [f"http://h{i % 3}.example/p/{i}" for i in range(400)]
    first = [shard_of(u, 4) for u in urls]
    assert first == [shard_of(u, 4) for u in urls]
    counts = [first.count(k) for k in range(4)]
    assert min(counts) > 60, counts
    # Query string and scheme do not move a seed: the key is host + path.
    assert shard_of("http://a.example/x?q=1", 7) == shard_of("https://A.example/x", 7)


def test_merge_shards_keeps_first_records(tmp_path: Path) -> None:
    def site_line(record: dict[str, object]) -> str:
        return json.dumps(record) + "\n"

    (tmp_path / HOPS_FILE).write_text(_line("http://a.example/"), encoding="utf-8")
    shard0, shard1 = tmp_path / SHARDS_DIR / "0", tmp_path / SHARDS_DIR / "1"
    shard0.mkdir(parents=True)
    shard1.mkdir(parents=True)
    first_b = json.dumps({**json.loads(_line("http://b.example/")), "status": 301}) + "\n"
    (shard0 / HOPS_FILE).write_text(_line("http://a.example/") + first_b, encoding="utf-8")
    cut = _line("http://d.example/")[:20]
    (shard1 / HOPS_FILE).write_text(
        _line("http://b.example/") + _line("http://c.example/") + cut, encoding="utf-8"
    )
    robots = {"t": "robots", "url": "http://a.example/robots.txt", "status": 404}
    (shard0 / "site.jsonl").write_text(site_line(robots), encoding="utf-8")
    (shard1 / "site.jsonl").write_text(
        site_line({**robots, "status": 200}) + site_line({"t": "crawled", "url": "u"}),
        encoding="utf-8",
    )
    (shard1 / LOG_FILE).write_text("a warning\n", encoding="utf-8")
    assert merge_shards(tmp_path) == 3
    hops = list(read_hops(tmp_path))
    assert [h.url for h in hops] == ["http://a.example/", "http://b.example/", "http://c.example/"]
    assert hops[1].status == 301  # the first record of b wins
    site = [json.loads(line) for line in (tmp_path / "site.jsonl").read_text().splitlines()]
    assert site == [robots, {"t": "crawled", "url": "u"}]
    assert "--- crawl process 1 ---\na warning" in (tmp_path / LOG_FILE).read_text()
    assert not (tmp_path / SHARDS_DIR).exists()
    assert merge_shards(tmp_path) == 0  # nothing left to merge


# -- the download handler's decompression --------------------------------------------------------


def test_an_undecodable_text_body_is_kept_as_an_empty_answer() -> None:
    from scrapy.http import HtmlResponse, Request, Response
    from scrapy.utils.test import get_crawler

    from migrationaudit.spiders.middlewares import LenientHttpCompressionMiddleware

    mw = LenientHttpCompressionMiddleware.from_crawler(get_crawler())
    request = Request("http://a.example/sitemap.xml")
    response = HtmlResponse(
        "http://a.example/sitemap.xml",
        status=200,
        headers={"Content-Encoding": "gzip", "Content-Type": "text/html; charset=utf-8"},
        body=b"\x1f\x8b\x08\x00 this is not gzip",
        request=request,
    )
    got = mw.process_response(request, response)
    assert isinstance(got, Response) and type(got) is Response
    assert got.status == 200 and got.body == b"" and "undecodable" in got.flags
    assert got.headers.get("Content-Type") == b"text/html; charset=utf-8"

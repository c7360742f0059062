"""Politeness: Retry-After on 429/503 (seconds, HTTP-date, capped, garbage ignored), backoff
between retries, per-host concurrency and the delay between requests to one host. Timings
are measured on the server side (``RequestLog.at``, when each request was read)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING

import pytest

from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import RequestLog, parse_site
from migrationaudit.spiders.handler import parse_retry_after

if TYPE_CHECKING:
    from conftest import CrawlRun

NOW = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC).timestamp()
H = "http://polite.example"
L = "http://limited.example"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("Thu, 01 May 2025 12:00:30 GMT", 30.0),
        ("Thursday, 01-May-25 12:01:00 GMT", 60.0),  # RFC 850, still allowed by RFC 9110
        ("Thu, 01 May 2025 11:00:00 GMT", 0.0),  # in the past: now
        ("", None),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("Thu, 99 Foo 2025", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


ROUTES = [
    # 429 once, come back in 1 s
    {
        "url": f"{L}/limited",
        "fail_times": 1,
        "fail_status": 429,
        "fail_headers": {"Retry-After": "1"},
    },
    # a date: filled in by the fixture, a few seconds after the crawl starts (cut to the cap)
    {
        "url": f"{H}/dated",
        "fail_times": 1,
        "fail_status": 503,
        "fail_headers": {"Retry-After": "DATE"},
    },
    # an hour: cut to the cap (retry_after_max)
    {
        "url": "http://greedy.example/",
        "fail_times": 1,
        "fail_status": 429,
        "fail_headers": {"Retry-After": "3600"},
    },
    # garbage: the backoff applies
    {
        "url": "http://garbage.example/",
        "fail_times": 1,
        "fail_status": 503,
        "fail_headers": {"Retry-After": "later"},
    },
    # no header, two failures: backoff 0.2 s then 0.4 s
    {"url": "http://flaky.example/", "fail_times": 2, "fail_status": 502},
    # plain pages on the rate-limited host: they wait for its Retry-After too
    *[{"url": f"{H}/other{i}"} for i in range(3)],
    # slow pages on one host: per-host concurrency
    *[{"url": f"http://busy.example/{i}", "delay": 0.3} for i in range(6)],
]


@pytest.fixture(scope="module")
def polite_run(
    crawl_runner: Callable[..., CrawlRun], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[CrawlRun, ScenarioServer]]:
    date = format_datetime(
        datetime.fromtimestamp(datetime.now(UTC).timestamp() + 4, UTC), usegmt=True
    )
    routes = [
        {**r, "fail_headers": {"Retry-After": date}} if r["url"] == f"{H}/dated" else r
        for r in ROUTES
    ]
    with ScenarioServer(parse_site({"routes": routes})) as server:
        seeds = [str(r["url"]) for r in routes]
        run = crawl_runner(
            server,
            seeds,
            tmp_path_factory.mktemp("polite") / "run",
            retries=2,
            retry_backoff=0.2,
            retry_after_max=1.0,
            concurrency=8,
            per_host_concurrency=2,
        )
        yield run, server


def _logs(server: ScenarioServer, url: str) -> list[RequestLog]:
    return [r for r in server.requests if r.url == url]


def _gaps(server: ScenarioServer, url: str) -> list[float]:
    times = [r.at for r in _logs(server, url)]
    return [b - a for a, b in itertools.pairwise(times)]


def test_retry_after_seconds_is_honoured(polite_run: tuple[CrawlRun, ScenarioServer]) -> None:
    run, server = polite_run
    assert run[f"{L}/limited"].status == 200
    [gap] = _gaps(server, f"{L}/limited")
    assert 0.9 <= gap < 1.5, gap


def test_retry_after_pauses_the_whole_host(polite_run: tuple[CrawlRun, ScenarioServer]) -> None:
    run, server = polite_run
    assert all(run[f"{H}/other{i}"].status == 200 for i in range(3))
    # The host's 503 is answered at once; what it is asked after that (beyond the request
    # already in flight) waits for its Retry-After (a date a few seconds ahead, capped at 1 s).
    failed = _logs(server, f"{H}/dated")[0].at
    later = [
        r.at - failed
        for r in server.requests
        if r.host == "polite.example" and r.at > failed + 0.05
    ]
    assert len(later) >= 3, later  # the retry and at least two of the plain pages
    assert min(later) >= 0.9, later


def test_retry_after_date_and_cap(polite_run: tuple[CrawlRun, ScenarioServer]) -> None:
    run, server = polite_run
    assert run[f"{H}/dated"].status == 200
    [dated] = _gaps(server, f"{H}/dated")
    assert 0.9 <= dated < 1.6, dated  # the date (cut to the 1 s cap), not the backoff (0.2 s)
    assert run["http://greedy.example/"].status == 200
    [greedy] = _gaps(server, "http://greedy.example/")
    assert 0.9 <= greedy < 1.6, greedy  # an hour asked, the 1 s cap applied


def test_garbage_retry_after_falls_back_to_backoff(
    polite_run: tuple[CrawlRun, ScenarioServer],
) -> None:
    run, server = polite_run
    assert run["http://garbage.example/"].status == 200
    [gap] = _gaps(server, "http://garbage.example/")
    assert 0.18 <= gap < 0.8, gap
    first, second = _gaps(server, "http://flaky.example/")
    assert 0.18 <= first < 0.8 and 0.38 <= second < 1.2, (first, second)  # doubling
    assert run["http://flaky.example/"].status == 200


def test_per_host_concurrency_is_a_ceiling(polite_run: tuple[CrawlRun, ScenarioServer]) -> None:
    _, server = polite_run
    starts = sorted(r.at for r in server.requests if r.host == "busy.example")
    assert len(starts) == 6
    # each page takes 0.3 s: how many were being answered at once, at most
    overlap = max(sum(1 for s in starts if s <= t < s + 0.3) for t in starts)
    assert overlap == 2, starts


def test_delay_spaces_requests_to_one_host(
    scenario_server: Callable[..., ScenarioServer], crawl: Callable[..., CrawlRun]
) -> None:
    server = scenario_server([{"url": f"http://slowly.example/{i}"} for i in range(4)])
    run = crawl(server, [f"http://slowly.example/{i}" for i in range(4)], delay=0.3)
    assert run.summary.complete
    starts = sorted(r.at for r in server.requests)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # Seen from the server, the first gap may look shorter by the first connection's set-up.
    assert len(gaps) == 3 and min(gaps) >= 0.2 and min(gaps[1:]) >= 0.27, gaps

"""The job's Lua scripts on a real redis-server: the shared frontier follows the local
Frontier's rule (each URL once, only within --max-hops of a seed, whatever the order the
answers come in), leases run out and go back, a URL's record is accepted once, and the
politeness slots hold their totals."""

from __future__ import annotations

import json
import random
import time
from collections import deque

import pytest

from distributed.redisserver import RedisServer
from migrationaudit.distributed.store import JobStore, connect


def min_depths(edges: dict[str, str], seeds: list[str]) -> dict[str, int]:
    depth: dict[str, int] = {}
    queue = deque((s, 0) for s in seeds)
    while queue:
        url, d = queue.popleft()
        if url in depth and depth[url] <= d:
            continue
        depth[url] = d
        if url in edges:
            queue.append((edges[url], d + 1))
    return depth


@pytest.mark.parametrize("seed", range(5))
def test_frontier_fetches_what_is_within_max_hops_in_any_order(
    redis_server: RedisServer, seed: int
) -> None:
    rng = random.Random(seed)
    urls = [f"http://old.example/{i}" for i in range(60)]
    # Each URL redirects to a later one, or loops back, or answers: chains of any length.
    edges = {u: rng.choice(urls) for u in urls if rng.random() < 0.7}
    seeds = rng.sample(urls, 15)
    store = JobStore(connect(redis_server.url), f"t{seed}")
    store.seed(seeds, 2)
    fetched: list[str] = []
    held: list[str] = []
    for _ in range(10_000):  # answers come back in a random order
        held += [u for u, _ in store.claim(rng.randint(1, 4), 30)]
        if not held:
            break
        url = held.pop(rng.randrange(len(held)))
        fetched.append(url)
        record = json.dumps({"url": url})
        assert store.record(url, record, edges.get(url), 2)
    assert store.idle()
    assert len(fetched) == len(set(fetched))  # each URL once
    within = {u for u, d in min_depths(edges, seeds).items() if d <= 2}
    assert set(fetched) == within


def test_a_lease_runs_out_and_a_url_is_recorded_once(redis_server: RedisServer) -> None:
    store = JobStore(connect(redis_server.url), "lease")
    store.seed(["http://old.example/a"], 10)
    assert store.claim(5, 0.2) == [("http://old.example/a", 0)]
    assert store.claim(5, 0.2) == []  # leased: nobody else takes it
    assert not store.idle()
    time.sleep(0.3)
    assert store.reclaim() == 1
    assert store.claim(5, 30) == [("http://old.example/a", 0)]  # another worker's now
    assert store.record("http://old.example/a", "{}", None, 10)  # the first holder, late
    assert not store.record("http://old.example/a", "{}", None, 10)  # the second: refused
    assert store.client.xlen(store.keys.hops) == 1
    assert store.idle()


def test_slots_hold_the_totals(redis_server: RedisServer) -> None:
    store = JobStore(connect(redis_server.url), "slots")
    assert store.acquire("a.example", "t1", 2, 1, 0, 5) == 0
    assert store.acquire("a.example", "t2", 2, 1, 0, 5) == -1  # the host's one slot is taken
    assert store.acquire("b.example", "t3", 2, 1, 0, 5) == 0
    assert store.acquire("c.example", "t4", 2, 1, 0, 5) == -1  # two in flight in all
    store.release("a.example", "t1")
    assert store.acquire("c.example", "t4", 2, 1, 0, 5) == 0
    # A slot whose holder died expires after its hold time.
    assert store.acquire("d.example", "t5", 3, 1, 0, 0.2) == 0
    assert store.acquire("d.example", "t6", 3, 1, 0, 5) == -1
    time.sleep(0.3)
    assert store.acquire("d.example", "t6", 3, 1, 0, 5) == 0
    # --delay and a Retry-After pause: the answer is how long to wait.
    assert store.acquire("e.example", "t7", 9, 9, 1.0, 5) == 0
    wait = store.acquire("e.example", "t8", 9, 9, 1.0, 5)
    assert 0 < wait <= 1000
    store.pause("f.example", 2.0)
    assert 1000 < store.acquire("f.example", "t9", 9, 9, 0, 5) <= 2000

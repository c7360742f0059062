"""``--crawl --max-pages N`` through Redis: the new site's links are collected from at most N
pages, as in a local run, and a site whose outcome does not depend on the order of answers
gives the same crawled pages, findings and verdicts as a local run (``--workers 1``)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from distributed.redisserver import RedisServer
from distributed.support import NEW, OLD, audit_cmd, findings, verdicts
from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import parse_site

MAX_PAGES = 3
CHAIN = 8  # /c1 ... /c8 below the home page


def crawl_site(off_chain: int) -> tuple[dict[str, Any], list[str]]:
    """A new site whose pages form one line (``/`` → ``/c1`` → ... → ``/c8``, each page also
    linking to a legacy URL and to a missing page), legacy URLs that land on ``/c1`` and
    ``/c2`` (inside the first pages the crawl reaches), on ``off_chain`` pages no link leads
    to, on a 404, and a loop."""
    routes: list[dict[str, Any]] = [
        {"url": f"{NEW}/", "title": "Home", "links": [f"{NEW}/c1", f"{OLD}/a", f"{NEW}/gone"]},
        {"url": f"{NEW}/gone", "status": 404},
        {"url": f"{OLD}/a", "status": 301, "location": f"{NEW}/c1"},
        {"url": f"{OLD}/b", "status": 301, "location": f"{NEW}/c2"},
        {"url": f"{OLD}/dead", "status": 301, "location": f"{NEW}/missing"},
        {"url": f"{NEW}/missing", "status": 404},
        {"url": f"{OLD}/loop-a", "status": 301, "location": f"{OLD}/loop-b"},
        {"url": f"{OLD}/loop-b", "status": 301, "location": f"{OLD}/loop-a"},
    ]
    for i in range(1, CHAIN + 1):
        links = [f"{NEW}/c{i + 1}"] if i < CHAIN else []
        links += [f"{OLD}/b", f"{NEW}/gone{i}"]
        routes.append({"url": f"{NEW}/c{i}", "title": f"C{i}", "links": links})
        routes.append({"url": f"{NEW}/gone{i}", "status": 404})
    legacy = [f"{OLD}/a", f"{OLD}/b", f"{OLD}/dead", f"{OLD}/loop-a"]
    for i in range(off_chain):
        routes.append({"url": f"{OLD}/x{i}", "status": 301, "location": f"{NEW}/x{i}"})
        routes.append({"url": f"{NEW}/x{i}", "title": f"X{i}", "links": [f"{NEW}/xgone{i}"]})
        routes.append({"url": f"{NEW}/xgone{i}", "status": 404})
        legacy.append(f"{OLD}/x{i}")
    return {"routes": routes}, legacy


def run(site: dict[str, Any], legacy: list[str], out: Path, *extra: str) -> dict[str, Any]:
    """One audit of ``site`` with ``--crawl NEW/ --max-pages 3`` into ``out`` (the legacy
    URLs listed in ``out``'s parent folder); what it found."""
    urls = out.parent / "urls.txt"
    urls.write_text("\n".join(legacy) + "\n", encoding="utf-8")
    with ScenarioServer(parse_site(site)) as server:
        cmd = audit_cmd(server, out, urls, "--crawl", f"{NEW}/", "--max-pages", str(MAX_PAGES),
                        "--depth", "20", *extra)  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        assert proc.returncode in (0, 1), proc.stderr
        result = {"verdicts": verdicts(out, server), "findings": findings(out)}
    records = [json.loads(x) for x in (out / "run" / "hops.jsonl").read_text().splitlines()]
    site_lines = (out / "run" / "site.jsonl").read_text(encoding="utf-8").splitlines()
    result["crawled"] = sorted(
        r["url"] for r in map(json.loads, site_lines) if r.get("t") == "crawled"
    )
    result["with_links"] = sorted(
        r["url"] for r in records if r["status"] == 200 and "links" in (r.get("page") or {})
    )
    result["fetched"] = sorted(r["url"] for r in records)
    return result


def test_crawl_max_pages_as_a_local_run(redis_server: RedisServer, tmp_path: Path) -> None:
    site, legacy = crawl_site(off_chain=0)
    local = run(site, legacy, tmp_path / "local", "--workers", "1")
    dist = run(site, legacy, tmp_path / "dist", "--redis", redis_server.url,
               "--local-workers", "2")  # fmt: skip
    # The line of pages is crawled in its order: the home page and /c1, /c2 (whose links
    # were collected), /c3 fetched as a link, its own links not read.
    assert local["crawled"] == [f"{NEW}/", f"{NEW}/c1", f"{NEW}/c2"]
    assert local["with_links"] == local["crawled"]
    assert f"{NEW}/c3" in local["fetched"] and f"{NEW}/c4" not in local["fetched"]
    for key in ("crawled", "with_links", "fetched", "findings", "verdicts"):
        assert dist[key] == local[key], key
    assert any(rule.startswith("internal-link") for rule, _ in local["findings"])


def test_crawl_max_pages_bounds_the_pages_read_across_workers(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """More legacy URLs land on the new site than --max-pages allows: which pages' links are
    read depends on the order of the answers (locally too), but never more than N pages'."""
    site, legacy = crawl_site(off_chain=6)
    local = run(site, legacy, tmp_path / "local", "--workers", "1")
    dist = run(site, legacy, tmp_path / "dist", "--redis", redis_server.url,
               "--local-workers", "2")  # fmt: skip
    for result in (local, dist):
        assert len(result["with_links"]) == MAX_PAGES, result["with_links"]
        assert set(result["crawled"]) <= set(result["with_links"])
    # Where each legacy URL leads is the same; the findings of the links read may differ.
    keys = ("url", "outcome", "path", "final_status")
    assert [[json.loads(v)[k] for k in keys] for v in dist["verdicts"]] == [
        [json.loads(v)[k] for k in keys] for v in local["verdicts"]
    ]

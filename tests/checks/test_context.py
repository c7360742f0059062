"""The rules' context is read-only: what the rules know of the new site is typed fields of
``SiteContext``, their caches live in ``AuditContext.memo``, and the redirect graph's dict
keeps only its own index of spellings (``graph.ALIASES``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from migrationaudit import pipeline
from migrationaudit.checks import NO_SITEMAP, NO_SITEMAP_READ, AuditContext, Need, skip_reason
from migrationaudit.checks.needs import NO_ROBOTS
from migrationaudit.demo.site import load_site
from migrationaudit.graph import ALIASES
from migrationaudit.newsite.context import SiteContext
from migrationaudit.newsite.plan import SiteScope
from migrationaudit.newsite.records import SitemapFile, SitemapRef
from migrationaudit.settings import CheckOptions

from .memcrawl import audit_case

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ROOT / "migrationaudit" / "checks"
GRAPH_DICT = re.compile(r"\.graph\[|\.graph\.get\(|\.graph\.setdefault\(")


def test_no_rule_reads_or_writes_the_graphs_dict() -> None:
    used = [
        f"{path.name}:{n}"
        for path in sorted(CHECKS.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if GRAPH_DICT.search(line)
    ]
    assert used == []


def test_a_whole_new_site_audit_leaves_the_graphs_dict_as_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[nx.MultiDiGraph] = []

    def keep(hops: Any) -> nx.MultiDiGraph:
        graph = build(hops)
        built.append(graph)
        return graph

    build = pipeline.build_graph
    monkeypatch.setattr(pipeline, "build_graph", keep)
    case = ROOT / "sample_maps" / "demo"  # every input, every new-site rule
    _, judged = audit_case(case, load_site(case / "site.json"), tmp_path / case.name)
    fired = {f.rule_id for f in judged.findings}
    assert {"robots-disallow-all", "robots-blocked-target", "sitemap-broken"} <= fired
    assert len(built) == 1
    assert set(built[0].graph) == {ALIASES}


def _site(files: tuple[SitemapFile, ...], refs: tuple[SitemapRef, ...]) -> AuditContext:
    scope = SiteScope(new_sites=("new.test",), old_sites=("old.test",), staging_hosts=())
    site = SiteContext(scope, robots=False, sitemap_files=files, sitemap_refs=refs)
    return AuditContext((), (), nx.MultiDiGraph(), {}, CheckOptions(), site=site)


def test_the_sitemap_needs_are_read_off_the_site_context() -> None:
    unread = SitemapFile("https://new.test/sitemap.xml", old=False, format=None, unread="404")
    named = SitemapRef(unread.url, "robots", "https://new.test/robots.txt", old=False)
    guess = SitemapRef(unread.url, "probe", None, old=False)
    nothing = _site((), (guess,))
    assert skip_reason(Need.SITEMAP, nothing) == NO_SITEMAP
    assert skip_reason(Need.SITEMAP_FILE, nothing) == NO_SITEMAP
    assert skip_reason(Need.ROBOTS, nothing) == NO_ROBOTS
    assert skip_reason(Need.NEW_SITE, nothing) is None
    ctx = _site((unread,), (named,))
    assert skip_reason(Need.SITEMAP, ctx) is None
    assert skip_reason(Need.SITEMAP_FILE, ctx) is None
    assert skip_reason(Need.SITEMAP_READ, ctx) == NO_SITEMAP_READ

"""The demo's and the golden corpus's cases: the audit options a sample folder asks for
(``audit.json``: sitemaps, ``--crawl``, ``--variants``, a staging host), as options and as flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from migrationaudit.errors import InputError
from migrationaudit.settings import SiteOptions
from migrationaudit.web.urls import is_http

CASE_FILE = "audit.json"
SNAPSHOT_FILE = "snapshot.jsonl"  # the legacy pages before cutover (audit --snapshot)



_CASE_LISTS = {"sitemap", "old_sitemap", "crawl", "new_host", "staging_host"}



_CASE_FLAGS = {"variants", "no_robots", "no_sitemap_discovery", "catch_all_probes"}



_CASE_NUMBERS = {"max_pages", "depth", "max_sitemap_urls"}



def _case_data(folder: Path) -> dict[str, Any]:
    path = Path(folder) / CASE_FILE
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - _CASE_LISTS - _CASE_FLAGS - _CASE_NUMBERS - {"description"}
    if unknown:
        raise InputError(f"unknown key(s): {', '.join(sorted(unknown))}", file=str(path))
    for key in ("sitemap", "old_sitemap"):
        # Local files are named relative to the case folder.
        data[key] = [v if is_http(v) else str(Path(folder, v)) for v in data.get(key, [])]
    return dict(data)



def case_options(folder: Path) -> SiteOptions:
    """The new-site options of a ``sample_maps`` case (``audit.json``; keys as the CLI options,
    ``-`` as ``_``), e.g. ``{"crawl": ["https://www.new.example/"], "variants": true}``."""
    d = _case_data(folder)
    defaults = SiteOptions()
    return SiteOptions(
        sitemaps=tuple(d.get("sitemap", ())),
        old_sitemaps=tuple(d.get("old_sitemap", ())),
        robots=not d.get("no_robots", False),
        discover=not d.get("no_sitemap_discovery", False),
        crawl=tuple(d.get("crawl", ())),
        max_pages=int(d.get("max_pages", defaults.max_pages)),
        depth=int(d.get("depth", defaults.depth)),
        variants=bool(d.get("variants", False)),
        new_hosts=tuple(d.get("new_host", ())),
        staging_hosts=tuple(d.get("staging_host", ())),
        sitemap_fetch_limit=int(d.get("max_sitemap_urls", defaults.sitemap_fetch_limit)),
        catch_all_probes=bool(d.get("catch_all_probes", False)),
    )



def case_args(folder: Path) -> list[str]:
    """The same options as ``migrationaudit audit`` arguments."""
    out: list[str] = []
    for key, value in _case_data(folder).items():
        flag = "--" + key.replace("_", "-")
        if key in _CASE_LISTS:
            for v in value:
                out += [flag, str(v)]
        elif key in _CASE_FLAGS and value:
            out.append(flag)
        elif key in _CASE_NUMBERS:
            out += [flag, str(value)]
    snapshot = case_snapshot(folder)
    return [*out, "--snapshot", snapshot] if snapshot else out


def case_snapshot(folder: Path) -> str | None:
    """The case's snapshot of its legacy pages (``snapshot.jsonl``), None when it has none."""
    path = Path(folder) / SNAPSHOT_FILE
    return str(path) if path.is_file() else None


def case_maps(folder: Path) -> tuple[str, ...]:
    """The maps of a ``sample_maps`` case: ``redirects.csv``, then any host rule file
    (``*.redirects``, read as Netlify ``_redirects``: its pre-flight rules run too)."""
    rules = sorted(str(p) for p in Path(folder).glob("*.redirects"))
    return (str(Path(folder) / "redirects.csv"), *rules)

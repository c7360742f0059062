"""The new site's side of an audit, as a pipeline stage.

Before the crawl, :func:`plan` decides which hosts are the new site, the old site and staging
(:class:`SiteScope`) and writes the crawl's :class:`~migrationaudit.sitework.SiteJob`; local
legacy sitemaps become legacy URLs (:func:`old_sitemap_legacy`). After it, :func:`read_records`
reads what the crawl found besides hop records (robots.txt texts, sitemap contents, crawled
pages) and :func:`annotate` puts it into the graph: node kinds (legacy, final, sitemap, sitemap
entry, crawled) and edge kinds (canonical, link, hreflang, listed-in-sitemap; see
:mod:`migrationaudit.graph`). The rules get a :class:`SiteContext`: the scope and which inputs
exist, so a rule lacking one is skipped with the reason.

Which hosts are the new site: ``--new-host`` when given; else the sites (hosts without
``www.``) most of the map's targets go to, leaving out the sites of the map's sources unless
nothing else is left (a move within one domain). The hosts of ``--crawl`` and ``--sitemap`` URLs
always count. The old site: every other site of a legacy URL.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from migrationaudit.errors import ConfigError, InputError
from migrationaudit.graph import (
    CRAWLED,
    FINAL,
    LEGACY,
    LISTED,
    SITEMAP,
    SITEMAP_ENTRY,
    add_hreflang,
    add_page_relations,
    mark,
)
from migrationaudit.inputs.robots import RobotsTxt
from migrationaudit.inputs.sitemaps import INDEX, SitemapEntry, read_sitemap_file
from migrationaudit.models import Chain, LegacyURL, Origin, RedirectRule
from migrationaudit.rundir.layout import SITE_RECORDS_FILE as RECORDS_FILE
from migrationaudit.settings import SiteOptions
from migrationaudit.sitework import SiteJob, site_of
from migrationaudit.web.urls import host_of, is_http, normalize

# Why a rule that needs part of the new site's side is skipped.
NO_SITE_STAGE = "the new-site stage did not run"
NO_NEW_SITE = "no new-site host known (give a map with targets, --new-host, --crawl or --sitemap)"
NO_SITEMAP = "no new-site sitemap found (robots.txt Sitemap: lines, /sitemap.xml, --sitemap)"
NO_SITEMAP_READ = "no new-site sitemap could be read"
NO_DISCOVERY = "sitemaps not looked for (--no-sitemap-discovery) and none given (--sitemap)"
NO_ROBOTS = "robots.txt not read (--no-robots)"
NO_SITE_CRAWL = "the new site was not crawled (--crawl)"
NO_VARIANTS = "URL variants not requested (--variants)"
# old-sitemap-unredirected judges listed URLs too, once the new site's hosts are known.
NO_OLD_HOSTS = (
    "no legacy sitemap given (--old-sitemap) and no new-site host known to tell the listed "
    "URLs' hosts from the new site's (give a map with targets or --new-host)"
)


def _host(value: str) -> str:
    """A host from ``--new-host`` / ``--staging-host`` (a bare host or a URL)."""
    value = value.strip()
    host = host_of(value) if "//" in value else value.lower().rstrip(".").split(":")[0]
    if not host or "/" in host:
        raise ConfigError(f"{value!r} is not a host name")
    return host


@dataclass(frozen=True)
class SiteScope:
    """Which hosts are which: the new site, the old site, staging (sites = hosts without
    ``www.``; staging hosts as given, their www twins included)."""

    new_sites: tuple[str, ...] = ()
    old_sites: tuple[str, ...] = ()
    staging_hosts: tuple[str, ...] = ()

    def is_new(self, url: str) -> bool:
        return site_of(url) in self.new_sites

    def is_old(self, url: str) -> bool:
        return site_of(url) in self.old_sites

    def is_staging(self, url: str) -> bool:
        return site_of(url) in {site_of(h) for h in self.staging_hosts}

    def leak(self, url: str) -> str | None:
        """``"a staging host"`` / ``"the old domain"`` when ``url`` is on one, else None."""
        if self.is_staging(url):
            return "a staging host"
        if self.is_old(url) and not self.is_new(url):
            return "the old domain"
        return None


def infer_new_sites(rules: Iterable[RedirectRule]) -> tuple[str, ...]:
    """The sites most of the map's targets go to (see the module docstring)."""
    rules = list(rules)
    sources = {site_of(r.source) for r in rules}
    counts = Counter(site_of(r.expected_target) for r in rules if r.expected_target)
    counts.pop("", None)
    candidates = {s: n for s, n in counts.items() if s not in sources} or dict(counts)
    if not candidates:
        return ()
    top = max(candidates.values())
    # Half the leader's share or more: several country sites of one move all count, a stray
    # target on a partner's host does not.
    return tuple(sorted(s for s, n in candidates.items() if 2 * n >= top))


def _split(values: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    remote = tuple(v for v in values if is_http(v))
    local = tuple(v for v in values if not is_http(v))
    return remote, local


def check_local_files(options: SiteOptions) -> None:
    """Every local sitemap file must be readable before any request is sent."""
    _, local = _split((*options.sitemaps, *options.old_sitemaps))
    for path in local:
        if not Path(path).is_file():
            raise InputError("no such sitemap file (give a file or an http(s) URL)", file=path)


def old_sitemap_legacy(options: SiteOptions, known: Sequence[LegacyURL]) -> tuple[LegacyURL, ...]:
    """The URLs of local legacy sitemaps that are not legacy URLs yet (origin: file, line)."""
    _, local = _split(options.old_sitemaps)
    seen = {normalize(item.url) for item in known}
    out: list[LegacyURL] = []
    for path in local:
        doc = read_sitemap_file(path)
        for entry in doc.entries:
            key = normalize(entry.loc)
            if key not in seen:
                seen.add(key)
                out.append(LegacyURL(entry.loc, Origin(path, entry.line)))
    return tuple(out)


def plan(
    options: SiteOptions, rules: Sequence[RedirectRule], legacy: Sequence[LegacyURL]
) -> tuple[SiteJob, SiteScope]:
    """The crawl's job and the host scope for these inputs."""
    remote, local = _split(options.sitemaps)
    old_remote, _ = _split(options.old_sitemaps)
    new = {site_of(_host(h)) for h in options.new_hosts}
    if not options.new_hosts:
        new.update(infer_new_sites(rules))
    new.update(site_of(u) for u in (*options.crawl, *remote) if host_of(u))
    new.discard("")
    old = {site_of(item.url) for item in legacy} | {site_of(u) for u in old_remote}
    old -= new
    old.discard("")
    staging: dict[str, None] = {}
    for h in options.staging_hosts:
        staging.setdefault(_host(h))
    scope = SiteScope(tuple(sorted(new)), tuple(sorted(old)), tuple(staging))
    job = SiteJob(
        new_sites=scope.new_sites,
        old_sites=scope.old_sites,
        robots=options.robots,
        discover=options.discover,
        sitemaps=remote,
        local_sitemaps=tuple(str(Path(p).resolve()) for p in local),
        old_sitemaps=old_remote,
        crawl=tuple(options.crawl),
        max_pages=options.max_pages,
        depth=options.depth,
        variants=options.variants,
        fetch_limit=options.sitemap_fetch_limit,
        staging_sites=tuple(sorted({site_of(h) for h in scope.staging_hosts})),
    )
    return job, scope


def start_run(run_dir: Path, job: SiteJob) -> None:
    """Write the job for the crawl and drop the records of an earlier run in this folder."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / RECORDS_FILE).unlink(missing_ok=True)
    job.write(run_dir)


# -- after the crawl --------------------------------------------------------------------------


@dataclass(frozen=True)
class SitemapFile:
    """One sitemap file as the crawl read it (``url``: its final URL, or a local path)."""

    url: str
    old: bool
    format: str | None
    entries: tuple[SitemapEntry, ...] = ()
    count: int = 0
    size: int = 0
    compressed: bool = False
    over_limit: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    error_count: int = 0
    unfetched: int = 0
    truncated: bool = False
    unread: str | None = None

    @property
    def is_index(self) -> bool:
        return self.format == INDEX

    @property
    def readable(self) -> bool:
        return self.format is not None and self.unread is None

    @classmethod
    def from_record(cls, r: Mapping[str, Any]) -> SitemapFile:
        return cls(
            url=str(r["url"]),
            old=bool(r.get("old")),
            format=r.get("format"),
            entries=tuple(SitemapEntry.from_dict(e) for e in r.get("entries") or ()),
            count=int(r.get("count") or 0),
            size=int(r.get("size") or 0),
            compressed=bool(r.get("compressed")),
            over_limit=tuple(r.get("over_limit") or ()),
            errors=tuple(r.get("errors") or ()),
            error_count=int(r.get("error_count") or 0),
            unfetched=int(r.get("unfetched") or 0),
            truncated=bool(r.get("truncated")),
            unread=r.get("unread"),
        )


@dataclass(frozen=True)
class SitemapRef:
    """A sitemap URL the audit was pointed at: by ``--sitemap`` (source ``cli``), a robots.txt
    ``Sitemap:`` line (``robots``), an index (``index``) or a guess (``probe``: /sitemap.xml);
    ``by`` is the robots.txt or index URL that named it."""

    url: str
    source: str
    by: str | None
    old: bool


@dataclass(frozen=True)
class SiteRecords:
    """What the crawl found besides hop records (``site.jsonl``)."""

    robots: Mapping[str, RobotsTxt] = field(default_factory=dict)  # by final robots.txt URL
    sitemaps: Mapping[str, SitemapFile] = field(default_factory=dict)  # by final URL / path
    refs: tuple[SitemapRef, ...] = ()
    crawled: Mapping[str, int] = field(default_factory=dict)  # page → depth

    @classmethod
    def parse(cls, records: Iterable[Mapping[str, Any]]) -> SiteRecords:
        robots: dict[str, RobotsTxt] = {}
        sitemaps: dict[str, SitemapFile] = {}
        refs: list[SitemapRef] = []
        crawled: dict[str, int] = {}
        for r in records:
            kind = r.get("t")
            if kind == "robots" and not r.get("unread"):
                robots[r["url"]] = RobotsTxt.from_answer(
                    r["url"], r.get("status"), r.get("text"), r.get("error")
                )
            elif kind == "sitemap":
                sitemaps.setdefault(r["url"], SitemapFile.from_record(r))
            elif kind == "sitemap-ref":
                refs.append(SitemapRef(r["url"], r["source"], r.get("by"), bool(r.get("old"))))
            elif kind == "crawled":
                depth = int(r["depth"])
                crawled[r["url"]] = min(depth, crawled.get(r["url"], depth))
        return cls(robots, sitemaps, tuple(dict.fromkeys(refs)), crawled)


def read_records(run_dir: Path) -> SiteRecords:
    """The run's ``site.jsonl`` (empty records when there is none; a line cut off by an
    interrupted run is skipped)."""
    path = Path(run_dir) / RECORDS_FILE
    if not path.is_file():
        return SiteRecords()
    lines: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return SiteRecords.parse(lines)


def remote_old_legacy(records: SiteRecords, known: Sequence[LegacyURL]) -> tuple[LegacyURL, ...]:
    """URLs of fetched legacy sitemaps that are not legacy URLs yet (origin: sitemap, line)."""
    seen = {normalize(item.url) for item in known}
    out: list[LegacyURL] = []
    for sm in records.sitemaps.values():
        if not sm.old or sm.is_index:
            continue
        for entry in sm.entries:
            key = normalize(entry.loc)
            if key not in seen:
                seen.add(key)
                out.append(LegacyURL(entry.loc, Origin(sm.url, entry.line)))
    return tuple(out)


@dataclass(frozen=True)
class SiteContext:
    """What the rules know about the new site's side: the host scope, which inputs were asked
    for (robots, sitemaps, crawl, variants, legacy sitemaps) and the legacy sitemaps' URLs."""

    scope: SiteScope
    robots: bool = True
    discover: bool = True
    sitemaps_given: bool = False
    crawl: bool = False
    variants: bool = False
    old_sitemaps: bool = False
    old_sitemap_urls: frozenset[str] = frozenset()  # normalised

    def skip_reason(self, need: str, graph: nx.MultiDiGraph) -> str | None:
        """Why a rule needing ``need`` cannot run here (None: it can). Computed once per
        graph (the verdicts ask for every legacy URL)."""
        cache: dict[str, str | None] = graph.graph.setdefault("_skip_reasons", {})
        if need not in cache:
            cache[need] = self._skip_reason(need, graph)
        return cache[need]

    def _skip_reason(self, need: str, graph: nx.MultiDiGraph) -> str | None:
        if need == "robots":
            return None if self.robots else NO_ROBOTS
        if need == "site-crawl":
            return None if self.crawl else NO_SITE_CRAWL
        if need == "variants":
            return None if self.variants else NO_VARIANTS
        if need == "old-sitemap":
            return None if self.old_sitemaps or self.scope.new_sites else NO_OLD_HOSTS
        if need == "sitemap-file":
            files = [a for _, a in graph.nodes(data=True) if "sitemap" in a]
            refs = [r for r in graph.graph.get("sitemap_refs", ()) if r.source != "probe"]
            return None if files or refs else NO_SITEMAP
        if not self.scope.new_sites:
            return NO_NEW_SITE
        if need in ("sitemap", "sitemap-read"):
            if not self.discover and not self.sitemaps_given:
                return NO_DISCOVERY
            files = [a["sitemap"] for _, a in graph.nodes(data=True) if "sitemap" in a]
            refs = [r for r in graph.graph.get("sitemap_refs", ()) if not r.old]
            new_files = [f for f in files if not f.old]
            if need == "sitemap" and not new_files and all(r.source == "probe" for r in refs):
                return NO_SITEMAP
            if need == "sitemap-read" and not any(f.readable for f in new_files):
                named = [r for r in refs if r.source != "probe"]
                return NO_SITEMAP_READ if named or new_files else NO_SITEMAP
        return None


def context(
    options: SiteOptions, scope: SiteScope, records: SiteRecords, legacy: Iterable[LegacyURL]
) -> SiteContext:
    """The rules' view of the stage."""
    _, local_old = _split(options.old_sitemaps)
    old_files = {normalize(p) for p in local_old} | {p for p in local_old}
    old_urls = {normalize(item.url) for item in legacy if item.origin.file in old_files} | {
        normalize(e.loc) for sm in records.sitemaps.values() if sm.old for e in sm.entries
    }
    return SiteContext(
        scope=scope,
        robots=options.robots,
        discover=options.discover,
        sitemaps_given=bool(options.sitemaps),
        crawl=bool(options.crawl),
        variants=options.variants,
        old_sitemaps=bool(options.old_sitemaps),
        old_sitemap_urls=frozenset(old_urls),
    )


def annotate(
    graph: nx.MultiDiGraph,
    records: SiteRecords,
    legacy: Iterable[LegacyURL],
    chains: Mapping[str, Chain],
) -> None:
    """Put the new site's side into the graph (node kinds, edges, robots, sitemap refs)."""
    add_page_relations(graph)
    for item in legacy:
        mark(graph, item.url, LEGACY)
    for c in chains.values():
        if c.final is not None:
            mark(graph, c.final.url, FINAL)
    for sm in records.sitemaps.values():
        mark(graph, sm.url, SITEMAP, sitemap=sm)
        for e in sm.entries:
            if graph.get_edge_data(sm.url, e.loc, key=LISTED) is None:
                graph.add_edge(sm.url, e.loc, key=LISTED, line=e.line)
            if sm.old or sm.is_index:
                continue
            mark(graph, e.loc, SITEMAP_ENTRY)
            for lang, href in e.alternates:
                add_hreflang(graph, e.loc, href, lang, "sitemap")
    for url, depth in records.crawled.items():
        mark(graph, url, CRAWLED, depth=depth)
    graph.graph["robots"] = dict(records.robots)
    graph.graph["sitemap_refs"] = records.refs


def notes(records: SiteRecords, scope: SiteScope) -> dict[str, Any]:
    """What the stage did, for the run metadata (shown with the report's inputs)."""
    files = list(records.sitemaps.values())
    return {
        "new_sites": list(scope.new_sites),
        "old_sites": list(scope.old_sites),
        "staging_hosts": list(scope.staging_hosts),
        "robots_txt": sorted(records.robots),
        "sitemaps": [
            {
                "url": f.url,
                "old": f.old,
                "format": f.format,
                "urls": f.count,
                "unfetched": f.unfetched,
                "truncated": f.truncated,
            }
            for f in files
        ],
        "crawled_pages": len(records.crawled),
    }


# -- what the pipeline calls ------------------------------------------------------------------


@dataclass(frozen=True)
class SiteRun:
    """The new-site stage of one run, as the judge needs it: the options and the records."""

    options: SiteOptions
    records: SiteRecords = field(default_factory=SiteRecords)


def prepare(
    run_dir: Path, options: SiteOptions, rules: Sequence[RedirectRule], legacy: Sequence[LegacyURL]
) -> SiteScope:
    """Before the crawl: plan the stage and write its job into the run directory."""
    job, scope = plan(options, rules, legacy)
    start_run(Path(run_dir), job)
    return scope


def all_legacy(site: SiteRun, legacy: Sequence[LegacyURL]) -> tuple[LegacyURL, ...]:
    """The legacy URLs to judge: the inputs' and those of fetched legacy sitemaps."""
    return tuple(legacy) + remote_old_legacy(site.records, legacy)


def attach(
    site: SiteRun,
    graph: nx.MultiDiGraph,
    rules: Sequence[RedirectRule],
    legacy: Sequence[LegacyURL],
    chains: Mapping[str, Chain],
) -> tuple[SiteContext, dict[str, Any]]:
    """After the crawl: annotate the graph; the rules' context and the run notes."""
    _, scope = plan(site.options, rules, legacy)
    annotate(graph, site.records, legacy, chains)
    return context(site.options, scope, site.records, legacy), notes(site.records, scope)


# -- sample_maps cases: the options a scenario is audited with --------------------------------

CASE_FILE = "audit.json"
_CASE_LISTS = {"sitemap", "old_sitemap", "crawl", "new_host", "staging_host"}
_CASE_FLAGS = {"variants", "no_robots", "no_sitemap_discovery"}
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
    return out


def options_from_dict(data: Any) -> SiteOptions | None:
    """SiteOptions from their saved form (``dataclasses.asdict``; lists for tuples); None
    when ``data`` holds none."""
    if not isinstance(data, dict):
        return None
    names = {f for f in SiteOptions.__dataclass_fields__}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    try:
        return SiteOptions(**values)
    except TypeError:
        return None


def saved_options(run_dir: Path) -> SiteOptions | None:
    """The new-site options a run was started with (``inputs.json``'s request), for a resume
    that does not give them again."""
    try:
        data = json.loads((Path(run_dir) / "inputs.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    request = data.get("request") if isinstance(data, dict) else None
    return options_from_dict(request.get("site") if isinstance(request, dict) else None)

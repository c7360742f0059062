"""Before the crawl: which hosts are the new site, the old site and staging (:class:`SiteScope`),
the crawl's :class:`~migrationaudit.newsite.job.SiteJob`, and the legacy URLs that local legacy
sitemaps add."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from migrationaudit.errors import ConfigError, InputError
from migrationaudit.inputs.sitemaps import read_sitemap_file
from migrationaudit.models.inputs import LegacyURL, Origin, RedirectRule
from migrationaudit.newsite.job import SiteJob
from migrationaudit.newsite.records import SiteRun, remote_old_legacy
from migrationaudit.newsite.variants import site_of
from migrationaudit.rundir.layout import SITE_RECORDS_FILE as RECORDS_FILE
from migrationaudit.settings import SiteOptions
from migrationaudit.web.urls import host_of, is_http, normalize


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

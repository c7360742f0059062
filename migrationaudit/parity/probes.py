"""Catch-all probes: for every old and new host (and the busiest top-level directories of the
legacy URLs), a few random URLs that cannot exist. A healthy site answers them 404 or 410; a
site that redirects them (everything to the home page) or answers 200 makes every unmapped
URL look fine in a crawl while search engines see soft 404s.

The probes are crawled like legacy URLs (the audit's own crawl machinery, in a run folder of
their own) and their outcomes logged in the run folder (``probes.jsonl``), where judging a
saved or resumed run finds them again."""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from migrationaudit.models.hops import Chain
from migrationaudit.models.inputs import LegacyURL, RedirectRule
from migrationaudit.rundir.layout import PROBES_FILE, write_or_fail
from migrationaudit.settings import SiteOptions
from migrationaudit.web.urls import is_http

PROBES_PER_SCOPE = 2  # random URLs requested per host or directory
MAX_PROBE_DIRS = 20  # top-level directories probed (the ones with most legacy URLs)
PROBE_PREFIX = "migrationaudit-probe-"  # a path segment no site has


@dataclass(frozen=True, slots=True)
class Probe:
    """One random URL of a probed ``scope`` (an origin ``https://h/`` or a directory
    ``https://h/blog/``) and how it answered."""

    scope: str
    url: str
    status: int | None  # the final answer's status (None: no answer)
    final_url: str | None
    redirected: bool  # the probe was redirected at least once

    @property
    def catch_all(self) -> bool:
        """Redirected somewhere that answers (a catch-all redirect)."""
        return self.redirected and self.status is not None and self.status < 400

    @property
    def soft_404(self) -> bool:
        """Answered 2xx at its own URL."""
        return not self.redirected and self.status is not None and 200 <= self.status < 300


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not is_http(url) or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}/"


def probe_scopes(
    legacy: Iterable[LegacyURL], rules: Iterable[RedirectRule], site: SiteOptions
) -> list[str]:
    """The origins of the legacy URLs, of the map's targets and of the new site's inputs, then
    the top-level directories of the legacy URLs (those with most URLs first, at most
    :data:`MAX_PROBE_DIRS`)."""
    scopes: dict[str, None] = {}
    dirs: Counter[str] = Counter()
    for item in legacy:
        origin = _origin(item.url)
        if origin is None:
            continue
        scopes.setdefault(origin, None)
        segments = urlsplit(item.url).path.split("/")
        if len(segments) > 2 and segments[1]:  # /dir/more: a directory
            dirs[f"{origin}{segments[1]}/"] += 1
    new = [r.expected_target for r in rules if r.expected_target]
    for url in (*new, *site.crawl, *site.sitemaps):
        origin = _origin(url)
        if origin is not None:
            scopes.setdefault(origin, None)
    for directory, _ in sorted(dirs.items(), key=lambda d: (-d[1], d[0]))[:MAX_PROBE_DIRS]:
        scopes.setdefault(directory, None)
    return list(scopes)


def probe_urls(scopes: Iterable[str], per_scope: int = PROBES_PER_SCOPE) -> list[tuple[str, str]]:
    """(scope, random URL under it) pairs: ``per_scope`` URLs that cannot exist per scope."""
    return [
        (scope, f"{scope}{PROBE_PREFIX}{secrets.token_hex(6)}")
        for scope in scopes
        for _ in range(per_scope)
    ]


def probes_of(urls: Iterable[tuple[str, str]], chains: Mapping[str, Chain]) -> Iterator[Probe]:
    """Each probe's outcome from its chain."""
    for scope, url in urls:
        chain = chains.get(url)
        final = chain.final if chain is not None else None
        yield Probe(
            scope=scope,
            url=url,
            status=final.status if final is not None else None,
            final_url=final.url if final is not None else None,
            redirected=bool(chain is not None and chain.hop_count),
        )


def write_probes(run_dir: Path, probes: Iterable[Probe]) -> None:
    """Log the probes in the run folder (``probes.jsonl``)."""
    text = "".join(json.dumps(asdict(p), separators=(",", ":")) + "\n" for p in probes)
    write_or_fail(Path(run_dir) / PROBES_FILE, text)


def read_probes(run_dir: Path) -> tuple[Probe, ...] | None:
    """The probes logged in the run folder; None when none were requested."""
    path = Path(run_dir) / PROBES_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    out: list[Probe] = []
    for line in lines:
        try:
            d: dict[str, Any] = json.loads(line)
            out.append(Probe(**d))
        except (ValueError, TypeError):
            continue  # a damaged line is a probe less, never a failed report
    return tuple(out)

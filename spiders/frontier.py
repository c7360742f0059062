"""The once-per-URL frontier of a hop crawl, the progress of legacy chains, and records mapped
back from staging hosts to production terms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from migrationaudit.models.hops import Hop
from migrationaudit.settings import (
    MAX_HOPS,
)
from migrationaudit.web.access import HostRewriter


class Frontier:
    """Which URLs to fetch: each once, and only while ``depth <= max_hops``.

    depth = redirects followed from a seed. A URL keeps the minimum depth it was reached
    at; when a recorded URL is reached again lower, the new depths flow down its recorded
    targets, so a target that an earlier, longer chain cut off is fetched after all."""

    def __init__(self, max_hops: int = MAX_HOPS) -> None:
        self.max_hops = max_hops
        self.depth: dict[str, int] = {}  # every URL that will be (or was) fetched
        self.onward: dict[str, str] = {}  # recorded URL → its redirect target

    def reach(self, url: str, depth: int) -> list[str]:
        """``url`` was reached at ``depth``: the URLs to fetch now (new ones only)."""
        new: list[str] = []
        stack = [(url, depth)]
        while stack:
            u, d = stack.pop()
            if d > self.max_hops:
                continue
            old = self.depth.get(u)
            if old is not None and old <= d:
                continue
            self.depth[u] = d
            if old is None:
                new.append(u)
            elif u in self.onward:
                stack.append((self.onward[u], d + 1))
            # else: in flight; its answer will read the lowered depth
        return new

    def done(self, url: str, target: str | None) -> list[str]:
        """``url`` was recorded, redirecting to ``target``: the URLs to fetch now."""
        if target is None:
            return []
        self.onward[url] = target
        return self.reach(target, self.depth.get(url, 0) + 1)



class ChainProgress:
    """How many legacy URLs have a finished chain: it reached an answer that does not
    redirect, or went past ``max_hops`` (a loop does too, eventually). A seed whose chain
    waits on a URL not recorded yet waits in ``waiting`` (keyed by that URL).

    ``onward`` is the Frontier's map of recorded redirects (shared, not copied)."""

    def __init__(self, onward: Mapping[str, str], max_hops: int = MAX_HOPS) -> None:
        self.onward = onward
        self.max_hops = max_hops
        self.recorded: set[str] = set()
        self.waiting: dict[str, list[int]] = {}
        self.done = 0

    def seed(self, url: str) -> None:
        """A legacy URL starts its chain (depth 0)."""
        self._advance(url, 0)

    def record(self, url: str) -> None:
        """``url`` was recorded (its redirect target, if any, is already in ``onward``)."""
        self.recorded.add(url)
        for depth in self.waiting.pop(url, ()):
            self._advance(url, depth)

    def _advance(self, url: str, depth: int) -> None:
        while True:
            if depth > self.max_hops:
                self.done += 1  # hop limit (or a loop walked round past it)
                return
            if url not in self.recorded:
                self.waiting.setdefault(url, []).append(depth)
                return
            target = self.onward.get(url)
            if target is None:
                self.done += 1
                return
            url, depth = target, depth + 1



def map_back(hop: Hop, rewriter: HostRewriter) -> Hop:
    """A record of a rewritten request in production terms: target, Location, canonicals,
    hreflang alternates and links that name the staging host name the production host
    instead (``headers`` keep the raw answer)."""
    page = hop.page
    if page is not None:
        back = rewriter.back
        page = replace(
            page,
            canonical=rewriter.back_optional(page.canonical),
            canonical_header=rewriter.back_optional(page.canonical_header),
            hreflang=tuple((lang, back(href)) for lang, href in page.hreflang),
            links=tuple(back(u) for u in page.links) if page.links is not None else None,
        )
    return replace(
        hop,
        url=rewriter.back(hop.url),
        target=rewriter.back_optional(hop.target),
        location=rewriter.back_optional(hop.location),
        page=page,
    )

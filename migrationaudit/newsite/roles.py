"""Why the new site's side wants a URL (its *roles*, kept along redirects until the chain ends)
and what it keeps of a page it expands."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    kind: str  # robots | sitemap | expand | legacy | crawl | ref | variant
    requested: str = ""  # robots: the robots.txt URL asked for; sitemap: the URL named
    old: bool = False  # sitemap: a legacy sitemap
    depth: int = 0  # sitemap: index nesting; crawl: clicks from a start page
    ancestors: tuple[str, ...] = ()  # sitemap: the indexes above (normalised), for loops
    source: str = ""  # sitemap: cli | robots | index | probe



BODY_ROLES = frozenset({"robots", "sitemap"})



@dataclass
class Page:
    """What a recorded healthy new-site page says (kept for roles that reach it later)."""

    canonical: str | None
    hreflang: tuple[str, ...]
    links: tuple[str, ...] | None

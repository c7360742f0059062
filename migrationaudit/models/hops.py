"""What the crawl records: one :class:`Hop` per fetched URL (with a page's facts), its kind, and
the :class:`Chain` of a legacy URL with its outcome."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class HopKind(str, Enum):
    """How one fetched URL answered."""

    HTTP_REDIRECT = "http-redirect"  # 3xx with a usable Location
    META_REFRESH = "meta-refresh"  # a page whose <meta http-equiv=refresh> sends elsewhere
    FINAL = "final"  # any other answer: the chain ends here
    NETWORK_ERROR = "network-error"  # no HTTP answer (DNS, refused, timeout, TLS, bad scheme)
    OFFSITE = "offsite"  # not requested: the URL is outside the audit's scope (``error`` says why)

    def __str__(self) -> str:
        return self.value


# Value → HopKind: a dict lookup per record read instead of the enum's call.
_KINDS: dict[str, HopKind] = {k.value: k for k in HopKind}


class Outcome(str, Enum):
    """How a chain from a legacy URL ended."""

    FINAL = "final"  # reached a non-redirecting answer (any status)
    ERROR = "error"  # reached a network error
    LOOP = "loop"  # revisited a URL
    HOP_LIMIT = "hop-limit"  # more than max_hops redirects
    INCOMPLETE = "incomplete"  # a hop was never fetched (interrupted crawl)
    OFFSITE = "offsite"  # left the audit's scope: the last hop was recorded, not requested

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What a non-redirecting page says about itself (HTML head and headers)."""

    content_type: str | None = None
    title: str | None = None
    canonical: str | None = None  # <link rel=canonical>, resolved to an absolute URL
    canonical_header: str | None = None  # Link: <...>; rel="canonical", resolved
    meta_robots: str | None = None  # content of <meta name=robots|googlebot>
    x_robots_tag: str | None = None  # X-Robots-Tag header value(s)
    meta_refresh: str | None = None  # raw content of <meta http-equiv=refresh>
    # hreflang alternates as (language, absolute URL): <link rel=alternate hreflang> in the
    # head, then Link: <...>; rel="alternate"; hreflang="..." headers (added; () when none).
    hreflang: tuple[tuple[str, str], ...] = ()
    # <a href> / <area href> targets, absolute, fragment dropped, in page order, deduplicated;
    # None when links were not collected (only pages of a --crawl'ed site are read for them).
    links: tuple[str, ...] | None = None
    # What the page says in its body, read only when a crawl asks for page text (a
    # ``snapshot``, an ``audit --snapshot``): its <h1>s, meta description, <html lang>,
    # JSON-LD @types, word count, <a href> count and a 128-bit simhash of its text (32 hex
    # digits) for similarity (see migrationaudit.parity). Defaults: not read.
    h1: tuple[str, ...] = ()
    description: str | None = None
    lang: str | None = None
    jsonld_types: tuple[str, ...] = ()
    word_count: int | None = None
    link_count: int | None = None
    fingerprint: str | None = None

    @property
    def canonical_url(self) -> str | None:
        """The effective canonical: the HTML one, else the Link header one."""
        return self.canonical or self.canonical_header

    @property
    def noindex(self) -> bool:
        for value in (self.meta_robots, self.x_robots_tag):
            if value:
                tokens = {t.strip().lower() for t in value.replace(";", ",").split(",")}
                # X-Robots-Tag may be "googlebot: noindex"
                tokens |= {t.split(":", 1)[-1].strip() for t in tokens}
                if "noindex" in tokens or "none" in tokens:
                    return True
        return False

    def to_dict(self) -> dict[str, Any]:
        return {
            "content_type": self.content_type,
            "title": self.title,
            "canonical": self.canonical,
            "canonical_header": self.canonical_header,
            "meta_robots": self.meta_robots,
            "x_robots_tag": self.x_robots_tag,
            "meta_refresh": self.meta_refresh,
            # Added keys only when set: hop records of a plain audit keep their shape.
            **({"hreflang": [list(p) for p in self.hreflang]} if self.hreflang else {}),
            **({"links": list(self.links)} if self.links is not None else {}),
            **self.text_dict(),
        }

    def text_dict(self) -> dict[str, Any]:
        """The body facts that were read (none of a plain audit's records)."""
        out: dict[str, Any] = {}
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None and value != ():
                out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PageFacts:
        plain = {k: d.get(k) for k in _PLAIN_PAGE_FIELDS}
        links = d.get("links")
        hreflang = d.get("hreflang")
        h1 = d.get("h1")
        types = d.get("jsonld_types")
        # The tuple fields are empty in most records: no generator is made for them then.
        return cls(
            **plain,
            hreflang=tuple((str(a), str(b)) for a, b in hreflang) if hreflang else (),
            links=tuple(str(u) for u in links) if links is not None else None,
            h1=tuple(str(h) for h in h1) if h1 else (),
            jsonld_types=tuple(str(t) for t in types) if types else (),
        )


# PageFacts fields a record holds as they are (the others are lists there, tuples here).
_TUPLE_PAGE_FIELDS = ("hreflang", "links", "h1", "jsonld_types")
_PLAIN_PAGE_FIELDS = tuple(k for k in PageFacts.__dataclass_fields__ if k not in _TUPLE_PAGE_FIELDS)


# PageFacts fields read from a page's body (PageFacts.text_dict).
_TEXT_FIELDS = (
    "h1",
    "description",
    "lang",
    "jsonld_types",
    "word_count",
    "link_count",
    "fingerprint",
)


@dataclass(frozen=True, slots=True)
class Hop:
    """One fetch of one URL: the unit the crawl records and streams to disk.

    Each distinct URL is fetched once per run, so a Hop is also a node of the redirect graph.
    ``location`` is the raw Location header; ``target`` the absolute URL of the next hop
    (from Location or a meta refresh), None when the chain ends here. A failure on the
    audited site is data: ``kind`` is network-error and ``error`` says what happened.
    """

    url: str
    status: int | None
    kind: HopKind
    location: str | None = None
    target: str | None = None
    error: str | None = None
    elapsed_ms: float = 0.0
    headers: Mapping[str, str] = field(default_factory=dict)
    page: PageFacts | None = None
    # How browsers (WHATWG URL) and RFC 3986 disagree about ``location`` (backslashes,
    # control characters, several Location headers...); ``target`` follows the browsers.
    ambiguity: str | None = None
    # The body was not read whole: "truncated" (over the cap for its kind of fetch),
    # "dataloss" (the server broke off before Content-Length / the last chunk),
    # "undecodable" (its Content-Encoding could not be decoded). None: read whole.
    body: str | None = None
    # Added for the after-launch checks (``cache-control`` is in ``headers`` already): the
    # Expires header (how long a permanent redirect may be cached) and Strict-Transport-Security
    # (HSTS), as received; None when absent.
    expires: str | None = None
    hsts: str | None = None

    @property
    def is_redirect(self) -> bool:
        return self.kind in (HopKind.HTTP_REDIRECT, HopKind.META_REFRESH) and bool(self.target)

    @property
    def is_healthy(self) -> bool:
        """A final answer a user and a crawler are happy to land on (2xx, no error)."""
        return (
            self.kind is HopKind.FINAL
            and self.error is None
            and self.status is not None
            and 200 <= self.status < 300
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "kind": self.kind.value,
            "location": self.location,
            "target": self.target,
            "error": self.error,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "headers": dict(self.headers),
            "page": self.page.to_dict() if self.page else None,
            # Only when set: hop records of ordinary runs keep their shape.
            **({"ambiguity": self.ambiguity} if self.ambiguity is not None else {}),
            **({"body": self.body} if self.body is not None else {}),
            **({"expires": self.expires} if self.expires is not None else {}),
            **({"hsts": self.hsts} if self.hsts is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Hop:
        page = d.get("page")
        return cls(
            url=d["url"],
            status=d.get("status"),
            kind=_KINDS.get(d["kind"]) or HopKind(d["kind"]),
            location=d.get("location"),
            target=d.get("target"),
            error=d.get("error"),
            elapsed_ms=float(d.get("elapsed_ms") or 0.0),
            headers=dict(d.get("headers") or {}),
            page=PageFacts.from_dict(page) if page else None,
            ambiguity=d.get("ambiguity"),
            body=d.get("body"),
            expires=d.get("expires"),
            hsts=d.get("hsts"),
        )


@dataclass(frozen=True, slots=True)
class Chain:
    """The path a legacy URL takes: every Hop in order, and how it ended.

    For FINAL/ERROR the last hop is the answer; for LOOP the path stops at the first revisit
    (``loop_at`` names the revisited URL); for HOP_LIMIT it holds max_hops + 1 fetches;
    for INCOMPLETE ``hops`` ends before the unfetched URL ``missing``.
    """

    start: str
    hops: tuple[Hop, ...]
    outcome: Outcome
    loop_at: str | None = None
    missing: str | None = None

    @property
    def last(self) -> Hop | None:
        return self.hops[-1] if self.hops else None

    @property
    def final(self) -> Hop | None:
        """The answering hop when the chain ended on one (FINAL or ERROR), else None."""
        if self.outcome in (Outcome.FINAL, Outcome.ERROR) and self.hops:
            return self.hops[-1]
        return None

    @property
    def final_url(self) -> str | None:
        f = self.final
        return f.url if f else None

    @property
    def final_status(self) -> int | None:
        f = self.final
        return f.status if f else None

    @property
    def redirects(self) -> tuple[Hop, ...]:
        """The hops that sent the client elsewhere (HTTP redirects and meta refreshes)."""
        return tuple(h for h in self.hops if h.is_redirect)

    @property
    def hop_count(self) -> int:
        return len(self.redirects)

    def path_text(self) -> str:
        """``a --301--> b --302--> c [200]`` (loops end in ``[loop]``): :func:`path_text`."""
        return path_text(self.hops, self)


def path_text(hops: Sequence[Hop], chain: Chain | None = None) -> str:
    """A hop path as one line of text, the one renderer of every text output.

    ``a --301--> b --302--> c [200]``. With the ``chain`` the hops are the path of, its
    outcome ends the line (``[loop]``, ``[hop limit]``, ``[not fetched]``, the final answer
    with its body state); a bare hop sequence (a finding's evidence) ends with the last
    redirect's target, or the last answer's status or error."""
    parts: list[str] = []
    for h in hops:
        parts.append(h.url)
        if h.is_redirect:
            label = "meta" if h.kind is HopKind.META_REFRESH else str(h.status)
            parts.append(f"--{label}-->")
    outcome = chain.outcome if chain is not None else None
    if outcome is Outcome.LOOP and chain is not None and chain.loop_at:
        parts.append(f"{chain.loop_at} [loop]")
    elif outcome is Outcome.HOP_LIMIT:
        parts.append("[hop limit]")
    elif outcome is Outcome.INCOMPLETE and chain is not None:
        parts.append(f"{chain.missing} [not fetched]")
    elif outcome is Outcome.OFFSITE:
        parts.append("[offsite: not requested]")
    elif hops:
        last = hops[-1]
        if chain is None and last.is_redirect:
            parts.append(str(last.target))
        elif chain is None:
            parts.append(f"[{last.status}]" if last.error is None else f"[{last.error}]")
        else:
            text = str(last.status) if last.error is None else last.error
            parts.append(f"[{text}; body {last.body}]" if last.body else f"[{text}]")
    return " ".join(parts)

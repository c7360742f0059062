"""robots.txt, read the way Googlebot reads it (Protego, Scrapy's own parser, underneath).

What a fetch of ``/robots.txt`` means depends on how it ended (Google's documented rules):
a 2xx answer is parsed (its first 500 KiB); a 4xx other than 429 means "no rules, everything
allowed"; a 5xx or 429 means "everything disallowed" (Google stops crawling the host); no
answer at all (DNS, refused, timeout) leaves the question open (None).

The audit asks two user agents: ``Googlebot`` (which falls back to the ``*`` group when the
file has no group of its own) and ``*`` (every crawler without a group of its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from migrationaudit.settings import ROBOTS_MAX_BYTES

AGENTS = ("Googlebot", "*")
# A path no site serves: "/" and this both disallowed means the whole host is.
_PROBE_PATH = "/migrationaudit-robots-probe/page.html"


def robots_url(url: str) -> str | None:
    """The robots.txt URL governing ``url`` (its scheme, host and port); None when ``url`` is
    not an absolute http(s) URL."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    netloc = parts.netloc.rpartition("@")[2].lower()
    return urlunsplit((parts.scheme.lower(), netloc, "/robots.txt", "", ""))


def decode_robots(body: bytes) -> str:
    """The text Google reads: the first 500 KiB, UTF-8 (undecodable bytes replaced)."""
    return body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")


@dataclass(frozen=True)
class RobotsTxt:
    """The robots.txt that applies to one host: where it was read (``url``, after redirects),
    how it answered (``status``; None for no answer) and its text (2xx answers only).
    Anything else that ends the fetch (an invalid redirect, a loop, too many redirects) counts
    as "not found", as Google treats it."""

    url: str
    status: int | None
    text: str | None = None
    error: str | None = None
    _parser: Protego | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_answer(
        cls, url: str, status: int | None, text: str | None, error: str | None = None
    ) -> RobotsTxt:
        parser = None
        if status is not None and 200 <= status < 300 and error is None:
            parser = Protego.parse(text or "")
        return cls(url, status, text, error, parser)

    @property
    def state(self) -> str:
        """``"rules"`` (parsed), ``"allow-all"`` (4xx), ``"disallow-all"`` (5xx / 429) or
        ``"unknown"`` (no answer)."""
        if self._parser is not None:
            return "rules"
        if self.status is None:
            return "unknown"
        if self.status == 429 or self.status >= 500:
            return "disallow-all"
        return "allow-all"

    def allows(self, url: str, agent: str) -> bool | None:
        """Whether ``agent`` may fetch ``url``; None when the file gave no answer."""
        state = self.state
        if state == "rules":
            assert self._parser is not None
            return bool(self._parser.can_fetch(url, agent))
        if state == "unknown":
            return None
        return state == "allow-all"

    def blocked_for(self, url: str) -> tuple[str, ...]:
        """The audited agents (Googlebot, ``*``) that may not fetch ``url``."""
        return tuple(a for a in AGENTS if self.allows(url, a) is False)

    def disallows_everything(self, origin_url: str) -> tuple[str, ...]:
        """The audited agents for which the whole host is off limits (``/`` and a path no site
        has are both disallowed), e.g. a staging ``Disallow: /`` left in place."""
        root = robots_url(origin_url)
        if root is None:
            return ()
        home = root[: -len("/robots.txt")] + "/"
        probe = root[: -len("/robots.txt")] + _PROBE_PATH
        return tuple(
            a for a in AGENTS if self.allows(home, a) is False and self.allows(probe, a) is False
        )

    @property
    def sitemaps(self) -> tuple[str, ...]:
        """``Sitemap:`` lines (absolute URLs as written), in file order."""
        if self._parser is None:
            return ()
        return tuple(str(s).strip() for s in self._parser.sitemaps if str(s).strip())

    def rule_text(self, url: str, agent: str) -> str:
        """A short description of why ``agent`` is blocked from ``url`` (for messages)."""
        if self.state == "disallow-all":
            return f"{self.url} answers {self.status}: crawlers treat the host as disallowed"
        return f"{self.url} disallows it for {agent}"

"""Every default in one place, and the option bundles handed from stage to stage."""

from __future__ import annotations

from dataclasses import dataclass, field

from migrationaudit import __version__
from migrationaudit.models.findings import Severity
from migrationaudit.web.access import ScopedHeader

MAX_HOPS = 10  # Googlebot follows at most 10 hops
HARD_MAX_HOPS = 20
CONCURRENCY = 16
PER_HOST_CONCURRENCY = 8
WORKERS = 0  # crawl processes; 0 = auto: one per CPU, at most one per WORKER_MIN_SEEDS seeds
WORKER_MIN_SEEDS = 1000  # auto: a process costs ~1 s to start, not worth it for fewer seeds
DELAY = 0.0  # seconds between requests to one host
TIMEOUT = 30.0  # seconds per request, including the body
RETRIES = 2  # for transient failures only (connection errors, timeouts, 502/503/504, 429)
RETRY_BACKOFF = 0.5  # seconds before the first retry, doubled for each further one
RETRY_AFTER_MAX = 120.0  # a 429/503 Retry-After longer than this is cut to this (seconds)
USER_AGENT = f"migrationaudit/{__version__} (redirect audit)"
FAIL_ON = Severity.ERROR
MANY_TO_ONE = 10  # more than this many legacy URLs into one non-home target is a funnel
OUT_DIR = "migration-report"
MAX_BODY = 5 * 1024 * 1024  # a page body larger than this is cut (facts come from the head)
REDIRECT_MAX_BODY = 64 * 1024  # a 3xx body is never worth more (kept for no rule)
MAX_RUNTIME = 0.0  # seconds the crawl may run (--max-runtime); 0 = no deadline

# Response headers kept on every hop record (lower-case names).
KEPT_HEADERS = (
    "location",
    "cache-control",
    "server",
    "via",
    "x-robots-tag",
    "link",
    "content-type",
    "refresh",
)


@dataclass(frozen=True)
class ConnectTo:
    """curl's ``--resolve HOST:PORT:ADDR`` / ``--connect-to HOST:PORT:ADDR:PORT2``:
    requests for HOST:PORT connect to ADDR:PORT2 (PORT2 = PORT for --resolve) while the URL,
    Host header and TLS SNI keep HOST."""

    host: str
    port: int
    addr: str
    connect_port: int

    @property
    def spec(self) -> str:
        """The ``--connect-to`` form, HOST:PORT:ADDR:PORT2 (always four parts)."""
        addr = f"[{self.addr}]" if ":" in self.addr else self.addr
        return f"{self.host}:{self.port}:{addr}:{self.connect_port}"

    def __str__(self) -> str:
        if self.connect_port == self.port:
            return f"{self.host}:{self.port}:{self.addr}"
        return f"{self.host}:{self.port}:{self.addr}:{self.connect_port}"


@dataclass(frozen=True)
class CrawlOptions:
    """What the crawl needs to know (serialised to the run directory's job.json)."""

    max_hops: int = MAX_HOPS
    concurrency: int = CONCURRENCY
    per_host_concurrency: int = PER_HOST_CONCURRENCY
    delay: float = DELAY
    timeout: float = TIMEOUT
    retries: int = RETRIES
    user_agent: str = USER_AGENT
    connect_to: tuple[ConnectTo, ...] = ()
    max_body: int = MAX_BODY
    scrapy_settings: tuple[tuple[str, str], ...] = ()
    rewrite_host: tuple[tuple[str, str], ...] = ()  # (OLD, NEW) pairs of --rewrite-host
    verify_tls: bool = True  # False: --insecure
    ca_bundle: str | None = None  # PEM file trusted on top of the system store
    retry_backoff: float = RETRY_BACKOFF
    retry_after_max: float = RETRY_AFTER_MAX
    # --max-runtime: the crawl stops cleanly this many seconds after it started (0 = never);
    # the run is then partial (exit 3) and --resume completes it.
    max_runtime: float = MAX_RUNTIME
    workers: int = WORKERS  # crawl processes over shards of the seeds (see crawl.plan_workers)
    # --auth / --header: secrets, so never serialised (crawl.options_to_dict drops them).
    headers: tuple[ScopedHeader, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class CheckOptions:
    """What the rules need to know besides the graph and the map."""

    max_hops: int = MAX_HOPS
    many_to_one: int = MANY_TO_ONE
    disabled: frozenset[str] = field(default_factory=frozenset)
    severity_overrides: tuple[tuple[str, Severity], ...] = ()
    # --parity-threshold NAME=VALUE: the parity rules' thresholds over PARITY_THRESHOLDS.
    parity_thresholds: tuple[tuple[str, float], ...] = ()

    def parity_threshold(self, name: str) -> float:
        """The threshold ``name`` of the parity rules (configured, else the default)."""
        return dict(self.parity_thresholds).get(name, PARITY_THRESHOLDS[name])


# -- content parity (audit --snapshot): below these similarities (0..1) a pair fails --
PARITY_THRESHOLDS: dict[str, float] = {
    "title": 0.6,  # parity-title: rapidfuzz token-set similarity of the titles
    "h1": 0.6,  # parity-h1: of the first old H1 and the closest new one
    "description": 0.5,  # parity-description: of the meta descriptions
    "content": 0.65,  # parity-content: simhash similarity of the texts (unrelated: ~0.5)
    "words": 0.5,  # parity-content: the new page keeps less than this share of the words
    "min-words": 30,  # parity-content: old pages with fewer words are not compared
}
PAGE_TEXT_SETTING = ("MIGRATIONAUDIT_PAGE_TEXT", "1")  # a crawl that reads page bodies too

# -- the new site's side (sitemaps, robots.txt, canonicals, links, hreflang, variants) --

SITEMAP_MAX_URLS = 50_000  # the sitemap protocol's ceiling per file: more is a finding
SITEMAP_MAX_BYTES = 50 * 1024 * 1024  # ... and per file, uncompressed: more is a finding
SITEMAP_MAX_DEPTH = 3  # sitemap index nesting followed (Google allows one level)
SITEMAP_FETCH_LIMIT = 100_000  # listed URLs fetched per run; the rest are counted, not fetched
ROBOTS_MAX_BYTES = 500 * 1024  # Google reads the first 500 KiB of a robots.txt
CRAWL_MAX_PAGES = 500  # pages of the new site whose links are followed (--max-pages)
CRAWL_DEPTH = 5  # clicks from a --crawl start page (--depth)
MAX_LINKS_PER_PAGE = 1000  # links kept per crawled page

# -- after launch: access logs (--access-log) and the watch (--compare-to, --notify) --
ACCESS_LOG_MAX_URLS = 1_000_000  # distinct URLs kept from the logs; later ones are counted only
ACCESS_LOG_MAX_LINE = 64 * 1024  # a longer log line is malformed, not parsed
NOTIFY_TIMEOUT = 10.0  # seconds per webhook attempt
NOTIFY_ATTEMPTS = 3  # webhook attempts (a 5xx, 429 or network error is retried)
NOTIFY_BACKOFF = 1.0  # seconds before the second attempt, doubled each time


@dataclass(frozen=True)
class SiteOptions:
    """What the new-site stage is asked to do (see :mod:`migrationaudit.newsite`).

    ``sitemaps``: new-site sitemaps, URLs or local files (``--sitemap``); ``old_sitemaps``:
    the legacy site's sitemaps, URLs or files (``--old-sitemap``), a source of legacy URLs;
    ``robots``: read the robots.txt of every audited host (``--no-robots``); ``discover``: look
    for the new site's sitemaps in its robots.txt ``Sitemap:`` lines and at ``/sitemap.xml``
    (``--no-sitemap-discovery``); ``crawl``: start pages of a
    crawl of the new site (``--crawl``); ``variants``: also request the scheme / host /
    trailing-slash variants of every legacy URL and the slash / case / index variants of the
    new pages (``--variants``); ``new_hosts`` / ``staging_hosts``: host names the rules treat
    as the new site / as a staging leak (``--new-host``, ``--staging-host``)."""

    sitemaps: tuple[str, ...] = ()
    old_sitemaps: tuple[str, ...] = ()
    robots: bool = True
    discover: bool = True
    crawl: tuple[str, ...] = ()
    max_pages: int = CRAWL_MAX_PAGES
    depth: int = CRAWL_DEPTH
    variants: bool = False
    new_hosts: tuple[str, ...] = ()
    staging_hosts: tuple[str, ...] = ()
    sitemap_fetch_limit: int = SITEMAP_FETCH_LIMIT
    # --catch-all-probes: request random URLs that cannot exist on each host (and top-level
    # directory) of the audit (catch-all-redirect, soft-404).
    catch_all_probes: bool = False

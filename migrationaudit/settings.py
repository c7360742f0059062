"""Every default in one place, and the option bundles handed from stage to stage."""

from __future__ import annotations

from dataclasses import dataclass, field

from migrationaudit import __version__
from migrationaudit.models import Severity

MAX_HOPS = 10  # Googlebot follows at most 10 hops
HARD_MAX_HOPS = 20
CONCURRENCY = 16
PER_HOST_CONCURRENCY = 8
DELAY = 0.0  # seconds between requests to one host
TIMEOUT = 30.0  # seconds per request, including the body
RETRIES = 2  # for transient failures only (connection errors, timeouts, 502/503/504, 429)
USER_AGENT = f"migrationaudit/{__version__} (redirect audit)"
FAIL_ON = Severity.ERROR
MANY_TO_ONE = 10  # more than this many legacy URLs into one non-home target is a funnel
OUT_DIR = "migration-report"
MAX_BODY = 5 * 1024 * 1024  # a page body larger than this is cut (facts come from the head)

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


@dataclass(frozen=True)
class CheckOptions:
    """What the rules need to know besides the graph and the map."""

    max_hops: int = MAX_HOPS
    many_to_one: int = MANY_TO_ONE
    disabled: frozenset[str] = field(default_factory=frozenset)
    severity_overrides: tuple[tuple[str, Severity], ...] = ()

"""What one audit is asked to do, as one typed value: the click-free request that the CLI and
the Python API both build (from flags, config and environment, or from keyword arguments) and
that every stage reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from migrationaudit.models import Severity
from migrationaudit.settings import FAIL_ON, OUT_DIR, CheckOptions, CrawlOptions, SiteOptions


@dataclass(frozen=True)
class AuditRequest:
    """Everything one audit run is asked to do."""

    maps: tuple[str, ...] = ()
    url_lists: tuple[str, ...] = ()
    base_url: str | None = None
    target_base_url: str | None = None
    out_dir: Path = Path(OUT_DIR)
    crawl: CrawlOptions = field(default_factory=CrawlOptions)
    checks: CheckOptions = field(default_factory=CheckOptions)
    fail_on: Severity = FAIL_ON
    formats: tuple[str, ...] | None = None  # None: every format
    map_format: str = "auto"  # auto | csv | netlify | amplify
    priority: tuple[str, ...] = ()  # link/traffic exports (--priority)
    priority_columns: tuple[tuple[str, str], ...] = ()  # (metric, header) (--priority-column)
    site: SiteOptions = field(default_factory=SiteOptions)  # the new site's side (issue 3)
    # --allow-host HOST[:PORT]: hosts the audit may request besides those the inputs name.
    allow_hosts: tuple[str, ...] = ()

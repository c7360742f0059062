"""What one audit is asked to do, as one typed value: the click-free request that the CLI and
the Python API both build (from flags, config and environment, or from keyword arguments) and
that every stage reads."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from migrationaudit import settings
from migrationaudit.errors import ConfigError
from migrationaudit.inputs.logformats import parse_field
from migrationaudit.inputs.priority import COLUMN_KEYS
from migrationaudit.models.findings import Severity
from migrationaudit.settings import (
    FAIL_ON,
    OUT_DIR,
    CheckOptions,
    ConnectTo,
    CrawlOptions,
    SiteOptions,
)
from migrationaudit.web.access import HostRewrite, parse_auth, parse_header


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
    map_format: str = "auto"  # auto | csv | a host format (migrationaudit.preflight.model.FORMATS)
    priority: tuple[str, ...] = ()  # link/traffic exports (--priority)
    priority_columns: tuple[tuple[str, str], ...] = ()  # (metric, header) (--priority-column)
    site: SiteOptions = field(default_factory=SiteOptions)  # the new site's side (issue 3)
    access_logs: tuple[str, ...] = ()  # server logs (--access-log), plain or .gz
    access_log_fields: tuple[tuple[str, str], ...] = ()  # (field, JSON name) (--access-log-field)
    crawler_ranges: tuple[str, ...] = ()  # published crawler address ranges (--crawler-ranges)
    launched: datetime | None = None  # the launch, midnight UTC (--launched DATE)
    # --allow-host HOST[:PORT]: hosts the audit may request besides those the inputs name.
    allow_hosts: tuple[str, ...] = ()
    # --snapshot FILE: the legacy pages' facts before cutover (migrationaudit snapshot).
    snapshot: str | None = None
    # --old-origin URL: the old site at a second address, fetched instead of a snapshot.
    old_origin: str | None = None


def parse_resolve(value: str) -> ConnectTo:
    """``HOST:PORT:ADDR`` (curl --resolve). ADDR may be ``[v6]``."""
    host, sep, rest = value.partition(":")
    port_s, sep2, addr = rest.partition(":")
    if not (host and sep and sep2 and addr and port_s.isdigit()):
        raise ValueError(
            f"{value!r}: expected HOST:PORT:ADDR, e.g. www.example.com:443:127.0.0.1"
        )
    port = int(port_s)
    if not 0 < port < 65536:
        raise ValueError(f"{value!r}: port {port} out of range")
    return ConnectTo(host=host.lower(), port=port, addr=addr.strip("[]"), connect_port=port)



def parse_connect_to(value: str) -> ConnectTo:
    """``HOST:PORT:ADDR:PORT2`` (curl --connect-to with every part given)."""
    parts = value.rsplit(":", 1)
    if len(parts) != 2 or not parts[1].isdigit():
        raise ValueError(
            f"{value!r}: expected HOST:PORT:ADDR:PORT2, e.g. www.example.com:443:127.0.0.1:8443"
        )
    base = parse_resolve(parts[0])
    port2 = int(parts[1])
    if not 0 < port2 < 65536:
        raise ValueError(f"{value!r}: port {port2} out of range")
    return ConnectTo(host=base.host, port=base.port, addr=base.addr, connect_port=port2)



def parse_severity(value: str) -> Severity:
    return Severity.parse(value)



def parse_severity_override(value: str) -> tuple[str, Severity | None]:
    rule_id, sep, level = value.partition("=")
    if not sep or not rule_id:
        raise ValueError(f"{value!r}: expected RULE=error|warning|notice|off")
    if level.strip().lower() == "off":
        return rule_id.strip(), None
    return rule_id.strip(), parse_severity(level)



def parse_scrapy_setting(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"{value!r}: expected KEY=VALUE")
    return key.strip(), val



def parse_priority_column(value: str) -> tuple[str, str]:
    metric, sep, header = value.partition("=")
    metric = metric.strip().lower().replace("-", "_")
    if not sep or not header.strip() or metric not in COLUMN_KEYS:
        raise ValueError(
            f"{value!r}: expected METRIC=HEADER, METRIC one of: {', '.join(COLUMN_KEYS)}"
        )
    return metric, header.strip()



def build_check_options(
    many_to_one: int,
    max_hops: int,
    disable: tuple[str, ...],
    severity: tuple[str, ...],
    known: set[str],
    parity_thresholds: tuple[str, ...] = (),
) -> CheckOptions:
    """The rules' options; ConfigError names rule ids that ``known`` (the registry's ids, which
    the caller hands over: this module never imports the rules) does not have."""
    disabled = set(disable)
    overrides: list[tuple[str, Severity]] = []
    for item in severity:
        rule_id, level = parse_severity_override(item)
        if level is None:
            disabled.add(rule_id)
        else:
            overrides.append((rule_id, level))
    unknown = sorted((disabled | {r for r, _ in overrides}) - known)
    if unknown:
        raise ConfigError(f"unknown rule id(s): {', '.join(unknown)} (see `migrationaudit rules`)")
    return CheckOptions(
        max_hops=max_hops,
        many_to_one=many_to_one,
        disabled=frozenset(disabled),
        severity_overrides=tuple(overrides),
        parity_thresholds=tuple(parse_parity_threshold(v) for v in parity_thresholds),
    )


def parse_parity_threshold(value: str) -> tuple[str, float]:
    """``NAME=VALUE`` of ``--parity-threshold`` (NAME one of settings.PARITY_THRESHOLDS)."""
    name, sep, number = value.partition("=")
    name = name.strip().lower()
    if not sep or name not in settings.PARITY_THRESHOLDS:
        names = ", ".join(settings.PARITY_THRESHOLDS)
        raise ValueError(f"{value!r}: expected NAME=VALUE, NAME one of: {names}")
    try:
        return name, float(number)
    except ValueError:
        raise ValueError(f"{value!r}: {number!r} is not a number") from None



def site_request(kw: Mapping[str, Any]) -> SiteOptions:
    """The new site's options of ``kw``."""
    return SiteOptions(
        sitemaps=tuple(kw.get("sitemaps", ())),
        old_sitemaps=tuple(kw.get("old_sitemaps", ())),
        robots=not kw.get("no_robots", False),
        discover=not kw.get("no_sitemap_discovery", False),
        crawl=tuple(kw.get("crawl_urls", ())),
        max_pages=kw.get("max_pages", settings.CRAWL_MAX_PAGES),
        depth=kw.get("depth", settings.CRAWL_DEPTH),
        variants=bool(kw.get("variants", False)),
        new_hosts=tuple(kw.get("new_hosts", ())),
        staging_hosts=tuple(kw.get("staging_hosts", ())),
        sitemap_fetch_limit=kw.get("max_sitemap_urls", settings.SITEMAP_FETCH_LIMIT),
        catch_all_probes=bool(kw.get("catch_all_probes", False)),
    )



def launch_time(value: Any) -> datetime | None:
    """``--launched`` (a date, or a datetime as click's DateTime gives it) as midnight UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def build_request(kw: Mapping[str, Any], known_rules: set[str]) -> AuditRequest:
    """The audit request of option values named as the CLI's parameters (``kw``: what click
    or the Python API's layering produced), defaults where one is missing. ConfigError (exit
    2) for a value that cannot be read, named as the option's own parser names it."""
    try:
        return _request(kw, known_rules)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _request(kw: Mapping[str, Any], known_rules: set[str]) -> AuditRequest:
    connect = tuple(parse_resolve(v) for v in kw.get("resolve", ())) + tuple(
        parse_connect_to(v) for v in kw.get("connect_to", ())
    )
    crawl = CrawlOptions(
        max_hops=kw.get("max_hops", settings.MAX_HOPS),
        concurrency=kw.get("concurrency", settings.CONCURRENCY),
        per_host_concurrency=kw.get("per_host_concurrency", settings.PER_HOST_CONCURRENCY),
        delay=kw.get("delay", settings.DELAY),
        timeout=kw.get("timeout", settings.TIMEOUT),
        retries=kw.get("retries", settings.RETRIES),
        max_runtime=kw.get("max_runtime") or settings.MAX_RUNTIME,
        workers=kw.get("workers", settings.WORKERS),
        user_agent=kw.get("user_agent", settings.USER_AGENT),
        connect_to=connect,
        scrapy_settings=tuple(parse_scrapy_setting(v) for v in kw.get("scrapy_settings", ())),
        rewrite_host=tuple(
            (str(r.old), str(r.new))
            for r in (HostRewrite.parse(v) for v in kw.get("rewrite_host", ()))
        ),
        verify_tls=not kw.get("insecure", False),
        # Absolute: a --resume from another folder must find it again (job.json keeps it).
        ca_bundle=os.path.abspath(kw["ca_bundle"]) if kw.get("ca_bundle") else None,
        headers=tuple(parse_auth(v) for v in kw.get("auth", ()))
        + tuple(parse_header(v) for v in kw.get("headers", ())),
    )
    checks = build_check_options(
        kw["many_to_one"],
        crawl.max_hops,
        kw["disable"],
        kw["severity"],
        known_rules,
        tuple(kw.get("parity_thresholds", ())),
    )
    snapshot = kw.get("snapshot")
    if snapshot and kw.get("old_origin"):
        raise ConfigError("--snapshot and --old-origin cannot be combined: give one")
    wants_text = snapshot or kw.get("old_origin")
    if wants_text and settings.PAGE_TEXT_SETTING not in crawl.scrapy_settings:
        # The final pages are compared with the snapshot's: their bodies are read too.
        crawl = replace(crawl, scrapy_settings=(*crawl.scrapy_settings, settings.PAGE_TEXT_SETTING))
    return AuditRequest(
        maps=tuple(kw["maps"]),
        url_lists=tuple(kw["url_lists"]),
        base_url=kw["base_url"],
        target_base_url=kw["target_base_url"],
        out_dir=kw["out_dir"],
        crawl=crawl,
        checks=checks,
        fail_on=Severity.parse(kw["fail_on"]),
        formats=tuple(kw["formats"]) or None,
        map_format=kw["map_format"],
        priority=tuple(kw.get("priority", ())),
        priority_columns=tuple(parse_priority_column(v) for v in kw.get("priority_columns", ())),
        site=site_request(kw),
        access_logs=tuple(kw.get("access_logs", ())),
        access_log_fields=tuple(parse_field(v) for v in kw.get("access_log_fields", ())),
        crawler_ranges=tuple(kw.get("crawler_ranges", ())),
        launched=launch_time(kw.get("launched")),
        allow_hosts=tuple(kw.get("allow_hosts", ())),
        snapshot=os.path.abspath(str(snapshot)) if snapshot else None,
        old_origin=kw.get("old_origin") or None,
    )

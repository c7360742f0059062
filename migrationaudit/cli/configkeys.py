"""Every configurable option once: its config key, environment variable and command parameter
(:data:`KEYS`), and the parameter types that check a value wherever it comes from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from migrationaudit.humanize import parse_duration

# How a key's file value becomes the option's command-line value(s).
if TYPE_CHECKING:  # click's ParamType is generic for type checkers (not subscriptable in 8.1)
    _ParamType = click.ParamType[Any, Any]
else:
    _ParamType = click.ParamType

ENV_PREFIX = "MIGRATIONAUDIT_"
PAIRS = "pairs"  # a table {k = v} → ["k=v", ...]



HEADERS = "headers"  # a table {Name = "value"} → ["Name: value", ...]



IGNORES = "ignores"  # an array of tables {rule, url, reason} → ["RULE URL REASON", ...]



@dataclass(frozen=True)
class Key:
    """One config key: its name in the file, the click parameter it sets, how a table value
    is turned into option values (``form``), and whether it names a file or folder."""

    name: str
    param: str
    form: str | None = None
    path: bool = False
    secret: bool = False  # `migrationaudit config` masks it

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper().replace("-", "_")



# The one table: config key → click parameter. Adding an option to the config is one line.
KEYS: tuple[Key, ...] = (
    # inputs
    Key("map", "maps", path=True),
    Key("urls", "url_lists", path=True),
    Key("map-format", "map_format"),
    Key("base-url", "base_url"),
    Key("target-base-url", "target_base_url"),
    Key("priority", "priority", path=True),
    Key("priority-column", "priority_columns", PAIRS),
    Key("access-log", "access_logs", path=True),
    Key("access-log-field", "access_log_fields", PAIRS),
    Key("crawler-ranges", "crawler_ranges", path=True),
    Key("launched", "launched"),
    Key("sitemap", "sitemaps", path=True),
    Key("old-sitemap", "old_sitemaps", path=True),
    Key("crawl", "crawl_urls"),
    Key("max-pages", "max_pages"),
    Key("depth", "depth"),
    Key("variants", "variants"),
    Key("new-host", "new_hosts"),
    Key("staging-host", "staging_hosts"),
    Key("no-robots", "no_robots"),
    Key("no-sitemap-discovery", "no_sitemap_discovery"),
    Key("max-sitemap-urls", "max_sitemap_urls"),
    # the crawl
    Key("resolve", "resolve"),
    Key("connect-to", "connect_to"),
    Key("max-hops", "max_hops"),
    Key("concurrency", "concurrency"),
    Key("per-host-concurrency", "per_host_concurrency"),
    Key("workers", "workers"),
    Key("delay", "delay"),
    Key("timeout", "timeout"),
    Key("retries", "retries"),
    Key("max-runtime", "max_runtime"),
    Key("user-agent", "user_agent"),
    Key("scrapy-setting", "scrapy_settings", PAIRS),
    # staging access and long runs (live once the options exist)
    Key("auth", "auth", secret=True),
    Key("header", "headers", HEADERS, secret=True),
    Key("ca-bundle", "ca_bundle", path=True),
    Key("insecure", "insecure"),
    Key("rewrite-host", "rewrite_host"),
    Key("allow-host", "allow_hosts"),
    # rules, the gate and outputs
    Key("many-to-one", "many_to_one"),
    Key("disable", "disable"),
    Key("severity", "severity", PAIRS),
    Key("fail-on", "fail_on"),
    Key("max", "budgets", PAIRS),
    Key("ignore", "ignores", IGNORES),
    Key("baseline", "baseline", path=True),
    Key("write-baseline", "write_baseline", path=True),
    Key("exit-zero", "exit_zero"),
    Key("out", "out_dir", path=True),
    Key("format", "formats"),
    Key("html-rows", "html_rows"),
    Key("fixes", "fixes"),
    # the watch after launch
    Key("compare-to", "compare_to", path=True),
    Key("history", "history", path=True),
    Key("history-keep", "history_keep"),
    Key("notify", "notify", secret=True),
    Key("notify-format", "notify_format"),
    Key("quiet", "quiet"),
    # distributed audits (--redis): the password in the URL is a secret
    Key("redis", "redis", secret=True),
    Key("local-workers", "local_workers"),
    Key("lease-timeout", "lease_timeout"),
    # content parity
    Key("snapshot", "snapshot", path=True),
    Key("parity-threshold", "parity_thresholds", PAIRS),
    Key("catch-all-probes", "catch_all_probes"),
    Key("accept-suggestions", "accept_suggestions"),
    Key("old-origin", "old_origin"),
)



BY_NAME = {k.name: k for k in KEYS}



BY_PARAM = {k.param: k for k in KEYS}



# Options that are deliberately not configurable (per-invocation only).
NOT_CONFIGURABLE = frozenset({"debug", "only_failed", "resume", "help"})



class Checked(_ParamType):
    """A text option checked by ``check`` (which raises ValueError or BadParameter); the text
    itself is kept, so the command parses it again where it is used."""

    def __init__(self, metavar: str, check: Callable[[str], object]) -> None:
        self.name = metavar
        self._metavar = metavar
        self._check = check

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return self._metavar

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            self.fail(f"{value!r}: expected text like {self._metavar}", param, ctx)
        try:
            self._check(value)
        except click.BadParameter as exc:
            self.fail(exc.message, param, ctx)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return value



class Duration(_ParamType):
    """A duration option (:func:`parse_duration`), converted to seconds (a float)."""

    name = "DURATION"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return parse_duration(value)
        except (ValueError, TypeError) as exc:
            self.fail(str(exc), param, ctx)

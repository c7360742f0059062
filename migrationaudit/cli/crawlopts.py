"""The crawl's command-line options (``audit``, ``demo``, ``snapshot``), and the declarations
of options that ``worker`` shares with them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from migrationaudit import settings
from migrationaudit.cli.configkeys import Checked, Duration
from migrationaudit.options import (
    parse_connect_to,
    parse_resolve,
    parse_scrapy_setting,
)
from migrationaudit.web.access import HostRewrite, parse_auth, parse_header
from migrationaudit.web.scope import parse_allow_host

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def option_group(*opts: Decorator) -> Decorator:
    """One decorator for ``opts``: a command shows them in the order given."""

    def apply(f: Callable[..., Any]) -> Callable[..., Any]:
        for opt in reversed(opts):
            f = opt(f)
        return f

    return apply


def checked_option(
    name: str, dest: str, metavar: str, check: Callable[[str], object], help: str, **kw: Any
) -> Decorator:
    """A repeatable option whose every value ``check`` accepts (``metavar``: its form)."""
    return click.option(
        name, dest, multiple=True, metavar=metavar, type=Checked(metavar, check), help=help, **kw
    )


def file_option(name: str, dest: str, help: str, **kw: Any) -> Decorator:
    """An option naming a file that exists."""
    return click.option(name, dest, type=click.Path(exists=True, dir_okay=False), help=help, **kw)


# How the sites are reached: options of the crawling commands and of ``worker`` (which says
# how they apply to one worker in its own words).


def resolve_option(
    help: str = "Connect to ADDR for HOST:PORT, keeping the host name in the URL, Host "
    "header and TLS SNI (curl semantics). Repeatable. Audit staging under "
    "production host names before DNS cutover.",
) -> Decorator:
    return checked_option("--resolve", "resolve", "HOST:PORT:ADDR", parse_resolve, help)


def connect_to_option(
    help: str = "Like --resolve, but also to another port (curl --connect-to). Repeatable.",
) -> Decorator:
    return checked_option(
        "--connect-to", "connect_to", "HOST:PORT:ADDR:PORT2", parse_connect_to, help
    )


def auth_option(
    help: str = "HTTP basic credentials, sent only to ORIGIN (scheme://host[:port]) or, "
    "without one, to the legacy URLs' origins; never to a host a redirect "
    "leads to. Never written to the run folder or reports. Repeatable.",
    **kw: Any,
) -> Decorator:
    return checked_option("--auth", "auth", "[ORIGIN=]USER:PASS", parse_auth, help, **kw)


def header_option(
    help: str = "Extra request header, scoped like --auth (e.g. a staging token). Repeatable.",
) -> Decorator:
    return checked_option("--header", "headers", "[ORIGIN=]'NAME: VALUE'", parse_header, help)


def ca_bundle_option(
    help: str = "Also trust the CA certificates of this PEM file (a private staging "
    "CA); the system store stays trusted.",
) -> Decorator:
    return file_option("--ca-bundle", "ca_bundle", help, metavar="FILE")


crawl_options = option_group(
    resolve_option(),
    connect_to_option(),
    click.option(
        "--max-hops",
        type=click.IntRange(1, settings.HARD_MAX_HOPS),
        default=settings.MAX_HOPS,
        show_default=True,
        help="Redirects followed per legacy URL before `hop-limit` (Googlebot: 10).",
    ),
    click.option(
        "--concurrency",
        type=click.IntRange(1, 512),
        default=settings.CONCURRENCY,
        show_default=True,
        help="Requests in flight in total.",
    ),
    click.option(
        "--per-host-concurrency",
        type=click.IntRange(1, 512),
        default=settings.PER_HOST_CONCURRENCY,
        show_default=True,
        help="Requests in flight per host.",
    ),
    click.option(
        "--workers",
        type=click.IntRange(0, 64),
        default=settings.WORKERS,
        show_default=True,
        help="Crawl processes sharing the legacy URLs (their limits divided so "
        "the totals hold). 0: one per CPU, for runs of at least "
        f"{settings.WORKER_MIN_SEEDS:,} URLs per process; 1: a single "
        "process. --delay and new-site sitemap or crawl work use one.",
    ),
    click.option(
        "--delay",
        type=click.FloatRange(0),
        default=settings.DELAY,
        show_default=True,
        help="Seconds between requests to one host.",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(0.1),
        default=settings.TIMEOUT,
        show_default=True,
        help="Seconds per request, body included.",
    ),
    click.option(
        "--retries",
        type=click.IntRange(0, 10),
        default=settings.RETRIES,
        show_default=True,
        help="Retries of transient failures (connection errors, timeouts, 429, "
        "502, 503, 504); never of other 4xx.",
    ),
    click.option(
        "--max-runtime",
        "max_runtime",
        type=Duration(),
        default=None,
        help="Stop the crawl cleanly after this long (90s, 15m, 2h or seconds): the "
        "report is written, marked partial, and the exit code is 3; --resume completes "
        "the run.",
    ),
    click.option(
        "--user-agent",
        default=settings.USER_AGENT,
        show_default=True,
        help="User-Agent header sent with every request.",
    ),
    checked_option(
        "--scrapy-setting",
        "scrapy_settings",
        "KEY=VALUE",
        parse_scrapy_setting,
        "Pass a Scrapy setting through (advanced). Repeatable.",
    ),
    checked_option(
        "--rewrite-host",
        "rewrite_host",
        "OLD=NEW",
        HostRewrite.parse,
        "Request URLs of host OLD on host NEW (e.g. staging) and report in "
        "OLD's terms: targets, Location and canonicals naming NEW are read as "
        "OLD. HOST, HOST:PORT or SCHEME://HOST[:PORT] on both sides. "
        "Repeatable.",
    ),
    checked_option(
        "--allow-host",
        "allow_hosts",
        "HOST[:PORT]",
        parse_allow_host,
        "Also request this host (on PORT, or its scheme's default ports), besides "
        "the hosts the inputs name; a redirect to any other host is recorded, not "
        "followed (offsite-redirect). Repeatable.",
    ),
    auth_option(),
    header_option(),
    ca_bundle_option(),
    click.option(
        "--insecure",
        "insecure",
        is_flag=True,
        help="Do not verify TLS certificates (self-signed staging); the report "
        "says verification was off.",
    ),
)
"""The crawl's options (``audit``, ``demo``, ``snapshot``)."""


def redis_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``audit --redis URL``: coordinate workers through Redis (docs/distributed.md)."""
    from migrationaudit.distributed.store import VISIBILITY_S, check_url

    return option_group(
        click.option(
            "--redis",
            "redis",
            metavar="URL",
            type=Checked("redis://[:PASSWORD@]HOST:PORT/DB", check_url),
            help="Coordinate a distributed audit through this Redis (redis:// or rediss://): "
            "the job is published there (never --auth/--header), workers started with "
            "`migrationaudit worker` fetch, this command gathers and judges.",
        ),
        click.option(
            "--local-workers",
            "local_workers",
            type=click.IntRange(0, 64),
            default=0,
            show_default=True,
            help="With --redis: also start N workers beside the coordinator.",
        ),
        click.option(
            "--lease-timeout",
            "lease_timeout",
            type=click.FloatRange(1),
            default=VISIBILITY_S,
            show_default=True,
            help="With --redis: seconds before a URL held by a worker that stopped (killed, "
            "lost) goes back to the frontier for another.",
        ),
    )(f)

"""The command line: the only module that prints, reads the environment or exits.

Exit codes: 0 = the audit finished and nothing is at or above ``--fail-on``; 1 = it finished and
the gate failed; 2 = it could not run (usage, configuration, input, crawl machinery); 3 = it is
incomplete (``--max-runtime`` stopped the crawl: partial report, resumable); 4 = an output or
the run's state could not be written (disk full, read-only folder).
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import click

from migrationaudit import __version__, settings
from migrationaudit.access import HostRewrite, parse_auth, parse_header
from migrationaudit.config import Checked, Duration, config_option
from migrationaudit.errors import ConfigError, MigrationAuditError, ReportError
from migrationaudit.models import AuditResult, Severity
from migrationaudit.progress import plural
from migrationaudit.scope import parse_allow_host
from migrationaudit.settings import CheckOptions, ConnectTo, CrawlOptions, SiteOptions

EXIT_OK, EXIT_GATE, EXIT_ERROR = 0, 1, 2
EXIT_INCOMPLETE = 3  # the run stopped at a run-level limit (--max-runtime): partial, resumable
EXIT_IO = 4  # an output or the run's state could not be written (disk full, read-only folder)


# --- option parsing -------------------------------------------------------------------------


def parse_resolve(value: str) -> ConnectTo:
    """``HOST:PORT:ADDR`` (curl --resolve). ADDR may be ``[v6]``."""
    host, sep, rest = value.partition(":")
    port_s, sep2, addr = rest.partition(":")
    if not (host and sep and sep2 and addr and port_s.isdigit()):
        raise click.BadParameter(
            f"{value!r}: expected HOST:PORT:ADDR, e.g. www.example.com:443:127.0.0.1"
        )
    port = int(port_s)
    if not 0 < port < 65536:
        raise click.BadParameter(f"{value!r}: port {port} out of range")
    return ConnectTo(host=host.lower(), port=port, addr=addr.strip("[]"), connect_port=port)


def parse_connect_to(value: str) -> ConnectTo:
    """``HOST:PORT:ADDR:PORT2`` (curl --connect-to with every part given)."""
    parts = value.rsplit(":", 1)
    if len(parts) != 2 or not parts[1].isdigit():
        raise click.BadParameter(
            f"{value!r}: expected HOST:PORT:ADDR:PORT2, e.g. www.example.com:443:127.0.0.1:8443"
        )
    base = parse_resolve(parts[0])
    port2 = int(parts[1])
    if not 0 < port2 < 65536:
        raise click.BadParameter(f"{value!r}: port {port2} out of range")
    return ConnectTo(host=base.host, port=base.port, addr=base.addr, connect_port=port2)


def _severity(value: str) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _severity_override(value: str) -> tuple[str, Severity | None]:
    rule_id, sep, level = value.partition("=")
    if not sep or not rule_id:
        raise click.BadParameter(f"{value!r}: expected RULE=error|warning|notice|off")
    if level.strip().lower() == "off":
        return rule_id.strip(), None
    return rule_id.strip(), _severity(level)


def _check_severity_override(value: str) -> None:
    rule_id, _ = _severity_override(value)
    if rule_id not in _known_rule_ids():
        raise click.BadParameter(
            f"{value!r}: unknown rule id {rule_id!r} (see `migrationaudit rules`)"
        )


def _check_rule_id(value: str) -> None:
    if value.strip() not in _known_rule_ids():
        raise click.BadParameter(f"unknown rule id(s): {value} (see `migrationaudit rules`)")


def _scrapy_setting(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not key.strip():
        raise click.BadParameter(f"{value!r}: expected KEY=VALUE")
    return key.strip(), val


def _priority_column(value: str) -> tuple[str, str]:
    from migrationaudit.inputs.priority import COLUMN_KEYS

    metric, sep, header = value.partition("=")
    metric = metric.strip().lower().replace("-", "_")
    if not sep or not header.strip() or metric not in COLUMN_KEYS:
        raise click.BadParameter(
            f"{value!r}: expected METRIC=HEADER, METRIC one of: {', '.join(COLUMN_KEYS)}"
        )
    return metric, header.strip()


def _known_rule_ids() -> set[str]:
    from migrationaudit.checks import all_rules

    return {r.rule_id for r in all_rules()}


def build_check_options(
    many_to_one: int, max_hops: int, disable: tuple[str, ...], severity: tuple[str, ...]
) -> CheckOptions:
    known = _known_rule_ids()
    disabled = set(disable)
    overrides: list[tuple[str, Severity]] = []
    for item in severity:
        rule_id, level = _severity_override(item)
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
    )


# --- output helpers ---------------------------------------------------------------------------


def _fail(message: str, debug: bool) -> NoReturn:
    """Print the one-line error and exit: 4 when the error being handled is a write failure
    (ReportError: disk full, read-only folder; the previous outputs are left whole), else 2.
    Always called from an ``except`` block, so the exception is at hand."""
    if debug:
        traceback.print_exc()
    click.echo(f"migrationaudit: error: {message}", err=True)
    sys.exit(EXIT_IO if isinstance(sys.exc_info()[1], ReportError) else EXIT_ERROR)


def _progress_printer(quiet: bool) -> Callable[[int, int], None] | None:
    """A progress bar on a terminal, a plain line every few seconds in a log, or nothing."""
    if quiet:
        return None
    from migrationaudit.progress import ProgressReporter

    return ProgressReporter(
        lambda text: click.echo(text, nl=False, err=True), tty=sys.stderr.isatty()
    )


class _StopSignals:
    """Ctrl-C and SIGTERM during an audit: the first one stops the crawl cleanly (it becomes a
    KeyboardInterrupt, which the crawl turns into a partial run); the exit code is then
    128 + the signal number (130, 143). While the partial report is written, signals are only
    counted, so the report is never left half-done."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _StopSignals:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._old[signum] = signal.signal(signum, self._interrupt)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._old.items():
            signal.signal(signum, handler)

    def _interrupt(self, signum: int, frame: Any) -> None:
        self.signum = signum
        raise KeyboardInterrupt

    def _note(self, signum: int, frame: Any) -> None:
        self.signum = self.signum or signum

    def hold(self) -> None:
        """From now on a signal is noted, not raised (the reports are being written)."""
        for signum in self._old:
            signal.signal(signum, self._note)

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)


def _interrupted(result: AuditResult) -> bool:
    crawl = result.run.get("crawl") or {}
    return bool(isinstance(crawl, dict) and crawl.get("interrupted"))


def _warn_access(crawl: CrawlOptions, quiet: bool) -> None:
    if quiet:
        return
    if not crawl.verify_tls:
        click.echo("warning: TLS certificates are not verified (--insecure)", err=True)
    if crawl.rewrite_host:
        # One line naming every pair: a second line is easily taken for a repeat, or lost.
        pairs = ", ".join(f"{old} is requested on {new}" for old, new in crawl.rewrite_host)
        n = len(crawl.rewrite_host)
        click.echo(
            f"rewriting hosts ({n} pair{'' if n == 1 else 's'}): {pairs}; findings name the "
            "old host" + ("" if n == 1 else "s"),
            err=True,
        )


def _make_policy(kw: dict[str, Any]) -> Any:
    """The gate policy (budgets, ignores, baseline) of the options; ConfigError when bad."""
    from migrationaudit.gate import make_policy

    return make_policy(kw.get("budgets", ()), kw.get("ignores", ()), kw.get("baseline"))


def _stopped(result: AuditResult) -> str | None:
    """Why a run-level limit stopped the crawl ("--max-runtime 15m reached"), or None."""
    stopped = result.run.get("stopped")
    return str(stopped) if stopped else None


def _exit_code(result: AuditResult, kw: dict[str, Any]) -> int:
    if _stopped(result):
        return EXIT_INCOMPLETE  # not a verdict on the site: wins over the gate and --exit-zero
    if kw.get("exit_zero"):
        return EXIT_OK
    return EXIT_GATE if result.gate_failed else EXIT_OK


def _finish(
    result: AuditResult,
    out_dir: Path,
    formats: tuple[str, ...] | None,
    quiet: bool,
    debug: bool,
    policy: Any = None,
    kw: dict[str, Any] | None = None,
) -> AuditResult:
    """Apply the gate policy, write the reports (and the baseline, when asked), print GitHub
    annotations under GitHub Actions and the summary; return the gated result."""
    from migrationaudit.gate import apply, write_baseline
    from migrationaudit.reports import FORMATS, github, render_summary, write_reports

    kw = kw or {}
    try:
        if policy is not None:
            result = apply(result, policy)
        written = write_reports(result, out_dir, formats or FORMATS, html_rows=kw.get("html_rows"))
        if kw.get("write_baseline"):
            write_baseline(result, kw["write_baseline"])
    except MigrationAuditError as exc:
        _fail(str(exc), debug)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        click.echo(github.render(result), nl=False)
    if kw.get("exit_zero") and result.gate_failed and not quiet:
        click.echo("gate: FAIL, but --exit-zero: exiting 0", err=True)
    if not quiet:
        if sys.stderr.isatty():
            click.echo("", err=True)
        click.echo(render_summary(result, out_dir, written), err=True)
    return result


# --- shared options ---------------------------------------------------------------------------

FORMAT_CHOICES = ("html", "json", "csv", "junit", "markdown", "sarif")


def crawl_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option(
            "--resolve",
            "resolve",
            multiple=True,
            metavar="HOST:PORT:ADDR",
            type=Checked("HOST:PORT:ADDR", parse_resolve),
            help="Connect to ADDR for HOST:PORT, keeping the host name in the URL, Host "
            "header and TLS SNI (curl semantics). Repeatable. Audit staging under "
            "production host names before DNS cutover.",
        ),
        click.option(
            "--connect-to",
            "connect_to",
            multiple=True,
            metavar="HOST:PORT:ADDR:PORT2",
            type=Checked("HOST:PORT:ADDR:PORT2", parse_connect_to),
            help="Like --resolve, but also to another port (curl --connect-to). Repeatable.",
        ),
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
        click.option(
            "--scrapy-setting",
            "scrapy_settings",
            multiple=True,
            metavar="KEY=VALUE",
            type=Checked("KEY=VALUE", _scrapy_setting),
            help="Pass a Scrapy setting through (advanced). Repeatable.",
        ),
        click.option(
            "--rewrite-host",
            "rewrite_host",
            multiple=True,
            metavar="OLD=NEW",
            type=Checked("OLD=NEW", HostRewrite.parse),
            help="Request URLs of host OLD on host NEW (e.g. staging) and report in "
            "OLD's terms: targets, Location and canonicals naming NEW are read as "
            "OLD. HOST, HOST:PORT or SCHEME://HOST[:PORT] on both sides. "
            "Repeatable.",
        ),
        click.option(
            "--allow-host",
            "allow_hosts",
            multiple=True,
            metavar="HOST[:PORT]",
            type=Checked("HOST[:PORT]", parse_allow_host),
            help="Also request this host (on PORT, or its scheme's default ports), besides "
            "the hosts the inputs name; a redirect to any other host is recorded, not "
            "followed (offsite-redirect). Repeatable.",
        ),
        click.option(
            "--auth",
            "auth",
            multiple=True,
            metavar="[ORIGIN=]USER:PASS",
            type=Checked("[ORIGIN=]USER:PASS", parse_auth),
            help="HTTP basic credentials, sent only to ORIGIN (scheme://host[:port]) or, "
            "without one, to the legacy URLs' origins; never to a host a redirect "
            "leads to. Never written to the run folder or reports. Repeatable.",
        ),
        click.option(
            "--header",
            "headers",
            multiple=True,
            metavar="[ORIGIN=]'NAME: VALUE'",
            type=Checked("[ORIGIN=]'NAME: VALUE'", parse_header),
            help="Extra request header, scoped like --auth (e.g. a staging token). Repeatable.",
        ),
        click.option(
            "--ca-bundle",
            "ca_bundle",
            metavar="FILE",
            type=click.Path(exists=True, dir_okay=False),
            help="Also trust the CA certificates of this PEM file (a private staging "
            "CA); the system store stays trusted.",
        ),
        click.option(
            "--insecure",
            "insecure",
            is_flag=True,
            help="Do not verify TLS certificates (self-signed staging); the report "
            "says verification was off.",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def gate_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option(
            "--out",
            "out_dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=Path(settings.OUT_DIR),
            show_default=True,
            help="Directory for report.html, findings.json, CSVs, junit.xml, summary.md "
            "and the run's hop records.",
        ),
        click.option(
            "--format",
            "formats",
            multiple=True,
            type=click.Choice(FORMAT_CHOICES),
            help="Outputs to write (repeatable; default: all but sarif, which writes "
            "findings.sarif for code scanning).",
        ),
        click.option(
            "--html-rows",
            type=click.IntRange(0),
            default=None,
            metavar="N",
            help="Above N legacy URLs or findings, report.html lists only the N worst legacy "
            "URLs and the N worst findings of each rule (default 1,000; 0: every row). "
            "Its counts and charts cover everything; the CSVs and findings.json hold every row.",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(["error", "warning", "notice"]),
            default=settings.FAIL_ON.label,
            show_default=True,
            help="Exit 1 when any finding is at or above this severity.",
        ),
        click.option(
            "--max",
            "budgets",
            multiple=True,
            metavar="RULE=N",
            type=Checked("RULE=N", _gate_parser("budget")),
            help="Budget: RULE fails the gate only with more than N findings (instead "
            "of --fail-on), e.g. redirect-chain=25, redirect-loop=0. Repeatable.",
        ),
        click.option(
            "--ignore",
            "ignores",
            multiple=True,
            metavar="'RULE URL-GLOB REASON'",
            type=Checked("'RULE URL-GLOB REASON'", _gate_parser("ignore")),
            help="Do not count RULE's findings on legacy URLs matching URL-GLOB (* for "
            "any rule or URL); the reason shows in the report. Repeatable.",
        ),
        click.option(
            "--baseline",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help="findings.json of an earlier run: its findings (rule + URL) are known "
            "and do not fail the gate; only new ones do.",
        ),
        click.option(
            "--write-baseline",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help="Write this run's findings as a baseline file.",
        ),
        click.option(
            "--exit-zero", is_flag=True, help="Exit 0 even when the gate fails (report-only runs)."
        ),
        click.option(
            "--many-to-one",
            type=click.IntRange(1),
            default=settings.MANY_TO_ONE,
            show_default=True,
            help="`many-to-one` fires when more than this many legacy URLs land on one "
            "non-home URL.",
        ),
        click.option(
            "--disable",
            multiple=True,
            metavar="RULE",
            type=Checked("RULE", _check_rule_id),
            help="Switch a rule off (repeatable).",
        ),
        click.option(
            "--severity",
            multiple=True,
            metavar="RULE=LEVEL",
            type=Checked("RULE=LEVEL", _check_severity_override),
            help="Override a rule's severity: error, warning, notice or off (repeatable).",
        ),
        click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr."),
        click.option("--debug", is_flag=True, help="Show tracebacks for errors."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return config_option(f)


def _gate_parser(kind: str) -> Callable[[str], object]:
    def check(value: str) -> object:
        from migrationaudit.gate import parse_budget, parse_ignore

        return parse_budget(value) if kind == "budget" else parse_ignore(value)

    return check


def input_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option(
            "--map",
            "-m",
            "maps",
            multiple=True,
            metavar="FILE",
            help="Redirect map CSV/TSV: old_url,new_url[,status[,note]]. Repeatable.",
        ),
        click.option(
            "--urls",
            "-u",
            "url_lists",
            multiple=True,
            metavar="FILE",
            help="Plain list of legacy URLs, one per line ('-' = stdin). Repeatable.",
        ),
        click.option(
            "--map-format",
            type=click.Choice(["auto", "csv", "netlify", "amplify"]),
            default="auto",
            show_default=True,
            help="Map file format: CSV/TSV, Netlify/Cloudflare `_redirects`, or AWS "
            "Amplify JSON (auto: from the file name and first line).",
        ),
        click.option(
            "--base-url",
            metavar="URL",
            help="Resolve relative URLs in the inputs against this URL.",
        ),
        click.option(
            "--target-base-url",
            metavar="URL",
            help="Resolve relative new_url values against this URL instead "
            "(a move to a new domain).",
        ),
        click.option(
            "--priority",
            "priority",
            multiple=True,
            metavar="FILE",
            help="Backlink or traffic export (Ahrefs/Semrush top pages or backlinks, "
            "Search Console pages; CSV/TSV, UTF-8 or UTF-16): rank failures by "
            "referring domains and clicks; valuable URLs missing from the map "
            "are audited and reported. Repeatable.",
        ),
        click.option(
            "--priority-column",
            "priority_columns",
            multiple=True,
            metavar="METRIC=HEADER",
            help="Name a --priority column when its header is unusual; METRIC: url, "
            "source, referring_domains, backlinks, clicks, impressions, traffic. "
            "Repeatable.",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def site_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The new site's side: sitemaps, robots.txt, a crawl, URL variants, host roles."""
    opts = [
        click.option(
            "--sitemap",
            "sitemaps",
            multiple=True,
            metavar="URL|FILE",
            help="A sitemap (or index, .xml.gz, text) of the new site, besides those "
            "its robots.txt names and /sitemap.xml. Repeatable.",
        ),
        click.option(
            "--old-sitemap",
            "old_sitemaps",
            multiple=True,
            metavar="URL|FILE",
            help="The legacy site's sitemap: every URL in it is audited as a legacy "
            "URL and must redirect or be mapped. Repeatable.",
        ),
        click.option(
            "--crawl",
            "crawl_urls",
            multiple=True,
            metavar="URL",
            help="Crawl the new site from this page (its hosts only) for internal "
            "links, canonicals and hreflang. Repeatable.",
        ),
        click.option(
            "--max-pages",
            type=click.IntRange(1),
            default=settings.CRAWL_MAX_PAGES,
            show_default=True,
            help="Pages of the new site whose links --crawl follows.",
        ),
        click.option(
            "--depth",
            type=click.IntRange(0),
            default=settings.CRAWL_DEPTH,
            show_default=True,
            help="Clicks from a --crawl start page.",
        ),
        click.option(
            "--variants",
            is_flag=True,
            help="Also request each legacy URL's http/https, www/non-www and "
            "trailing-slash variants, and each new page's slash, case and "
            "index.html variants.",
        ),
        click.option(
            "--new-host",
            "new_hosts",
            multiple=True,
            metavar="HOST",
            help="A host of the new site (default: where most map targets go, plus "
            "--crawl and --sitemap hosts). Repeatable.",
        ),
        click.option(
            "--staging-host",
            "staging_hosts",
            multiple=True,
            metavar="HOST",
            help="A staging host: canonicals and links to it are leaks. Repeatable.",
        ),
        click.option(
            "--no-robots",
            is_flag=True,
            help="Do not read robots.txt of the old hosts (nor judge robots rules).",
        ),
        click.option(
            "--no-sitemap-discovery",
            is_flag=True,
            help="Do not look for sitemaps in robots.txt and at /sitemap.xml.",
        ),
        click.option(
            "--max-sitemap-urls",
            type=click.IntRange(0),
            default=settings.SITEMAP_FETCH_LIMIT,
            show_default=True,
            help="Sitemap URLs fetched per run (the rest are counted, not checked).",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _site_request(kw: dict[str, Any]) -> SiteOptions:
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
    )


def _make_request(kw: dict[str, Any]) -> Any:
    from migrationaudit.pipeline import AuditRequest

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
        scrapy_settings=tuple(_scrapy_setting(v) for v in kw.get("scrapy_settings", ())),
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
    checks = build_check_options(kw["many_to_one"], crawl.max_hops, kw["disable"], kw["severity"])
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
        priority_columns=tuple(_priority_column(v) for v in kw.get("priority_columns", ())),
        site=_site_request(kw),
        allow_hosts=tuple(kw.get("allow_hosts", ())),
    )


# --- commands ---------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="migrationaudit")
def main() -> None:
    """Audit a website migration: does every old URL land where it should, in one clean hop,
    on a page search engines will index?"""


def _write_fixes(result: AuditResult, out_dir: Path, quiet: bool, debug: bool) -> None:
    from migrationaudit.fixes import FIXES_SUBDIR, write_fixes

    try:
        plan = write_fixes(result, out_dir)
    except MigrationAuditError as exc:
        _fail(str(exc), debug)
    if not quiet:
        click.echo(
            f"fixes: {plural(len(plan.fixes), 'one-hop redirect')}, "
            f"{plural(len(plan.review), 'URL')} for a "
            f"human -> {out_dir / FIXES_SUBDIR}",
            err=True,
        )


FIXES_OPTION = click.option(
    "--fixes/--no-fixes",
    "fixes",
    default=True,
    show_default=True,
    help="Write fixes/: the corrected redirect map (every legacy URL to its final healthy "
    "page in one hop) as CSV, nginx, Apache and _redirects rules, and the URLs that "
    "need a human (loops, broken targets).",
)


@main.command()
@input_options
@site_options
@crawl_options
@gate_options
@FIXES_OPTION
@click.option(
    "--only-failed",
    "only_failed",
    metavar="RUN_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Re-check only the legacy URLs that failed in that earlier run (its --out "
    "folder) and merge the results with the rest of it.",
)
@click.option(
    "--resume",
    "resume",
    metavar="RUN_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Continue an interrupted run (its --out folder) where it stopped, without "
    "fetching again what it recorded; its inputs and crawl options are reused "
    "unless given again (give --auth/--header again: they are never saved).",
)
def audit(**kw: Any) -> None:
    """Request every legacy URL hop by hop and judge it.

    Inputs: redirect maps (--map) and/or URL lists (--urls). Writes the report to --out and
    exits 0 (passed), 1 (the gate failed: findings at/above --fail-on, or over a --max budget)
    or 2 (could not run).

    \b
    Example:
      migrationaudit audit --map redirects.csv --base-url https://www.old.example \\
          --resolve www.new.example:443:10.0.0.5 --fail-on error
    """
    from migrationaudit.pipeline import resume_audit, run_audit

    with _StopSignals() as stop:
        try:
            req = _make_request(kw)
            policy = _make_policy(kw)
            if kw.get("resume") and kw.get("only_failed"):
                raise ConfigError("--resume and --only-failed cannot be combined")
            if kw.get("resume"):
                run_dir, req = _resume_request(req, kw["resume"])
                # the crawl options in force, saved ones included
                _warn_access(req.crawl, kw["quiet"])
                result = resume_audit(req, run_dir, progress=_progress_printer(kw["quiet"]))
            elif kw.get("only_failed"):
                from migrationaudit.runstore import audit_only_failed

                # Without --map/--urls the earlier run's saved inputs are used; its crawl
                # options too (addresses included) unless given again.
                req = _only_failed_request(req, kw["only_failed"])
                _warn_access(req.crawl, kw["quiet"])
                result = audit_only_failed(
                    req, kw["only_failed"], policy, progress=_progress_printer(kw["quiet"])
                )
            else:
                _warn_access(req.crawl, kw["quiet"])
                result = run_audit(req, progress=_progress_printer(kw["quiet"]))
        except MigrationAuditError as exc:
            _fail(str(exc), kw["debug"])
        except KeyboardInterrupt:
            click.echo("\nmigrationaudit: interrupted", err=True)
            sys.exit(stop.exit_code)
        stop.hold()
        result = _finish(result, req.out_dir, req.formats, kw["quiet"], kw["debug"], policy, kw)
        if kw["fixes"]:
            _write_fixes(result, req.out_dir, kw["quiet"], kw["debug"])
        if _interrupted(result):
            if not kw["quiet"]:
                click.echo(
                    f"migrationaudit: interrupted; partial report written. Continue with: "
                    f"migrationaudit audit --resume {req.out_dir}",
                    err=True,
                )
            sys.exit(stop.exit_code if stop.signum else EXIT_ERROR)
        if _stopped(result):
            if not kw["quiet"]:
                click.echo(
                    f"migrationaudit: stopped: {_stopped(result)}; partial report written. "
                    f"Continue with: migrationaudit audit --resume {req.out_dir}",
                    err=True,
                )
            if stop.signum:
                sys.exit(stop.exit_code)  # a signal while the report was written
    sys.exit(_exit_code(result, kw))


# CrawlOptions fields a resumed run takes from the command line when given there, else from
# the interrupted run's job.json (field → click parameters that set it).
_RESUME_FIELDS: dict[str, tuple[str, ...]] = {
    "max_hops": ("max_hops",),
    "concurrency": ("concurrency",),
    "per_host_concurrency": ("per_host_concurrency",),
    "delay": ("delay",),
    "timeout": ("timeout",),
    "retries": ("retries",),
    "user_agent": ("user_agent",),
    "workers": ("workers",),
    "connect_to": ("resolve", "connect_to"),
    "scrapy_settings": ("scrapy_settings",),
    "rewrite_host": ("rewrite_host",),
    "verify_tls": ("insecure",),
    "ca_bundle": ("ca_bundle",),
}


def _given(param: str) -> bool:
    """Whether ``param`` of the current command was set (flag, config or environment)."""
    from click.core import ParameterSource

    source = click.get_current_context().get_parameter_source(param)
    return source is not None and source is not ParameterSource.DEFAULT


def _saved_crawl(req: Any, run_dir: Path) -> CrawlOptions:
    """``req.crawl`` with every option not given now taken from ``run_dir``'s job.json."""
    import dataclasses
    import json

    from migrationaudit.crawl import JOB_FILE, options_from_dict

    try:
        saved = options_from_dict(json.loads((run_dir / JOB_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(
            f"{run_dir / JOB_FILE}: cannot read the run's crawl options: {exc}"
        ) from None
    keep = {
        name: getattr(saved, name)
        for name, params in _RESUME_FIELDS.items()
        if not any(_given(p) for p in params)
    }
    return dataclasses.replace(req.crawl, **keep)


def _resume_request(req: Any, path: Path) -> tuple[Path, Any]:
    """The run directory to continue and the request for it: crawl options not given now
    come from its job.json; reports go to its --out folder unless --out is given."""
    import dataclasses

    from migrationaudit.pipeline import RUN_SUBDIR
    from migrationaudit.runstore import check_state, find_run_dir

    run_dir = find_run_dir(path)
    check_state(run_dir)  # a damaged or hand-edited state file: exit 2, file and line named
    crawl = _saved_crawl(req, run_dir)
    out_dir = req.out_dir
    if not _given("out_dir"):
        out_dir = run_dir.parent if run_dir.name == RUN_SUBDIR else run_dir
    return run_dir, dataclasses.replace(req, crawl=crawl, out_dir=out_dir)


def _only_failed_request(req: Any, path: Path) -> Any:
    """The request for ``--only-failed RUN_DIR``: the earlier run's crawl options (job.json)
    unless given again, as ``--resume`` does, so the failed URLs are fetched from the same
    addresses (--resolve/--connect-to, --rewrite-host) as the records they are merged with;
    giving other addresses is refused in :func:`~migrationaudit.runstore.audit_only_failed`."""
    import dataclasses

    from migrationaudit.runstore import find_run_dir

    return dataclasses.replace(req, crawl=_saved_crawl(req, find_run_dir(path)))


@main.command("check-map")
@input_options
@gate_options
def check_map(**kw: Any) -> None:
    """Check redirect maps without sending any request: loops, chains, conflicts and
    self-redirects inside the map itself (map-loop, map-chain, map-conflict, map-self)."""
    from migrationaudit.pipeline import check_map_only

    try:
        req = _make_request(kw)
        policy = _make_policy(kw)
        result = check_map_only(req)
    except MigrationAuditError as exc:
        _fail(str(exc), kw["debug"])
    result = _finish(result, req.out_dir, req.formats, kw["quiet"], kw["debug"], policy, kw)
    sys.exit(_exit_code(result, kw))


def demo_dir() -> Path:
    """The built-in demo's files (inside the installed package)."""
    return Path(str(resources.files("migrationaudit.sample_maps") / "demo"))


@main.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(settings.OUT_DIR),
    show_default=True,
    help="Where to write the report.",
)
@click.option(
    "--gate",
    is_flag=True,
    help="Exit with the audit's gate code (1: the demo's planted defects fail it) instead of 0.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def demo(out_dir: Path, gate: bool, quiet: bool, debug: bool) -> None:
    """Audit the built-in demo migration (no internet needed).

    Starts a small old site + new site on 127.0.0.1 (several host names, HTTP and HTTPS, put
    on loopback with --connect-to), audits it with its redirect map, URL list and a backlink
    export (--priority), and writes the report and the corrected map (fixes/). Every rule
    fires at least once.
    """
    import tempfile

    from migrationaudit.pipeline import AuditRequest, run_audit
    from migrationaudit.scenario import ScenarioServer, load_site
    from migrationaudit.sitecheck import case_options

    here = demo_dir()
    try:
        site = load_site(here / "site.json")
        site_opts = case_options(here)  # sitemaps, --crawl, --variants, staging host
        with ScenarioServer(site) as server, tempfile.TemporaryDirectory() as tmp:
            # The demo's HTTPS hosts use a throwaway CA: trust it like --ca-bundle would.
            ca_file = Path(tmp, "demo-ca.pem")
            ca_file.write_bytes(server.ca_pem)
            req = AuditRequest(
                maps=(str(here / "redirects.csv"),),
                url_lists=(str(here / "urls.txt"),),
                priority=(str(here / "priority.csv"),),
                out_dir=out_dir,
                crawl=CrawlOptions(
                    connect_to=server.connect_to(), timeout=3.0, retries=1, ca_bundle=str(ca_file)
                ),
                checks=build_check_options(settings.MANY_TO_ONE, settings.MAX_HOPS, (), ()),
                site=site_opts,
            )
            if not quiet:
                click.echo(
                    "demo: old and new site serving on 127.0.0.1 "
                    f"(http :{server.http_port}, https :{server.https_port})",
                    err=True,
                )
            result = run_audit(req, progress=_progress_printer(quiet))
    except MigrationAuditError as exc:
        _fail(str(exc), debug)
    _finish(result, out_dir, None, quiet, debug)
    _write_fixes(result, out_dir, quiet, debug)
    click.echo(f"report: {(out_dir / 'report.html').resolve()}")
    sys.exit(EXIT_GATE if (gate and result.gate_failed) else EXIT_OK)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True
)
def rules(fmt: str) -> None:
    """List every rule: id, default severity and what it checks."""
    from migrationaudit.checks import rule_infos

    infos = rule_infos()
    if fmt == "markdown":
        click.echo("| id | default severity | what it checks |\n|---|---|---|")
        for r in infos:
            click.echo(f"| `{r.rule_id}` | {r.severity.label} | {r.title} |")
        return
    width = max(len(r.rule_id) for r in infos)
    for r in infos:
        click.echo(f"{r.rule_id:<{width}}  {r.severity.label:<7}  {r.title}")


# --- issue 4: configuration, re-rendering and comparing saved runs ---------------------------


@main.command("config", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option(
    "--for",
    "for_command",
    type=click.Choice(["audit", "check-map"]),
    default="audit",
    show_default=True,
    help="The command whose options are shown.",
)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of TOML.")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def config_command(for_command: str, as_json: bool, args: tuple[str, ...]) -> None:
    """Print the effective configuration and where each value came from.

    Layers, lowest first: defaults, the config file (--config FILE, else the nearest
    migrationaudit.toml or pyproject.toml with [tool.migrationaudit]), MIGRATIONAUDIT_*
    environment variables, command-line options. Give the options the command would get to
    see their effect; the TOML output is itself a valid config file.

    \b
    Example:
      migrationaudit config --config ci.toml --fail-on warning
    """
    from migrationaudit.config import META, ConfigInfo, effective, render_json, render_toml

    ctx = click.get_current_context()
    command = main.commands[for_command]
    with command.make_context(for_command, list(args), parent=ctx.parent) as sub:
        info = sub.meta.get(META, ConfigInfo())
        entries = effective(sub)
    render = render_json if as_json else render_toml
    click.echo(render(entries, info, for_command), nl=False)


@main.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(file_okay=False, path_type=Path))
@gate_options
@FIXES_OPTION
def report(run_dir: Path, **kw: Any) -> None:
    """Re-render every output of a saved run with the current configuration (no network).

    RUN_DIR is an audit's --out folder (or its run/ folder). Rules, severities, --fail-on,
    budgets, ignores and the baseline apply anew; the --priority exports are read again from
    where the audit found them (one that is gone is named, and left out). The reports and
    fixes/ are written next to the run (or to --out) and the exit code is the new gate's.
    """
    from click.core import ParameterSource

    from migrationaudit.runstore import load_run, rebuild

    ctx = click.get_current_context()
    try:
        saved = load_run(run_dir)
        out_dir = kw["out_dir"]
        if ctx.get_parameter_source("out_dir") is ParameterSource.DEFAULT:
            out_dir = saved.run_dir.parent
        checks = build_check_options(
            kw["many_to_one"], saved.crawl.max_hops, kw["disable"], kw["severity"]
        )
        policy = _make_policy(kw)
        result = rebuild(saved, checks, Severity.parse(kw["fail_on"]))
    except MigrationAuditError as exc:
        _fail(str(exc), kw["debug"])
    if not kw["quiet"]:
        for note in saved.notes:  # e.g. a --priority export that is gone
            click.echo(f"warning: {note}", err=True)
    result = _finish(
        result, out_dir, tuple(kw["formats"]) or None, kw["quiet"], kw["debug"], policy, kw
    )
    if kw["fixes"]:
        _write_fixes(result, out_dir, kw["quiet"], kw["debug"])
    sys.exit(_exit_code(result, kw))


@main.command()
@click.argument("run_a", metavar="RUN_A", type=click.Path(exists=True, path_type=Path))
@click.argument("run_b", metavar="RUN_B", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("migration-diff"),
    show_default=True,
    help="Directory for diff.html and diff.md.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(["html", "markdown"]),
    help="Outputs to write (repeatable; default: both).",
)
@click.option(
    "--fail-on-regression",
    is_flag=True,
    help="Exit 1 when a URL's verdict got worse or a finding is new or worse.",
)
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def diff(
    run_a: Path,
    run_b: Path,
    out_dir: Path,
    formats: tuple[str, ...],
    fail_on_regression: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Compare two audits: what got fixed, what regressed, what is new.

    RUN_A (before) and RUN_B (after) are report folders, findings.json files or run
    directories, e.g. the staging run before cutover and the production run after it.
    Findings match by fingerprint (rule + legacy URL), URLs by verdict.
    """
    from migrationaudit.diff import compare, load_side, summary_line
    from migrationaudit.reports import diffout

    try:
        result = compare(load_side(run_a), load_side(run_b))
        written = diffout.write(result, out_dir, formats or ("html", "markdown"))
    except MigrationAuditError as exc:
        _fail(str(exc), debug)
    if not quiet:
        click.echo(summary_line(result), err=True)
        for path in written:
            click.echo(f"diff: {path}", err=True)
    sys.exit(EXIT_GATE if (fail_on_regression and result.regressed) else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()

"""The command line: the only module that prints, reads the environment or exits.

Exit codes: 0 = the audit finished and nothing is at or above ``--fail-on``; 1 = it finished and
the gate failed; 2 = it could not run (usage, configuration, input, crawl machinery, report I/O).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import click

from migrationaudit import __version__, settings
from migrationaudit.errors import ConfigError, MigrationAuditError
from migrationaudit.models import AuditResult, Severity
from migrationaudit.settings import CheckOptions, ConnectTo, CrawlOptions

EXIT_OK, EXIT_GATE, EXIT_ERROR = 0, 1, 2


# --- option parsing -------------------------------------------------------------------------


def parse_resolve(value: str) -> ConnectTo:
    """``HOST:PORT:ADDR`` (curl --resolve). ADDR may be ``[v6]``."""
    host, sep, rest = value.partition(":")
    port_s, sep2, addr = rest.partition(":")
    if not (host and sep and sep2 and addr and port_s.isdigit()):
        raise click.BadParameter(f"{value!r}: expected HOST:PORT:ADDR, e.g. www.example.com:443:127.0.0.1")
    port = int(port_s)
    if not 0 < port < 65536:
        raise click.BadParameter(f"{value!r}: port {port} out of range")
    return ConnectTo(host=host.lower(), port=port, addr=addr.strip("[]"), connect_port=port)


def parse_connect_to(value: str) -> ConnectTo:
    """``HOST:PORT:ADDR:PORT2`` (curl --connect-to with every part given)."""
    parts = value.rsplit(":", 1)
    if len(parts) != 2 or not parts[1].isdigit():
        raise click.BadParameter(
            f"{value!r}: expected HOST:PORT:ADDR:PORT2, e.g. www.example.com:443:127.0.0.1:8443")
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


def _scrapy_setting(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not key.strip():
        raise click.BadParameter(f"{value!r}: expected KEY=VALUE")
    return key.strip(), val


def _known_rule_ids() -> set[str]:
    from migrationaudit.checks import all_rules

    return {r.rule_id for r in all_rules()}


def build_check_options(many_to_one: int, max_hops: int, disable: tuple[str, ...],
                        severity: tuple[str, ...]) -> CheckOptions:
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
    return CheckOptions(max_hops=max_hops, many_to_one=many_to_one, disabled=frozenset(disabled),
                        severity_overrides=tuple(overrides))


# --- output helpers ---------------------------------------------------------------------------


def _fail(message: str, debug: bool) -> NoReturn:
    if debug:
        traceback.print_exc()
    click.echo(f"migrationaudit: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _progress_printer(quiet: bool) -> Callable[[int, int], None] | None:
    if quiet:
        return None
    tty = sys.stderr.isatty()
    state = {"last": -1}

    def show(done: int, total: int) -> None:
        if tty:
            click.echo(f"\rcrawled {done} URLs ({total} legacy)", nl=False, err=True)
        elif done - state["last"] >= 500 or done == total:
            state["last"] = done
            click.echo(f"crawled {done} URLs ({total} legacy)", err=True)

    return show


def _finish(result: AuditResult, out_dir: Path, formats: tuple[str, ...] | None, quiet: bool,
            debug: bool) -> AuditResult:
    from migrationaudit.reports import FORMATS, render_summary, write_reports

    try:
        write_reports(result, out_dir, formats or FORMATS)
    except MigrationAuditError as exc:
        _fail(str(exc), debug)
    if not quiet:
        if sys.stderr.isatty():
            click.echo("", err=True)
        click.echo(render_summary(result, out_dir), err=True)
    return result


# --- shared options ---------------------------------------------------------------------------

FORMAT_CHOICES = ("html", "json", "csv", "junit", "markdown")


def crawl_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option("--resolve", "resolve", multiple=True, metavar="HOST:PORT:ADDR",
                     help="Connect to ADDR for HOST:PORT, keeping the host name in the URL, Host "
                          "header and TLS SNI (curl semantics). Repeatable. Audit staging under "
                          "production host names before DNS cutover."),
        click.option("--connect-to", "connect_to", multiple=True, metavar="HOST:PORT:ADDR:PORT2",
                     help="Like --resolve, but also to another port (curl --connect-to). Repeatable."),
        click.option("--max-hops", type=click.IntRange(1, settings.HARD_MAX_HOPS),
                     default=settings.MAX_HOPS, show_default=True,
                     help="Redirects followed per legacy URL before `hop-limit` (Googlebot: 10)."),
        click.option("--concurrency", type=click.IntRange(1, 512), default=settings.CONCURRENCY,
                     show_default=True, help="Requests in flight in total."),
        click.option("--per-host-concurrency", type=click.IntRange(1, 512),
                     default=settings.PER_HOST_CONCURRENCY, show_default=True,
                     help="Requests in flight per host."),
        click.option("--delay", type=click.FloatRange(0), default=settings.DELAY, show_default=True,
                     help="Seconds between requests to one host."),
        click.option("--timeout", type=click.FloatRange(0.1), default=settings.TIMEOUT,
                     show_default=True, help="Seconds per request, body included."),
        click.option("--retries", type=click.IntRange(0, 10), default=settings.RETRIES,
                     show_default=True,
                     help="Retries of transient failures (connection errors, timeouts, 429, "
                          "502, 503, 504); never of other 4xx."),
        click.option("--user-agent", default=settings.USER_AGENT, show_default=True,
                     help="User-Agent header sent with every request."),
        click.option("--scrapy-setting", "scrapy_settings", multiple=True, metavar="KEY=VALUE",
                     help="Pass a Scrapy setting through (advanced). Repeatable."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def gate_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                     default=Path(settings.OUT_DIR), show_default=True,
                     help="Directory for report.html, findings.json, CSVs, junit.xml, summary.md "
                          "and the run's hop records."),
        click.option("--format", "formats", multiple=True, type=click.Choice(FORMAT_CHOICES),
                     help="Outputs to write (repeatable; default: all)."),
        click.option("--fail-on", type=click.Choice(["error", "warning", "notice"]),
                     default=settings.FAIL_ON.label, show_default=True,
                     help="Exit 1 when any finding is at or above this severity."),
        click.option("--many-to-one", type=click.IntRange(1), default=settings.MANY_TO_ONE,
                     show_default=True,
                     help="`many-to-one` fires when more than this many legacy URLs land on one "
                          "non-home URL."),
        click.option("--disable", multiple=True, metavar="RULE",
                     help="Switch a rule off (repeatable)."),
        click.option("--severity", multiple=True, metavar="RULE=LEVEL",
                     help="Override a rule's severity: error, warning, notice or off (repeatable)."),
        click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr."),
        click.option("--debug", is_flag=True, help="Show tracebacks for errors."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def input_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option("--map", "-m", "maps", multiple=True, metavar="FILE",
                     help="Redirect map CSV/TSV: old_url,new_url[,status[,note]]. Repeatable."),
        click.option("--urls", "-u", "url_lists", multiple=True, metavar="FILE",
                     help="Plain list of legacy URLs, one per line ('-' = stdin). Repeatable."),
        click.option("--map-format", type=click.Choice(["auto", "csv", "netlify", "amplify"]),
                     default="auto", show_default=True,
                     help="Map file format: CSV/TSV, Netlify/Cloudflare `_redirects`, or AWS "
                          "Amplify JSON (auto: from the file name and first line)."),
        click.option("--base-url", metavar="URL",
                     help="Resolve relative URLs in the inputs against this URL."),
        click.option("--target-base-url", metavar="URL",
                     help="Resolve relative new_url values against this URL instead "
                          "(a move to a new domain)."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _make_request(kw: dict[str, Any]) -> Any:
    from migrationaudit.pipeline import AuditRequest

    connect = tuple(parse_resolve(v) for v in kw.get("resolve", ())) + tuple(
        parse_connect_to(v) for v in kw.get("connect_to", ()))
    crawl = CrawlOptions(
        max_hops=kw.get("max_hops", settings.MAX_HOPS),
        concurrency=kw.get("concurrency", settings.CONCURRENCY),
        per_host_concurrency=kw.get("per_host_concurrency", settings.PER_HOST_CONCURRENCY),
        delay=kw.get("delay", settings.DELAY),
        timeout=kw.get("timeout", settings.TIMEOUT),
        retries=kw.get("retries", settings.RETRIES),
        user_agent=kw.get("user_agent", settings.USER_AGENT),
        connect_to=connect,
        scrapy_settings=tuple(_scrapy_setting(v) for v in kw.get("scrapy_settings", ())),
    )
    checks = build_check_options(kw["many_to_one"], crawl.max_hops, kw["disable"], kw["severity"])
    return AuditRequest(
        maps=tuple(kw["maps"]), url_lists=tuple(kw["url_lists"]), base_url=kw["base_url"],
        target_base_url=kw["target_base_url"], out_dir=kw["out_dir"], crawl=crawl, checks=checks,
        fail_on=Severity.parse(kw["fail_on"]), formats=tuple(kw["formats"]) or None,
        map_format=kw["map_format"],
    )


# --- commands ---------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="migrationaudit")
def main() -> None:
    """Audit a website migration: does every old URL land where it should, in one clean hop,
    on a page search engines will index?"""


@main.command()
@input_options
@crawl_options
@gate_options
def audit(**kw: Any) -> None:
    """Request every legacy URL hop by hop and judge it.

    Inputs: redirect maps (--map) and/or URL lists (--urls). Writes the report to --out and
    exits 0 (passed), 1 (findings at/above --fail-on) or 2 (could not run).

    \b
    Example:
      migrationaudit audit --map redirects.csv --base-url https://www.old.example \\
          --resolve www.new.example:443:10.0.0.5 --fail-on error
    """
    from migrationaudit.pipeline import run_audit

    try:
        req = _make_request(kw)
        result = run_audit(req, progress=_progress_printer(kw["quiet"]))
    except MigrationAuditError as exc:
        _fail(str(exc), kw["debug"])
    except KeyboardInterrupt:
        click.echo("migrationaudit: interrupted", err=True)
        sys.exit(130)
    _finish(result, req.out_dir, req.formats, kw["quiet"], kw["debug"])
    sys.exit(EXIT_GATE if result.gate_failed else EXIT_OK)


@main.command("check-map")
@input_options
@gate_options
def check_map(**kw: Any) -> None:
    """Check redirect maps without sending any request: loops, chains, conflicts and
    self-redirects inside the map itself (map-loop, map-chain, map-conflict, map-self)."""
    from migrationaudit.pipeline import check_map_only

    try:
        req = _make_request(kw)
        result = check_map_only(req)
    except MigrationAuditError as exc:
        _fail(str(exc), kw["debug"])
    _finish(result, req.out_dir, req.formats, kw["quiet"], kw["debug"])
    sys.exit(EXIT_GATE if result.gate_failed else EXIT_OK)


def demo_dir() -> Path:
    """The built-in demo's files (inside the installed package)."""
    return Path(str(resources.files("migrationaudit.sample_maps") / "demo"))


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path(settings.OUT_DIR), show_default=True, help="Where to write the report.")
@click.option("--gate", is_flag=True,
              help="Exit with the audit's gate code (1: the demo's planted defects fail it) "
                   "instead of 0.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def demo(out_dir: Path, gate: bool, quiet: bool, debug: bool) -> None:
    """Audit the built-in demo migration (no internet needed).

    Starts a small old site + new site on 127.0.0.1 (several host names, HTTP and HTTPS, put
    on loopback with --connect-to), audits it with its redirect map and URL list, and writes
    the report. Every rule fires at least once.
    """
    from migrationaudit.pipeline import AuditRequest, run_audit
    from migrationaudit.scenario import ScenarioServer, load_site

    here = demo_dir()
    try:
        site = load_site(here / "site.json")
        with ScenarioServer(site) as server:
            req = AuditRequest(
                maps=(str(here / "redirects.csv"),),
                url_lists=(str(here / "urls.txt"),),
                out_dir=out_dir,
                crawl=CrawlOptions(connect_to=server.connect_to(), timeout=3.0, retries=1),
                checks=build_check_options(settings.MANY_TO_ONE, settings.MAX_HOPS, (), ()),
            )
            if not quiet:
                click.echo("demo: old and new site serving on 127.0.0.1 "
                           f"(http :{server.http_port}, https :{server.https_port})", err=True)
            result = run_audit(req, progress=_progress_printer(quiet))
    except MigrationAuditError as exc:
        _fail(str(exc), debug)
    _finish(result, out_dir, None, quiet, debug)
    click.echo(f"report: {(out_dir / 'report.html').resolve()}")
    sys.exit(EXIT_GATE if (gate and result.gate_failed) else EXIT_OK)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text",
              show_default=True)
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


if __name__ == "__main__":  # pragma: no cover
    main()

"""The other shared command-line options (inputs, the new site, the gate, fixes) and the checks of
their values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from migrationaudit import settings
from migrationaudit.cli.config import config_option
from migrationaudit.cli.configkeys import Checked
from migrationaudit.inputs.logformats import parse_field
from migrationaudit.options import (
    parse_severity_override,
)


def check_severity_override(value: str) -> None:
    rule_id, _ = parse_severity_override(value)
    if rule_id not in known_rule_ids():
        raise click.BadParameter(
            f"{value!r}: unknown rule id {rule_id!r} (see `migrationaudit rules`)"
        )



def check_rule_id(value: str) -> None:
    if value.strip() not in known_rule_ids():
        raise click.BadParameter(f"unknown rule id(s): {value} (see `migrationaudit rules`)")



def known_rule_ids() -> set[str]:
    from migrationaudit.checks import all_rules

    return {r.rule_id for r in all_rules()}



FORMAT_CHOICES = ("html", "json", "csv", "junit", "markdown", "sarif")



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
            type=Checked("RULE=N", gate_parser("budget")),
            help="Budget: RULE fails the gate only with more than N findings (instead "
            "of --fail-on), e.g. redirect-chain=25, redirect-loop=0. Repeatable.",
        ),
        click.option(
            "--ignore",
            "ignores",
            multiple=True,
            metavar="'RULE URL-GLOB REASON'",
            type=Checked("'RULE URL-GLOB REASON'", gate_parser("ignore")),
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
            type=Checked("RULE", check_rule_id),
            help="Switch a rule off (repeatable).",
        ),
        click.option(
            "--severity",
            multiple=True,
            metavar="RULE=LEVEL",
            type=Checked("RULE=LEVEL", check_severity_override),
            help="Override a rule's severity: error, warning, notice or off (repeatable).",
        ),
        click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr."),
        click.option("--debug", is_flag=True, help="Show tracebacks for errors."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return config_option(f)



def gate_parser(kind: str) -> Callable[[str], object]:
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
            type=click.Choice(
                [
                    "auto",
                    "csv",
                    "netlify",
                    "cloudflare",
                    "amplify",
                    "vercel",
                    "nginx",
                    "apache",
                    "cloudflare-bulk",
                ]
            ),
            default="auto",
            show_default=True,
            help="Map file format: CSV/TSV, Netlify/Cloudflare `_redirects`, or AWS "
            "Amplify JSON (auto: from the file name and first line). With check-map, an "
            "explicit netlify, cloudflare or amplify predicts every chain with that host's "
            "semantics (docs/preflight.md); vercel (vercel.json), netlify.toml, nginx, apache "
            "and cloudflare-bulk (Bulk Redirects CSV) are predicted when given or detected.",
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
        click.option(
            "--access-log",
            "access_logs",
            multiple=True,
            metavar="FILE",
            type=click.Path(dir_okay=False),
            help="Server access log (nginx/Apache combined or common, JSON lines, Cloudflare "
            "Logpush, Akamai DataStream 2, CloudFront; .gz too): every requested URL on the "
            "inputs' hosts is audited, ranked by search-engine crawler hits and hits; "
            "failing ones are reported with their hits. Paths without a host need "
            "--base-url. Repeatable.",
        ),
        click.option(
            "--access-log-field",
            "access_log_fields",
            multiple=True,
            metavar="FIELD=NAME",
            type=Checked("FIELD=NAME", parse_field),
            help="Name a JSON-lines log field when it is not one of the usual names; FIELD: "
            "url, host, scheme, status, agent, method, time, client. Repeatable.",
        ),
        click.option(
            "--crawler-ranges",
            "crawler_ranges",
            multiple=True,
            metavar="FILE",
            type=click.Path(dir_okay=False),
            help="Search-engine crawler address ranges as the engines publish them (Google's "
            "googlebot.json, Bing's bingbot.json; downloaded by you, never fetched): an "
            "--access-log request counts as a crawler hit only if its agent says crawler "
            "and its client address is inside a range. Repeatable.",
        ),
        click.option(
            "--launched",
            "launched",
            metavar="DATE",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            help="The launch date (YYYY-MM-DD, UTC): --access-log requests count as still "
            "requested only from then on, and the report and summary say until when the "
            "redirects must stay (a year after).",
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



FIXES_OPTION = click.option(
    "--fixes/--no-fixes",
    "fixes",
    default=True,
    show_default=True,
    help="Write fixes/: the corrected redirect map (every legacy URL to its final healthy "
    "page in one hop) as CSV, nginx, Apache and _redirects rules, and the URLs that "
    "need a human (loops, broken targets).",
)

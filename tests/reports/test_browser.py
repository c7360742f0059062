"""report.html opened from disk in headless Debian Chromium (Playwright for Python).

It renders without a request or a console error; report.js draws the same rows the template
drew; tables search, filter, sort (keyboard too) and page; hostile strings stay text; colours
keep WCAG AA contrast; it prints; and a 100,000-URL audit stays small (capped) and usable."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from audit_fixture import BIDI_URL, HOSTILE_MESSAGE, OLD, SCRIPT_URL, build_audit_result

from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Chain, Hop, HopKind, Outcome
from migrationaudit.models.inputs import LinkValue, Origin
from migrationaudit.models.result import AuditResult, Verdict
from migrationaudit.models.runinfo import RunInfo
from migrationaudit.reports import write_reports
from migrationaudit.reports.html import HTML_ROWS

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BIG = 100_000


@dataclass
class Opened:
    """A page showing the report, and everything it did while loading."""

    page: Any
    uri: str
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser")
    result = build_audit_result()
    # the new site's tri-states on two rows (the fixture leaves them unknown)
    first, second, *rest = result.verdicts
    result = replace(
        result,
        verdicts=(
            replace(first, self_canonical=True, in_sitemap=True, robots_allowed=True),
            replace(second, self_canonical=False, in_sitemap=False, robots_allowed=None),
            *rest,
        ),
    )
    return write_reports(result, out, ["html"])["report.html"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield b
        b.close()


def open_report(browser: Any, report_file: Path, *, javascript: bool = True) -> Iterator[Opened]:
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": 1300, "height": 900}
    )
    page = context.new_page()
    opened = Opened(page=page, uri=report_file.resolve().as_uri())

    def route(r: Any) -> None:
        if r.request.url == opened.uri:
            r.continue_()
        else:
            opened.blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.on("request", lambda r: opened.requests.append(r.url))
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))

    def dialog(d: Any) -> None:
        opened.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(opened.uri)
    page.wait_for_load_state("load")
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture
def opened(browser: Any, report_file: Path) -> Iterator[Opened]:
    yield from open_report(browser, report_file)


def column(page: Any, table: str, col: str) -> list[str]:
    """The texts of one column (by its header's data-col) on the current page."""
    texts: list[str] = page.evaluate(
        """([table, col]) => {
            const heads = [...document.querySelectorAll(table + ' thead th')];
            const i = heads.findIndex(th => th.dataset.col === col);
            return [...document.querySelectorAll(table + ' tbody tr')]
                .map(tr => tr.children[i].innerText.trim());
        }""",
        [table, col],
    )
    return texts


def rows(page: Any, table: str) -> list[str]:
    texts: list[str] = page.locator(f"{table} tbody tr").all_inner_texts()
    return [" ".join(t.split()) for t in texts]


def test_renders_quietly_and_requests_nothing(opened: Opened) -> None:
    page = opened.page
    assert page.title() == "Migration audit: FAIL"
    assert opened.errors == []
    assert opened.requests == [opened.uri]
    assert opened.blocked == []
    assert opened.dialogs == []


def test_summary_numbers_and_charts_are_shown(opened: Opened) -> None:
    page = opened.page
    assert page.locator("#gate").inner_text().startswith("FAIL")
    assert page.locator("#total-urls").inner_text() == "14"
    assert page.locator("#total-findings").inner_text() == "15"
    assert page.locator('[data-verdict-count="error"]').inner_text() == "8"
    for chart in ("#chart-rules", "#chart-hops", "#chart-status"):
        box = page.locator(f"{chart} svg").bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 40
    fill = page.locator("#chart-rules rect").first.evaluate("r => getComputedStyle(r).fill")
    assert fill == "rgb(192, 38, 45)"  # the error colour: CSS applies inside the SVG


def test_javascript_draws_the_same_rows_as_the_template(browser: Any, report_file: Path) -> None:
    tables = ("#failure-table", "#findings-table", "#verdict-table")
    static: dict[str, list[str]] = {}
    for plain in open_report(browser, report_file, javascript=False):
        static = {t: rows(plain.page, t) for t in tables}
    for live in open_report(browser, report_file):
        for t in tables:
            assert rows(live.page, t) == static[t], t
        assert live.errors == []


def test_search_filters_and_counts(opened: Opened) -> None:
    page = opened.page
    box = "#verdicts [data-filter=q]"
    page.fill(box, "dead.example")
    got = rows(page, "#verdict-table")
    assert len(got) == 1 and f"{OLD}/dead" in got[0]
    assert page.locator("#verdicts .count").inner_text() == "1 of 14 rows match"
    page.fill(box, "old.example REFUSED")  # every word must match
    assert len(rows(page, "#verdict-table")) == 1
    page.fill(box, "no such text anywhere")
    assert rows(page, "#verdict-table") == []
    assert page.locator("#verdicts .page-status").inner_text() == "No row matches"
    page.fill(box, "")
    assert len(rows(page, "#verdict-table")) == 14
    assert page.locator("#verdicts .count").inner_text() == ""


def test_filters_by_verdict_rule_host_status_severity(opened: Opened) -> None:
    page = opened.page
    page.select_option("#verdicts [data-filter=verdict]", "incomplete")
    got = rows(page, "#verdict-table")
    assert len(got) == 1 and f"{OLD}/partial" in got[0]
    page.select_option("#verdicts [data-filter=verdict]", "error")
    assert len(rows(page, "#verdict-table")) == 8
    page.select_option("#verdicts [data-filter=verdict]", "")
    page.select_option("#verdicts [data-filter=status]", label="loop")
    assert [r.split()[0] for r in rows(page, "#verdict-table")] == [f"{OLD}/loop"]
    page.select_option("#verdicts [data-filter=status]", "")
    hosts = page.locator("#verdicts [data-filter=host] option").all_inner_texts()
    assert hosts == ["all", "old.example"]  # the legacy URLs' hosts
    page.select_option("#verdicts [data-filter=host]", label="old.example")
    assert len(rows(page, "#verdict-table")) == 14
    page.select_option("#all-findings [data-filter=rule]", label="broken-target")
    assert len(rows(page, "#findings-table")) == 2
    page.select_option("#all-findings [data-filter=rule]", "")
    page.select_option("#all-findings [data-filter=severity]", "warning")
    assert len(rows(page, "#findings-table")) == 6
    assert opened.errors == []


def test_sorting_by_click_and_by_keyboard(opened: Opened) -> None:
    page = opened.page
    header = page.locator('#verdict-table th[data-col="hops"]')
    assert header.get_attribute("aria-sort") == "none"
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    hops = [int(t) for t in column(page, "#verdict-table", "hops")]  # fmt: skip
    assert hops == sorted(hops) and hops[0] == 0
    # the keyboard: focus the same button, Enter sorts descending
    header.locator("button").focus()
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "descending"
    hops = [int(t) for t in column(page, "#verdict-table", "hops")]
    assert hops == sorted(hops, reverse=True) and hops[0] == 3
    # ties keep the report's order: /chain (row 2) before /far (row 4), both 3 hops
    assert [r.split()[0] for r in rows(page, "#verdict-table")[:2]] == [
        f"{OLD}/chain",
        f"{OLD}/far",
    ]
    page.keyboard.press("Space")  # third press: back to the report's own order
    assert header.get_attribute("aria-sort") == "none"
    assert rows(page, "#verdict-table")[0].startswith(f"{OLD}/ok")
    url = page.locator('#verdict-table th[data-col="url"] button')
    url.click()
    urls = [r.split()[0] for r in rows(page, "#verdict-table")]
    assert urls == sorted(urls)


def test_new_site_columns_show_and_sort(opened: Opened) -> None:
    page = opened.page
    heads = page.locator("#verdict-table thead th").all_inner_texts()
    at = heads.index("Indexable")
    assert heads[at + 1 : at + 4] == ["Self-canonical", "In new sitemap", "Robots allowed"]
    assert column(page, "#verdict-table", "self_canonical")[:3] == ["yes", "no", ""]
    assert column(page, "#verdict-table", "in_sitemap")[:3] == ["yes", "no", ""]
    assert column(page, "#verdict-table", "robots_allowed")[:3] == ["yes", "", ""]
    header = page.locator('#verdict-table th[data-col="self_canonical"]')
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    values = column(page, "#verdict-table", "self_canonical")
    assert values[-2:] == ["no", "yes"] and set(values[:-2]) == {""}
    header.locator("button").click()
    assert column(page, "#verdict-table", "self_canonical")[:2] == ["yes", "no"]
    assert opened.errors == []


def test_pages(opened: Opened) -> None:
    page = opened.page
    page.select_option("#verdicts [data-page-size]", "10")
    assert len(rows(page, "#verdict-table")) == 10
    status = page.locator("#verdicts .page-status")
    assert status.inner_text() == "Rows 1–10 of 14 · page 1 of 2"
    assert page.locator('#verdicts [data-page="prev"]').is_disabled()
    page.click('#verdicts [data-page="next"]')
    assert len(rows(page, "#verdict-table")) == 4
    assert status.inner_text() == "Rows 11–14 of 14 · page 2 of 2"
    assert page.locator('#verdicts [data-page="next"]').is_disabled()
    page.click('#verdicts [data-page="first"]')
    assert status.inner_text().startswith("Rows 1–10")


def test_show_a_rules_findings_and_copy_a_curl(opened: Opened) -> None:
    page = opened.page
    page.click("#rule-broken-target button.show-rule")
    assert len(rows(page, "#findings-table")) == 2
    assert (
        page.locator("#all-findings [data-filter=rule]").evaluate(
            "s => s.options[s.selectedIndex].text"
        )
        == "broken-target"
    )
    first = page.locator("#failure-table tbody tr").first
    first.locator("summary").click()
    command = first.locator("code.cmd").inner_text()
    assert command.startswith(
        "curl -sS -o /dev/null -D - -L --max-redirs 10 -A migrationaudit/0.1.0"
    )
    assert command.endswith(f"{OLD}/loop")
    first.locator("button.copy").click()
    page.wait_for_function("() => document.querySelector('#failure-table button.copy')"
                           ".textContent === 'Copied'")  # fmt: skip
    assert opened.errors == []


def test_hostile_strings_are_text_never_executed(opened: Opened) -> None:
    page = opened.page
    body = page.inner_text("body")
    assert SCRIPT_URL in body
    assert HOSTILE_MESSAGE in body
    assert "urls<script>.txt" in body
    assert BIDI_URL.replace("\u202e", "\\u202E") in body
    assert page.locator("script").count() == 2  # the JSON data and report.js
    assert page.locator("img").count() == 0
    hrefs: list[str] = page.eval_on_selector_all(
        "a[href]", "as => as.map(a => a.getAttribute('href'))"
    )  # HTML and SVG links alike
    assert hrefs and not [h for h in hrefs if not h.startswith(("http://", "https://", "#"))]
    # typing hostile text into a filter does not execute it either
    page.fill("#verdicts [data-filter=q]", "<img src=x onerror=alert(9)>")
    page.fill("#all-findings [data-filter=q]", "script")
    assert len(rows(page, "#findings-table")) == 1
    assert opened.dialogs == []
    assert opened.requests == [opened.uri]


def test_contrast_of_badges_and_text(opened: Opened) -> None:
    ratios: list[list[Any]] = opened.page.evaluate(
        """() => {
        const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
        const lum = c => { const [r, g, b] = c.map(v => { v /= 255;
            return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
            return (x + 0.05) / (y + 0.05); };
        const out = [];
        document.querySelectorAll('.badge, .muted, a, .gate strong').forEach(el => {
            let bg = 'rgb(255, 255, 255)';
            for (let n = el; n; n = n.parentElement) {
                const c = getComputedStyle(n).backgroundColor;
                if (c && c !== 'rgba(0, 0, 0, 0)') { bg = c; break; }
            }
            out.push([el.className || el.tagName, ratio(rgb(getComputedStyle(el).color), rgb(bg))]);
        });
        return out;
    }"""
    )
    assert len(ratios) > 50
    low = [(name, round(r, 2)) for name, r in ratios if r < 4.5]
    assert low == []


def test_readable_without_javascript(browser: Any, report_file: Path) -> None:
    for opened in open_report(browser, report_file, javascript=False):
        page = opened.page
        assert not page.locator("[data-toolbar]").first.is_visible()  # controls need JS
        assert len(rows(page, "#verdict-table")) == 14
        assert page.locator("#rule-redirect-loop").is_visible()
        assert not page.locator("button.show-rule").first.is_visible()
        assert opened.requests == [opened.uri]


def test_print_is_a_readable_document(opened: Opened) -> None:
    page = opened.page
    page.emulate_media(media="print")
    assert not page.locator("[data-toolbar]").first.is_visible()
    assert not page.locator("[data-pager]").first.is_visible()
    assert page.locator("#chart-hops svg").is_visible()
    assert len(rows(page, "#verdict-table")) == 14
    assert page.pdf()[:4] == b"%PDF"


# --- 100,000 legacy URLs ----------------------------------------------------------------------


def synthetic_result(n: int) -> AuditResult:
    """A big audit built directly (no crawl): 60% one clean hop, 20% two-hop chains, 10%
    broken targets, 10% loops; every 7th URL has backlinks (so rows are ranked by value)."""
    chains: dict[str, Chain] = {}
    verdicts: list[Verdict] = []
    findings: list[Finding] = []
    origin = Origin("big.csv", 1)
    for i in range(n):
        url = f"http://old.example/p/{i}"
        new = f"https://new.example/p/{i}"
        kind = i % 10
        rules: tuple[str, ...] = ()
        if kind < 6:
            hops = (Hop(url, 301, HopKind.HTTP_REDIRECT, new, new), Hop(new, 200, HopKind.FINAL))
            outcome, verdict = Outcome.FINAL, "ok"
        elif kind < 8:
            mid = url + "/"
            hops = (
                Hop(url, 301, HopKind.HTTP_REDIRECT, mid, mid),
                Hop(mid, 302, HopKind.HTTP_REDIRECT, new, new),
                Hop(new, 200, HopKind.FINAL),
            )
            outcome, verdict, rules = Outcome.FINAL, "warning", ("redirect-chain",)
        elif kind == 8:
            hops = (Hop(url, 301, HopKind.HTTP_REDIRECT, new, new), Hop(new, 404, HopKind.FINAL))
            outcome, verdict, rules = Outcome.FINAL, "error", ("broken-target",)
        else:
            back = url + "/loop"
            hops = (
                Hop(url, 301, HopKind.HTTP_REDIRECT, back, back),
                Hop(back, 301, HopKind.HTTP_REDIRECT, url, url),
            )
            outcome, verdict, rules = Outcome.LOOP, "error", ("redirect-loop",)
        chain = Chain(url, hops, outcome, loop_at=url if outcome is Outcome.LOOP else None)
        chains[url] = chain
        for rule_id in rules:
            severity = Severity.WARNING if rule_id == "redirect-chain" else Severity.ERROR
            findings.append(
                Finding(
                    rule_id,
                    severity,
                    url,
                    f"{rule_id} on page {i}",
                    "Redirect in one hop.",
                    hops,
                    chain.final_url,
                    new,
                    origin,
                )
            )
        value = LinkValue(referring_domains=i % 97, clicks=i % 13) if i % 7 == 0 else None
        verdicts.append(Verdict(url, verdict, outcome, chain.hop_count, chain.final_url,
                                chain.final_status, new, None, None, None, rules, origin,
                                chain.path_text(), value))  # fmt: skip
    # most valuable first, as the pipeline ranks them with --priority
    verdicts.sort(key=lambda v: v.value.rank_key if v.value else (0,) * 5, reverse=True)
    return AuditResult(
        findings=tuple(findings),
        verdicts=tuple(verdicts),
        chains=chains,
        skipped=(),
        rules=(),
        fail_on=Severity.ERROR,
        run=RunInfo.from_dict({"options": {"max_hops": 10}}),
    )


@dataclass
class BigReport:
    path: Path
    render_s: float


@pytest.fixture(scope="module")
def big_report(tmp_path_factory: pytest.TempPathFactory) -> BigReport:
    result = synthetic_result(BIG)
    out = tmp_path_factory.mktemp("big")
    started = time.monotonic()
    path = write_reports(result, out, ["html"])["report.html"]  # the default cap
    return BigReport(path, time.monotonic() - started)


def expected_listed(n: int, cap: int) -> list[int]:
    """The synthetic URLs a capped report lists, by the documented order (worst verdict,
    then link value, then URL): only errors here (every 10th broken, every 10th a loop)."""
    errors = [i for i in range(n) if i % 10 >= 8]

    def key(i: int) -> tuple[int, int, str]:
        rd, clicks = (i % 97, i % 13) if i % 7 == 0 else (0, 0)
        return (-rd, -clicks, f"http://old.example/p/{i}")

    return sorted(errors, key=key)[:cap]


def test_a_100000_url_report_is_capped_small_and_usable(
    browser: Any, big_report: BigReport
) -> None:
    cap = HTML_ROWS
    listed = expected_listed(BIG, cap)
    assert big_report.path.stat().st_size < 5_000_000
    assert big_report.render_s < 60, big_report.render_s
    started = time.monotonic()
    for opened in open_report(browser, big_report.path):
        page = opened.page
        page.wait_for_selector(f"#verdicts .page-status:has-text('page 1 of {cap // 50}')")
        assert time.monotonic() - started < 15
        # the summary still counts every URL and every finding
        assert page.locator("#total-urls").inner_text() == "100000"
        assert page.locator('[data-verdict-count="error"]').inner_text() == "20000"
        assert page.locator("#total-findings").inner_text() == "40000"
        assert "(20000 findings)" in page.locator("#rule-redirect-chain h3").inner_text()
        # each table says it is capped, and that no file of this run (html only) holds the rest
        notes = {
            name: " ".join(page.locator(f'[data-capped="{name}"]').inner_text().split())
            for name in ("failures", "findings", "verdicts")
        }
        assert notes["verdicts"].startswith(f"Showing {cap:,} of 100,000 legacy URLs")
        assert notes["failures"].startswith(f"Showing {cap:,} of 40,000 failing legacy URLs")
        assert notes["findings"].startswith(f"Showing {3 * cap:,} of 40,000 findings")
        assert "the full data is in no file of this run (add --format json" in notes["verdicts"]
        hrefs = page.eval_on_selector_all(
            '[data-capped="verdicts"] a', "els => els.map(a => a.getAttribute('href'))"
        )
        assert hrefs == []  # written with --format html only: no link to a missing file
        # the worst first: errors, the most valuable first
        first = rows(page, "#verdict-table")[0]
        assert first.startswith(f"http://old.example/p/{listed[0]} 96 ref. domains")
        assert set(column(page, "#verdict-table", "verdict")) == {"error"}
        # a listed URL is found; a clean URL is not listed
        page.fill("#verdicts [data-filter=q]", f"old.example/p/{listed[-1]} ")
        got = rows(page, "#verdict-table")
        assert len(got) == 1 and got[0].startswith(f"http://old.example/p/{listed[-1]} ")
        page.fill("#verdicts [data-filter=q]", "old.example/p/10000 ")
        assert page.locator("#verdicts .page-status").inner_text() == "No row matches"
        page.fill("#verdicts [data-filter=q]", "")
        # filter: the loops among the listed rows
        loops = sum(1 for i in listed if i % 10 == 9)
        page.select_option("#verdicts [data-filter=status]", label="loop")
        assert page.locator("#verdicts .count").inner_text() == f"{loops:,} of {cap:,} rows match"
        page.select_option("#verdicts [data-filter=status]", "")
        # sort by hops (broken targets 1, loops 2), then page to the end
        page.locator('#verdict-table th[data-col="hops"] button').click()
        assert set(column(page, "#verdict-table", "hops")) == {"1"}
        page.click('#verdicts [data-page="last"]')
        assert page.locator("#verdicts .page-status").inner_text() == (
            f"Rows {cap - 49:,}–{cap:,} of {cap:,} · page {cap // 50} of {cap // 50}"
        )
        assert set(column(page, "#verdict-table", "hops")) == {"2"}
        # the findings table: the worst rows of each of the three rules
        page.select_option("#all-findings [data-filter=rule]", label="broken-target")
        assert page.locator("#all-findings .count").inner_text() == (
            f"{cap:,} of {3 * cap:,} rows match"
        )
        # a rule section's button shows that rule's worst rows
        button = page.locator("#rule-redirect-chain button.show-rule")
        assert button.inner_text() == f"Show the {cap} worst in the findings table"
        button.click()
        assert page.locator("#all-findings .count").inner_text() == (
            f"{cap:,} of {3 * cap:,} rows match"
        )
        assert set(column(page, "#findings-table", "rule")) == {"redirect-chain"}
        assert opened.errors == []
        assert opened.requests == [opened.uri]


# --- the demo, as `migrationaudit demo` writes it ---------------------------------------------


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "report"
    proc = subprocess.run(
        [sys.executable, "-m", "migrationaudit.cli", "demo", "--out", str(out), "-q"],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    return out / "report.html"


def test_the_demo_report_ranks_filters_sorts_and_pages(browser: Any, demo_report: Path) -> None:
    fixes = (demo_report.parent / "fixes" / "redirects.csv").read_text().splitlines()
    for opened in open_report(browser, demo_report):
        page = opened.page
        assert (
            page.locator("#failures-h").inner_text().startswith("The failures that cost the most")
        )
        first = rows(page, "#failure-table")[0]
        # the export's most linked failing page: /press (61 referring domains) answers 404
        assert first.startswith("1 http://www.oldshop.example/press 61 ref. domains")
        assert page.locator("#fix-count").inner_text() == str(len(fixes) - 1)
        page.select_option("#all-findings [data-filter=rule]", label="valuable-url-unmapped")
        unmapped = [r.split()[2] for r in rows(page, "#findings-table")]
        assert unmapped == ["http://www.oldshop.example/gift-guide",
                            "http://www.oldshop.example/brochure.pdf"]  # fmt: skip
        page.select_option("#verdicts [data-page-size]", "10")
        assert page.locator("#verdicts .page-status").inner_text().startswith("Rows 1–10 of ")
        page.click('#verdicts [data-page="next"]')
        assert page.locator("#verdicts .page-status").inner_text().startswith("Rows 11–20 of ")
        page.locator('#verdict-table th[data-col="value"] button').click()
        assert rows(page, "#verdict-table")[0].startswith("http://www.oldshop.example/ 214 ref.")
        assert opened.errors == []
        assert opened.requests == [opened.uri]

"""report.html opened from disk in headless Debian Chromium (Playwright for Python).

It renders, shows the numbers and chains, the filter works, it logs no error, requests nothing
but itself, and hostile strings stay text (no dialog ever opens)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from audit_fixture import BIDI_URL, HOSTILE_MESSAGE, OLD, SCRIPT_URL, build_audit_result
from migrationaudit.reports import write_reports

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
    return write_reports(build_audit_result(), out, ["html"])["report.html"]


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
    context = browser.new_context(java_script_enabled=javascript)
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


def visible_rows(page: Any, table: str) -> list[str]:
    rows: list[str] = page.locator(f"{table} tbody tr:visible").all_inner_texts()
    return rows


def test_renders_quietly_and_requests_nothing(opened: Opened) -> None:
    page = opened.page
    assert page.title() == "Migration audit: FAIL"
    assert opened.errors == []
    assert opened.requests == [opened.uri]
    assert opened.blocked == []
    assert opened.dialogs == []


def test_summary_numbers_are_shown(opened: Opened) -> None:
    page = opened.page
    assert page.locator("#gate").inner_text().startswith("FAIL")
    assert page.locator("#total-urls").inner_text() == "14"
    assert page.locator("#total-findings").inner_text() == "15"
    assert page.locator('[data-verdict-count="error"]').inner_text() == "8"
    assert page.locator('[data-severity-count="warning"]').inner_text() == "6"
    assert page.locator("#rule-counts").is_visible()


def test_a_chain_is_shown_hop_by_hop(opened: Opened) -> None:
    section = opened.page.locator("#rule-redirect-loop")
    assert section.is_visible()
    text = " ".join(section.locator("tbody tr").inner_text().split())
    assert f"{OLD}/loop --301--> {OLD}/loop-b --302--> {OLD}/loop [loop]" in text
    badge = section.locator("b.badge.end")
    assert badge.inner_text() == "[loop]"
    # a status badge is coloured (CSS applied, not just present)
    color = badge.evaluate("b => getComputedStyle(b).backgroundColor")
    assert color not in ("", "rgba(0, 0, 0, 0)")


def test_search_filters_rows(opened: Opened) -> None:
    page = opened.page
    assert page.locator("#controls").is_visible()
    total = page.locator("tr[data-row]").count()
    page.fill("#filter", "dead.example")
    verdicts = visible_rows(page, "#verdict-table")
    assert len(verdicts) == 1 and f"{OLD}/dead" in verdicts[0]
    assert page.locator("#filter-status").inner_text() == f"2 of {total} rows shown"
    assert page.locator("#rule-broken-target").is_visible()
    assert not page.locator("#rule-redirect-loop").is_visible()  # no match: section hidden
    # several words must all match
    page.fill("#filter", "old.example REFUSED")
    assert len(visible_rows(page, "#rule-broken-target")) == 1
    page.fill("#filter", "no such text anywhere")
    assert visible_rows(page, "#verdict-table") == []
    page.fill("#filter", "")
    assert len(visible_rows(page, "#verdict-table")) == 14
    assert page.locator("#rule-redirect-loop").is_visible()
    assert page.locator("#filter-status").inner_text() == ""


def test_verdict_filter(opened: Opened) -> None:
    page = opened.page
    page.select_option("#verdict-filter", "incomplete")
    rows = visible_rows(page, "#verdict-table")
    assert len(rows) == 1 and f"{OLD}/partial" in rows[0]
    page.select_option("#verdict-filter", "error")
    assert len(visible_rows(page, "#verdict-table")) == 8
    page.select_option("#verdict-filter", "")
    assert len(visible_rows(page, "#verdict-table")) == 14
    assert opened.errors == []


def test_hostile_strings_are_text_never_executed(opened: Opened) -> None:
    page = opened.page
    body = page.inner_text("body")
    assert SCRIPT_URL in body
    assert HOSTILE_MESSAGE in body
    assert "urls<script>.txt" in body
    assert BIDI_URL.replace("\u202e", "\\u202E") in body
    assert page.locator("script").count() == 1
    assert page.locator("img").count() == 0
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    assert hrefs and not [h for h in hrefs if not h.startswith(("http://", "https://", "file:"))]
    # typing hostile text into the filter does not execute it either
    page.fill("#filter", "<img src=x onerror=alert(9)>")
    assert opened.dialogs == []
    assert opened.requests == [opened.uri]


def test_readable_without_javascript(browser: Any, report_file: Path) -> None:
    for opened in open_report(browser, report_file, javascript=False):
        page = opened.page
        assert not page.locator("#controls").is_visible()  # a box that cannot work stays hidden
        assert len(visible_rows(page, "#verdict-table")) == 14
        assert page.locator("#rule-redirect-loop").is_visible()
        assert opened.requests == [opened.uri]


def test_print_hides_the_controls(opened: Opened) -> None:
    page = opened.page
    page.emulate_media(media="print")
    assert not page.locator("#controls").is_visible()
    assert len(visible_rows(page, "#verdict-table")) == 14
    assert page.pdf()[:4] == b"%PDF"  # it prints

"""The built-in demo, as the README's first command runs it: real servers on loopback, the CLI
in a subprocess, every rule planted at least once, and the report opened in headless Chromium."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("demo") / "report"
    proc = subprocess.run(
        [sys.executable, "-m", "migrationaudit.cli", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    return proc, out


def registered_rules() -> set[str]:
    from migrationaudit.checks import all_rules

    return {r.rule_id for r in all_rules()}


def test_demo_exits_0_and_says_where_the_report_is(demo_run) -> None:  # type: ignore[no-untyped-def]
    proc, out = demo_run
    assert proc.returncode == 0, proc.stderr
    assert f"report: {(out / 'report.html').resolve()}" in proc.stdout
    for name in (
        "report.html",
        "findings.json",
        "hops.csv",
        "verdicts.csv",
        "junit.xml",
        "summary.md",
    ):
        assert (out / name).is_file(), name


def test_demo_exercises_every_rule(demo_run) -> None:  # type: ignore[no-untyped-def]
    _, out = demo_run
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    fired = {f["rule"] for f in data["findings"]}
    assert registered_rules() - fired == set()
    assert data["skipped_rules"] == []


def test_demo_gate_flag_returns_the_gate_code(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "migrationaudit.cli",
            "demo",
            "--gate",
            "-q",
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 1, proc.stderr


@pytest.mark.browser
def test_demo_report_renders_in_chromium(demo_run) -> None:  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    _, out = demo_run
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    report = (out / "report.html").resolve()
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report.as_uri())
        text = page.inner_text("body")
        browser.close()
    assert errors == []
    assert requests == [report.as_uri()], "the report must not request anything"
    # the summary numbers
    assert str(data["summary"]["legacy_urls"]) in text
    assert str(data["summary"]["findings"]["error"]) in text
    # a chain, drawn hop by hop
    assert "http://www.oldshop.example/contact" in text
    assert re.search(r"https://www\.newshop\.example/contact\s", text)
    assert "https://www.newshop.example/contact/" in text


def test_demo_ranks_its_access_log(demo_run) -> None:  # type: ignore[no-untyped-def]
    _, out = demo_run
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    old = "http://www.oldshop.example"
    still = {
        f["url"]: f["message"] for f in data["findings"] if f["rule"] == "legacy-url-still-failing"
    }
    assert set(still) == {f"{old}/press", f"{old}/team", f"{old}/cart"}
    launched = data["run"]["launched"]["date"]  # a week ago: the log is replayed since
    assert still[f"{old}/press"].startswith(
        f"requested 4 times since {launched} in the access logs, 2 by search-engine crawlers; "
        "today it answers 404"
    )
    notes = data["run"]["input"]["access_logs"]
    assert (notes["malformed_lines"], notes["other_methods"]) == (1, 1)
    assert notes["malformed_examples"][0].endswith("access.jsonl:8: not valid JSON")


def test_demo_leads_with_the_watch_and_ranks_the_logs(demo_run) -> None:  # type: ignore[no-untyped-def]
    proc, out = demo_run
    lines = proc.stderr.splitlines()
    old = "http://www.oldshop.example"
    head = [ln for ln in lines if ln.startswith("watch: since")]
    assert head and "1 regressed, 1 fixed, 1 new" in head[0], proc.stderr
    assert f"watch:   regressed: {old}/press (ok → error)" in lines
    assert f"watch:   fixed: {old}/about-us (error → ok)" in lines
    assert "watch:   new: http://outlet.oldshop.example/ (not audited → warning)" in lines
    logs = [ln for ln in lines if ln.startswith("logs: ")]
    assert logs[0] == f"logs: {old}/press: 4 requests, 2 by crawlers; today error"
    assert len(logs) == 5
    hosts = [ln for ln in lines if ln.startswith("hosts: https://www.oldshop.example: 127.0.0.1")]
    assert hosts and "days left" in hosts[0]
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert data["run"]["watch"]["counts"]["regressed"] == 1
    assert [h["origin"] for h in data["run"]["hosts"]["hosts"]][:2] == [
        old,
        "https://www.oldshop.example",
    ]

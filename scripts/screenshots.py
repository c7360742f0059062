"""Refresh the report screenshots in docs/ (shown in the README) from the built-in demo.

Runs ``migrationaudit demo`` into a temporary folder, opens its report.html in headless Debian
Chromium (Playwright for Python) and saves four PNGs: the summary with its charts, the
failures that cost the most, one rule section, and the findings table filtered to one rule.
Each PNG is kept under 300 KB (the clip height shrinks until it fits).

Usage: python scripts/screenshots.py [--out docs] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MAX_BYTES = 300_000
WIDTH = 1280


def shoot(page: Any, target: Path, selector: str, height: int) -> int:
    """Screenshot the top ``height`` pixels of ``selector``; shrink until under MAX_BYTES."""
    top, tall = page.evaluate(
        """sel => { const r = document.querySelector(sel).getBoundingClientRect();
                    return [r.top + window.scrollY, r.height]; }""",
        selector,
    )  # page coordinates: a full-page clip does not depend on the scroll position
    while True:
        clip = {"x": 0, "y": top, "width": WIDTH, "height": min(height, tall)}
        data: bytes = page.screenshot(clip=clip, full_page=True)
        if len(data) <= MAX_BYTES or height <= 300:
            target.write_bytes(data)
            return len(data)
        height -= 100


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        report_dir = Path(tmp) / "report"
        subprocess.run(
            [sys.executable, "-m", "migrationaudit.cli", "demo", "--out", str(report_dir), "-q"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        args.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": WIDTH, "height": 900})
            page.goto((report_dir / "report.html").resolve().as_uri())
            # the run's temporary paths and ports would change on every refresh: hide them
            page.add_style_tag(content="dl.run { display: none !important; }")
            page.locator("#failure-table tbody tr").first.locator("summary").click()
            sizes = {
                "report-summary.png": shoot(page, args.out / "report-summary.png", "body", 1150),
                "report-failures.png": shoot(
                    page, args.out / "report-failures.png", "#failures", 900
                ),
                "report-rule.png": shoot(
                    page, args.out / "report-rule.png", "#rule-redirect-chain", 700
                ),
            }
            page.select_option("#all-findings [data-filter=rule]", label="redirect-loop")
            sizes["report-findings.png"] = shoot(
                page, args.out / "report-findings.png", "#all-findings", 700
            )
            browser.close()
    for name, size in sizes.items():
        print(f"{args.out / name}: {size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

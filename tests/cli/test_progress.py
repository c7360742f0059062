"""The progress reporter: a bar redrawn in place on a terminal, periodic lines in a log."""

from __future__ import annotations

from pathlib import Path

from migrationaudit.cli.progress import ProgressReporter, format_clock, render_bar


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_format_duration_and_bar() -> None:
    assert [format_clock(s) for s in (0, 7.4, 63, 3723, -5)] == [
        "0:00",
        "0:07",
        "1:03",
        "1:02:03",
        "0:00",
    ]
    assert render_bar(0, 10, width=10) == "[----------]"
    assert render_bar(5, 10, width=10) == "[#####-----]"
    assert render_bar(10, 10, width=10) == "[##########]"
    assert render_bar(0, 0, width=4) == "[####]"


def test_log_lines_are_periodic_with_rate_and_eta() -> None:
    out: list[str] = []
    clock = Clock()
    progress = ProgressReporter(out.append, tty=False, interval=10.0, clock=clock)
    progress.update(0, 100, 0)
    assert out == ["progress: 0/100 legacy URLs done (0%), 0 URLs fetched, -/s, ETA -\n"]
    clock.now += 5
    progress.update(20, 100, 45)  # within the interval: nothing
    assert len(out) == 1
    clock.now += 5
    progress.update(40, 100, 90)
    assert out[-1] == "progress: 40/100 legacy URLs done (40%), 90 URLs fetched, 4.0/s, ETA 0:15\n"
    progress.update(100, 100, 230)  # the end is always shown, even within the interval
    assert out[-1].startswith("progress: 100/100 legacy URLs done (100%), 230 URLs fetched")
    assert out[-1].endswith(", done\n")
    progress.update(100, 100, 230)  # the crawl's closing report repeats it: shown once
    assert len(out) == 3


def test_rate_counts_this_run_only() -> None:
    out: list[str] = []
    clock = Clock()
    progress = ProgressReporter(out.append, tty=False, interval=0.0, clock=clock)
    progress(50, 100)  # a resumed run starts half done; plain (done, total) calls work too
    clock.now += 10
    progress(60, 100)
    assert "1.0/s" in out[-1] and "ETA 0:40" in out[-1] and "URLs fetched" not in out[-1]


def test_tty_redraws_one_line() -> None:
    out: list[str] = []
    clock = Clock()
    progress = ProgressReporter(out.append, tty=True, clock=clock)
    progress.update(0, 8, 0)
    clock.now += 2
    progress.update(4, 8, 9)
    assert all(text.startswith("\r") and "\n" not in text for text in out)
    assert "[############------------] 4/8 legacy URLs  50%  9 fetched  2.0/s  ETA 0:02" in out[-1]
    clock.now += 0.05
    progress.update(5, 8, 10)  # redraws are throttled
    assert len(out) == 2
    clock.now += 1
    progress.update(2, 8, 3)
    shorter = out[-1]
    assert len(shorter) >= len(out[-2])  # padded: no leftovers of a longer line


def test_counts_of_one_are_singular() -> None:
    """"1 URLs" nowhere: a count of one is said in the singular."""
    out: list[str] = []
    progress = ProgressReporter(out.append, tty=False, interval=0.0, clock=Clock())
    progress.update(0, 1, 1)
    assert out == ["progress: 0/1 legacy URL done (0%), 1 URL fetched, -/s, ETA -\n"]


def test_demo_progress_total_counts_the_old_sitemaps_urls(tmp_path: Path) -> None:
    """The demo's old sitemap lists a legacy URL no input names: the progress total counts it,
    so the last progress line and the summary name the same number of legacy URLs."""
    import re
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "migrationaudit.cli", "demo", "--out", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    progress = [ln for ln in proc.stderr.splitlines() if ln.startswith("progress: ")]
    summary = next(ln for ln in proc.stderr.splitlines() if ln.startswith("migrationaudit: "))
    total = re.match(r"migrationaudit: (\d+) legacy URLs", summary)
    last = re.match(r"progress: (\d+)/(\d+) legacy URLs done", progress[-1])
    assert total and last, proc.stderr
    assert last.group(1) == last.group(2) == total.group(1), (progress[-1], summary)

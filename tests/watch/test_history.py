"""``--history DIR``: two runs on a site changed in between, the second compared with the
first without naming it; the oldest runs removed beyond ``--history-keep``."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rawserver import NOT_FOUND, RawServer, page, redirect

from migrationaudit.errors import ConfigError
from migrationaudit.history import entries, newest, record


def audit(out: Path, urls: Path, history: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "migrationaudit.cli", "audit", "--urls", str(urls)]
    args += ["--out", str(out), "--timeout", "3", "--retries", "0", "--format", "json"]
    args += ["--history", str(history), *extra]
    return subprocess.run(args, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("history")
    history = tmp / "history"
    with RawServer(default=NOT_FOUND) as site:
        for path in ("/a-new", "/b-new"):
            site.route(path, page())
        site.route("/a", redirect(site.url("/a-new")))
        site.route("/b", NOT_FOUND)
        urls = tmp / "urls.txt"
        urls.write_text("".join(site.url(p) + "\n" for p in ("/a", "/b", "/c")))
        first = audit(tmp / "run1", urls, history)
        kept_after_first = len(entries(history))
        site.route("/a", NOT_FOUND)  # /a breaks, /b is fixed
        site.route("/b", redirect(site.url("/b-new")))
        second = audit(tmp / "run2", urls, history)
        kept_after_second = [p.name for p in entries(history)]
        third = audit(tmp / "run3", urls, history, "--history-keep", "1")
        base = site.base()
    return tmp, base, history, first, kept_after_first, second, kept_after_second, third


def test_the_first_run_is_kept_and_compared_with_nothing(runs: Any) -> None:
    _, _, _, first, kept, *_ = runs
    assert first.returncode == 1, first.stderr  # /b and /c answer 404
    assert kept == 1
    assert "watch:" not in first.stderr
    assert "history: kept as " in first.stderr


def test_the_second_run_leads_with_what_changed_since_the_newest(runs: Any) -> None:
    tmp, base, history, _, _, second, kept, _ = runs
    lines = second.stderr.splitlines()
    head = [ln for ln in lines if ln.startswith("watch: since")]
    assert head and "1 regressed, 1 fixed, 0 new, 1 still failing" in head[0], second.stderr
    assert str(history / kept[0]) in head[0]  # compared with the run kept before it
    assert f"watch:   regressed: {base}/a (ok → error)" in lines
    assert f"watch:   fixed: {base}/b (error → ok)" in lines
    info = json.loads((tmp / "run2" / "findings.json").read_text())["run"]["watch"]
    assert [r["url"] for r in info["still_failing"]] == [f"{base}/c"]
    assert len(kept) == 2


def test_history_keep_removes_the_oldest(runs: Any) -> None:
    _, _, history, _, _, _, kept, third = runs
    assert third.returncode == 1, third.stderr
    left = entries(history)
    assert len(left) == 1 and left[0].name not in kept
    # the third run compared with the second: nothing changed
    assert "0 regressed, 0 fixed, 0 new, 2 still failing" in third.stderr  # /a and /c


def test_record_names_clashes_and_leaves_other_files_alone(tmp_path: Path) -> None:
    when = datetime(2026, 12, 7, 19, 30, tzinfo=UTC)
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "20200101T000000Z").mkdir()  # no findings.json: not a kept run
    a = record(tmp_path, "{}", keep=2, now=when)
    b = record(tmp_path, "{}", keep=2, now=when)
    c = record(tmp_path, '{"x": 1}', keep=2, now=when)
    assert (a.name, b.name, c.name) == (
        "20261207T193000Z",
        "20261207T193000Z-2",
        "20261207T193000Z-3",
    )
    assert [p.name for p in entries(tmp_path)] == [b.name, c.name]
    assert newest(tmp_path) == c / "findings.json"
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "20200101T000000Z").is_dir()
    with pytest.raises(ConfigError):
        record(tmp_path, "{}", keep=0)

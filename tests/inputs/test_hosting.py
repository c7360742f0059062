"""Hosting redirect files (Netlify `_redirects`, Amplify JSON) read as maps: exact rules become
rules; pattern rules are kept as skipped rows with a reason; bad rows name their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrationaudit.errors import InputError
from migrationaudit.inputs.mapfiles import detect_format, read_map_file

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"


def test_netlify_exact_rules_statuses_and_skips(tmp_path: Path) -> None:
    p = tmp_path / "_redirects"
    p.write_text(
        "# comment\n"
        "/old  /new\n"
        "/tmp  /later  302\n"
        "/forced /f 301!\n"
        "/blog/:slug /posts/:slug\n"
        "/docs/*  /documentation/:splat  301\n"
        "/app/*  /index.html  200\n"
        "/fr  /fr-fr  302  Country=fr\n"
        "/anchor#x /y\n",
        encoding="utf-8",
    )
    assert detect_format(p) == "netlify"
    rules, skipped = read_map_file(p, "https://site.example")
    assert [(r.source, r.expected_target, r.expected_status, r.origin.line) for r in rules] == [
        ("https://site.example/old", "https://site.example/new", 301, 2),
        ("https://site.example/tmp", "https://site.example/later", 302, 3),
        ("https://site.example/forced", "https://site.example/f", 301, 4),
    ]
    assert [s.origin.line for s in skipped] == [5, 6, 7, 8, 9]
    assert "pattern rule" in skipped[0].reason and "rewrite" in skipped[2].reason


def test_amplify_json_lines_and_skips(tmp_path: Path) -> None:
    p = tmp_path / "redirects.json"
    p.write_text(
        '[\n {"source": "/a/", "target": "/b/", "status": "301"},\n'
        ' {"source": "/c/<*>", "target": "/d/", "status": "301"},\n'
        ' {"source": "/e/", "target": "https://x.example/f", "status": "302"}\n]\n',
        encoding="utf-8",
    )
    rules, skipped = read_map_file(p, "https://docs.example")
    assert [(r.source, r.expected_target, r.expected_status, r.origin.line) for r in rules] == [
        ("https://docs.example/a/", "https://docs.example/b/", 301, 2),
        ("https://docs.example/e/", "https://x.example/f", 302, 4),
    ]
    assert [s.origin.line for s in skipped] == [3]


def test_amplify_bad_json_names_line(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    p.write_text('[\n {"source": "/a", "target": "/b"},\n {"source": 5, "target": "/c"}\n]',
                 encoding="utf-8")
    with pytest.raises(InputError, match=r"r.json:3: expected an object"):
        read_map_file(p, "https://d.example")


@pytest.mark.skipif(not CORPORA.is_dir(), reason="shared corpora not present")
@pytest.mark.parametrize(("folder", "host", "rules_n", "skipped_n"), [
    ("kong-docs/_redirects", "https://docs.konghq.com", 574, 419),
    ("amplify-docs/redirects.json", "https://docs.amplify.aws", 1934, 152),
])
def test_real_corpora_every_row_accounted_for(folder: str, host: str, rules_n: int,
                                              skipped_n: int) -> None:
    rules, skipped = read_map_file(CORPORA / folder, host)
    assert (len(rules), len(skipped)) == (rules_n, skipped_n)


def test_skipped_map_rows_are_said_on_stderr(tmp_path: Path) -> None:
    """check-map names map rows it did not audit on stderr, never silently."""
    import subprocess
    import sys

    (tmp_path / "_redirects").write_text(
        "/a /b 301\n/blog/* /news/:splat 301\n/ /us 302 Country=us\n/store id=4 /shop/4 301\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "migrationaudit.cli", "check-map", "--map", "_redirects",
         "--base-url", "https://site.example", "--out", "out", "--format", "json"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "map rows not audited: 2 (2 pattern, rewrite or conditional)" in proc.stderr
    import json

    data = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert {v["url"] for v in data["verdicts"]} == {
        "https://site.example/a",
        "https://site.example/store?id=4",  # a query condition: an exact rule, audited
    }

"""The command line as users run it: a subprocess, real exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(
    *args: str, stdin: str | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migrationaudit.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


BAD_INPUTS = [
    (
        "missing-column.csv",
        "url,notes\nhttp://a.example/,x\n",
        "missing-column.csv:1: missing column new_url in header (found: url, notes)",
    ),
    # Not one readable row: the file cannot be audited at all (a bad row among good ones is a
    # finding instead: test_unreadable_map_row_is_a_finding_on_its_line).
    (
        "bad-url.csv",
        "old_url,new_url\nhttp://a b/,/x\n",
        "bad-url.csv:2: unparseable old_url 'http://a b/'",
    ),
    (
        "bad-scheme.csv",
        "ftp://a.example/f,http://b.example/\n",
        "bad-scheme.csv:1: old_url 'ftp://a.example/f' has scheme 'ftp'",
    ),
    ("relative.csv", "/a,/b\n", "relative.csv:1: relative old_url '/a' needs --base-url"),
    (
        "no-scheme.csv",
        "old.example/a,https://new.example/a\n",
        "no-scheme.csv:1: old_url 'old.example/a' is missing its scheme",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_INPUTS)
def test_bad_map_exits_2_with_one_line(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    proc = run_cli("audit", "--map", name, "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert message in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "run" / "hops.jsonl").exists()


def test_undecodable_bytes_exit_2(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_bytes(
        b"http://a.example/,http://b.example/\nhttp://a.example/\xe9,/\n"
    )
    proc = run_cli("audit", "--map", "m.csv", cwd=tmp_path)
    assert proc.returncode == 2
    assert "m.csv:2: undecodable bytes" in proc.stderr


def test_bad_url_on_stdin_exit_2(tmp_path: Path) -> None:
    proc = run_cli(
        "audit", "--urls", "-", stdin="https://a.example/\njavascript:alert(1)\n", cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "<stdin>:2:" in proc.stderr and "scheme 'javascript'" in proc.stderr


def test_nothing_to_audit_exit_2(tmp_path: Path) -> None:
    proc = run_cli("audit", cwd=tmp_path)
    assert proc.returncode == 2
    assert "nothing to audit" in proc.stderr


def test_usage_error_exit_2(tmp_path: Path) -> None:
    proc = run_cli("audit", "--max-hops", "0", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--max-hops" in proc.stderr


@pytest.mark.parametrize("value", ["nohost", "a.example:x:127.0.0.1", "a.example:80"])
def test_bad_resolve_exit_2(tmp_path: Path, value: str) -> None:
    (tmp_path / "m.csv").write_text("http://a.example/,http://b.example/\n", encoding="utf-8")
    proc = run_cli("audit", "--map", "m.csv", "--resolve", value, cwd=tmp_path)
    assert proc.returncode == 2
    assert "HOST:PORT:ADDR" in proc.stderr


def test_unknown_rule_id_exit_2(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("http://a.example/,http://b.example/\n", encoding="utf-8")
    proc = run_cli("audit", "--map", "m.csv", "--disable", "no-such-rule", cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown rule id(s): no-such-rule" in proc.stderr


def test_check_map_finds_map_defects_without_requests(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(
        "old_url,new_url\n"
        "http://a.example/1,http://a.example/2\n"
        "http://a.example/2,http://a.example/1\n"
        "http://a.example/3,http://a.example/3\n",
        encoding="utf-8",
    )
    proc = run_cli("check-map", "--map", "m.csv", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    import json

    data = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    rules = {(f["rule"], f["url"]) for f in data["findings"]}
    assert ("map-loop", "http://a.example/1") in rules
    assert ("map-self", "http://a.example/3") in rules
    assert not (tmp_path / "out" / "run").exists()


def test_check_map_clean_map_exits_0(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("http://a.example/1,https://b.example/1\n", encoding="utf-8")
    proc = run_cli("check-map", "--map", "m.csv", "--out", "out", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_unreadable_map_row_is_a_finding_on_its_line(tmp_path: Path) -> None:
    """One row that cannot be read (a space in the host) does not stop the audit: it is a
    map-row-unreadable finding naming its line, every other row is checked, and a space in a
    path is percent-encoded as browsers do."""
    import json

    (tmp_path / "m.tsv").write_text(
        "# FROM\tTO\n/a\t/docs/Usando audio y video\n/b\t/b\nhttp://a b/\t/x\n/c\t/docs/c\n",
        encoding="utf-8",
    )
    proc = run_cli(
        "check-map", "--map", "m.tsv", "--base-url", "https://old.example", "--out", "out",
        "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "map-row-unreadable 1" in proc.stderr
    data = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    by_rule = {(f["rule"], f["url"]): f for f in data["findings"]}
    bad = by_rule[("map-row-unreadable", "http://a b/")]
    assert bad["origin"] == {"file": "m.tsv", "line": 4}
    assert bad["message"].startswith("m.tsv:4: row not audited: unparseable old_url")
    assert ("map-self", "https://old.example/b") in by_rule  # the other rows were read
    verdicts = {v["url"] for v in data["verdicts"]}
    assert verdicts == {f"https://old.example/{x}" for x in "abc"}
    a = next(v for v in data["verdicts"] if v["url"] == "https://old.example/a")
    assert a["expected_url"] == "https://old.example/docs/Usando%20audio%20y%20video"


def test_outputs_name_only_the_files_written(tmp_path: Path) -> None:
    """--format without html and csv: neither the stderr summary nor summary.md names
    report.html or verdicts.csv; with every format they are named."""
    (tmp_path / "m.csv").write_text("http://a.example/1,https://b.example/1\n", encoding="utf-8")
    proc = run_cli(
        "check-map", "--map", "m.csv", "--out", "out", "--format", "json", "--format", "markdown",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["findings.json", "summary.md"]
    assert "report.html" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "reports: out (findings.json, summary.md)"
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert "report.html" not in md and "verdicts.csv" not in md
    assert md.rstrip().endswith("Details: `findings.json` in the report folder.")
    # every format: everything is named, as before
    proc = run_cli("check-map", "--map", "m.csv", "--out", "all", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "report: all/report.html"
    md = (tmp_path / "all" / "summary.md").read_text(encoding="utf-8")
    assert "Details: `report.html`, `findings.json`, `verdicts.csv` in the report folder." in md


def test_rules_lists_every_contract_id() -> None:
    proc = run_cli("rules")
    assert proc.returncode == 0
    ids = {line.split()[0] for line in proc.stdout.splitlines() if line.strip()}
    contract = {
        "redirect-loop",
        "hop-limit",
        "redirect-chain",
        "temporary-redirect",
        "broken-target",
        "legacy-url-broken",
        "not-redirected",
        "target-mismatch",
        "https-downgrade",
        "slash-hop",
        "host-hop",
        "scheme-hop",
        "inconsistent-final-urls",
        "homepage-redirect",
        "many-to-one",
        "query-dropped",
        "meta-refresh",
        "canonical-mismatch",
        "noindex-target",
        "map-loop",
        "map-chain",
        "map-conflict",
        "map-self",
    }
    assert contract <= ids


def test_python_dash_m_runs_the_same_command_line() -> None:
    """``python -m migrationaudit`` is the ``migrationaudit`` script: same help, same name."""
    as_module = subprocess.run(
        [sys.executable, "-m", "migrationaudit", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    as_cli = run_cli("--help")
    assert as_module.returncode == 0, as_module.stderr
    assert as_module.stdout.startswith("Usage: migrationaudit [OPTIONS] COMMAND")
    assert as_module.stdout == as_cli.stdout.replace(
        "python -m migrationaudit.cli", "migrationaudit"
    )

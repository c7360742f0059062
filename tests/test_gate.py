"""The gate: budgets, ignores with reasons, baselines, --exit-zero, and every exit code.

Unit tests on a hand-built result; the exit codes through `check-map` in a subprocess (the
gate is the same for `audit`, and check-map sends no request)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from migrationaudit.errors import ConfigError
from migrationaudit.gate import (
    GatePolicy,
    apply,
    gate_reasons,
    load_baseline,
    make_policy,
    parse_budget,
    parse_ignore,
    write_baseline,
)
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import Outcome
from migrationaudit.models.inputs import Origin
from migrationaudit.models.result import AuditResult, Verdict

OLD = "http://old.example"
E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTICE


def verdict(url: str, label: str, rules: tuple[str, ...]) -> Verdict:
    return Verdict(
        url,
        label,
        Outcome.FINAL,
        1,
        url,
        200,
        None,
        None,
        True,
        None,
        rules,
        Origin("map.csv", 2),
        "",
    )


def result(fail_on: Severity = E) -> AuditResult:
    findings = (
        Finding("redirect-loop", E, f"{OLD}/loop", "loops"),
        Finding("redirect-chain", W, f"{OLD}/blog/a", "2 hops"),
        Finding("redirect-chain", W, f"{OLD}/blog/b", "2 hops"),
        Finding("redirect-chain", W, f"{OLD}/shop/c", "3 hops"),
        Finding("query-dropped", N, f"{OLD}/blog/a", "query lost"),
    )
    verdicts = (
        verdict(f"{OLD}/loop", "error", ("redirect-loop",)),
        verdict(f"{OLD}/blog/a", "warning", ("query-dropped", "redirect-chain")),
        verdict(f"{OLD}/blog/b", "warning", ("redirect-chain",)),
        verdict(f"{OLD}/shop/c", "warning", ("redirect-chain",)),
        verdict(f"{OLD}/fine", "ok", ()),
    )
    return AuditResult(findings, verdicts, {}, (), (), fail_on, {"version": "0.1.0"})


def test_no_policy_keeps_the_old_gate() -> None:
    r = apply(result(), GatePolicy())
    assert r.findings == result().findings
    assert r.gate_failed and gate_reasons(r) == ["1 finding(s) at or above error"]
    assert r.counts_suppressed() == {"ignored": 0, "baselined": 0}
    assert r.run["gate"]["failed"] is True


def test_ignore_by_rule_and_url_glob_with_reason() -> None:
    policy = make_policy(ignores=["redirect-chain http://old.example/blog/* CMS hop, fixed in Q3"])
    r = apply(result(), policy)
    assert sorted(f.url for f in r.findings if f.rule_id == "redirect-chain") == [f"{OLD}/shop/c"]
    assert [(s.kind, s.reason, s.finding.url) for s in r.suppressed] == [
        ("ignored", "CMS hop, fixed in Q3", f"{OLD}/blog/a"),
        ("ignored", "CMS hop, fixed in Q3", f"{OLD}/blog/b"),
    ]
    # the ignored finding no longer counts in its URL's verdict
    by_url = {v.url: v for v in r.verdicts}
    assert (by_url[f"{OLD}/blog/b"].verdict, by_url[f"{OLD}/blog/b"].rules) == ("ok", ())
    assert (by_url[f"{OLD}/blog/a"].verdict, by_url[f"{OLD}/blog/a"].rules) == (
        "notice",
        ("query-dropped",),
    )
    assert r.run["gate"]["ignores"] == [
        {
            "rule": "redirect-chain",
            "url": "http://old.example/blog/*",
            "reason": "CMS hop, fixed in Q3",
            "matched": 2,
        }
    ]


def test_ignore_any_rule_on_one_url_and_one_rule_everywhere() -> None:
    r = apply(
        result(),
        make_policy(ignores=[f"* {OLD}/blog/a legacy blog", "redirect-loop * accepted loop"]),
    )
    assert {(s.finding.rule_id, s.finding.url) for s in r.suppressed} == {
        ("redirect-chain", f"{OLD}/blog/a"),
        ("query-dropped", f"{OLD}/blog/a"),
        ("redirect-loop", f"{OLD}/loop"),
    }
    assert not r.gate_failed


def test_budgets_replace_fail_on_for_their_rule() -> None:
    within = apply(result(), make_policy(budgets=["redirect-loop=1"]))
    assert not within.gate_failed  # the loop is within its budget though it is an error
    assert [b.to_dict() for b in within.budget_statuses()] == [
        {"rule": "redirect-loop", "max": 1, "count": 1, "exceeded": False}
    ]
    over = apply(result(fail_on=E), make_policy(budgets=["redirect-chain=2"]))
    assert over.gate_failed
    assert gate_reasons(over) == [
        "budget redirect-chain: 3 finding(s) > max 2",
        "1 finding(s) at or above error",
    ]
    assert {f.rule_id for f in over.gating_findings()} == {"redirect-chain", "redirect-loop"}
    # a budget of 0 fails on any finding, even below --fail-on
    zero = apply(result(), make_policy(budgets=["query-dropped=0", "redirect-loop=5"]))
    assert zero.gate_failed
    assert gate_reasons(zero) == ["budget query-dropped: 1 finding(s) > max 0"]


def test_budgets_count_only_active_findings() -> None:
    policy = make_policy(
        budgets=["redirect-chain=1"], ignores=["redirect-chain http://old.example/blog/* known"]
    )
    r = apply(result(), policy)
    assert [b.count for b in r.budget_statuses()] == [1]
    assert gate_reasons(r) == ["1 finding(s) at or above error"]


def test_baseline_round_trip_fails_only_on_new_findings(tmp_path: Path) -> None:
    first = apply(result(), GatePolicy())
    path = write_baseline(first, tmp_path / "base" / "baseline.json")
    baseline = load_baseline(path)
    assert len(baseline.fingerprints) == 5
    again = apply(result(), make_policy(baseline=path))
    assert again.findings == () and not again.gate_failed
    assert again.counts_suppressed() == {"ignored": 0, "baselined": 5}
    # baselined findings still count in verdicts: the defect is real, only known
    assert {v.url: v.verdict for v in again.verdicts}[f"{OLD}/loop"] == "error"
    new = Finding("hop-limit", E, f"{OLD}/fine", "11 hops")
    grown = AuditResult(**{**result().__dict__, "findings": (*result().findings, new)})
    gated = apply(grown, make_policy(baseline=path))
    assert gated.findings == (new,) and gated.gate_failed


def test_a_reports_findings_json_is_a_baseline(tmp_path: Path) -> None:
    from migrationaudit.reports import jsonout

    ignored = apply(result(), make_policy(ignores=["redirect-loop * accepted"]))
    doc = tmp_path / "findings.json"
    doc.write_text(jsonout.render(ignored), encoding="utf-8")
    data = json.loads(doc.read_text(encoding="utf-8"))
    assert data["summary"]["suppressed"] == {"ignored": 1, "baselined": 0}
    assert data["suppressed"][0]["suppressed"] == {"kind": "ignored", "reason": "accepted"}
    # active findings of a report are a baseline; ignored ones are not (their ignore governs)
    assert len(load_baseline(doc).fingerprints) == 4


def test_apply_is_idempotent_and_can_change_its_mind() -> None:
    once = apply(result(), make_policy(ignores=["redirect-loop * accepted"]))
    twice = apply(once, make_policy(ignores=["redirect-loop * accepted"]))
    assert twice.findings == once.findings and twice.suppressed == once.suppressed
    undone = apply(once, GatePolicy())
    assert len(undone.findings) == 5 and undone.suppressed == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("redirect-chain", "expected RULE=N"),
        ("redirect-chain=x", "expected RULE=N"),
        ("redirect-chain=-1", "expected RULE=N"),
        ("no-such-rule=1", "unknown rule id 'no-such-rule'"),
        ("*=1", "a budget needs one rule id"),
    ],
)
def test_bad_budgets(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_budget(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("redirect-chain", "expected 'RULE URL-GLOB REASON'"),
        ("redirect-chain http://x/*", "the reason is required"),
        ("* * everything", "use --exit-zero"),
        ("nope http://x/ why", "unknown rule id 'nope'"),
    ],
)
def test_bad_ignores(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_ignore(text)


def test_bad_baselines(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_baseline(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not a readable findings\.json"):
        load_baseline(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(ConfigError, match="no 'findings' list"):
        load_baseline(tmp_path / "other.json")


# --- exit codes, through the command line ----------------------------------------------------

MAP = (
    "old_url,new_url\n"
    "http://a.example/1,http://a.example/2\n"  # map-chain (warning) on 1: 1 -> 2 -> 3
    "http://a.example/2,http://a.example/3\n"
    "http://a.example/4,http://a.example/4\n"  # map-self (error)
    "http://a.example/5,https://b.example/5\n"
)


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "m.csv").write_text(MAP, encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "migrationaudit.cli",
            "check-map",
            "--map",
            "m.csv",
            "--out",
            "out",
            "--format",
            "json",
            "--format",
            "markdown",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )


def summary(tmp_path: Path) -> dict[str, object]:
    data = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    return dict(data["summary"])


@pytest.mark.parametrize(
    ("args", "code", "gate"),
    [
        ((), 1, "fail"),  # map-self is an error
        (("--severity", "map-self=warning"), 0, "pass"),
        (("--severity", "map-self=warning", "--fail-on", "warning"), 1, "fail"),
        (("--exit-zero",), 0, "fail"),
        (("--ignore", "map-self http://a.example/4 intentional placeholder row"), 0, "pass"),
        (("--max", "map-self=1"), 0, "pass"),
        (("--max", "map-self=1", "--max", "map-chain=0"), 1, "fail"),
        (("--max", "no-such-rule=1"), 2, None),
        (("--ignore", "map-self"), 2, None),
        (("--baseline", "missing.json"), 2, None),
    ],
)
def test_exit_codes(tmp_path: Path, args: tuple[str, ...], code: int, gate: str | None) -> None:
    proc = cli(tmp_path, *args)
    assert proc.returncode == code, proc.stderr
    if gate is None:
        assert "Traceback" not in proc.stderr
        assert not (tmp_path / "out" / "findings.json").exists()
    else:
        assert summary(tmp_path)["gate"] == gate


def test_summary_says_which_budget_failed_and_counts_suppressed(tmp_path: Path) -> None:
    proc = cli(
        tmp_path,
        "--max",
        "map-chain=0",
        "--max",
        "map-self=0",
        "--ignore",
        "map-self http://a.example/4 placeholder row",
    )
    assert proc.returncode == 1
    assert "suppressed: 1 ignored, 0 baselined" in proc.stderr
    assert "budgets: map-chain 1/0 EXCEEDED, map-self 0/0" in proc.stderr
    assert "gate: FAIL (budget map-chain: 1 finding(s) > max 0)" in proc.stderr
    md = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "Budget exceeded: `map-chain` has **1** finding(s), max 0." in md
    assert "| `map-chain` | 1 | 0 | ❌ exceeded |" in md
    assert "| `map-self` | 0 | 0 | ✅ within |" in md
    assert "| `map-self` | `http://a.example/4` | placeholder row | 1 |" in md
    assert "**Not counted by the gate:** 1 ignored, 0 baselined." in md
    s = summary(tmp_path)
    assert s["suppressed"] == {"ignored": 1, "baselined": 0}
    assert s["gate_reasons"] == ["budget map-chain: 1 finding(s) > max 0"]


def test_write_baseline_then_gate_on_regressions_only(tmp_path: Path) -> None:
    first = cli(tmp_path, "--write-baseline", "baseline.json")
    assert first.returncode == 1
    assert (tmp_path / "baseline.json").is_file()
    second = cli(tmp_path, "--baseline", "baseline.json")
    assert second.returncode == 0, second.stderr
    assert "suppressed: 0 ignored, 2 baselined (baseline in use)" in second.stderr
    (tmp_path / "m2.csv").write_text(
        MAP + "http://a.example/6,http://a.example/6\n", encoding="utf-8"
    )
    third = subprocess.run(
        [
            sys.executable,
            "-m",
            "migrationaudit.cli",
            "check-map",
            "--map",
            "m2.csv",
            "--baseline",
            "baseline.json",
            "--out",
            "out",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert third.returncode == 1  # the new map-self row is a regression
    data = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert [(f["rule"], f["url"]) for f in data["findings"]] == [("map-self", "http://a.example/6")]


def test_config_file_drives_the_gate(tmp_path: Path) -> None:
    (tmp_path / "migrationaudit.toml").write_text(
        '[max]\nmap-self = 1\n[[ignore]]\nrule = "map-chain"\nreason = "known chain"\n',
        encoding="utf-8",
    )
    proc = cli(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "suppressed: 1 ignored, 0 baselined" in proc.stderr

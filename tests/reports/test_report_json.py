"""findings.json: the documented contract, determinism, hostile text kept verbatim."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audit_fixture import FORMULA_URL, HOSTILE_MESSAGE, JS_TARGET, SCRIPT_URL

from migrationaudit import __version__
from migrationaudit.models.findings import Severity
from migrationaudit.models.result import AuditResult
from migrationaudit.reports import jsonout


def load(result: AuditResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(jsonout.render(result))
    return data


def test_top_level_shape(audit_result: AuditResult) -> None:
    data = load(audit_result)
    assert set(data) == {
        "schema_version",
        "tool",
        "run",
        "summary",
        "findings",
        "verdicts",
        "skipped_rules",
        "suppressed",  # added with the gate (issue 4); schema_version stays 1
    }
    assert data["schema_version"] == 1
    assert data["tool"] == {"name": "migrationaudit", "version": "0.1.0"}
    assert data["run"]["inputs"] == ["map.csv", "urls<script>.txt"]
    assert data["run"]["partial"] is True


def test_summary_counts(audit_result: AuditResult) -> None:
    summary = load(audit_result)["summary"]
    assert summary == {
        "legacy_urls": 14,
        "verdicts": {"ok": 2, "notice": 1, "warning": 2, "error": 8, "incomplete": 1},
        "findings": {"error": 8, "warning": 6, "notice": 1},
        "rules": {
            "broken-target": 2,
            "canonical-mismatch": 1,
            "hop-limit": 1,
            "legacy-url-broken": 1,
            "map-self": 1,
            "meta-refresh": 1,
            "noindex-target": 1,
            "query-dropped": 1,
            "redirect-chain": 1,
            "redirect-loop": 1,
            "scheme-hop": 1,
            "slash-hop": 1,
            "target-mismatch": 1,
            "temporary-redirect": 1,
        },
        "fail_on": "error",
        "gate": "fail",
        "gate_status": "fail",
        "gate_reasons": ["8 finding(s) at or above error"],
        "partial": True,
        "suppressed": {"ignored": 0, "baselined": 0},
        "budgets": [],
    }


def test_gate_follows_fail_on(clean_result: AuditResult) -> None:
    summary = load(clean_result)["summary"]
    assert (summary["gate"], summary["fail_on"], summary["partial"]) == ("pass", "error", False)
    stricter = AuditResult(**{**clean_result.__dict__, "fail_on": Severity.NOTICE})
    assert load(stricter)["summary"]["gate"] == "fail"


def test_findings_keep_every_to_dict_key(audit_result: AuditResult) -> None:
    data = load(audit_result)
    assert data["findings"] == [f.to_dict() for f in audit_result.findings]
    for f in data["findings"]:
        assert {"rule", "severity", "url", "final_url", "expected_url", "hops", "message"} <= set(f)
        for h in f["hops"]:
            assert {"url", "status", "location"} <= set(h)
    assert data["verdicts"] == [v.to_dict() for v in audit_result.verdicts]
    assert data["skipped_rules"] == [
        {"rule": "status-mismatch", "reason": "no expected_status column in the map"},
        {"rule": "many-to-one", "reason": "disabled by configuration <b>really</b>"},
    ]


def test_hostile_text_is_kept_verbatim(audit_result: AuditResult) -> None:
    data = load(audit_result)
    script = next(f for f in data["findings"] if f["url"] == SCRIPT_URL)
    assert script["message"] == HOSTILE_MESSAGE
    assert script["hops"][0]["location"] == JS_TARGET
    assert any(f["url"] == FORMULA_URL for f in data["findings"])


def test_deterministic_utf8_sorted_indented(audit_result: AuditResult) -> None:
    first = jsonout.render(audit_result)
    again = jsonout.render(audit_result)
    assert first == again
    assert first.endswith("}\n")
    assert "\u202e" in first  # ensure_ascii=False: the bidi URL is kept as the character
    assert '\n  "findings": [' in first  # indent=2
    data = json.loads(first)
    assert list(data) == sorted(data)
    assert list(data["summary"]) == sorted(data["summary"])


def test_written_file_matches_render(audit_result: AuditResult, tmp_path: Path) -> None:
    from migrationaudit.reports import write_reports

    path = write_reports(audit_result, tmp_path, ["json"])["findings.json"]
    assert path.read_bytes() == jsonout.render(audit_result).encode("utf-8")


def test_run_fallbacks_and_odd_values(clean_result: AuditResult) -> None:
    data = load(clean_result)
    assert data["run"] == {}
    assert data["tool"]["version"] == __version__
    odd = AuditResult(
        **{
            **clean_result.__dict__,
            "run": {
                "started_at": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
                "inputs": (Path("a.csv"),),
                "options": {"disabled": frozenset({"b", "a"}), "fail_on": Severity.WARNING},
            },
        }
    )
    run = load(odd)["run"]
    assert run == {
        "started_at": "2025-01-02T03:04:05+00:00",
        "inputs": ["a.csv"],
        "options": {"disabled": ["a", "b"], "fail_on": 2},
    }

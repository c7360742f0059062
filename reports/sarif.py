"""``findings.sarif``: SARIF 2.1.0 for code scanning (GitHub shows the results on the lines of
the redirect map in a pull request).

One run; ``tool.driver.rules`` holds every rule (title, documentation, default level); each
finding is a result whose ``ruleId``/``level`` are its rule and effective severity (error →
``error``, warning → ``warning``, notice → ``note``), whose message names the legacy URL, the
chain and the fix, and whose location is the map row (file and line) the URL came from, as a
path relative to the repository holding the map (the folder with ``.git``; else the working
folder). ``partialFingerprints`` carry the audit's fingerprint (rule + URL), so alerts stay
the same alert from run to run. With a baseline, results say ``baselineState`` new or
unchanged; ignored findings are results with an accepted external suppression carrying the
ignore's reason. Validated against the OASIS JSON schema in the tests.

:func:`chunks` writes the results one by one (the text of one ``json.dumps`` of
:func:`document`, without holding the document: a million results would take gigabytes).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from migrationaudit.models.findings import Finding, Severity, SuppressedFinding
from migrationaudit.models.inputs import Origin
from migrationaudit.models.result import AuditResult
from migrationaudit.reports.common import (
    TOOL_NAME,
    doc_paragraphs,
    run_partial,
    strip_control,
    tool_version,
)
from migrationaudit.reports.streamjson import placeholder, stream_document
from migrationaudit.tables import finding_path

FILENAME = "findings.sarif"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "migrationauditFingerprint/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note"}


@lru_cache(maxsize=256)
def _repo_root(folder: str) -> str | None:
    for d in (Path(folder), *Path(folder).parents):
        if (d / ".git").exists():
            return str(d)
    return None


def artifact_path(file: str, cwd: str | None = None) -> str | None:
    """The map file as a POSIX path relative to its repository root (else to ``cwd``), or
    None for stdin and other inputs that are not files."""
    if not file or file.startswith("<") or file == "-":
        return None
    here = cwd or os.getcwd()
    absolute = os.path.normpath(os.path.join(here, file))
    root = _repo_root(os.path.dirname(absolute)) or here
    try:
        rel = os.path.relpath(absolute, root)
    except ValueError:  # another drive (Windows): keep it as given
        rel = file
    return PurePosixPath(*Path(rel).parts).as_posix()


def _text(value: str) -> str:
    return strip_control(value)


def _rule(result: AuditResult, index: int) -> dict[str, Any]:
    info = result.rules[index]
    paragraphs = doc_paragraphs(info.doc, info.title)
    return {
        "id": info.rule_id,
        "name": "".join(part.capitalize() for part in info.rule_id.split("-")),
        "shortDescription": {"text": _text(info.title or info.rule_id)},
        "fullDescription": {"text": _text(paragraphs[0] if paragraphs else info.title)},
        "help": {"text": _text("\n\n".join(paragraphs) or info.title)},
        "defaultConfiguration": {"level": LEVELS[info.severity]},
        "properties": {"tags": ["redirects", "seo", "migration"]},
    }


@lru_cache(maxsize=256)
def _artifact_uri(file: str, cwd: str) -> str | None:
    # A report names the same few map files on every finding: worked out once each.
    path = artifact_path(file, cwd)
    return None if path is None else quote(path, safe="/")


def _location(origin: Origin | None) -> list[dict[str, Any]]:
    if origin is None:
        return []
    uri = _artifact_uri(origin.file, os.getcwd())
    if uri is None:
        return []
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
    }
    if origin.line > 0:
        physical["region"] = {"startLine": origin.line}
    return [{"physicalLocation": physical}]


def _message(result: AuditResult, f: Finding) -> str:
    parts = [f"{f.url}: {f.message}"]
    path = finding_path(result, f)
    if path:
        parts.append(f"Chain: {path}")
    if f.expected_url:
        parts.append(f"Expected: {f.expected_url}")
    if f.fix:
        parts.append(f"Fix: {f.fix}")
    return _text("\n".join(parts))


def _result(
    result: AuditResult,
    f: Finding,
    index: dict[str, int],
    suppressed: SuppressedFinding | None,
    has_baseline: bool,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": f.rule_id,
        "level": LEVELS[f.severity],
        "message": {"text": _message(result, f)},
        "locations": _location(f.origin),
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {"legacyUrl": _text(f.url)},
    }
    if f.rule_id in index:
        out["ruleIndex"] = index[f.rule_id]
    if f.final_url:
        out["properties"]["finalUrl"] = _text(f.final_url)
    if has_baseline:
        baselined = suppressed is not None and suppressed.kind == "baselined"
        out["baselineState"] = "unchanged" if baselined else "new"
    if suppressed is not None and suppressed.kind == "ignored":
        out["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": _text(suppressed.reason)}
        ]
    return out


def _results(result: AuditResult) -> Iterator[dict[str, Any]]:
    """One SARIF result per finding, then one per suppressed finding."""
    index = {r.rule_id: i for i, r in enumerate(result.rules)}
    has_baseline = bool(result.run.gate and result.run.gate.baseline)
    for f in result.findings:
        yield _result(result, f, index, None, has_baseline)
    for s in result.suppressed:
        yield _result(result, s.finding, index, s, has_baseline)


def _log(result: AuditResult, results: Any) -> dict[str, Any]:
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": tool_version(result),
                "semanticVersion": tool_version(result),
                "rules": [_rule(result, i) for i in range(len(result.rules))],
            }
        },
        "invocations": [
            {
                "executionSuccessful": True,
                "properties": {
                    "gate": "fail" if result.gate_failed else "pass",
                    "failOn": result.fail_on.label,
                    "partial": run_partial(result),
                },
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def document(result: AuditResult) -> dict[str, Any]:
    """The SARIF log as plain data (all in memory: for tests; :func:`chunks` streams it)."""
    return _log(result, list(_results(result)))


def chunks(result: AuditResult) -> Iterator[str]:
    """``findings.sarif`` text in chunks, result by result; joined, :func:`render`'s text."""
    skeleton = _log(result, placeholder("results"))
    return stream_document(skeleton, {"results": _results(result)})


def render(result: AuditResult) -> str:
    """``findings.sarif`` text (deterministic, UTF-8, indent 2)."""
    return "".join(chunks(result))

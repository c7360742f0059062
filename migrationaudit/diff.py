"""Compare two audits (e.g. staging before cutover vs production after it): what got fixed,
what regressed, what is new.

Two views, both keyed so that the same defect matches across runs:

- findings, by fingerprint (rule + legacy URL): ``fixed`` (only in A), ``new`` (only in B),
  ``regressed`` (in both, B's severity higher), ``unchanged`` (in both otherwise). Ignored
  and baselined findings count too: a fix is a fix, whatever the gate made of it.
- legacy URLs, by verdict (``ok`` < ``notice`` < ``warning`` < ``error`` < ``incomplete``:
  a URL that could not be checked is never better): ``fixed`` (verdict better in B),
  ``regressed`` (worse), ``unchanged``, ``new`` (only in B), ``removed`` (only in A).

A side is a ``findings.json``, a report folder holding one, or a run directory (judged again
with the default configuration when no ``findings.json`` sits next to it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrationaudit.errors import InputError
from migrationaudit.models.findings import Finding, Severity

VERDICT_RANK = {"ok": 0, "notice": 1, "warning": 2, "error": 3, "incomplete": 4}
SEVERITY_RANK = {"notice": 1, "warning": 2, "error": 3}
FINDING_KINDS = ("regressed", "new", "fixed", "unchanged")
URL_KINDS = ("regressed", "new", "fixed", "removed", "unchanged")


@dataclass(frozen=True)
class FindingRow:
    """One finding of one side, as plain data."""

    fingerprint: str
    rule: str
    severity: str
    url: str
    message: str


@dataclass(frozen=True)
class VerdictRow:
    """One legacy URL's verdict on one side."""

    url: str
    verdict: str
    final_url: str | None
    final_status: int | None
    path: str


@dataclass(frozen=True)
class Side:
    """One audit to compare: where it came from, its findings and verdicts."""

    label: str
    findings: Mapping[str, FindingRow]  # fingerprint → row
    verdicts: Mapping[str, VerdictRow]  # legacy URL → row


@dataclass(frozen=True)
class FindingChange:
    kind: str
    a: FindingRow | None
    b: FindingRow | None

    @property
    def row(self) -> FindingRow:
        row = self.b or self.a
        assert row is not None
        return row


@dataclass(frozen=True)
class UrlChange:
    kind: str
    url: str
    a: VerdictRow | None
    b: VerdictRow | None


@dataclass(frozen=True)
class RunDiff:
    """The comparison of side A (before) with side B (after)."""

    a: str
    b: str
    findings: tuple[FindingChange, ...]
    urls: tuple[UrlChange, ...]

    def finding_counts(self) -> dict[str, int]:
        out = dict.fromkeys(FINDING_KINDS, 0)
        for c in self.findings:
            out[c.kind] += 1
        return out

    def url_counts(self) -> dict[str, int]:
        out = dict.fromkeys(URL_KINDS, 0)
        for c in self.urls:
            out[c.kind] += 1
        return out

    @property
    def regressed(self) -> bool:
        """Anything got worse: a URL's verdict, a finding's severity, or a new finding."""
        fc, uc = self.finding_counts(), self.url_counts()
        return bool(uc["regressed"] or fc["regressed"] or fc["new"])


def fingerprint(rule_id: str, url: str) -> str:
    """The fingerprint a finding of ``rule_id`` on ``url`` has (see Finding.fingerprint)."""
    return Finding(rule_id, Severity.NOTICE, url, "").fingerprint


# --- reading a side --------------------------------------------------------------------------


def _finding_rows(entries: Iterable[Any]) -> dict[str, FindingRow]:
    out: dict[str, FindingRow] = {}
    for e in entries:
        if not isinstance(e, dict) or "rule" not in e or "url" not in e:
            continue
        fp = str(e.get("fingerprint") or fingerprint(str(e["rule"]), str(e["url"])))
        out[fp] = FindingRow(
            fp, str(e["rule"]), str(e.get("severity", "")), str(e["url"]), str(e.get("message", ""))
        )
    return out


def side_from_document(label: str, data: Mapping[str, Any]) -> Side:
    """A side from a ``findings.json`` document."""
    findings = _finding_rows([*data.get("findings", []), *data.get("suppressed", [])])
    verdicts: dict[str, VerdictRow] = {}
    for v in data.get("verdicts", []):
        if isinstance(v, dict) and "url" in v:
            verdicts[str(v["url"])] = VerdictRow(
                str(v["url"]),
                str(v.get("verdict", "ok")),
                v.get("final_url"),
                v.get("final_status"),
                str(v.get("path", "")),
            )
    return Side(label, findings, verdicts)


def load_side(path: str | Path) -> Side:
    """Read a side: a findings.json, a folder holding one (or whose ``run/`` parent does), or
    a run directory (judged again with defaults). InputError when it is none of these."""
    path = Path(path)
    candidates = (
        [path] if path.is_file() else [path / "findings.json", path.parent / "findings.json"]
    )
    for candidate in candidates:
        if candidate.is_file():
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot read: {exc}", file=str(candidate)) from None
            if not isinstance(data, dict) or "findings" not in data:
                raise InputError("not a findings.json", file=str(candidate))
            return side_from_document(str(path), data)
    from migrationaudit.reports.jsonout import document
    from migrationaudit.rerun import rebuild
    from migrationaudit.rundir.saved import load_run
    from migrationaudit.settings import FAIL_ON, CheckOptions

    saved = load_run(path)  # InputError when it is not a run directory either
    return side_from_document(str(path), document(rebuild(saved, CheckOptions(), FAIL_ON)))


# --- comparing -------------------------------------------------------------------------------


def compare(a: Side, b: Side) -> RunDiff:
    """Diff side ``a`` (before) with side ``b`` (after); changes in a stable order (B's
    order, then what only A had)."""
    findings: list[FindingChange] = []
    for fp, row in b.findings.items():
        old = a.findings.get(fp)
        if old is None:
            findings.append(FindingChange("new", None, row))
        elif SEVERITY_RANK.get(row.severity, 0) > SEVERITY_RANK.get(old.severity, 0):
            findings.append(FindingChange("regressed", old, row))
        else:
            findings.append(FindingChange("unchanged", old, row))
    findings += [
        FindingChange("fixed", row, None) for fp, row in a.findings.items() if fp not in b.findings
    ]
    urls: list[UrlChange] = []
    for url, vrow in b.verdicts.items():
        vold = a.verdicts.get(url)
        if vold is None:
            urls.append(UrlChange("new", url, None, vrow))
            continue
        before, after = VERDICT_RANK.get(vold.verdict, 4), VERDICT_RANK.get(vrow.verdict, 4)
        kind = "regressed" if after > before else "fixed" if after < before else "unchanged"
        urls.append(UrlChange(kind, url, vold, vrow))
    urls += [
        UrlChange("removed", url, row, None)
        for url, row in a.verdicts.items()
        if url not in b.verdicts
    ]
    order = {k: i for i, k in enumerate(FINDING_KINDS)}
    findings.sort(key=lambda c: order[c.kind])
    url_order = {k: i for i, k in enumerate(URL_KINDS)}
    urls.sort(key=lambda c: url_order[c.kind])
    return RunDiff(a.label, b.label, tuple(findings), tuple(urls))


def summary_line(diff: RunDiff) -> str:
    """One line for the terminal (counts only: no crawled text)."""
    uc, fc = diff.url_counts(), diff.finding_counts()
    urls = ", ".join(f"{n} {k}" for k, n in uc.items())
    found = ", ".join(f"{n} {k}" for k, n in fc.items())
    return f"diff: legacy URLs: {urls}; findings: {found}"

"""The CI gate: per-rule budgets, ignores with reasons, and baselines of known findings.

A finished audit yields findings; the gate decides which of them count::

    findings ──ignores──▶ ignored (reason from the config entry)
             ──baseline─▶ baselined (fingerprint rule + URL already known)
             ──────────▶ active ──budgets / fail_on──▶ pass | fail

- An ignore entry (``--ignore 'RULE URL-GLOB REASON'``, or ``[[ignore]]`` in the config)
  matches a rule id (``*``: any rule) and a legacy-URL glob (``*``: any URL, fnmatch syntax,
  case-sensitive); its reason shows in every report.
- A baseline is a ``findings.json`` of an earlier run (``--write-baseline`` writes one): its
  findings' fingerprints are accepted, so CI fails only on regressions.
- A budget (``--max RULE=N``) replaces ``--fail-on`` for its rule: the rule fails the gate
  only when it has more than N active findings (``redirect-loop=0``: any loop fails, even
  when ``--fail-on`` is above its severity).

Ignored findings no longer count in the verdict of their URL; baselined ones still do (the
defect is real, only known). Pure functions over :class:`AuditResult`; the CLI reads files
and applies them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from migrationaudit.errors import ConfigError, ReportError
from migrationaudit.models.findings import Finding, Severity, SuppressedFinding
from migrationaudit.models.result import AuditResult, Verdict
from migrationaudit.models.runinfo import GateInfo
from migrationaudit.rundir.layout import atomic_write, os_reason

ANY = "*"
IGNORED, BASELINED = "ignored", "baselined"
BASELINE_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class IgnoreRule:
    """Accept the findings of ``rule`` (``*``: any) on legacy URLs matching ``url`` (a glob)."""

    rule: str
    url: str
    reason: str

    def matches(self, finding: Finding) -> bool:
        if self.rule not in (ANY, finding.rule_id):
            return False
        return self.url == ANY or fnmatchcase(finding.url, self.url)

    def spec(self) -> str:
        """The command-line form, ``RULE URL-GLOB REASON``."""
        return f"{self.rule} {self.url} {self.reason}"

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "url": self.url, "reason": self.reason}


@dataclass(frozen=True)
class Baseline:
    """The fingerprints of known findings, and the file they came from."""

    path: str
    fingerprints: frozenset[str]


@dataclass(frozen=True)
class GatePolicy:
    """Everything the gate applies besides ``fail_on`` (which the result carries)."""

    budgets: Mapping[str, int] = field(default_factory=dict)
    ignores: tuple[IgnoreRule, ...] = ()
    baseline: Baseline | None = None


# --- parsing (shared by the CLI, the config file and the Python API) -------------------------


def _known_rules() -> set[str]:
    from migrationaudit.checks import all_rules

    return {r.rule_id for r in all_rules()}


def _check_rule(rule_id: str, what: str) -> None:
    if rule_id != ANY and rule_id not in _known_rules():
        raise ValueError(f"{what}: unknown rule id {rule_id!r} (see `migrationaudit rules`)")


def parse_budget(text: str) -> tuple[str, int]:
    """``"redirect-chain=25"`` → ``("redirect-chain", 25)``; ValueError when malformed."""
    rule_id, sep, number = text.partition("=")
    rule_id, number = rule_id.strip(), number.strip()
    if not sep or not rule_id or not number.isdigit():
        raise ValueError(f"{text!r}: expected RULE=N with N a whole number >= 0")
    if rule_id == ANY:
        raise ValueError(f"{text!r}: a budget needs one rule id")
    _check_rule(rule_id, repr(text))
    return rule_id, int(number)


def parse_ignore(text: str) -> IgnoreRule:
    """``"RULE URL-GLOB REASON…"`` (whitespace-separated; ``*`` for any rule or URL; the
    reason is the rest of the text and is required) → :class:`IgnoreRule`."""
    parts = text.split(None, 2)
    if len(parts) < 3 or not parts[2].strip():
        raise ValueError(
            f"{text!r}: expected 'RULE URL-GLOB REASON' (use * for any rule or URL; "
            "the reason is required)"
        )
    rule_id, url, reason = parts[0], parts[1], " ".join(parts[2].split())
    if rule_id == ANY and url == ANY:
        raise ValueError(f"{text!r}: ignoring every finding is not an ignore; use --exit-zero")
    _check_rule(rule_id, repr(text))
    return IgnoreRule(rule_id, url, reason)


def load_baseline(path: str | Path) -> Baseline:
    """Fingerprints from a ``findings.json`` (a report's, or one ``--write-baseline`` wrote):
    its active findings and the ones it had baselined. ConfigError names the file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"baseline {path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"baseline {path}: not a readable findings.json ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise ConfigError(f"baseline {path}: not a findings.json (no 'findings' list)")
    entries = list(data["findings"])
    entries += [
        s
        for s in data.get("suppressed") or []
        if isinstance(s, dict) and (s.get("suppressed") or {}).get("kind") == BASELINED
    ]
    prints: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict):
            raise ConfigError(f"baseline {path}: a finding is not an object")
        fp = entry.get("fingerprint")
        if not fp and entry.get("rule") and entry.get("url"):
            fp = Finding(str(entry["rule"]), Severity.NOTICE, str(entry["url"]), "").fingerprint
        if fp:
            prints.add(str(fp))
    return Baseline(str(path), frozenset(prints))


def make_policy(
    budgets: Iterable[str] = (), ignores: Iterable[str] = (), baseline: str | Path | None = None
) -> GatePolicy:
    """The policy from command-line style values (``RULE=N``, ``RULE URL REASON``, a file).
    ConfigError for a malformed entry or an unreadable baseline."""
    limits: dict[str, int] = {}
    try:
        for text in budgets:
            rule_id, limit = parse_budget(text)
            limits[rule_id] = limit
        rules = tuple(parse_ignore(text) for text in ignores)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return GatePolicy(limits, rules, load_baseline(baseline) if baseline else None)


# --- applying it -----------------------------------------------------------------------------


def _suppress(f: Finding, policy: GatePolicy) -> SuppressedFinding | None:
    for rule in policy.ignores:
        if rule.matches(f):
            return SuppressedFinding(f, IGNORED, rule.reason)
    if policy.baseline is not None and f.fingerprint in policy.baseline.fingerprints:
        return SuppressedFinding(f, BASELINED, f"in baseline {policy.baseline.path}")
    return None


def _verdicts(result: AuditResult, counted: Iterable[Finding]) -> tuple[Verdict, ...]:
    """Verdicts recomputed from the findings that still count (ignored ones do not)."""
    by_url: dict[str, list[Finding]] = {}
    for f in counted:
        by_url.setdefault(f.url, []).append(f)
    out = []
    for v in result.verdicts:
        own = by_url.get(v.url, [])
        label = v.verdict
        if label != "incomplete":
            label = max(f.severity for f in own).label if own else "ok"
        out.append(replace(v, verdict=label, rules=tuple(sorted({f.rule_id for f in own}))))
    return tuple(out)


def apply(result: AuditResult, policy: GatePolicy) -> AuditResult:
    """``result`` with the policy applied: ignored and baselined findings moved to
    ``suppressed``, verdicts recomputed, budgets set, and ``run.gate`` describing it all.
    Idempotent: findings suppressed before are judged again under ``policy``."""
    everything = [*result.findings, *(s.finding for s in result.suppressed)]
    active: list[Finding] = []
    suppressed: list[SuppressedFinding] = []
    for f in everything:
        s = _suppress(f, policy)
        if s is None:
            active.append(f)
        else:
            suppressed.append(s)
    counted = active + [s.finding for s in suppressed if s.kind == BASELINED]
    gated = replace(
        result,
        findings=tuple(active),
        suppressed=tuple(suppressed),
        budgets=dict(policy.budgets),
        verdicts=_verdicts(result, counted),
    )
    matched = {rule: 0 for rule in policy.ignores}
    for f in everything:
        for rule in policy.ignores:
            if rule.matches(f):
                matched[rule] += 1
                break
    counts = gated.counts_suppressed()
    info = GateInfo.from_dict(
        {
            "fail_on": gated.fail_on.label,
            "failed": gated.gate_failed,
            "budgets": [b.to_dict() for b in gated.budget_statuses()],
            "ignores": [{**rule.to_dict(), "matched": n} for rule, n in matched.items()],
            "baseline": policy.baseline.path if policy.baseline else None,
            "ignored": counts[IGNORED],
            "baselined": counts[BASELINED],
        }
    )
    return replace(gated, run=result.run.updated(gate=info))


def gate_reasons(result: AuditResult) -> list[str]:
    """Why the gate failed, one short line each (empty when it passed): each exceeded budget,
    then the count of findings at or above ``fail_on`` of rules without a budget."""
    if not result.gate_failed:
        return []
    lines = [
        f"budget {b.rule_id}: {b.count} finding(s) > max {b.limit}"
        for b in result.budget_statuses()
        if b.exceeded
    ]
    budgeted, fail_on = result.budgets, result.fail_on
    over = [f for f in result.findings if f.rule_id not in budgeted and f.severity >= fail_on]
    if over:
        lines.append(f"{len(over)} finding(s) at or above {result.fail_on.label}")
    return lines


def baseline_document(result: AuditResult) -> dict[str, Any]:
    """A baseline: a findings.json-shaped document of the findings that count (active and
    baselined; ignored ones stay governed by their ignore entry)."""
    kept = [*result.findings, *(s.finding for s in result.suppressed if s.kind == BASELINED)]
    kept.sort(key=lambda f: (f.rule_id, f.url))
    return {
        "schema_version": BASELINE_SCHEMA_VERSION,
        "tool": {"name": "migrationaudit", "version": result.run.version or ""},
        "baseline": True,
        "findings": [
            {
                "rule": f.rule_id,
                "url": f.url,
                "severity": f.severity.label,
                "fingerprint": f.fingerprint,
                "message": f.message,
            }
            for f in kept
        ],
    }


def write_baseline(result: AuditResult, path: str | Path) -> Path:
    """Write :func:`baseline_document` to ``path`` atomically; ReportError names the file."""
    target = Path(path)
    text = json.dumps(baseline_document(result), indent=2, ensure_ascii=False, sort_keys=True)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, text + "\n")
    except OSError as exc:
        raise ReportError(f"cannot write baseline {target}: {os_reason(exc)}") from exc
    return target

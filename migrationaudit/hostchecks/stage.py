"""The host checks as a stage after the crawl (``audit --launched``): probe every legacy host
(:mod:`.probe`), judge the probes and the chains with the ``hosts`` rules, and merge their
findings into the audit's result, with the probes in ``run.hosts`` for the report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from migrationaudit.checks import AuditContext, Need, all_rules, run_checks
from migrationaudit.checks.hosts import origin
from migrationaudit.hostchecks.model import HostProbe, HostReport
from migrationaudit.hostchecks.probe import PROBE_TIMEOUT, probe_all
from migrationaudit.models.inputs import LegacyURL, Origin
from migrationaudit.models.result import AuditResult
from migrationaudit.settings import CheckOptions, ConnectTo


def legacy_origins(urls: Iterable[str], connect_to: Sequence[ConnectTo] = ()) -> list[str]:
    """The origins of the legacy URLs, in order; for an http one, its https twin too when a
    ``--resolve``/``--connect-to`` entry says where it is (old bookmarks and links use it;
    without an entry it is left alone: the audit asks no resolver about hosts it was not
    given)."""
    out: dict[str, None] = {}
    mapped = {(c.host.lower().strip("[]"), c.port) for c in connect_to}
    for url in urls:
        o = origin(url)
        if not o.startswith(("http://", "https://")):
            continue
        out[o] = None
        host = urlsplit(o).hostname or ""
        if o.startswith("http://") and (host, 443) in mapped:
            out[f"https://{o[len('http://') :]}"] = None
    return list(out)


def host_rule_ids() -> frozenset[str]:
    return frozenset(spec.rule_id for spec in all_rules() if spec.needs is Need.HOSTS)


def judge_hosts(result: AuditResult, report: HostReport, checks: CheckOptions) -> AuditResult:
    """``result`` with the findings of the ``hosts`` rules over ``report`` and its chains
    (their "not run" entries replaced), and ``run.hosts``."""
    legacy = tuple(
        LegacyURL(v.url, v.origin or Origin("-", 0))
        for v in result.verdicts
        if v.url in result.chains
    )
    ctx = AuditContext(
        rules=(), legacy=legacy, graph=None, chains=result.chains, options=checks, hosts=report
    )
    ids = host_rule_ids()
    found, skipped = run_checks(ctx)  # only the hosts rules have their inputs here
    found = tuple(f for f in found if f.rule_id in ids)
    kept = tuple(s for s in result.skipped if s.rule_id not in ids)
    merged = sorted((*result.findings, *found), key=lambda f: (-int(f.severity), f.rule_id))
    return replace(
        result,
        findings=tuple(merged),
        skipped=tuple(
            sorted((*kept, *(s for s in skipped if s.rule_id in ids)), key=lambda s: s.rule_id)
        ),
        run=result.run.updated(hosts=report.to_dict()),
    )


def check_hosts(
    result: AuditResult,
    checks: CheckOptions,
    connect_to: Sequence[ConnectTo],
    launched: date | None,
    timeout: float = PROBE_TIMEOUT,
    now: datetime | None = None,
) -> AuditResult:
    """Probe the legacy hosts of ``result`` and judge them (see :func:`judge_hosts`)."""
    when = now or datetime.now(UTC)
    probes = probe_all(legacy_origins(result.chains, connect_to), connect_to, timeout, when)
    report = HostReport(when.strftime("%Y-%m-%dT%H:%M:%SZ"), launched, probes)
    return judge_hosts(result, report, checks)


def rejudge_saved(result: AuditResult, checks: CheckOptions) -> AuditResult:
    """A saved run judged again (``migrationaudit report``): its saved probes
    (``run.hosts``) judged again with ``checks``, without probing anything."""
    saved = result.run.hosts
    if not isinstance(saved, dict):
        return result
    try:
        report = HostReport.from_dict(saved)
    except (KeyError, TypeError, ValueError):
        return result  # a hand-edited run.json: the host rules stay skipped, with the reason
    return judge_hosts(result, report, checks)


def host_lines(probes: Iterable[HostProbe]) -> list[str]:
    """One line per host for the terminal: its DNS answer and its certificate."""
    out = []
    for p in probes:
        dns = p.dns_error or f"{', '.join(p.addresses[:3])} ({p.resolved_by})"
        tls = ""
        if p.https:
            tls = (
                f"; certificate until {p.not_after} ({p.days_left} days left)"
                if p.not_after
                else f"; {p.tls_error}"
            )
        out.append(f"{p.origin}: {dns}{tls}")
    return out

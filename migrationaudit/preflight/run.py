"""``check-map --map-format netlify|cloudflare|amplify``: read the host rule file, predict every
chain, judge it with the ordinary rules, and return an ordinary result marked as predicted."""

from __future__ import annotations

from migrationaudit.checks import AuditContext, rule_infos, run_checks
from migrationaudit.errors import ConfigError
from migrationaudit.graph import build_graph, chains_for
from migrationaudit.inputs.common import check_base_url
from migrationaudit.inputs.urllist import read_url_list
from migrationaudit.models.inputs import LegacyURL
from migrationaudit.models.result import AuditResult
from migrationaudit.options import AuditRequest
from migrationaudit.preflight.model import FORMATS
from migrationaudit.preflight.predict import DEFAULT_BASE, Prediction, predict
from migrationaudit.preflight.read import read_rule_file, rule_format
from migrationaudit.verdicts import build_verdicts

# Formats that only the prediction reads (the map reader reads the others' exact rows).
PREDICTED_ONLY = ("vercel", "nginx", "apache", "cloudflare-bulk")


def predicts(req: AuditRequest) -> bool:
    """Whether ``req`` asks for a prediction: an explicit host rule-file format, or a file
    detected as one that only the prediction reads (vercel.json, netlify.toml, nginx, Apache,
    a Bulk Redirects CSV). A ``_redirects`` or Amplify JSON file given with ``auto`` is read
    as a map of its exact rows, as before."""
    if req.map_format in FORMATS:
        return True
    if req.map_format != "auto" or len(req.maps) != 1:
        return False
    kind = rule_format(req.maps[0], "auto")
    return kind in PREDICTED_ONLY or (kind == "netlify" and req.maps[0].endswith(".toml"))


def predict_request(req: AuditRequest) -> Prediction:
    """Read the request's rule file(s) and predict their chains."""
    if len(req.maps) != 1:
        raise ConfigError(f"--map-format {req.map_format}: give exactly one rule file (--map)")
    if req.priority:
        raise ConfigError(f"--map-format {req.map_format}: --priority is not supported here")
    base = check_base_url(req.base_url)
    listed: list[LegacyURL] = []
    for u in req.url_lists:
        listed.extend(read_url_list(u, base or DEFAULT_BASE))
    fmt = rule_format(req.maps[0], req.map_format)
    if fmt is None:
        raise ConfigError(f"{req.maps[0]}: not a host rule file (give --map-format)")
    rule_file = read_rule_file(req.maps[0], fmt)
    hosts = (*req.site.new_hosts, *req.site.staging_hosts)
    return predict(rule_file, base, req.crawl.max_hops, hosts, listed)


def check_rule_file(req: AuditRequest) -> AuditResult:
    """Predict and judge the chains of a host rule file (no request is sent)."""
    from migrationaudit.pipeline import _run_info, now
    from migrationaudit.verdicts import rank_by_value

    started = now()
    pred = predict_request(req)
    graph = build_graph(pred.hops)
    chains = chains_for(graph, [item.url for item in pred.inputs.legacy], req.crawl.max_hops)
    ctx = AuditContext(
        rules=pred.inputs.rules,
        legacy=pred.inputs.legacy,
        graph=graph,
        chains=chains,
        options=req.checks,
        rule_file=pred.facts,
    )
    findings, skipped = run_checks(ctx)
    findings, verdicts = rank_by_value(findings, build_verdicts(ctx, findings), None)
    info = {
        "mode": "check-map",
        "predicted": True,  # every hop answered by the rule file, not by a server
        "preflight": {
            "format": pred.rule_file.fmt,
            "file": pred.rule_file.name,
            "rules_applied": len(pred.rule_file.rules),
            "rules_ignored": len(pred.rule_file.ignored),
            "predicted_hops": len(pred.hops),
            "notes": list(pred.rule_file.notes),
            **pred.facts.counts,
        },
        "input": pred.inputs.notes(),
    }
    return AuditResult(
        findings=findings,
        verdicts=verdicts,
        chains=chains,
        skipped=skipped,
        rules=rule_infos(),
        fail_on=req.fail_on,
        run=_run_info(req, started, False, info),
    )

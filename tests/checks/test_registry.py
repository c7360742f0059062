"""The registry and the runner: ids, docs, skipping, overrides, ordering."""

from __future__ import annotations

import pytest

from migrationaudit.checks import AuditContext, all_rules, rule, rule_infos, run_checks
from migrationaudit.models.findings import Severity

from .conftest import make_ctx, rrule

OLD, N = "http://old.test", "https://www.new.test"

CONTRACT_IDS = {
    "redirect-loop": Severity.ERROR,
    "hop-limit": Severity.ERROR,
    "redirect-chain": Severity.WARNING,
    "temporary-redirect": Severity.WARNING,
    "broken-target": Severity.ERROR,
    "legacy-url-broken": Severity.ERROR,
    "not-redirected": Severity.ERROR,
    "target-mismatch": Severity.ERROR,
    "https-downgrade": Severity.ERROR,
    "slash-hop": Severity.WARNING,
    "case-hop": Severity.WARNING,  # issue 12
    "host-hop": Severity.WARNING,
    "scheme-hop": Severity.WARNING,
    "inconsistent-final-urls": Severity.WARNING,
    "homepage-redirect": Severity.WARNING,
    "many-to-one": Severity.WARNING,
    "query-dropped": Severity.NOTICE,
    "meta-refresh": Severity.WARNING,
    "canonical-mismatch": Severity.WARNING,
    "noindex-target": Severity.ERROR,
    "map-loop": Severity.ERROR,
    "map-chain": Severity.WARNING,
    "map-conflict": Severity.ERROR,
    "map-self": Severity.ERROR,
    "map-row-unreadable": Severity.ERROR,  # issue 12, item 11
    "status-mismatch": Severity.WARNING,
    "valuable-url-unmapped": Severity.ERROR,
    # hostile servers (issue 6): migrationaudit/checks/safety.py
    "unsafe-redirect-scheme": Severity.ERROR,
    "ambiguous-location": Severity.WARNING,
    # the audit's scope (issue 6): migrationaudit/checks/scope.py
    "offsite-redirect": Severity.NOTICE,
    # host rule files (issue 15): migrationaudit/preflight/rules.py, tests/preflight/
    "rule-shadowed": Severity.WARNING,
    "rule-ignored": Severity.WARNING,
    "rule-chain-source": Severity.WARNING,
    "live-differs-from-rules": Severity.WARNING,
    # after launch (issue 17): migrationaudit/checks/traffic.py
    "legacy-url-still-failing": Severity.WARNING,
    # the hosts after launch: migrationaudit/checks/hosts.py
    "legacy-host-certificate-expiring": Severity.WARNING,
    "new-host-hsts-missing": Severity.NOTICE,
    "permanent-redirect-uncached": Severity.NOTICE,
    "change-of-address-blocked": Severity.WARNING,
    # content parity: migrationaudit/parity/rules.py (needs a --snapshot or --old-origin)
    "parity-title": Severity.WARNING,
    "parity-h1": Severity.NOTICE,
    "parity-description": Severity.NOTICE,
    "parity-content": Severity.WARNING,
    "parity-structured-data": Severity.WARNING,
    "parity-media-type": Severity.ERROR,
    "parity-language": Severity.WARNING,
    "parity-indexability": Severity.ERROR,
    # catch-all probes: migrationaudit/parity/catchall.py (needs --catch-all-probes)
    "catch-all-redirect": Severity.ERROR,
    "soft-404": Severity.WARNING,
}
# The new site's side (issue 3): id → (default severity, what it needs).
SITE_IDS = {
    "sitemap-redirect": (Severity.WARNING, "sitemap"),
    "sitemap-broken": (Severity.ERROR, "sitemap"),
    "sitemap-noindex": (Severity.WARNING, "sitemap"),
    "sitemap-non-canonical": (Severity.WARNING, "sitemap"),
    "sitemap-legacy-url": (Severity.WARNING, "sitemap"),
    "sitemap-foreign-host": (Severity.WARNING, "sitemap"),
    "sitemap-invalid": (Severity.ERROR, "sitemap-file"),
    "sitemap-too-large": (Severity.WARNING, "sitemap-file"),
    "target-not-in-sitemap": (Severity.NOTICE, "sitemap-read"),
    "old-sitemap-unredirected": (Severity.ERROR, "old-sitemap"),
    "robots-blocked-target": (Severity.ERROR, "robots"),
    "robots-blocked-legacy": (Severity.WARNING, "robots"),
    "robots-disallow-all": (Severity.ERROR, "robots"),
    "canonical-to-redirect": (Severity.ERROR, "new-site"),
    "canonical-to-broken": (Severity.ERROR, "new-site"),
    "canonical-foreign-host": (Severity.ERROR, "new-site"),
    "internal-link-to-redirect": (Severity.WARNING, "site-crawl"),
    "internal-link-broken": (Severity.ERROR, "site-crawl"),
    "internal-link-legacy-host": (Severity.WARNING, "site-crawl"),
    "hreflang-to-redirect": (Severity.WARNING, "new-site"),
    "hreflang-broken": (Severity.WARNING, "new-site"),
    "hreflang-no-return": (Severity.WARNING, "new-site"),
    "duplicate-variant": (Severity.WARNING, "variants"),
    "variant-chain": (Severity.WARNING, "variants"),
    "variant-not-found": (Severity.NOTICE, "variants"),  # issue 12
}
CONTRACT_IDS.update({k: sev for k, (sev, _) in SITE_IDS.items()})
MAP_RULES = {"map-loop", "map-chain", "map-conflict", "map-self", "map-row-unreadable"}
PRIORITY_RULES = {"valuable-url-unmapped"}  # need a map and a --priority export
RULE_FILE_RULES = {"rule-shadowed", "rule-ignored", "rule-chain-source", "live-differs-from-rules"}
NO_RULE_FILE = "no host rule file predicted (check-map --map-format netlify|cloudflare|amplify)"
LOG_RULES = {"legacy-url-still-failing"}  # need a crawl and an --access-log
# need a crawl and the host checks (--launched)
HOST_RULES = {
    "legacy-host-certificate-expiring",
    "new-host-hsts-missing",
    "permanent-redirect-uncached",
}
NO_HOSTS = "no host check ran (after launch: --launched)"
SNAPSHOT_RULES = {r for r in CONTRACT_IDS if r.startswith("parity-")}
NO_SNAPSHOT = "no --snapshot or --old-origin given"
PROBE_RULES = {"catch-all-redirect", "soft-404"}
NO_PROBES = "no catch-all probes requested (--catch-all-probes)"
NO_SITE_STAGE = "the new-site stage did not run"


def test_contract_ids_and_default_severities() -> None:
    specs = {s.rule_id: s for s in all_rules()}
    assert set(specs) == set(CONTRACT_IDS)
    for rule_id, severity in CONTRACT_IDS.items():
        assert specs[rule_id].severity is severity, rule_id
        needs = "priority" if rule_id in PRIORITY_RULES else "crawl"
        needs = "map" if rule_id in MAP_RULES else needs
        needs = "access-log" if rule_id in LOG_RULES else needs
        needs = "hosts" if rule_id in HOST_RULES else needs
        needs = "snapshot" if rule_id in SNAPSHOT_RULES else needs
        needs = "probes" if rule_id in PROBE_RULES else needs
        needs = SITE_IDS[rule_id][1] if rule_id in SITE_IDS else needs
        needs = "rule-file" if rule_id in RULE_FILE_RULES else needs
        assert specs[rule_id].needs == needs


def test_all_rules_sorted_and_documented() -> None:
    specs = all_rules()
    assert [s.rule_id for s in specs] == sorted(s.rule_id for s in specs)
    for s in specs:
        assert s.title and not s.title.endswith(".")
        assert "Why:" in s.doc and "Fix:" in s.doc, s.rule_id
        assert s.doc == s.doc.strip() and s.title not in s.doc


def test_rule_infos_are_plain_data() -> None:
    infos = rule_infos()
    assert [i.rule_id for i in infos] == [s.rule_id for s in all_rules()]
    loop = next(i for i in infos if i.rule_id == "redirect-loop")
    assert loop.title == "Redirect loops" and loop.severity is Severity.ERROR


def test_rule_needs_a_docstring_and_known_needs() -> None:
    with pytest.raises(ValueError, match="needs"):
        rule("x-test", Severity.NOTICE, needs="sitemaps")
    with pytest.raises(ValueError, match="docstring"):

        @rule("x-test", Severity.NOTICE)
        def undocumented(ctx: AuditContext):  # type: ignore[no-untyped-def]
            yield from ()


def test_without_crawl_crawl_rules_are_skipped() -> None:
    ctx = make_ctx(rules=[rrule(f"{OLD}/a", f"{N}/a")], crawl=False)
    found, skipped = run_checks(ctx)
    assert found == ()
    reasons = {s.rule_id: s.reason for s in skipped}
    assert set(reasons) == set(CONTRACT_IDS) - MAP_RULES
    assert {reasons[r] for r in set(reasons) - PRIORITY_RULES - RULE_FILE_RULES} == {
        "no crawl was run"
    }
    assert {reasons[r] for r in RULE_FILE_RULES} == {NO_RULE_FILE}
    assert set(SITE_IDS) <= set(reasons)
    assert {reasons[r] for r in PRIORITY_RULES} == {"no --priority export given"}


def test_without_map_map_rules_are_skipped() -> None:
    ctx = make_ctx([(f"{OLD}/a", f"{N}/a")], urls=[f"{OLD}/a"])
    _, skipped = run_checks(ctx)
    assert {s.rule_id: s.reason for s in skipped} == dict.fromkeys(
        MAP_RULES | PRIORITY_RULES, "no redirect map given"
    ) | dict.fromkeys(SITE_IDS, NO_SITE_STAGE) | dict.fromkeys(RULE_FILE_RULES, NO_RULE_FILE) | (
        dict.fromkeys(LOG_RULES, "no --access-log given")
    ) | dict.fromkeys(HOST_RULES, NO_HOSTS) | dict.fromkeys(SNAPSHOT_RULES, NO_SNAPSHOT) | (
        dict.fromkeys(PROBE_RULES, NO_PROBES)
    )


def test_disabled_rules_are_skipped_and_silent() -> None:
    ctx = make_ctx(
        [(f"{OLD}/a", f"{N}/a", 302)], urls=[f"{OLD}/a"], disabled=["temporary-redirect"]
    )
    found, skipped = run_checks(ctx)
    assert found == ()
    assert ("temporary-redirect", "disabled by configuration") in {
        (s.rule_id, s.reason) for s in skipped
    }


def test_severity_override_applies() -> None:
    ctx = make_ctx(
        [(f"{OLD}/a", f"{N}/a", 302)],
        urls=[f"{OLD}/a"],
        overrides=[("temporary-redirect", Severity.ERROR)],
    )
    found, _ = run_checks(ctx)
    assert [(f.rule_id, f.severity) for f in found] == [("temporary-redirect", Severity.ERROR)]


def test_findings_sorted_by_severity_then_rule_then_url() -> None:
    rules = [
        rrule(f"{OLD}/b", f"{N}/b"),  # 302: warning
        rrule(f"{OLD}/a", f"{N}/a"),  # 302: warning
        rrule(f"{OLD}/c", f"{N}/c"),  # lands elsewhere: error
    ]
    ctx = make_ctx(
        [(f"{OLD}/b", f"{N}/b", 302), (f"{OLD}/a", f"{N}/a", 302), (f"{OLD}/c", f"{N}/x")],
        rules=rules,
    )
    found, _ = run_checks(ctx)
    assert [(f.severity.label, f.rule_id, f.url) for f in found] == [
        ("error", "target-mismatch", f"{OLD}/c"),
        ("warning", "temporary-redirect", f"{OLD}/a"),
        ("warning", "temporary-redirect", f"{OLD}/b"),
    ]
    assert run_checks(ctx) == run_checks(ctx)  # deterministic


def test_finding_carries_evidence_origin_and_urls() -> None:
    r = rrule(f"{OLD}/a", f"{N}/a/", line=7)
    ctx = make_ctx([(f"{OLD}/a", f"{N}/a"), (f"{N}/a", f"{N}/a/")], rules=[r])
    f = next(f for f in run_checks(ctx)[0] if f.rule_id == "redirect-chain")
    assert f.url == f"{OLD}/a" and f.final_url == f"{N}/a/" and f.expected_url == f"{N}/a/"
    assert [h.url for h in f.evidence] == [f"{OLD}/a", f"{N}/a", f"{N}/a/"]
    assert str(f.origin) == "map.csv:7"
    assert f.fix and f.message

"""The registry and the runner: ids, docs, skipping, overrides, ordering."""

from __future__ import annotations

import pytest

from migrationaudit.checks import AuditContext, all_rules, rule, rule_infos, run_checks
from migrationaudit.models import Severity

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
    "status-mismatch": Severity.WARNING,
}
MAP_RULES = {"map-loop", "map-chain", "map-conflict", "map-self"}


def test_contract_ids_and_default_severities() -> None:
    specs = {s.rule_id: s for s in all_rules()}
    assert set(specs) == set(CONTRACT_IDS)
    for rule_id, severity in CONTRACT_IDS.items():
        assert specs[rule_id].severity is severity, rule_id
        assert specs[rule_id].needs == ("map" if rule_id in MAP_RULES else "crawl")


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
        rule("x-test", Severity.NOTICE, needs="sitemap")
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
    assert set(reasons.values()) == {"no crawl was run"}


def test_without_map_map_rules_are_skipped() -> None:
    ctx = make_ctx([(f"{OLD}/a", f"{N}/a")], urls=[f"{OLD}/a"])
    _, skipped = run_checks(ctx)
    assert {s.rule_id: s.reason for s in skipped} == dict.fromkeys(
        MAP_RULES, "no redirect map given"
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

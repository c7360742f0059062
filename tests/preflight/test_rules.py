"""The rule-file rules and the predicted chains on hand-written rule files: each rule's positive
and negative case, and the ordinary chain rules firing on predicted hops."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from migrationaudit.options import AuditRequest
from migrationaudit.preflight.run import check_rule_file

S = "https://site.example"


def check(tmp_path: Path, text: str, fmt: str, name: str = "_redirects") -> Any:
    (tmp_path / name).write_text(text, encoding="utf-8")
    req = AuditRequest(maps=(str(tmp_path / name),), map_format=fmt, base_url=S + "/")
    return check_rule_file(req)


def found(result: Any) -> set[tuple[str, str]]:
    return {(f.rule_id, f.url.removeprefix(S)) for f in result.findings}


def test_shadowed_pattern_and_exact_rules_name_the_winning_line(tmp_path: Path) -> None:
    text = "/blog/* /news/:splat\n/blog/a /x\n/docs/:v/a /y\n/docs/1/b /z\n"
    r = check(tmp_path, text, "netlify")
    shadowed = {f.origin.line: f for f in r.findings if f.rule_id == "rule-shadowed"}
    assert set(shadowed) == {2}  # /docs/1/b is not caught by /docs/:v/a
    assert "line 1 matches first" in shadowed[2].message


def test_netlify_slash_twins_shadow_but_cloudflare_ones_do_not(tmp_path: Path) -> None:
    text = "/a /b 301\n/a/ /b 301\n"
    assert ("rule-shadowed", "/a/") in found(check(tmp_path, text, "netlify"))
    assert not {f for f in found(check(tmp_path, text, "cloudflare")) if f[0] == "rule-shadowed"}


def test_chain_source_names_both_lines_and_the_chain_is_predicted(tmp_path: Path) -> None:
    r = check(tmp_path, "/a /b 301\n/b /c 301\n/d /e 301\n", "netlify")
    got = found(r)
    assert ("rule-chain-source", "/a") in got and ("redirect-chain", "/a") in got
    assert ("rule-chain-source", "/d") not in got and ("redirect-chain", "/d") not in got
    note = next(f for f in r.findings if f.rule_id == "rule-chain-source")
    assert "line 1" in note.message and "line 2" in note.message
    chain = r.chains[S + "/a"]
    assert [h.status for h in chain.hops] == [301, 301, 200]
    assert chain.hops[0].headers["x-migrationaudit-predicted-by"].endswith("_redirects:1")


def test_chain_through_a_placeholder_rule(tmp_path: Path) -> None:
    r = check(tmp_path, "/old /v/1/page 301\n/v/:n/page /docs/:n/ 301\n", "netlify")
    assert ("redirect-chain", "/old") in found(r)
    assert r.chains[S + "/old"].hops[-1].url == S + "/docs/1/"


def test_loops_hop_limit_and_slash_hops_are_the_ordinary_rules(tmp_path: Path) -> None:
    text = "/x /y 301\n/y /x 301\n" + "".join(f"/h{i} /h{i + 1} 301\n" for i in range(12))
    text += "/s /t/ 301\n/t/ /t 301\n"
    got = found(check(tmp_path, text, "cloudflare"))
    assert {("redirect-loop", "/x"), ("redirect-loop", "/y"), ("hop-limit", "/h0")} <= got
    assert ("slash-hop", "/s") in got
    assert ("redirect-loop", "/h0") not in got


def test_cloudflare_default_302_is_a_temporary_redirect(tmp_path: Path) -> None:
    got = found(check(tmp_path, "/a /b\n/c /d 301\n", "cloudflare"))
    assert ("temporary-redirect", "/a") in got and ("temporary-redirect", "/c") not in got


def test_ignored_rules_and_their_broken_sources(tmp_path: Path) -> None:
    lines = ["/x/* /y/:splat"] + [f"/p{i} /q{i} 301" for i in range(101)]
    r = check(tmp_path, "\n".join(lines) + "\n", "cloudflare")
    counts = Counter(f.rule_id for f in r.findings)
    assert counts["rule-ignored"] == 2 and counts["legacy-url-broken"] == 2
    assert ("rule-ignored", "/p98") not in found(r)
    assert {("rule-ignored", "/p99"), ("legacy-url-broken", "/p100")} <= found(r)


def test_a_clean_file_has_no_finding(tmp_path: Path) -> None:
    r = check(tmp_path, '[{"source": "/a", "target": "/b", "status": "301"}]', "amplify", "r.json")
    assert r.findings == ()
    assert r.run["mode"] == "check-map" and r.run["predicted"] is True


def test_audit_inputs_carry_the_rule_file_facts_and_a_saved_run_keeps_them(
    tmp_path: Path,
) -> None:
    from migrationaudit.demo.cases import case_maps
    from migrationaudit.pipeline import load_inputs
    from migrationaudit.rundir.saved import load_inputs_file
    from migrationaudit.rundir.saving import save_inputs

    demo = Path(__file__).resolve().parents[2] / "sample_maps" / "demo"
    req = AuditRequest(maps=case_maps(demo))
    inputs = load_inputs(req)
    assert inputs.rule_file is not None
    kinds = {(n.kind, n.origin.line) for n in inputs.rule_file.notes}
    assert kinds == {("shadowed", 5), ("chain-source", 8), ("ignored", 11)}
    answers = {a.url.rsplit("/", 1)[1]: a for a in inputs.rule_file.answers}
    assert answers["press"].status == 301 and answers["press"].origin.line == 9  # type: ignore[union-attr]
    assert answers["widget-1"].origin.line == 3  # type: ignore[union-attr]  # the splat answers
    save_inputs(tmp_path, req, inputs)
    again, _ = load_inputs_file(tmp_path)
    assert again.rule_file is not None and again.rule_file.notes == inputs.rule_file.notes
    assert again.rule_file.answers == inputs.rule_file.answers
    # a CSV map alone is no rule file
    assert load_inputs(AuditRequest(maps=case_maps(demo)[:1])).rule_file is None


def test_a_long_chain_joined_late_is_still_a_hop_limit(tmp_path: Path) -> None:
    # /z joins the /h chain near its end: its own chain is judged as far as it goes
    text = "".join(f"/h{i} /h{i + 1} 301\n" for i in range(14)) + "/z /h9 301\n"
    got = found(check(tmp_path, text, "netlify"))
    assert {("hop-limit", "/h0"), ("redirect-chain", "/z")} <= got
    assert ("hop-limit", "/z") not in got


def test_live_answers_that_differ_from_the_rule_file(tmp_path: Path) -> None:
    from migrationaudit.checks import AuditContext, run_checks
    from migrationaudit.graph import build_graph, chains_for
    from migrationaudit.models.hops import Hop, HopKind
    from migrationaudit.models.inputs import LegacyURL, Origin
    from migrationaudit.preflight.predict import file_facts
    from migrationaudit.settings import CheckOptions

    (tmp_path / "_redirects").write_text("/a /b 301\n/c /d 301\n/e /f 302\n", encoding="utf-8")
    facts = file_facts(str(tmp_path / "_redirects"), "netlify", S + "/")
    live = [
        Hop(S + "/a", 301, HopKind.HTTP_REDIRECT, "/b", S + "/b"),  # as written: silent
        Hop(S + "/b", 200, HopKind.FINAL),
        Hop(S + "/c", 404, HopKind.FINAL),  # not deployed
        Hop(S + "/e", 301, HopKind.HTTP_REDIRECT, "/f", S + "/f"),  # another status
        Hop(S + "/f", 200, HopKind.FINAL),
    ]
    legacy = tuple(LegacyURL(f"{S}/{p}", Origin("_redirects", i)) for i, p in enumerate("ace", 1))
    graph = build_graph(live)
    ctx = AuditContext(
        rules=(), legacy=legacy, graph=graph, chains=chains_for(graph, [x.url for x in legacy], 10),
        options=CheckOptions(), rule_file=facts,
    )  # fmt: skip
    found_ = {f.url.removeprefix(S): f for f in run_checks(ctx)[0]
              if f.rule_id == "live-differs-from-rules"}  # fmt: skip
    assert set(found_) == {"/c", "/e"}
    assert "predicts: https://site.example/c --301--> https://site.example/d [200]" in (
        found_["/c"].message
    )


def test_audit_reads_a_cloudflare_file_as_its_exact_rows(tmp_path: Path) -> None:
    from migrationaudit.inputs.mapfiles import read_map_file

    (tmp_path / "_redirects").write_text("/a /b\n/x/* /y/:splat 301\n", encoding="utf-8")
    rules, skipped = read_map_file(tmp_path / "_redirects", S, fmt="cloudflare")
    assert [r.source for r in rules] == [S + "/a"] and len(skipped) == 1

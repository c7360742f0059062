"""The simulator on hand-written rule files: every construct of each host, positive and negative."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrationaudit.preflight.model import RuleFile
from migrationaudit.preflight.read import read_rule_file
from migrationaudit.preflight.simulate import Simulator

S = "https://site.example"


def load(tmp_path: Path, text: str, fmt: str, name: str = "_redirects") -> RuleFile:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return read_rule_file(tmp_path / name, fmt)


def ask(rf: RuleFile, path: str) -> tuple[int, str | None, int | None]:
    a = Simulator(rf, ("site.example",)).answer(S + path)
    return a.status, a.location, a.rule.line if a.rule else None


def test_netlify_first_match_default_301_and_trailing_slash(tmp_path: Path) -> None:
    rf = load(tmp_path, "# c\n/a /b\n/a /c 302\n/d/ /e 302\n", "netlify")
    assert ask(rf, "/a") == (301, "/b", 2)  # first match wins, default 301
    assert ask(rf, "/a/") == (301, "/b", 2)  # one trailing slash more matches
    assert ask(rf, "/d") == (302, "/e", 4)  # and one less
    assert ask(rf, "/ab") == (200, None, None)  # no rule: a page


def test_netlify_placeholders_splat_force_rewrite(tmp_path: Path) -> None:
    text = "/news/:year/:slug /blog/:slug 301!\n/docs/* /v2/:splat\n/app/* /index.html 200\n"
    rf = load(tmp_path, text, "netlify")
    assert ask(rf, "/news/2024/hello") == (301, "/blog/hello", 1)
    assert rf.rules[0].force
    assert ask(rf, "/news/2024") == (200, None, None)  # :slug needs its segment
    assert ask(rf, "/docs/a/b") == (301, "/v2/a/b", 2)
    assert ask(rf, "/docs") == (301, "/v2/", 2)
    assert ask(rf, "/app/x") == (200, None, 3)  # a rewrite answers 200 at the source


def test_netlify_conditions_and_fragments_are_reported_not_applied(tmp_path: Path) -> None:
    rf = load(tmp_path, "/ /us 302 Country=us\n/a#x /b\n/q id=:id /p/:id\n", "netlify")
    assert [i.origin.line for i in rf.ignored] == [1, 2]
    assert "not simulated" in rf.ignored[0].reason and "fragment" in rf.ignored[1].reason
    assert ask(rf, "/") == (200, None, None)
    assert ask(rf, "/q?id=7") == (301, "/p/7", 3)  # a query condition is matched
    assert ask(rf, "/q") == (200, None, None)


def test_cloudflare_exact_slash_default_302(tmp_path: Path) -> None:
    rf = load(tmp_path, "/a /b\n/c/ /d 301\n/e /f 404\n", "cloudflare")
    assert ask(rf, "/a") == (302, "/b", 1)
    assert ask(rf, "/a/") == (200, None, None)  # exact: the trailing slash counts
    assert ask(rf, "/c") == (200, None, None)
    assert ask(rf, "/c/") == (301, "/d", 2)
    assert [i.origin.line for i in rf.ignored] == [3]  # 404 is no Pages redirect status


def test_cloudflare_limits_every_rule_after_a_splat_is_dynamic(tmp_path: Path) -> None:
    lines = ["/s1 /t", "/x/* /y/:splat"] + [f"/p{i} /t{i} 301" for i in range(105)]
    rf = load(tmp_path, "\n".join(lines) + "\n", "cloudflare")
    assert len(rf.rules) == 1 + 100  # one static, then 100 dynamic ones (the splat first)
    assert [i.origin.line for i in rf.ignored] == list(range(102, 108))
    assert "100 dynamic" in rf.ignored[0].reason
    assert ask(rf, "/p98") == (301, "/t98", 101)
    assert ask(rf, "/p99") == (404, None, None)  # its rule is ignored: the moved page is gone


def test_cloudflare_static_limit(tmp_path: Path) -> None:
    rf = load(tmp_path, "".join(f"/a{i} /b{i}\n" for i in range(2001)), "cloudflare")
    assert len(rf.rules) == 2000 and [i.origin.line for i in rf.ignored] == [2001]


def test_amplify_placeholders_wildcard_and_fallback(tmp_path: Path) -> None:
    text = (
        '[{"source": "/<platform>/old/<*>", "target": "/<platform>/new/<*>", "status": "301"},'
        '\n{"source": "/tmp", "target": "/t", "status": "302"},'
        '\n{"source": "/<*>", "target": "/index.html", "status": "404-200"},'
        '\n{"source": "/geo", "target": "/us", "status": "302", "condition": "<US>"}]'
    )
    rf = load(tmp_path, text, "amplify", "redirects.json")
    assert ask(rf, "/js/old/a/b") == (301, "/js/new/a/b", 1)
    assert ask(rf, "/tmp") == (302, "/t", 2)
    assert ask(rf, "/tmp/") == (200, None, None)  # the path as written: no slash normalising
    assert ask(rf, "/anything") == (200, None, None)  # the 404-200 fallback never acts on a page
    assert ask(rf, "/geo") == (200, None, None)
    assert "not simulated" in rf.ignored[0].reason


def test_off_site_targets_are_not_followed(tmp_path: Path) -> None:
    rf = load(tmp_path, "/a https://other.example/x\n", "netlify")
    sim = Simulator(rf, ("site.example",))
    hop = sim.hop(S + "/a")
    assert hop.is_redirect and hop.target == "https://other.example/x"
    assert str(sim.hop("https://other.example/x").kind) == "offsite"


@pytest.mark.parametrize("fmt", ["netlify", "cloudflare"])
def test_host_rules_apply_to_their_host_only(tmp_path: Path, fmt: str) -> None:
    rf = load(tmp_path, "https://old.example/* https://site.example/:splat 301\n", fmt)
    if fmt == "cloudflare":  # Pages has no domain-level redirects
        assert "not understood" in rf.ignored[0].reason
        return
    sim = Simulator(rf, ("site.example", "old.example"))
    assert sim.answer("https://old.example/p").location == "https://site.example/p"
    assert sim.answer(S + "/p").status == 200

"""The request's query string through each host's redirect rules, as its documentation says."""

from __future__ import annotations

from pathlib import Path

from migrationaudit.preflight.model import RuleFile
from migrationaudit.preflight.predict import predicted_answer
from migrationaudit.preflight.read import read_rule_file
from migrationaudit.preflight.simulate import NOT_PREDICTED, Simulator

S = "https://site.example"


def load(tmp_path: Path, text: str, fmt: str, name: str = "_redirects") -> RuleFile:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return read_rule_file(tmp_path / name, fmt)


def sim(rf: RuleFile) -> Simulator:
    return Simulator(rf, ("site.example",))


def ask(rf: RuleFile, path: str) -> tuple[int, str | None, str | None]:
    a = sim(rf).answer(S + path)
    return a.status, a.location, a.unknown


NETLIFY = """\
/old /new
/new /newest 302
/see /other 303
/store id=:id /blog/:id 301
/with-q /target?a=1
/app/* /index.html 200
"""


def test_netlify_passes_the_query_on_301_and_302(tmp_path: Path) -> None:
    rf = load(tmp_path, NETLIFY, "netlify")
    assert ask(rf, "/old?utm=x&b=2") == (301, "/new?utm=x&b=2", None)
    assert ask(rf, "/old") == (301, "/new", None)  # no query: unchanged
    chain = predicted_answer(sim(rf), S + "/old?utm=x").path
    assert chain == (f"{S}/old?utm=x --301--> {S}/new?utm=x --302--> {S}/newest?utm=x [200]")


def test_netlify_query_conditions_match_only_when_they_hold(tmp_path: Path) -> None:
    rf = load(tmp_path, NETLIFY, "netlify")
    assert ask(rf, "/store?id=5") == (301, "/blog/5", None)
    assert ask(rf, "/store?other=5")[:2] == (200, None)  # condition absent: no rule
    assert ask(rf, "/store")[:2] == (200, None)
    status, _, unknown = ask(rf, "/store?id=5&utm=x")  # extra parameter: undocumented
    assert status == 0 and unknown and "query conditions" in unknown


def test_netlify_undocumented_cases_are_not_predicted(tmp_path: Path) -> None:
    rf = load(tmp_path, NETLIFY, "netlify")
    assert ask(rf, "/see") == (303, "/other", None)
    status, _, unknown = ask(rf, "/see?x=1")
    assert status == 0 and unknown and "303" in unknown
    assert ask(rf, "/with-q")[:2] == (301, "/target?a=1")
    assert ask(rf, "/with-q?b=2")[2] is not None
    assert ask(rf, "/app/x?y=1") == (200, None, None)  # a rewrite sends no Location
    hop = sim(rf).hop(S + "/see?x=1")
    assert hop.status is None and hop.error and hop.error.startswith(NOT_PREDICTED)


NETLIFY_TOML = """\
[[redirects]]
from = "/a"
to = "/b"

[[redirects]]
from = "/b"
to = "/c"
status = 302

[[redirects]]
from = "/store"
to = "/blog/:id"
query = {id = ":id"}
"""


def test_netlify_toml_same_query_semantics(tmp_path: Path) -> None:
    rf = load(tmp_path, NETLIFY_TOML, "netlify", "netlify.toml")
    assert ask(rf, "/a?q=1") == (301, "/b?q=1", None)
    assert predicted_answer(sim(rf), S + "/a?q=1").path == (
        f"{S}/a?q=1 --301--> {S}/b?q=1 --302--> {S}/c?q=1 [200]"
    )
    assert ask(rf, "/store?id=9") == (301, "/blog/9", None)
    assert ask(rf, "/store?id=9&x=1")[2] is not None


def test_cloudflare_pages_query_is_not_predicted(tmp_path: Path) -> None:
    rf = load(tmp_path, "/old /new 301\n/new /newest 301\n", "cloudflare")
    assert ask(rf, "/old") == (301, "/new", None)  # no query: unchanged
    status, _, unknown = ask(rf, "/old?x=1")
    assert status == 0 and unknown and "Cloudflare Pages" in unknown
    chain = predicted_answer(sim(rf), S + "/old?x=1").path
    assert chain == f"{S}/old?x=1 [offsite]"
    assert ask(rf, "/elsewhere?x=1") == (200, None, None)  # no rule: a page


VERCEL = """\
{
  "redirects": [
    {"source": "/old", "destination": "/new"},
    {"source": "/new", "destination": "/lol/?path=foo", "permanent": true},
    {"source": "/blog/:slug", "destination": "/news/:slug", "permanent": false}
  ]
}
"""


def test_vercel_passes_the_query_through(tmp_path: Path) -> None:
    rf = load(tmp_path, VERCEL, "vercel", "vercel.json")
    assert ask(rf, "/old?baz=10") == (308, "/new?baz=10", None)
    assert ask(rf, "/new?baz=10") == (308, "/lol/?path=foo&baz=10", None)
    assert ask(rf, "/blog/x?a=1&b=2") == (307, "/news/x?a=1&b=2", None)
    assert ask(rf, "/old") == (308, "/new", None)  # no query: unchanged
    assert predicted_answer(sim(rf), S + "/old?baz=10").path == (
        f"{S}/old?baz=10 --308--> {S}/new?baz=10 --308--> {S}/lol/?path=foo&baz=10 [200]"
    )

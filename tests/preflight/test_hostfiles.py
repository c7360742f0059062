"""vercel.json, netlify.toml and Cloudflare Bulk Redirects CSV, and the format detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrationaudit.errors import InputError
from migrationaudit.options import AuditRequest
from migrationaudit.preflight.model import RuleFile
from migrationaudit.preflight.read import read_rule_file, rule_format
from migrationaudit.preflight.run import check_rule_file, predicts
from migrationaudit.preflight.simulate import Simulator

S = "https://site.example"


def load(tmp_path: Path, name: str, text: str, fmt: str) -> RuleFile:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return read_rule_file(tmp_path / name, fmt)


def ask(rf: RuleFile, url: str) -> tuple[int, str | None, int | None]:
    a = Simulator(rf, ("site.example",)).answer(url if url.startswith("http") else S + url)
    return a.status, a.location, a.rule.line if a.rule else None


VERCEL = """{
  "trailingSlash": false,
  "redirects": [
    { "source": "/me", "destination": "/profile" },
    { "source": "/user", "destination": "/api/user", "permanent": false },
    { "source": "/blog/:slug", "destination": "/news/:slug", "statusCode": 301 },
    { "source": "/docs/:path*", "destination": "/manual/:path*" },
    { "source": "/id/:n(\\\\d+)", "destination": "/item/:n" },
    { "source": "/geo", "destination": "/uk", "has": [{"type": "header", "key": "x"}] },
    { "source": "/both", "destination": "/x", "permanent": true, "statusCode": 302 }
  ]
}
"""


def test_vercel_path_to_regexp_statuses_and_conditions(tmp_path: Path) -> None:
    rf = load(tmp_path, "vercel.json", VERCEL, "vercel")
    assert ask(rf, "/me") == (308, "/profile", 4)  # permanent by default: 308
    assert ask(rf, "/user") == (307, "/api/user", 5)
    assert ask(rf, "/blog/hello") == (301, "/news/hello", 6)
    assert ask(rf, "/blog/a/b") == (200, None, None)  # :slug is one segment
    assert ask(rf, "/docs/a/b") == (308, "/manual/a/b", 7)
    assert ask(rf, "/docs") == (308, "/manual", 7)  # :path* may be empty, its / too
    assert ask(rf, "/id/42") == (308, "/item/42", 8)
    assert ask(rf, "/id/x") == (200, None, None)  # the custom (\d+) must match
    assert ask(rf, "/ME") == (200, None, None)  # case-sensitive
    assert ask(rf, "/me/") == (308, "/me", 2)  # trailingSlash false: the slash goes first
    assert ask(rf, "/both") == (308, "/x", 10)  # permanent wins over statusCode
    assert [(i.origin.line, i.by_host) for i in rf.ignored] == [(9, False)]
    assert "not simulated" in rf.ignored[0].reason


def test_vercel_chain_through_the_trailing_slash_rule_is_predicted(tmp_path: Path) -> None:
    (tmp_path / "vercel.json").write_text(
        '{"trailingSlash": false, "redirects": [{"source": "/a", "destination": "/b/"}]}',
        encoding="utf-8",
    )
    req = AuditRequest(maps=(str(tmp_path / "vercel.json"),), base_url=S + "/")
    assert predicts(req)  # detected: no --map-format needed
    r = check_rule_file(req)
    assert [h.status for h in r.chains[S + "/a"].hops] == [308, 308, 200]
    assert {f.rule_id for f in r.findings} >= {"redirect-chain", "rule-chain-source"}


NETLIFY_TOML = """[build]
command = "make"

[[redirects]]
from = "/old"
to = "/new"

[[redirects]]
from = "/tmp/*"
to = "/t/:splat"
status = 302
force = true

[[redirects]]
from = "/geo"
to = "/us"
conditions = {Country = ["US"]}

[[redirects]]
from = "/store"
to = "/blog/:id"
query = {id = ":id"}
"""


def test_netlify_toml_has_netlify_semantics_and_lines(tmp_path: Path) -> None:
    rf = load(tmp_path, "netlify.toml", NETLIFY_TOML, "netlify")
    assert ask(rf, "/old/") == (301, "/new", 4)  # trailing slash normalised, default 301
    assert ask(rf, "/tmp/a/b") == (302, "/t/a/b", 8)
    assert rf.rules[1].force
    assert ask(rf, "/store?id=5") == (301, "/blog/5", 19)
    assert [i.origin.line for i in rf.ignored] == [14] and not rf.ignored[0].by_host


BULK = (
    (
        "source_url,target_url,status_code,preserve_query_string,include_subdomains,"
        "subpath_matching,preserve_path_suffix\n"
    )
    + """old.example/about,https://new.example/about-us,301,false,false,false,false
old.example/blog/,https://new.example/news/,301,true,false,true,true
old.example/blog/special,https://new.example/special,302,false,false,false,false
old.example/shop,https://new.example/store,308,false,true,true,false
http://old.example/http-only,https://new.example/h,,,,,
old.example/about,https://new.example/twice,301,,,,
"""
)


def test_cloudflare_bulk_options(tmp_path: Path) -> None:
    rf = load(tmp_path, "bulk.csv", BULK, "cloudflare-bulk")
    o = "https://old.example"
    assert ask(rf, f"{o}/about") == (301, "https://new.example/about-us", 2)
    assert ask(rf, f"{o}/about/") == (200, None, None)  # exact path
    assert ask(rf, f"{o}/about?x=1")[1] == "https://new.example/about-us"  # query dropped
    # subpath matching, path suffix and query string kept
    assert ask(rf, f"{o}/blog/a/b?x=1") == (301, "https://new.example/news/a/b?x=1", 3)
    assert ask(rf, f"{o}/blog/special") == (302, "https://new.example/special", 4)  # exact wins
    # include subdomains, subpath without the suffix
    assert ask(rf, "https://www.old.example/shop/x") == (308, "https://new.example/store", 5)
    assert ask(rf, f"{o}/shopping") == (200, None, None)  # a subpath is whole segments
    assert ask(rf, "http://old.example/http-only")[0] == 301  # default status
    assert ask(rf, f"{o}/http-only") == (200, None, None)  # the scheme counts when given
    assert [i.origin.line for i in rf.ignored] == [7] and "second row" in rf.ignored[0].reason


@pytest.mark.parametrize(
    ("name", "text", "fmt"),
    [
        ("_redirects", "/a /b\n", "netlify"),
        ("netlify.toml", NETLIFY_TOML, "netlify"),
        ("vercel.json", VERCEL, "vercel"),
        ("config.json", VERCEL, "vercel"),
        ("rules.json", '[{"source": "/a", "target": "/b"}]', "amplify"),
        ("nginx.conf", "events {}\n", "nginx"),
        ("site.conf", "server {\n  location = /a { return 301 /b; }\n}\n", "nginx"),
        (".htaccess", "Redirect /a /b\n", "apache"),
        ("vhost.conf", "<VirtualHost *:80>\nRewriteEngine On\n</VirtualHost>\n", "apache"),
        ("list.csv", BULK, "cloudflare-bulk"),
        ("map.csv", "old_url,new_url\n/a,/b\n", None),
    ],
)
def test_format_detection(tmp_path: Path, name: str, text: str, fmt: str | None) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert rule_format(tmp_path / name, "auto") == fmt
    assert rule_format(tmp_path / name, "cloudflare") == "cloudflare"  # told: no detection


def test_an_ambiguous_file_asks_for_the_format(tmp_path: Path) -> None:
    p = tmp_path / "both.conf"
    p.write_text("server {\n}\nRedirect /a /b\n", encoding="utf-8")
    with pytest.raises(InputError, match="nginx or apache: give --map-format nginx\\|apache"):
        rule_format(p, "auto")


def test_audit_reads_the_exact_rows_and_the_facts_of_a_vercel_file(tmp_path: Path) -> None:
    from migrationaudit.pipeline import load_inputs

    (tmp_path / "vercel.json").write_text(VERCEL, encoding="utf-8")
    inputs = load_inputs(AuditRequest(maps=(str(tmp_path / "vercel.json"),), base_url=S + "/"))
    assert [(r.source, r.expected_target) for r in inputs.rules] == [
        (S + "/me", S + "/profile"), (S + "/user", S + "/api/user"), (S + "/both", S + "/x")
    ]  # fmt: skip
    assert len(inputs.skipped_rows) == 5  # 3 pattern lines, the trailingSlash rule, has
    assert inputs.rule_file is not None and inputs.rule_file.fmt == "vercel"
    assert {a.url: a.status for a in inputs.rule_file.answers}[S + "/user"] == 307

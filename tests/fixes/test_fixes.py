"""The corrected redirect map (migrationaudit.fixes): the plan, its files parsed back, hostile
URLs kept inside their tokens, and the nginx rules served by a real nginx, then audited again."""

from __future__ import annotations

import csv
import http.client
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

from nginxserver import running_nginx

from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import parse_site
from migrationaudit.fixes import write_fixes
from migrationaudit.fixes.nginx import NGINX_DOLLAR, render_nginx
from migrationaudit.fixes.plan import BROKEN, CYCLE, LOOP, UNVERIFIED, Fix, FixPlan, build_fixes
from migrationaudit.fixes.servers import render_all, render_apache, render_netlify
from migrationaudit.fixes.wire import Parts, server_path, target_url
from migrationaudit.inputs import Inputs
from migrationaudit.inputs.hosting import read_netlify
from migrationaudit.inputs.maps import read_map
from migrationaudit.models.findings import Severity
from migrationaudit.models.hops import Hop, HopKind
from migrationaudit.models.inputs import LegacyURL, Origin, RedirectRule
from migrationaudit.models.result import AuditResult
from migrationaudit.models.runinfo import RunInfo
from migrationaudit.pipeline import judge
from migrationaudit.settings import CheckOptions
from migrationaudit.web.urls import normalize

OLD, N = "http://old.example", "https://new.example"


# --- building results from a tiny observed site -------------------------------------------


def observed(site: dict[str, tuple[int, str | None]]) -> list[Hop]:
    """Hop records for ``{url: (status, location)}`` (status 0: connection refused)."""
    hops = []
    for url, (status, location) in site.items():
        if status == 0:
            hops.append(Hop(url, None, HopKind.NETWORK_ERROR, error="connection refused"))
        elif location is not None:
            hops.append(Hop(url, status, HopKind.HTTP_REDIRECT, location, location))
        else:
            hops.append(Hop(url, status, HopKind.FINAL))
    return hops


def result_for(
    site: dict[str, tuple[int, str | None]],
    mapped: Sequence[tuple[str, str | None]] = (),
    listed: Sequence[str] = (),
    removed_status: int = 410,
) -> AuditResult:
    rules = tuple(
        RedirectRule(src, dst, Origin("map.csv", i + 2), None if dst else removed_status)
        for i, (src, dst) in enumerate(mapped)
    )
    legacy = [LegacyURL(r.source, r.origin, r) for r in rules]
    legacy += [LegacyURL(u, Origin("urls.txt", i + 1)) for i, u in enumerate(listed)]
    judged = judge(Inputs(rules, tuple(legacy)), observed(site), CheckOptions(), 10)
    return AuditResult(
        findings=judged.findings,
        verdicts=judged.verdicts,
        chains=judged.chains,
        skipped=judged.skipped,
        rules=(),
        fail_on=Severity.ERROR,
        run=RunInfo.from_dict({"options": {"max_hops": 10}}),
    )


def fixes_of(plan: FixPlan) -> dict[str, str]:
    return {f.source: f.target for f in plan.fixes}


def reviews_of(plan: FixPlan) -> dict[str, str]:
    return {r.url: r.reason for r in plan.review}


# --- the plan -------------------------------------------------------------------------------


def test_chains_are_flattened_to_their_final_page() -> None:
    site = {
        f"{OLD}/a": (301, f"{OLD}/a/"),
        f"{OLD}/a/": (302, f"{N}/a"),
        f"{N}/a": (301, f"{N}/a/"),
        f"{N}/a/": (200, None),
        f"{OLD}/b": (301, f"{N}/b"),
        f"{N}/b": (200, None),
    }
    plan = build_fixes(result_for(site, [(f"{OLD}/a", f"{N}/a/"), (f"{OLD}/b", f"{N}/b")]))
    assert fixes_of(plan) == {f"{OLD}/a": f"{N}/a/", f"{OLD}/b": f"{N}/b"}
    notes = {f.source: (f.hops_today, f.note) for f in plan.fixes}
    assert notes == {f"{OLD}/a": (3, "3 hops today"), f"{OLD}/b": (1, "already one hop")}
    assert plan.review == () and plan.kept == 0


def test_a_loop_is_fixed_when_the_maps_target_was_seen_working() -> None:
    site = {
        f"{OLD}/loop": (301, f"{OLD}/loop-b"),
        f"{OLD}/loop-b": (302, f"{OLD}/loop"),
        f"{OLD}/other": (301, f"{N}/fixed"),
        f"{N}/fixed": (200, None),
        f"{OLD}/spin": (301, f"{OLD}/spin2"),
        f"{OLD}/spin2": (301, f"{OLD}/spin"),
    }
    plan = build_fixes(
        result_for(site, [(f"{OLD}/loop", f"{N}/fixed")], listed=[f"{OLD}/other", f"{OLD}/spin"])
    )
    assert fixes_of(plan) == {f"{OLD}/loop": f"{N}/fixed", f"{OLD}/other": f"{N}/fixed"}
    assert reviews_of(plan) == {f"{OLD}/spin": LOOP}
    (spin,) = plan.review
    assert spin.detail.startswith(f"loops back to {OLD}/spin")
    assert spin.path.endswith("[loop]")


def test_broken_and_unverified_targets_go_to_a_human() -> None:
    site = {
        f"{OLD}/dead": (301, f"{N}/gone"),
        f"{N}/gone": (404, None),
        f"{OLD}/down": (301, "http://down.example/"),
        "http://down.example/": (0, None),
        f"{OLD}/elsewhere": (301, f"{N}/help"),
        f"{N}/help": (200, None),
    }
    mapped = [
        (f"{OLD}/dead", f"{N}/gone"),
        (f"{OLD}/down", "http://down.example/"),
        (f"{OLD}/elsewhere", f"{N}/help/warranty"),  # never requested: nothing proves it works
    ]
    plan = build_fixes(result_for(site, mapped))
    assert plan.fixes == ()
    assert reviews_of(plan) == {
        f"{OLD}/dead": BROKEN,
        f"{OLD}/down": BROKEN,
        f"{OLD}/elsewhere": UNVERIFIED,
    }
    detail = {r.url: r.detail for r in plan.review}
    assert "answers 404" in detail[f"{OLD}/dead"]
    assert "connection refused" in detail[f"{OLD}/down"]
    assert f"lands on {N}/help today" in detail[f"{OLD}/elsewhere"]


def test_targets_are_followed_through_other_fixes() -> None:
    # /media → /shipping (the map); /shipping still answers 200 but the map sends it to /help/.
    site = {
        f"{OLD}/media": (301, f"{OLD}/shipping"),
        f"{OLD}/shipping": (200, None),
        f"{OLD}/x": (301, f"{N}/help/"),
        f"{N}/help/": (200, None),
    }
    mapped = [(f"{OLD}/media", f"{OLD}/shipping"), (f"{OLD}/shipping", f"{N}/help/")]
    plan = build_fixes(result_for(site, mapped, listed=[f"{OLD}/x"]))
    assert fixes_of(plan) == {
        f"{OLD}/media": f"{N}/help/",
        f"{OLD}/shipping": f"{N}/help/",
        f"{OLD}/x": f"{N}/help/",
    }
    notes = {f.source: f.note for f in plan.fixes}
    assert notes[f"{OLD}/shipping"] == "not redirected today"
    assert notes[f"{OLD}/media"].endswith(f"{OLD}/shipping is itself redirected")


def test_fixes_that_would_cycle_are_reviewed() -> None:
    site = {f"{OLD}/a": (200, None), f"{OLD}/b": (200, None)}
    plan = build_fixes(result_for(site, [(f"{OLD}/a", f"{OLD}/b"), (f"{OLD}/b", f"{OLD}/a")]))
    assert plan.fixes == ()
    assert reviews_of(plan) == {f"{OLD}/a": CYCLE, f"{OLD}/b": CYCLE}


def test_live_pages_and_planned_removals_need_nothing() -> None:
    site = {
        f"{OLD}/live": (200, None),
        f"{OLD}/gone": (410, None),
        f"{OLD}/404": (404, None),
        f"{OLD}/broken": (404, None),
    }
    mapped = [(f"{OLD}/gone", None), (f"{OLD}/404", None)]
    plan = build_fixes(result_for(site, mapped, listed=[f"{OLD}/live", f"{OLD}/broken"]))
    assert plan.fixes == ()
    assert plan.kept == 3  # live at its own address; removed as the map asks (410 or 404)
    assert reviews_of(plan) == {f"{OLD}/broken": BROKEN}  # a listed URL that answers 404


# --- files parsed back --------------------------------------------------------------------

HOSTILE: list[tuple[str, str]] = [
    (f"{OLD}/a$b", f"{N}/x$y"),
    (f'{OLD}/q"uote', f"{N}/quote"),
    (f"{OLD}/back\\slash", f"{N}/bs"),
    (f"{OLD}/semi;{{x}}", f"{N}/semi"),
    (f"{OLD}/nl%0Abreak", f"{N}/nl"),
    (f"{OLD}/x%22%3B%7D%0Aserver%7B", f"{N}/inject"),
    (f"{OLD}/caf\u00e9", f"{N}/cafe"),
    (f"{OLD}/bidi\u202egpj.exe", f"{N}/bidi"),
    (f"{OLD}/%C3%28bad-utf8", f"{N}/bad"),
    (f"{OLD}/About", f"{OLD}/about"),  # a case-only fix on the same host
    (f"{OLD}/p?id=1&x=%24y", f"{N}/p1"),
    (f"{OLD}/p", f"{N}/p"),
    (f"{OLD}/star*/:name", f"{N}/star"),
    (f"{OLD}/sp%20ace", f"{N}/space%20x?a=b&c=$d"),
    (f"{OLD}/quote'single", f"{N}/it's"),
    ("http://www.other.example/dots/../here", f"{N}/here"),
]
HOSTILE_PLAN = FixPlan(tuple(Fix(s, t, 2, "=2+2 hops") for s, t in HOSTILE), (), 0)


def request_of(url: str) -> tuple[str, bytes, str]:
    """(host, decoded server path, raw query) of the request a client sends for ``url``."""
    p = Parts(url)
    return p.host, p.decoded, p.query


def nginx_tokens(text: str) -> list[list[str]]:
    """nginx's own tokenizer, enough for our files: statements split at ``;``/``{``/``}``,
    double-quoted strings with ``\\"`` and ``\\\\`` unescaped, other escapes kept."""
    statements: list[list[str]] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "#":
            i = text.index("\n", i)
        elif c.isspace():
            i += 1
        elif c in ";{}":
            current.append(c)
            statements.append(current)
            current = []
            i += 1
        elif c == '"':
            out, i = [], i + 1
            while text[i] != '"':
                if text[i] == "\\" and text[i + 1] in '"\\':
                    out.append(text[i + 1])
                    i += 2
                else:
                    out.append(text[i])
                    i += 1
            current.append("".join(out))
            i += 1
        else:
            j = i
            while j < len(text) and not text[j].isspace() and text[j] not in ';{}"':
                j += 1
            current.append(text[i:j])
            i = j
    assert current == [], current
    return statements


def nginx_lookup(map_conf: str, request_key: bytes) -> str | None:
    """Which value an nginx ``map`` yields for ``request_key``: exact strings ignoring case
    first, then regexes in order (case-sensitive ``~``)."""
    tables: list[list[tuple[str, str]]] = []
    in_map = False
    for st in nginx_tokens(map_conf):
        if st[0] == "map":
            tables.append([])
            in_map = True
        elif st == ["}"]:
            in_map = False
        elif in_map:
            assert len(st) == 3 and st[2] == ";", st  # exactly: key value ;
            tables[-1].append((st[0], st[1]))
    entries = tables[1] if b"?" in request_key else tables[0]
    for key, value in entries:
        if not key.startswith("~") and key.encode().lower() == request_key.lower():
            return value
    for key, value in entries:
        if key.startswith("~") and re.search(key[1:].encode(), request_key):
            return value
    return None


def test_nginx_rules_parse_back_to_every_target() -> None:
    map_conf, server_conf = render_nginx(HOSTILE_PLAN)
    for source, target in HOSTILE:
        host, path, query = request_of(source)
        key = host.encode() + path + (b"?" + query.encode() if query else b"")
        value = nginx_lookup(map_conf, key)
        assert value is not None, source
        assert value.replace("${" + NGINX_DOLLAR + "}", "$") == target_url(target), source
    # the lower-case target of the case fix must not match the /About rule (it would loop)
    assert nginx_lookup(map_conf, b"old.example/about") is None
    # nothing else reads as a directive: every map line is one key and one value
    assert "server" not in [st[0] for st in nginx_tokens(map_conf)]
    assert [st[0] for st in nginx_tokens(server_conf)] == ["if", "return", "}", "if", "return", "}"]
    assert "\u202e" not in map_conf and "\n}" in map_conf


def apache_tokens(line: str) -> list[str]:
    """Apache's argument split (whitespace; a leading quote quotes a whole argument)."""
    return re.findall(r'"[^"]*"|\S+', line)


def apache_redirect(conf: str, host: str, path: bytes, query: str) -> str | None:
    """Simulate mod_rewrite on our rule subset: conditions, pattern, ``\\`` escapes."""
    conds: list[tuple[str, str]] = []
    for raw in conf.splitlines():
        if not raw or raw.startswith("#") or raw == "RewriteEngine On":
            continue
        tokens = apache_tokens(raw)
        if tokens[0] == "RewriteCond":
            assert len(tokens) in (3, 4), tokens
            conds.append((tokens[1], tokens[2]))
            continue
        assert tokens[0] == "RewriteRule" and len(tokens) == 4, tokens
        assert tokens[3] == "[R=301,L,NE,QSD]"
        ok = True
        for var, pattern in conds:
            subject = host.encode() if var == "%{HTTP_HOST}" else query.encode()
            ok = (
                ok
                and re.search(pattern.encode(), subject, re.I if "HOST" in var else 0) is not None
            )
        conds = []
        if ok and re.search(tokens[1].encode(), path):
            return re.sub(r"\\(.)", r"\1", tokens[2])
    return None


def test_apache_rules_parse_back_to_every_target() -> None:
    conf = render_apache(HOSTILE_PLAN)
    for source, target in HOSTILE:
        host, path, query = request_of(source)
        assert apache_redirect(conf, host, path, query) == target_url(target), source
        # .htaccess context: the leading slash is stripped before matching
        assert apache_redirect(conf, host, path[1:], query) == target_url(target), source
    assert apache_redirect(conf, "old.example", b"/about", "") is None
    assert apache_redirect(conf, "old.example", b"/a$b/more", "") is None  # no prefix match
    assert "${" not in conf  # Apache would expand ${VAR} when reading the file


def test_netlify_redirects_parse_back(tmp_path: Path) -> None:
    text = render_netlify(HOSTILE_PLAN)
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    parsed = {}
    parsed_query: tuple[str, ...] = ()
    for line in lines:
        tokens = line.split()
        assert tokens[-1] == "301!" and all(t.isprintable() for t in tokens), line
        source, conditions, target = tokens[0], tokens[1:-2], tokens[-2]
        assert source.startswith("http://")  # two hosts: domain-level rules
        parsed[(source, tuple(conditions))] = target
        parsed_query = tuple(conditions) or parsed_query
    assert len(parsed) == len(HOSTILE)
    for source, target in HOSTILE:
        wire = urlsplit(normalize(source))
        path = wire.path.replace("*", "%2A").replace("/:", "/%3A")
        key = (f"http://{wire.hostname}{path}", tuple(wire.query.split("&")) if wire.query else ())
        assert parsed[key] == target_url(target), source
    # the project's own reader reads every rule back, the query rule included, as exact rules
    tmp = tmp_path / "_redirects"
    tmp.write_text(text, encoding="utf-8")
    rules, skipped = read_netlify(tmp, None)
    assert (len(rules), skipped) == (len(HOSTILE), ())
    query_rule = f"http://old.example/p?{'&'.join(parsed_query)}"
    assert query_rule in {r.source for r in rules}


def test_hop_limit_review_says_what_the_rule_says() -> None:
    """needs-review.csv and rule hop-limit count the same redirects: 11 URLs fetched, each
    redirecting, is "no final page within 10 redirects" in both (not "after 11 hops")."""
    site = {f"{OLD}/h{i}": (301, f"{OLD}/h{i + 1}") for i in range(12)}
    result = result_for(site, listed=[f"{OLD}/h0"])
    (finding,) = [f for f in result.findings if f.rule_id == "hop-limit"]
    plan = build_fixes(result)
    (review,) = plan.review
    assert review.reason == "hop-limit"
    words = f"no final page within 10 redirects: {OLD}/h10 still redirects (301) to {OLD}/h11"
    assert finding.message == words
    assert review.detail == words


def test_fixes_read_back_by_check_map_keep_query_rules_and_the_maps_status(
    tmp_path: Path,
) -> None:
    """Round trip: fixes/ written from an audit, then read back by check-map. The query rule of
    _redirects is an exact rule (not skipped as "conditional"), nothing is skipped silently,
    and a 307 the map asked for (and the server answered) stays 307 in every file that
    carries a status."""
    site = {
        f"{OLD}/temp": (307, f"{N}/temp"),
        f"{N}/temp": (200, None),
        f"{OLD}/chain": (301, f"{N}/chain-old"),
        f"{N}/chain-old": (301, f"{N}/chain"),
        f"{N}/chain": (200, None),
        f"{OLD}/page?id=4": (301, f"{N}/four"),
        f"{N}/four": (200, None),
    }
    rules = (
        RedirectRule(f"{OLD}/temp", f"{N}/temp", Origin("map.csv", 2), 307),
        RedirectRule(f"{OLD}/chain", f"{N}/chain", Origin("map.csv", 3)),
        RedirectRule(f"{OLD}/page?id=4", f"{N}/four", Origin("map.csv", 4)),
    )
    judged = judge(
        Inputs(rules, tuple(LegacyURL(r.source, r.origin, r) for r in rules)),
        observed(site),
        CheckOptions(),
        10,
    )
    result = AuditResult(
        findings=judged.findings,
        verdicts=judged.verdicts,
        chains=judged.chains,
        skipped=judged.skipped,
        rules=(),
        fail_on=Severity.ERROR,
        run=RunInfo.from_dict({"options": {"max_hops": 10}}),
    )
    assert "temporary-redirect" not in {f.rule_id for f in judged.findings}  # asked for
    write_fixes(result, tmp_path)
    fixes = tmp_path / "fixes"
    rows = read_map(fixes / "redirects.csv")
    flat = {r.source: (r.expected_target, r.expected_status) for r in rows}
    assert flat == {
        f"{OLD}/temp": (f"{N}/temp", 307),
        f"{OLD}/chain": (f"{N}/chain", 301),
        f"{OLD}/page?id=4": (f"{N}/four", 301),
    }
    assert "[R=307,L,NE,QSD]" in (fixes / "apache.conf").read_text(encoding="utf-8")
    # nginx: the 307 rule has maps of its own, answered with return 307
    nginx_map = (fixes / "nginx-map.conf").read_text(encoding="utf-8")
    nginx_server = (fixes / "nginx-server.conf").read_text(encoding="utf-8")
    assert f'    "old.example/temp" "{N}/temp";' in nginx_map.split("_307 {")[1]
    assert "return 307 $migrationaudit_target_307;" in nginx_server
    assert '"old.example/temp"' not in nginx_map.split("_307 {")[0]
    with nginx_serving(fixes, tmp_path / "nginx", None) as port:
        answers = {}
        for path in ("/temp", "/chain", "/page?id=4"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path, headers={"Host": "old.example"})
            resp = conn.getresponse()
            answers[path] = (resp.status, resp.getheader("Location"))
            conn.close()
    assert answers == {
        "/temp": (307, f"{N}/temp"),
        "/chain": (301, f"{N}/chain"),
        "/page?id=4": (301, f"{N}/four"),
    }
    for name in ("_redirects", "redirects.csv"):
        proc = subprocess.run(
            [sys.executable, "-m", "migrationaudit.cli", "check-map", "--map", name,
             "--base-url", OLD, "--out", str(tmp_path / f"out-{name}"), "--format", "json"],
            capture_output=True, text=True, timeout=60, cwd=fixes,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        data = json.loads((tmp_path / f"out-{name}" / "findings.json").read_text("utf-8"))
        assert data["run"]["input"]["skipped_rows"] == 0, data["run"]["input"]
        assert data["run"]["input"]["map_rules"] == 3
        assert {v["url"] for v in data["verdicts"]} == set(flat)
        assert "map rows not audited" not in proc.stderr
    text = (fixes / "_redirects").read_text(encoding="utf-8")
    assert f"/temp {N}/temp 307!" in text.splitlines()


def test_flattened_csv_is_a_map_and_review_csv_is_formula_safe(tmp_path: Path) -> None:
    files = render_all(HOSTILE_PLAN)
    (tmp_path / "redirects.csv").write_text(files["redirects.csv"], encoding="utf-8")
    rules = read_map(tmp_path / "redirects.csv")
    assert [(r.source, r.expected_target, r.expected_status) for r in rules] == [
        (s, target_url(t), 301) for s, t in HOSTILE
    ]
    assert {r.note for r in rules} == {"'=2+2 hops"}
    plan = build_fixes(result_for({f"{OLD}/=x": (404, None)}, listed=[f"{OLD}/=x"]))
    rows = list(csv.reader(io.StringIO(render_all(plan)["needs-review.csv"])))
    assert rows[0] == ["url", "reason", "detail", "expected_url", "final_url", "path"]
    assert rows[1][:2] == [f"{OLD}/=x", BROKEN]


def test_write_fixes_writes_every_file(tmp_path: Path) -> None:
    site = {f"{OLD}/a": (301, f"{N}/a"), f"{N}/a": (200, None)}
    plan = write_fixes(result_for(site, [(f"{OLD}/a", f"{N}/a")]), tmp_path)
    names = sorted(p.name for p in (tmp_path / "fixes").iterdir())
    assert names == [
        "_redirects",
        "apache.conf",
        "needs-review.csv",
        "nginx-map.conf",
        "nginx-server.conf",
        "redirects.csv",
        "suggested-map.csv",  # header only: this run has no URL without a working target
    ]
    assert (tmp_path / "fixes" / "suggested-map.csv").read_text(encoding="utf-8").splitlines() == [
        "old_url,suggested_url,score,why"
    ]
    assert len(plan.fixes) == 1


def test_server_path_is_what_nginx_compares() -> None:
    assert server_path("/a//b/./c/../d%20e") == b"/a/b/d e"
    assert server_path("/") == b"/"
    assert server_path("/x/") == b"/x/"
    assert unquote_to_bytes("%C3%A9") == server_path("/%C3%A9")[1:]


# --- real nginx ---------------------------------------------------------------------------


@contextmanager
def nginx_serving(fixes_dir: Path, prefix: Path, backend_port: int | None) -> Iterator[int]:
    """A real nginx on 127.0.0.1 with the generated map and server snippet; other requests
    go to ``backend_port`` (the site as it was) or answer 418."""
    fallback = (
        f"proxy_pass http://127.0.0.1:{backend_port}; proxy_set_header Host $host;"
        if backend_port
        else "return 418;"
    )

    def http_block(port: int) -> str:
        return f"""    access_log off;
    include {fixes_dir}/nginx-map.conf;
    server {{
        listen 127.0.0.1:{port};
        server_name _;
        include {fixes_dir}/nginx-server.conf;
        location / {{ {fallback} }}
    }}"""

    with running_nginx(prefix, http_block) as port:
        yield port


def get(port: int, host: str, target: str) -> tuple[int, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.getheader("Location")
    finally:
        conn.close()


def test_real_nginx_serves_hostile_rules_exactly(tmp_path: Path) -> None:
    fixes_dir = tmp_path / "fixes"
    fixes_dir.mkdir()
    for name, text in render_all(HOSTILE_PLAN).items():
        (fixes_dir / name).write_text(text, encoding="utf-8")
    with nginx_serving(fixes_dir, tmp_path / "nginx", None) as port:
        for source, target in HOSTILE:
            wire = urlsplit(normalize(source))
            request = wire.path + (f"?{wire.query}" if wire.query else "")
            assert get(port, str(wire.hostname), request) == (301, target_url(target)), source
        assert get(port, "old.example", "/about") == (418, None)  # the case fix's own target
        assert get(port, "old.example", "/p?utm=1") == (301, f"{N}/p")  # path rules: any query
        assert get(port, "old.example", "/a$b/more") == (418, None)  # exact, never a prefix
        assert get(port, "elsewhere.example", "/p") == (418, None)  # the host is part of it


# The end-to-end scenario: an old site with chains, a fixable and an unfixable loop, a broken
# target, a page that was never redirected, a query URL, a non-ASCII path, a case-only fix.
NEW = "http://new.example"
SITE = {
    "routes": [
        {"url": f"{OLD}/chain", "status": 301, "location": f"{OLD}/chain/"},
        {"url": f"{OLD}/chain/", "status": 302, "location": f"{NEW}/chain"},
        {"url": f"{NEW}/chain", "status": 301, "location": f"{NEW}/chain/"},
        {"url": f"{NEW}/chain/", "title": "Chain"},
        {"url": f"{OLD}/one", "status": 301, "location": f"{NEW}/one"},
        {"url": f"{NEW}/one", "title": "One"},
        {"url": f"{OLD}/loop", "status": 301, "location": f"{OLD}/loop-b"},
        {"url": f"{OLD}/loop-b", "status": 302, "location": f"{OLD}/loop"},
        {"url": f"{OLD}/other", "status": 301, "location": f"{NEW}/fixed"},
        {"url": f"{NEW}/fixed", "title": "Fixed"},
        {"url": f"{OLD}/spin", "status": 301, "location": f"{OLD}/spin2"},
        {"url": f"{OLD}/spin2", "status": 301, "location": f"{OLD}/spin"},
        {"url": f"{OLD}/live", "title": "Still the old page"},
        {"url": f"{OLD}/dead", "status": 301, "location": f"{NEW}/gone"},
        {"url": f"{OLD}/q?id=7", "status": 301, "location": f"{OLD}/q/?id=7"},
        {"url": f"{OLD}/q/?id=7", "status": 301, "location": f"{NEW}/q?id=7"},
        {"url": f"{NEW}/q?id=7", "title": "Q"},
        {"url": f"{OLD}/caf%C3%A9", "status": 301, "location": f"{OLD}/cafe-2"},
        {"url": f"{OLD}/cafe-2", "status": 301, "location": f"{NEW}/cafe"},
        {"url": f"{NEW}/cafe", "title": "Cafe"},
        {"url": f"{OLD}/About", "status": 301, "location": f"{OLD}/about"},
        {"url": f"{OLD}/about", "title": "About (old host, kept)"},
    ]
}
MAP = [
    (f"{OLD}/chain", f"{NEW}/chain/"),
    (f"{OLD}/one", f"{NEW}/one"),
    (f"{OLD}/loop", f"{NEW}/fixed"),
    (f"{OLD}/live", f"{NEW}/one"),
    (f"{OLD}/dead", f"{NEW}/gone"),
    (f"{OLD}/q?id=7", f"{NEW}/q?id=7"),
    (f"{OLD}/caf%C3%A9", f"{NEW}/cafe"),
]
LISTED = [f"{OLD}/other", f"{OLD}/spin", f"{OLD}/About"]
PLUMBING = {
    "redirect-chain",
    "redirect-loop",
    "hop-limit",
    "not-redirected",
    "temporary-redirect",
    "scheme-hop",
    "slash-hop",
    "host-hop",
}


def audit(out: Path, maps: Sequence[Path], urls: Path, connect: Sequence[str]) -> dict:  # type: ignore[type-arg]
    args = [
        sys.executable,
        "-m",
        "migrationaudit.cli",
        "audit",
        "--out",
        str(out),
        "--urls",
        str(urls),
        "--timeout",
        "3",
        "--retries",
        "0",
        "-q",
    ]
    for m in maps:
        args += ["--map", str(m)]
    for c in connect:
        args += ["--connect-to", c]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    data: dict = json.loads((out / "findings.json").read_text(encoding="utf-8"))  # type: ignore[type-arg]
    return data


def test_nginx_serving_the_fixes_removes_chains_and_fixable_loops(tmp_path: Path) -> None:
    map_file = tmp_path / "map.csv"
    map_file.write_text("old_url,new_url\n" + "".join(f"{a},{b}\n" for a, b in MAP))
    url_file = tmp_path / "urls.txt"
    url_file.write_text("".join(f"{u}\n" for u in LISTED))
    with ScenarioServer(parse_site(SITE)) as server:
        direct = [e.spec for e in server.connect_to()]
        before = audit(tmp_path / "before", [map_file], url_file, direct)
        fired = {(f["rule"], f["url"]) for f in before["findings"]}
        assert {
            ("redirect-chain", f"{OLD}/chain"),
            ("redirect-loop", f"{OLD}/loop"),
            ("redirect-loop", f"{OLD}/spin"),
            ("not-redirected", f"{OLD}/live"),
        } <= fired

        fixes_dir = tmp_path / "before" / "fixes"
        flat = {r.source: r.expected_target for r in read_map(fixes_dir / "redirects.csv")}
        assert flat == {
            f"{OLD}/chain": f"{NEW}/chain/",
            f"{OLD}/one": f"{NEW}/one",
            f"{OLD}/loop": f"{NEW}/fixed",
            f"{OLD}/live": f"{NEW}/one",
            f"{OLD}/q?id=7": f"{NEW}/q?id=7",
            f"{OLD}/caf%C3%A9": f"{NEW}/cafe",
            f"{OLD}/other": f"{NEW}/fixed",
            f"{OLD}/About": f"{OLD}/about",
        }
        review = list(csv.DictReader(io.StringIO((fixes_dir / "needs-review.csv").read_text())))
        assert {(r["url"], r["reason"]) for r in review} == {
            (f"{OLD}/spin", LOOP),
            (f"{OLD}/dead", BROKEN),
        }

        with nginx_serving(fixes_dir, tmp_path / "nginx", server.http_port) as port:
            via_nginx = [e.spec for e in server.connect_to() if not e.spec.startswith("old.")]
            via_nginx.append(f"old.example:80:127.0.0.1:{port}")
            after = audit(tmp_path / "after", [map_file], url_file, via_nginx)
            again = audit(tmp_path / "again", [fixes_dir / "redirects.csv"], url_file, via_nginx)

    verdicts = {v["url"]: v for v in after["verdicts"]}
    for source, target in flat.items():
        v = verdicts[source]
        assert (v["hop_count"], v["final_url"], v["final_status"]) == (1, target, 200), v
    fired_after = {(f["rule"], f["url"]) for f in after["findings"]}
    assert not {pair for pair in fired_after if pair[0] in PLUMBING and pair[1] in flat}
    # what was not fixable is unchanged and still reported
    assert ("redirect-loop", f"{OLD}/spin") in fired_after
    assert ("broken-target", f"{OLD}/dead") in fired_after
    # nginx passes everything else through to the old site: the case fix's target still works
    assert verdicts[f"{OLD}/About"]["final_url"] == f"{OLD}/about"
    # audited against the flattened map itself, every fixed URL lands on its target in one hop
    again_by_url = {v["url"]: v for v in again["verdicts"]}
    for source in flat:
        assert again_by_url[source]["target_match"] is True, again_by_url[source]
        assert again_by_url[source]["hop_count"] == 1
    assert not [f for f in again["findings"] if f["rule"] in PLUMBING and f["url"] in flat]

"""The nginx and Apache simulators against the real servers: each configuration is served by
Debian's nginx / Apache httpd on 127.0.0.1, every URL is requested hop by hop, and the
predicted chain (status and Location of each hop) must equal what the server answered."""

from __future__ import annotations

import http.client
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from migrationaudit.preflight.read import read_rule_file
from migrationaudit.preflight.simulate import Simulator
from tests.apacheserver import running_apache
from tests.nginxserver import running_nginx

Hop = tuple[int, str | None]


def predicted(sim: Simulator, url: str) -> list[Hop]:
    """The simulator's chain from ``url``: (status, absolute Location) per hop; a page (no
    rule answered) is status 0, as its real status depends on files the config does not name."""
    hops: list[Hop] = []
    for _ in range(6):
        a = sim.answer(url)
        assert a.unknown is None, a.unknown
        if a.target is None:
            hops.append((a.status if a.rule else 0, None))
            return hops
        hops.append((a.status, a.target))
        if not _followable(a.target, sim):
            return hops
        url = a.target
    return hops


def _followable(url: str, sim: Simulator) -> bool:
    return urlsplit(url).scheme == "http" and sim.on_site(url)  # the servers speak http only


def live(port: int, url: str, sim: Simulator) -> list[Hop]:
    """The real server's chain from ``url`` (sent to 127.0.0.1:port with the URL's Host)."""
    hops: list[Hop] = []
    for _ in range(6):
        parts = urlsplit(url)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target, headers={"Host": parts.hostname or ""})
        resp = conn.getresponse()
        status, location = resp.status, resp.getheader("Location")
        conn.close()
        if location is None or not 300 <= status < 400:
            page = status in (200, 403, 404) and not location
            hops.append((status, None))
            if page:
                hops[-1] = (status, None)
            return hops
        location = urljoin(url, location.replace(f":{port}/", "/"))
        hops.append((status, location))
        if not _followable(location, sim):
            return hops
        url = location
    return hops


def same(pred: list[Hop], got: list[Hop]) -> bool:
    """Equal hop by hop; a predicted page (0) is any non-redirect, non-error answer."""
    if len(pred) != len(got):
        return False
    for (ps, pl), (gs, gl) in zip(pred, got, strict=True):
        if ps == 0:
            if gs >= 500 or 300 <= gs < 400:
                return False
        elif (ps, pl) != (gs, gl):
            return False
    return True


NGINX = r"""
map $uri $moved {
    default "";
    /mapped /mapped-new;
    ~^/legacy/(?<slug>[a-z]+)$ /articles/$slug;
}
server {
    listen 127.0.0.1:{port} default_server;
    server_name old.example;
    include {dir}/extra.conf;
    if ($host = www.old.example) { return 301 http://old.example$request_uri; }
    if ($moved) { return 301 $moved; }
    if ($scheme = https) { rewrite ^/tls-only$ /tls-page permanent; }
    rewrite ^/server-level$ /after-server permanent;
    location = /exact { return 301 /exact-target; }
    location /exact { return 302 /prefix-exact; }
    location /docs/ { return 301 /prefix-docs/; }
    location /docs/api/ { return 301 /longest-prefix/; }
    location ^~ /static/ { return 301 /assets/; }
    location ~ ^/static/ { return 301 /regex-static/; }
    location ~ \.php$ { return 301 /first-regex; }
    location ~* /CASE { return 301 /case-insensitive; }
    location ~ ^/docs/api/v1 { return 301 /regex-beats-prefix; }
    location /old/ {
        rewrite ^/old/(\w+)$ /new/$1 permanent;
        rewrite ^/old/t/(\w+)$ /tmp/$1 redirect;
        rewrite ^/old/q/(\w+)$ /q/$1?from=old? permanent;
        rewrite ^/old/a/(\w+)$ /a/$1?x=1 permanent;
    }
    location /internal/ { rewrite ^/internal/(.*)$ /exact last; }
    location /chain/ { rewrite ^/chain/(.*)$ /docs/$1; }
    location /stop/ { rewrite ^ /exact break; return 301 /never; }
    location = /loop-a { return 301 /loop-b; }
    location = /loop-b { return 301 /loop-a; }
    location = /gone { return 410; }
    location = /abs { return http://new.example/abs; }
    location = /args { return 301 /args-target; }
}
server {
    listen 127.0.0.1:{port};
    server_name *.wild.example;
    return 301 http://wild.example$uri;
}
"""
NGINX_EXTRA = "rewrite ^/included$ /included-target permanent;\n"
NGINX_URLS = [
    "/exact", "/exact/x", "/exactly", "/docs/a", "/docs/api/x", "/docs/api/v1/x",
    "/static/x", "/static/x.php", "/y/z.php", "/a/case", "/mapped", "/legacy/abc",
    "/legacy/ABC", "/server-level", "/included", "/old/abc", "/old/abc?k=1", "/old/t/z",
    "/old/q/z?k=1", "/old/a/z?k=1", "/internal/x", "/chain/p", "/stop/x", "/loop-a", "/gone",
    "/abs", "/args?k=2", "/nothing-here", "/tls-only", "http://www.old.example/p?q=1",
    "http://a.wild.example/w", "http://unknown.example/exact",
]  # fmt: skip


def test_nginx_prediction_equals_the_real_nginx(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "extra.conf").write_text(NGINX_EXTRA, encoding="utf-8")
    with running_nginx(tmp_path / "nginx", lambda port: NGINX.replace("{port}", str(port))
                       .replace("{dir}", str(site))) as port:  # fmt: skip
        conf = site / "nginx.conf"
        conf.write_text(
            "http {\n" + NGINX.replace("{port}", str(port)).replace("{dir}", str(site)) + "}\n",
            encoding="utf-8",
        )
        rf = read_rule_file(conf, "nginx")
        sim = Simulator(rf, (*rf.hosts, "www.old.example", "a.wild.example", "unknown.example"))
        differ = {}
        for u in NGINX_URLS:
            url = u if u.startswith("http") else f"http://old.example{u}"
            pred, got = predicted(sim, url), live(port, url, sim)
            if not same(pred, got):
                differ[u] = (pred, got)
    assert differ == {}, "\n".join(f"{u}: predicted {p} live {g}" for u, (p, g) in differ.items())
    # the constructs were all exercised: loops, 410, query kept and dropped, an include
    assert predicted(sim, "http://old.example/loop-a")[:2] == [
        (301, "http://old.example/loop-b"), (301, "http://old.example/loop-a")
    ]  # fmt: skip
    assert predicted(sim, "http://old.example/old/q/z?k=1") == [
        (301, "http://old.example/q/z?from=old"), (0, None)
    ]  # fmt: skip
    assert predicted(sim, "http://old.example/included")[0][1].endswith("/included-target")
    # $scheme: the same path over https is redirected (http, served above, is a page)
    assert sim.answer("https://old.example/tls-only").target == "https://old.example/tls-page"


APACHE = r"""
<VirtualHost 127.0.0.1:{port}>
    ServerName old.example
    ServerAlias www.old.example
    DocumentRoot {htdocs}
    RewriteEngine On
    RewriteCond %{HTTP_HOST} ^www\.(.+)$ [NC]
    RewriteRule ^/(.*)$ http://%1/$1 [R=301,L]
    RewriteRule ^/rw/(\d+)$ /numbers/$1 [R=301,L]
    RewriteRule ^/qsa$ /qsa-target?added=1 [R=302,QSA,L]
    RewriteRule ^/qsd$ /qsd-target [R=301,QSD,L]
    RewriteRule ^/drop$ /drop-target? [R=301,L]
    RewriteRule ^/nc$ /nc-target [R=301,NC,L]
    RewriteCond %{QUERY_STRING} ^id=(\d+)$
    RewriteRule ^/product$ /item/%1? [R=301,L]
    RewriteCond %{HTTP_HOST} ^nomatch\.example$ [OR]
    RewriteCond %{REQUEST_URI} ^/either$
    RewriteRule ^ /either-target [R=307,L]
    RewriteCond %{HTTPS} on
    RewriteRule ^/tls-only$ /tls-page [R=301,L]
    RewriteRule ^/internal$ /redirected-by-alias
    Redirect /prefix /prefix-target
    Redirect 301 /redirected-by-alias /alias-target
    Redirect 301 /alias-only /alias-only-target
    RedirectMatch 301 ^/match/(\w+)\.html$ /matched/$1
    RedirectPermanent /perm /perm-target
    Redirect gone /removed
    Redirect 301 /first /first-target
    Redirect 302 /first /second-target
    Redirect 301 /loop-a /loop-b
    Redirect 301 /loop-b /loop-a
</VirtualHost>
"""
HTACCESS = {
    ".htaccess": "RewriteEngine On\nRewriteRule ^ht-old$ /ht-new [R=301,L]\n"
    "RewriteRule ^ht-rel$ ht-relative [R=301,L]\nRedirect 301 /ht-alias /ht-alias-target\n",
    "sub/.htaccess": "RewriteEngine On\nRewriteBase /base/\nRewriteRule ^page$ moved [R=301,L]\n",
}
APACHE_URLS = [
    "/rw/42", "/rw/x", "/qsa?k=1", "/qsd?k=1", "/drop?k=1", "/NC", "/product?id=7",
    "/product?id=x", "/either", "/internal", "/prefix", "/prefix/deep?k=1", "/prefixed",
    "/alias-only?z=1", "/match/abc.html", "/perm", "/removed", "/first", "/loop-a",
    "/ht-old", "/ht-rel", "/ht-alias", "/sub/page", "/nothing", "/tls-only", "http://www.old.example/x?y=1",
]  # fmt: skip


def test_apache_prediction_equals_the_real_apache(tmp_path: Path) -> None:
    with running_apache(APACHE) as (port, htdocs):
        for name, text in HTACCESS.items():
            (htdocs / name).parent.mkdir(parents=True, exist_ok=True)
            (htdocs / name).write_text(text, encoding="utf-8")
        conf = tmp_path / "site.conf"
        conf.write_text(
            f"DocumentRoot {htdocs}\n"
            + APACHE.replace("{port}", str(port)).replace("{htdocs}", str(htdocs))
            + "".join(
                f"<Directory {htdocs / Path(n).parent}>\n{t}</Directory>\n"
                for n, t in HTACCESS.items()
            ),
            encoding="utf-8",
        )
        rf = read_rule_file(conf, "apache")
        sim = Simulator(rf, rf.hosts)
        differ = {}
        for u in APACHE_URLS:
            url = u if u.startswith("http") else f"http://old.example{u}"
            pred, got = predicted(sim, url), live(port, url, sim)
            if not same(pred, got):
                differ[u] = (pred, got)
    assert differ == {}, "\n".join(f"{u}: predicted {p} live {g}" for u, (p, g) in differ.items())
    assert predicted(sim, "http://old.example/first") == [
        (301, "http://old.example/first-target"), (0, None)
    ]  # fmt: skip
    assert predicted(sim, "http://old.example/removed") == [(410, None)]
    assert sim.answer("https://old.example/tls-only").target == "https://old.example/tls-page"


@pytest.mark.parametrize("fmt", ["nginx", "apache"])
def test_what_cannot_be_simulated_is_reported_per_rule(tmp_path: Path, fmt: str) -> None:
    text = {
        "nginx": "server { server_name s.example; location /app/ { proxy_pass http://u; }\n"
        "location = /a { return 301 /b; } }\n",
        "apache": "RewriteEngine On\nRewriteCond %{REQUEST_FILENAME} !-f\n"
        "RewriteRule ^(.*)$ /index.php [L]\nProxyPass /app/ http://u/\nRedirect 301 /a /b\n",
    }[fmt]
    (tmp_path / "conf").write_text(text, encoding="utf-8")
    rf = read_rule_file(tmp_path / "conf", fmt)
    assert [i.by_host for i in rf.ignored] == [False] * len(rf.ignored) and rf.ignored
    assert all("not simulated" in i.reason for i in rf.ignored)
    sim = Simulator(rf, ("s.example",))
    assert sim.answer("http://s.example/app/x").unknown  # never guessed
    assert sim.answer("http://s.example/a").location == "/b"


FOLDER = {
    ".htaccess": "Redirect 301 /top /top-target\nRewriteEngine On\n"
    "RewriteRule ^a$ /b [R=302,L]\nRewriteRule ^docs/r2$ /caught-at-root [R=301,L]\n",
    "docs/.htaccess": "RewriteEngine On\nRewriteBase /docs/\nRewriteRule ^old$ new [R=301,L]\n"
    "Redirect 301 /docs/r /docs/r-target\n",
    "docs/deep/.htaccess": "Redirect 308 /docs/deep/x /y\n",
}
FOLDER_URLS = [
    "/top", "/top/sub", "/a", "/docs/old", "/docs/r", "/docs/r2", "/docs/deep/x",
    "/docs/deep/old", "/docs/deep/r", "/other",
]  # fmt: skip


def test_a_folder_of_htaccess_files_equals_the_real_apache() -> None:
    site = "<VirtualHost 127.0.0.1:{port}>\nServerName old.example\nDocumentRoot {htdocs}\n"
    with running_apache(site + "</VirtualHost>\n") as (port, htdocs):
        for name, text in FOLDER.items():
            (htdocs / name).parent.mkdir(parents=True, exist_ok=True)
            (htdocs / name).write_text(text, encoding="utf-8")
        rf = read_rule_file(htdocs, "apache")  # each .htaccess for its own directory
        sim = Simulator(rf, ("old.example",))
        differ = {}
        for u in FOLDER_URLS:
            pred, got = (
                predicted(sim, f"http://old.example{u}"),
                live(port, f"http://old.example{u}", sim),
            )
            if not same(pred, got):
                differ[u] = (pred, got)
    assert differ == {}, "\n".join(f"{u}: predicted {p} live {g}" for u, (p, g) in differ.items())
    # the deeper directory's rewrite rules replace the root's: /docs/r2 is not caught there
    assert predicted(sim, "http://old.example/docs/r2") == [(0, None)]
    assert predicted(sim, "http://old.example/docs/old")[0] == (301, "http://old.example/docs/new")


RULES = """server {{
    listen 127.0.0.1:{port};
    location = /a {{ return 301 /a-new; }}
    location = /c {{ return 301 /c-new; }}
    location = /e {{ return 301 /e-new; }}
}}
"""


def test_audit_of_a_staging_nginx_reports_where_it_differs_from_the_rules(tmp_path: Path) -> None:
    """``audit --map nginx.conf``: the file's exact sources are crawled on the live server, and
    the answers that differ from the file's prediction are ``live-differs-from-rules``."""
    import json
    import subprocess
    import sys

    deployed = RULES.replace("return 301 /c-new;", "return 302 /c-other;")  # drifted
    with running_nginx(tmp_path / "nginx", lambda port: deployed.format(port=port)) as port:
        conf = tmp_path / "site.conf"
        conf.write_text(RULES.format(port=port), encoding="utf-8")
        out = tmp_path / "out"
        args = [
            sys.executable, "-m", "migrationaudit.cli", "audit", "--map", str(conf),
            "--base-url", f"http://127.0.0.1:{port}/", "--out", str(out), "--format", "json",
            "--timeout", "3", "--retries", "0",
        ]  # fmt: skip
        proc = subprocess.run(args, capture_output=True, text=True, timeout=180)
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    differs = [f for f in data["findings"] if f["rule"] == "live-differs-from-rules"]
    assert [f["url"].rsplit("/", 1)[1] for f in differs] == ["c"]
    assert "--301--> " in differs[0]["message"] and "c-new" in differs[0]["message"]
    assert {v["url"].rsplit("/", 1)[1] for v in data["verdicts"]} == {"a", "c", "e"}

"""The audit's scope (migrationaudit.web.scope): only hosts the inputs name are requested, and a
host they do not name is never connected to on a loopback, private, link-local or metadata
address, whatever notation or DNS trick leads there.

The crawls run the CLI in a subprocess against tests/rawserver.py on 127.0.0.1, with a
:class:`Canary` listener that must stay silent."""

from __future__ import annotations

import asyncio
import csv
import ipaddress
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from click.testing import CliRunner
from rawserver import Canary, RawServer, page, redirect, respond

from migrationaudit.checks import AuditContext, run_checks
from migrationaudit.cli import main
from migrationaudit.cli.configkeys import KEYS
from migrationaudit.graph import build_graph, chains_for
from migrationaudit.models.hops import Hop, HopKind, Outcome
from migrationaudit.models.inputs import LegacyURL, Origin, RedirectRule
from migrationaudit.settings import CheckOptions, ConnectTo
from migrationaudit.spiders.errors import HopDownloadError
from migrationaudit.spiders.resolver import ConnectToResolver
from migrationaudit.verdicts import build_verdicts
from migrationaudit.web.hosts import host_key, parse_ipv4_loose
from migrationaudit.web.scope import Scope, blocked_kind, parse_allow_host, scope_of

# -- the address classifier -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("10.0.0.1", "private"),
        ("10.255.255.255", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("100.64.0.1", "shared address space (CGNAT)"),
        ("100.127.255.254", "shared address space (CGNAT)"),
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.7", "non-public"),  # documentation range
        ("::ffff:10.0.0.1", "IPv4-mapped private"),
        ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
        ("::ffff:169.254.169.254", "IPv4-mapped cloud metadata"),
        ("2002:7f00:1::", "6to4 loopback"),
        ("2002:a9fe:a9fe::", "6to4 cloud metadata"),
        ("64:ff9b::a9fe:a9fe", "NAT64 cloud metadata"),
        ("64:ff9b::a00:1", "NAT64 private"),
    ],
)
def test_non_public_addresses_are_blocked(address: str, kind: str) -> None:
    assert blocked_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "93.184.216.34", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111",
     "::ffff:8.8.8.8", "64:ff9b::808:808"],
)  # fmt: skip
def test_public_addresses_are_allowed(address: str) -> None:
    assert blocked_kind(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("notation", ["2130706433", "0x7f000001", "127.1", "0177.0.0.1", "0x7f.1"])
def test_every_ipv4_notation_a_resolver_accepts_is_read_as_the_resolver_reads_it(
    notation: str,
) -> None:
    # getaddrinfo (what the crawl's resolver calls) is the reference: the same address.
    resolved = {info[4][0] for info in socket.getaddrinfo(notation, 80, socket.AF_INET)}
    assert resolved == {"127.0.0.1"}
    assert parse_ipv4_loose(notation) == ipaddress.IPv4Address("127.0.0.1")
    assert host_key(notation) == "127.0.0.1"


@pytest.mark.parametrize("name", ["localhost", "1e1", "256.1", "1.2.3.4.5", "a.0x1", ""])
def test_names_are_not_addresses(name: str) -> None:
    assert parse_ipv4_loose(name) is None


# -- the scope of names ------------------------------------------------------------------------


def test_scope_is_per_host_with_default_and_named_ports() -> None:
    scope = scope_of(
        ["http://Old.Example./a", "https://new.example:8443/x"],
        ["Bücher.example", "staging.example:9000"],
    )
    assert scope.contains("http://old.example/b")
    assert scope.contains("https://old.example/b")  # the http→https upgrade stays in scope
    assert scope.contains("http://www.old.example/")  # the www twin: in scope ...
    assert not scope.is_explicit("www.old.example")  # ... but its addresses are checked
    assert scope.is_explicit("OLD.example.")
    assert scope.contains("https://xn--bcher-kva.example/")
    assert scope.contains("https://new.example:8443/y") and scope.contains("https://new.example/")
    assert scope.contains("http://staging.example:9000/")
    why = scope.outside("http://old.example:8080/")
    assert why == (
        "outside the audit's scope: host old.example:8080 is not named in the inputs "
        "(--allow-host old.example:8080 audits it)"
    )
    assert scope.outside("http://evil.example/") == (
        "outside the audit's scope: host evil.example is not named in the inputs "
        "(--allow-host evil.example audits it)"
    )
    assert not scope.contains("http://old.example.evil.test/")


def test_ip_hosts_compare_as_addresses_and_listed_urls_are_not_explicit() -> None:
    scope = scope_of(allow=["127.0.0.1:8080"])
    assert scope.contains("http://2130706433:8080/") and scope.contains("http://127.1:8080/")
    assert not scope.contains("http://127.0.0.1:8081/")
    scope.add_listed("http://listed.example:9999/page")
    assert scope.contains("http://listed.example:9999/other")
    assert not scope.is_explicit("listed.example")
    again = Scope.from_dict(json.loads(json.dumps(scope.to_dict())))
    assert again.contains("http://127.0.0.1:8080/") and not again.contains(
        "http://listed.example:9999/"
    )


@pytest.mark.parametrize(
    "bad", ["", "http://a.example", "a.example/x", "a.example:0", "a.example:99999", "u@a.example"]
)
def test_bad_allow_host_values_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_allow_host(bad)


# -- the address check at connection time --------------------------------------------------------


class FlipResolver(AbstractResolver):
    """A DNS that answers ``first`` once, then ``then`` (a rebinding attack)."""

    def __init__(self, first: str, then: str) -> None:
        self.answers = [first, then]
        self.calls = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addr = self.answers[min(self.calls, 1)]
        self.calls += 1
        return [
            ResolveResult(
                hostname=host, host=addr, port=port, family=socket.AF_INET, proto=0, flags=0
            )
        ]

    async def close(self) -> None:
        return None


def _resolve_twice(resolver: ConnectToResolver, host: str) -> list[Any]:
    async def run() -> list[Any]:
        out: list[Any] = []
        for _ in range(2):
            try:
                out.append([r["host"] for r in await resolver.resolve(host, 80)])
            except HopDownloadError as exc:
                out.append(exc)
        await resolver.close()
        return out

    return asyncio.run(run())


def test_dns_rebinding_is_blocked_on_the_later_lookup() -> None:
    scope = scope_of(["http://named.test/"])
    resolver = ConnectToResolver(
        [], fallback=FlipResolver("93.184.216.34", "127.0.0.1"), explicit=scope.is_explicit
    )
    first, second = _resolve_twice(resolver, "www.named.test")  # in scope, not explicit
    assert first == ["93.184.216.34"]
    assert isinstance(second, HopDownloadError) and not second.transient
    assert second.message == (
        "blocked: www.named.test resolves to 127.0.0.1 (loopback); name the host in the "
        "inputs or with --allow-host to audit it"
    )


def test_explicit_hosts_may_resolve_to_loopback() -> None:
    scope = scope_of(["http://named.test/"])
    flip = FlipResolver("93.184.216.34", "127.0.0.1")
    resolver = ConnectToResolver([], fallback=flip, explicit=scope.is_explicit)
    assert _resolve_twice(resolver, "named.test") == [["93.184.216.34"], ["127.0.0.1"]]
    # --resolve / --connect-to entries name their host: loopback addresses are fine.
    entry = ConnectTo("staging.test", 80, "127.0.0.1", 8080)
    scope.add_host(entry.host, entry.port)
    pinned = ConnectToResolver([entry], explicit=scope.is_explicit)
    assert _resolve_twice(pinned, "staging.test") == [["127.0.0.1"], ["127.0.0.1"]]


def test_only_public_addresses_of_a_mixed_answer_are_kept() -> None:
    class Mixed(FlipResolver):
        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            return [
                ResolveResult(
                    hostname=host, host=a, port=port, family=socket.AF_INET, proto=0, flags=0
                )
                for a in ("10.0.0.5", "93.184.216.34")
            ]

    resolver = ConnectToResolver([], fallback=Mixed("", ""), explicit=lambda host: False)
    assert _resolve_twice(resolver, "mixed.test") == [["93.184.216.34"], ["93.184.216.34"]]


# -- the rule and the verdict, on a hand-built graph ----------------------------------------------


def _judge(hops: list[Hop], rule: RedirectRule) -> tuple[Any, Any]:
    item = LegacyURL(rule.source, rule.origin, rule)
    graph = build_graph(hops)
    chains = chains_for(graph, [item.url], 10)
    ctx = AuditContext(
        rules=(rule,), legacy=(item,), graph=graph, chains=chains, options=CheckOptions()
    )
    findings, _ = run_checks(ctx)
    return findings, build_verdicts(ctx, findings)[0]


def test_offsite_redirect_fires_alone_on_an_offsite_chain() -> None:
    rule = RedirectRule("http://o.test/a", "https://n.test/a", Origin("m.csv", 2), 301)
    hops = [
        Hop("http://o.test/a", 302, HopKind.HTTP_REDIRECT, "http://x.test/", "http://x.test/"),
        Hop("http://x.test/", None, HopKind.OFFSITE, error="outside the audit's scope: ..."),
    ]
    findings, verdict = _judge(hops, rule)
    # the first Location already differs from the map's target: target-mismatch (issue 12)
    assert {f.rule_id for f in findings} == {
        "offsite-redirect",
        "temporary-redirect",
        "target-mismatch",
    }
    offsite = next(f for f in findings if f.rule_id == "offsite-redirect")
    assert offsite.severity.label == "notice"
    assert "[offsite: not requested]" in offsite.message and "--allow-host" in offsite.fix
    assert [h.url for h in offsite.evidence] == ["http://o.test/a", "http://x.test/"]
    assert verdict.outcome is Outcome.OFFSITE and verdict.verdict == "error"
    assert verdict.final_url is None and verdict.target_match is None
    assert verdict.indexable is None


def test_a_chain_that_stays_in_scope_does_not_fire() -> None:
    rule = RedirectRule("http://o.test/a", "https://n.test/a", Origin("m.csv", 2), 301)
    hops = [
        Hop("http://o.test/a", 301, HopKind.HTTP_REDIRECT, "https://n.test/a", "https://n.test/a"),
        Hop("https://n.test/a", 200, HopKind.FINAL),
    ]
    findings, verdict = _judge(hops, rule)
    assert findings == ()
    assert verdict.verdict == "ok" and verdict.target_match is True


def test_an_offsite_verdict_is_never_ok() -> None:
    rule = RedirectRule("http://o.test/a", "https://n.test/a", Origin("m.csv", 2), 301)
    hops = [
        Hop("http://o.test/a", 301, HopKind.HTTP_REDIRECT, "http://x.test/", "http://x.test/"),
        Hop("http://x.test/", None, HopKind.OFFSITE, error="outside the audit's scope: ..."),
    ]
    item = LegacyURL(rule.source, rule.origin, rule)
    graph = build_graph(hops)
    chains = chains_for(graph, [item.url], 10)
    # target-mismatch judges the first Location (issue 12): off too, to see the verdict's floor
    options = CheckOptions(disabled=frozenset({"offsite-redirect", "target-mismatch"}))
    ctx = AuditContext((rule,), (item,), graph, chains, options)
    findings, _ = run_checks(ctx)
    assert findings == ()  # no rule takes the unknown end for a broken one
    assert build_verdicts(ctx, findings)[0].verdict == "notice"


# -- real crawls: the CLI against a raw server and a canary ----------------------------------


@pytest.fixture
def servers() -> Iterator[tuple[RawServer, Canary]]:
    with RawServer() as server, Canary() as canary:
        yield server, canary


def _audit(tmp: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    out = tmp / "out"
    cmd = [sys.executable, "-m", "migrationaudit.cli", "audit", "--out", str(out), "-q"]
    cmd += ["--timeout", "3", "--retries", "0", "--no-robots", "--no-sitemap-discovery", *args]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MIGRATIONAUDIT_")}
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, env={**full_env, **(env or {})}
    )
    assert proc.returncode in (0, 1), proc.stderr
    data: dict[str, Any] = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    hops = [json.loads(line) for line in (out / "run" / "hops.jsonl").read_text().splitlines()]
    data["_hops"] = {h["url"]: h for h in hops}
    data["_out"] = out
    return data


def _map(tmp: Path, rows: list[tuple[str, str]]) -> Path:
    path = tmp / "map.csv"
    path.write_text("old_url,new_url\n" + "".join(f"{a},{b}\n" for a, b in rows), "utf-8")
    return path


def test_a_redirect_to_a_host_not_named_is_recorded_not_requested(
    servers: tuple[RawServer, Canary], tmp_path: Path
) -> None:
    server, canary = servers
    old = f"http://old.test:{server.port}"
    away = f"http://localhost:{canary.port}/x"
    landing = f"http://localhost:{server.port}/landing"  # named by the map: loopback is fine
    server.route("/away", redirect(away), host="old.test")
    server.route("/mapped", redirect(landing), host="old.test")
    server.route("/landing", page(), host="localhost")
    mapfile = _map(tmp_path, [(f"{old}/away", f"{old}/new-away"), (f"{old}/mapped", landing)])
    data = _audit(tmp_path, "--map", str(mapfile), "--resolve", f"old.test:{server.port}:127.0.0.1")

    canary.assert_silent()
    assert server.hits("/landing"), "a map target on loopback must be requested"
    record = data["_hops"][away]
    assert record["kind"] == "offsite" and record["status"] is None
    assert record["error"] == (
        f"outside the audit's scope: host localhost:{canary.port} is not named in the inputs "
        f"(--allow-host localhost:{canary.port} audits it)"
    )
    pairs = {(f["rule"], f["url"]) for f in data["findings"]}
    assert ("offsite-redirect", f"{old}/away") in pairs
    # the map expects {old}/new-away: the first Location already differs (issue 12)
    assert {r for r, u in pairs if u == f"{old}/away"} == {"offsite-redirect", "target-mismatch"}
    assert not any(u == f"{old}/mapped" for _, u in pairs)
    verdict = next(v for v in data["verdicts"] if v["url"] == f"{old}/away")
    assert verdict["outcome"] == "offsite" and verdict["verdict"] == "error"
    assert verdict["final_url"] is None and verdict["target_match"] is None
    with (data["_out"] / "verdicts.csv").open(encoding="utf-8", newline="") as f:
        rows = {r["url"]: r for r in csv.DictReader(f)}
    assert rows[f"{old}/away"]["outcome"] == "offsite"
    assert "offsite: not requested" in (data["_out"] / "report.html").read_text("utf-8")

    # Named with --allow-host (here through its environment variable), it is requested.
    again = _audit(
        tmp_path / "again",
        "--map",
        str(mapfile),
        "--resolve",
        f"old.test:{server.port}:127.0.0.1",
        env={"MIGRATIONAUDIT_ALLOW_HOST": f"localhost:{canary.port}"},
    )
    assert [r.path for r in canary.hits()] == ["/x"]
    assert again["_hops"][away]["kind"] == "final" and again["_hops"][away]["status"] == 200
    assert not any(f["rule"] == "offsite-redirect" for f in again["findings"])


CANARY_FORMS = (
    "http://localhost:{port}/by-name",
    "http://2130706433:{port}/decimal",
    "http://0x7f000001:{port}/hex",
    "http://127.1:{port}/short",
    "http://[::ffff:127.0.0.1]:{port}/mapped",
)


def test_urls_a_sitemap_lists_never_reach_a_loopback_canary(
    servers: tuple[RawServer, Canary], tmp_path: Path
) -> None:
    server, canary = servers
    old = f"http://old.test:{server.port}"
    listed = [form.format(port=canary.port) for form in CANARY_FORMS]
    # Each form would reach the canary if it were requested: the names resolve to it ...
    for host in ("localhost", "2130706433", "0x7f000001", "127.1"):
        infos = socket.getaddrinfo(host, canary.port, socket.AF_INET, socket.SOCK_STREAM)
        assert "127.0.0.1" in {i[4][0] for i in infos}, host
    # ... and the IPv4-mapped address connects to a 127.0.0.1 listener.
    with socket.create_server(("127.0.0.1", 0)) as probe:
        with socket.create_connection(("::ffff:127.0.0.1", probe.getsockname()[1]), timeout=2):
            pass
    body = "".join(f"<url><loc>{u}</loc></url>" for u in listed)
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'
    ).encode()
    server.route("/sitemap.xml", respond(200, [("Content-Type", "application/xml")], xml))
    server.route("/", page(), host="old.test")
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{old}/\n", encoding="utf-8")
    data = _audit(
        tmp_path,
        "--urls",
        str(urls),
        "--sitemap",
        f"{old}/sitemap.xml",
        "--resolve",
        f"old.test:{server.port}:127.0.0.1",
    )
    canary.assert_silent()
    for url in listed:
        # A host only a sitemap names is not in scope: never looked up, never requested
        # (issue 12, item 2); before, it joined the scope and its address was refused.
        record = data["_hops"][url]
        assert record["kind"] == "offsite", record
        assert "outside the audit's scope" in record["error"], record
        assert "--allow-host" in record["error"], record


# -- the option ---------------------------------------------------------------------------------


def test_allow_host_is_a_config_key_and_an_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = next(k for k in KEYS if k.param == "allow_hosts")
    assert key.name == "allow-host" and key.env == "MIGRATIONAUDIT_ALLOW_HOST"
    for k in KEYS:
        monkeypatch.delenv(k.env, raising=False)
    monkeypatch.delenv("MIGRATIONAUDIT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "migrationaudit.toml").write_text(
        '[tool.migrationaudit]\nallow-host = ["cdn.partner.example", "a.example:8443"]\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["config", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stdout)["values"]["allow-host"]
    assert entry["value"] == ["cdn.partner.example", "a.example:8443"]
    assert entry["source"] == "migrationaudit.toml"


@pytest.mark.parametrize("bad", ["http://a.example/", "a.example:0", "a.example/x", "u@a.example"])
def test_a_bad_allow_host_exits_2_with_one_line(bad: str, tmp_path: Path) -> None:
    mapfile = _map(tmp_path, [("http://o.test/a", "http://n.test/a")])
    for how in ("flag", "env"):
        args = [sys.executable, "-m", "migrationaudit.cli", "audit", "--map", str(mapfile)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MIGRATIONAUDIT_")}
        if how == "flag":
            args += ["--allow-host", bad]
        else:
            env["MIGRATIONAUDIT_ALLOW_HOST"] = bad
        args += ["--out", str(tmp_path / "out")]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)
        assert proc.returncode == 2, (how, proc.stderr)
        # One error line (a bad flag also gets click's usage hint above it), no traceback.
        errors = [ln for ln in proc.stderr.splitlines() if "error" in ln.lower()]
        assert len(errors) == 1, (how, proc.stderr)
        name = "--allow-host" if how == "flag" else "MIGRATIONAUDIT_ALLOW_HOST"
        assert name in errors[0] and repr(bad) in errors[0], (how, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert not (tmp_path / "out" / "run" / "hops.jsonl").exists()


# -- the run directory: resume and --workers ------------------------------------------------------


def test_scope_json_names_the_crawl_options_keeps_allow_hosts_on_resume_and_reaches_shards(
    tmp_path: Path,
) -> None:
    from migrationaudit.crawl.job import write_scope
    from migrationaudit.crawl.shards import WorkerPlan
    from migrationaudit.crawl.shards import prepare_shards as _prepare_shards
    from migrationaudit.rundir.layout import SEEDS_FILE
    from migrationaudit.settings import CrawlOptions

    options = CrawlOptions(
        connect_to=(ConnectTo("pinned.test", 8080, "127.0.0.1", 9000),),
        rewrite_host=(("www.prod.test", "stage.test:8443"),),
    )
    given = scope_of(allow=["partner.test"])
    write_scope(tmp_path, options, [("http", "seed.test", 80)], given)
    first = Scope.read(tmp_path)
    assert first is not None
    for url in (
        "http://seed.test/",
        "http://pinned.test:8080/",
        "https://stage.test:8443/",
        "https://www.prod.test/",
        "https://partner.test/",
    ):
        assert first.contains(url), url
    assert not first.contains("http://pinned.test:8081/")
    # A resume without --allow-host keeps what the run named before.
    write_scope(tmp_path, options, [("http", "seed.test", 80)], None, resume=True)
    resumed = Scope.read(tmp_path)
    assert resumed is not None and resumed.contains("https://partner.test/")
    # Each crawl process of --workers reads the run's scope from its shard.
    (tmp_path / SEEDS_FILE).write_text("http://seed.test/a\nhttp://seed.test/b\n", "utf-8")
    dirs = _prepare_shards(tmp_path, WorkerPlan(2, "test"), options, resume=False)
    for d in dirs:
        shard = Scope.read(d)
        assert shard is not None and shard.contains("https://partner.test/")


def test_host_key_examples() -> None:
    """One key per host for scope, credentials, --resolve and access logs (web/hosts.py)."""
    import doctest

    from migrationaudit.web import hosts

    failed, attempted = doctest.testmod(hosts)
    assert attempted > 0 and failed == 0

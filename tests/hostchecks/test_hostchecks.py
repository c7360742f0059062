"""The host checks on real servers: TLS servers on 127.0.0.1 with trustme certificates of
chosen expiry dates, pages with and without HSTS, 301s with and without Cache-Control, and a
Change of Address pass and fail case, audited by the CLI in a subprocess."""

from __future__ import annotations

import datetime
import json
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from rawserver import RawServer, page, respond

from migrationaudit.checks.hosts import cached_for_good
from migrationaudit.hostchecks.model import HostReport
from migrationaudit.hostchecks.probe import probe
from migrationaudit.hostchecks.stage import legacy_origins
from migrationaudit.models.hops import Hop, HopKind
from migrationaudit.settings import ConnectTo

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
HSTS = ("Strict-Transport-Security", "max-age=31536000")


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_server(ca: trustme.CA, hosts: tuple[str, ...], days: float) -> RawServer:
    """A TLS server whose certificate (for ``hosts``) expires ``days`` from now."""
    cert = ca.issue_cert(
        *hosts,
        not_before=NOW - datetime.timedelta(days=30),
        not_after=NOW + datetime.timedelta(days=days),
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    return RawServer(ssl_context=context)


def to(server: RawServer, host: str) -> ConnectTo:
    return ConnectTo(host, server.port, "127.0.0.1", server.port)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the probe ---------------------------------------------------------------------------------


def test_probe_reads_the_certificate_of_the_handshake(ca: trustme.CA) -> None:
    with (
        tls_server(ca, ("old.test",), 10.04) as short,
        tls_server(ca, ("new.test",), 200.04) as long,
    ):
        soon = probe(f"https://old.test:{short.port}", [to(short, "old.test")], now=NOW)
        later = probe(f"https://new.test:{long.port}", [to(long, "new.test")], now=NOW)
        # no --connect-to entry: the system resolver answers for an address literal
        literal = probe(f"https://127.0.0.1:{short.port}", [], now=NOW)
    assert (soon.days_left, later.days_left) == (10, 200)
    assert soon.addresses == ("127.0.0.1",) and soon.subject == "old.test"
    assert soon.resolved_by == f"--connect-to old.test:{short.port}:127.0.0.1:{short.port}"
    assert soon.not_after == (NOW + datetime.timedelta(days=10.04)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (literal.resolved_by, literal.addresses, literal.days_left) == (
        "system resolver",
        ("127.0.0.1",),
        10,
    )


def test_probe_failures_are_data() -> None:
    port = closed_port()
    refused = probe(f"https://gone.test:{port}", [ConnectTo("gone.test", port, "127.0.0.1", port)])
    assert refused.days_left is None and refused.tls_error and refused.tls_error.startswith("tls:")
    plain = probe(f"http://127.0.0.1:{port}")  # http: the DNS answer only, no handshake
    assert (plain.addresses, plain.tls_error, plain.not_after) == (("127.0.0.1",), None, None)


def test_https_twins_only_where_the_audit_was_told_the_address() -> None:
    entries = [ConnectTo("old.test", 443, "127.0.0.1", 8443)]
    got = legacy_origins(["http://old.test/a", "http://other.test/b", "http://old.test/c"], entries)
    assert got == ["http://old.test", "https://old.test", "http://other.test"]


def test_cutover_window_and_round_trip() -> None:
    day = datetime.date(2026, 1, 1)
    assert HostReport("2026-03-01T00:00:00Z", day, ()).in_cutover()
    assert not HostReport("2026-06-01T00:00:00Z", day, ()).in_cutover()
    report = HostReport("2026-03-01T00:00:00Z", day, ())
    assert HostReport.from_dict(report.to_dict()) == report


def test_what_counts_as_an_expiry() -> None:
    def hop(status: int, cache: str | None = None, expires: str | None = None) -> Hop:
        headers = {"cache-control": cache} if cache else {}
        kind = HopKind.HTTP_REDIRECT
        return Hop(
            "http://o/a", status, kind, target="http://n/a", headers=headers, expires=expires
        )

    assert cached_for_good(hop(301)) and cached_for_good(hop(308, "public"))
    assert not cached_for_good(hop(301, "public, max-age=3600"))
    assert not cached_for_good(hop(301, "no-store"))
    assert not cached_for_good(hop(301, expires="Thu, 01 Jan 2037 00:00:00 GMT"))
    assert not cached_for_good(hop(302))
    assert Hop.from_dict(hop(301, expires="x").to_dict()) == hop(301, expires="x")


# --- the audit on real servers -----------------------------------------------------------------


def audit(tmp: Path, urls: list[str], entries: list[ConnectTo], ca_pem: Path, *extra: str) -> Any:
    tmp.mkdir(parents=True, exist_ok=True)
    listing = tmp / "urls.txt"
    listing.write_text("".join(u + "\n" for u in urls))
    out = tmp / "out"
    args = [sys.executable, "-m", "migrationaudit.cli", "audit", "--urls", str(listing)]
    args += ["--out", str(out), "--timeout", "3", "--retries", "0", "--format", "json"]
    args += ["--ca-bundle", str(ca_pem), *extra]
    for e in entries:
        args += ["--connect-to", e.spec]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=180)
    assert proc.returncode in (0, 1), proc.stderr
    return proc, json.loads((out / "findings.json").read_text(encoding="utf-8"))


def api_audit(out: Path, urls: list[str], entries: list[ConnectTo], ca: Path, day: str) -> Any:
    import migrationaudit

    return migrationaudit.audit(
        urls=urls,
        connect_to=[e.spec for e in entries],
        ca_bundle=str(ca),
        launched=day,
        out=out,
        timeout=3,
        retries=0,
    )


@pytest.fixture(scope="module")
def sites(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("hosts")
    ca_pem = tmp / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    with (
        tls_server(ca, ("old.test",), 10.5) as old,
        tls_server(ca, ("old2.test",), 200.5) as old2,
        tls_server(ca, ("new.test", "other.test"), 300.5) as new,
    ):
        n = f"https://new.test:{new.port}"
        o = f"https://other.test:{new.port}"
        # old.test: its home page passes Change of Address (301, one hop, cacheable); /a is a
        # 301 without expiry; /b expires and lands on a host without HSTS
        old.route("/", respond(301, [("Location", f"{n}/"), ("Cache-Control", "max-age=3600")]))
        old.route("/a", respond(301, [("Location", f"{n}/a")]))
        expires = ("Expires", "Thu, 01 Jan 2037 00:00:00 GMT")
        old.route("/b", respond(301, [("Location", f"{o}/b"), expires]))
        # old2.test: its home page answers 302: Change of Address is refused
        old2.route("/", respond(302, [("Location", f"{n}/")]))
        new.route("/", page(headers=[HSTS]), host="new.test")
        new.route("/a", page(headers=[HSTS]), host="new.test")
        new.route("/b", page(), host="other.test")
        urls = [f"https://old.test:{old.port}/", f"https://old.test:{old.port}/a"]
        urls += [f"https://old.test:{old.port}/b", f"https://old2.test:{old2.port}/"]
        entries = [to(old, "old.test"), to(old2, "old2.test")]
        entries += [to(new, "new.test"), to(new, "other.test")]
        week_ago = (NOW - datetime.timedelta(days=7)).date().isoformat()
        runs = {
            "launched": audit(tmp / "l", urls, entries, ca_pem, "--launched", week_ago),
            "plain": audit(tmp / "p", urls, entries, ca_pem),
            "long-ago": audit(tmp / "g", urls, entries, ca_pem, "--launched", "2020-01-01"),
        }
        api = api_audit(tmp / "api", urls, entries, ca_pem, week_ago)
        yield runs, old.port, old2.port, new.port, api


def found(data: Any) -> set[tuple[str, str]]:
    return {(f["rule"], f["url"]) for f in data["findings"]}


HOST_RULES = {"legacy-host-certificate-expiring", "new-host-hsts-missing"}


def test_after_launch_the_hosts_are_checked(sites: Any) -> None:
    runs, op, op2, np, _ = sites
    proc, data = runs["launched"]
    got = {p for p in found(data) if p[0] in HOST_RULES | {"permanent-redirect-uncached"}}
    assert got == {
        ("legacy-host-certificate-expiring", f"https://old.test:{op}/"),  # 10 days; old2: 200
        ("permanent-redirect-uncached", f"https://old.test:{op}/a"),  # "/" and /b expire
        ("new-host-hsts-missing", f"https://other.test:{np}/b"),  # new.test sends HSTS
    }
    cert = next(f for f in data["findings"] if f["rule"] == "legacy-host-certificate-expiring")
    assert "10 days left" in cert["message"] and "old.test" in cert["message"]
    hosts = {h["origin"]: h for h in data["run"]["hosts"]["hosts"]}
    assert hosts[f"https://old2.test:{op2}"]["days_left"] == 200
    assert hosts[f"https://old.test:{op}"]["addresses"] == ["127.0.0.1"]
    assert f"hosts: https://old.test:{op}: 127.0.0.1 (--connect-to old.test:" in proc.stderr


def test_change_of_address_pass_and_fail(sites: Any) -> None:
    runs, _, op2, *_ = sites
    for name in ("launched", "plain"):  # a pre-flight check: no --launched needed
        _, data = runs[name]
        coa = {
            f["url"]: f["message"]
            for f in data["findings"]
            if f["rule"] == "change-of-address-blocked"
        }
        assert set(coa) == {f"https://old2.test:{op2}/"}, coa  # old.test's home page passes
        assert "redirects with a 302, not a 301" in coa[f"https://old2.test:{op2}/"]


def test_without_launch_date_the_host_rules_say_why(sites: Any) -> None:
    runs, *_ = sites
    _, data = runs["plain"]
    assert not {p for p in found(data) if p[0] in HOST_RULES}
    reasons = {s["rule"]: s["reason"] for s in data["skipped_rules"]}
    assert (
        reasons["legacy-host-certificate-expiring"]
        == "no host check ran (after launch: --launched)"
    )
    assert "hosts" not in data["run"]


def test_after_the_cutover_window_permanent_redirects_may_be_cached(sites: Any) -> None:
    runs, op, *_ = sites
    _, data = runs["long-ago"]
    rules = {p[0] for p in found(data)}
    assert "permanent-redirect-uncached" not in rules
    assert ("legacy-host-certificate-expiring", f"https://old.test:{op}/") in found(data)


def test_report_rejudges_the_saved_probes_without_probing(sites: Any, tmp_path: Path) -> None:
    runs, *_ = sites
    _, data = runs["launched"]
    run_dir = Path(data["run"]["run_dir"]).parent
    args = [sys.executable, "-m", "migrationaudit.cli", "report", str(run_dir)]
    args += ["--out", str(tmp_path), "--format", "json", "-q"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    again = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    hosts = HOST_RULES | {"permanent-redirect-uncached"}
    assert {p for p in found(again) if p[0] in hosts} == {p for p in found(data) if p[0] in hosts}
    assert not {s["rule"] for s in again["skipped_rules"]} & hosts


def test_the_python_api_checks_the_hosts_too(sites: Any) -> None:
    runs, *_, api = sites
    _, data = runs["launched"]
    rules = HOST_RULES | {"permanent-redirect-uncached"}
    got = {(f.rule_id, f.url) for f in api.result.findings if f.rule_id in rules}
    assert got == {p for p in found(data) if p[0] in rules}
    assert api.result.run["hosts"]["hosts"]

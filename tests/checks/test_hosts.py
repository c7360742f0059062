"""The host rules on hand-built chains: Change of Address (home page and valuable pages, pass
and fail), HSTS on the landing hosts, permanent redirects without an expiry, certificates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from migrationaudit.checks import AuditContext
from migrationaudit.hostchecks.model import HostProbe, HostReport
from migrationaudit.inputs.priority import read_priority

from .conftest import findings, hop, make_ctx, rrule

OLD = "http://old.example"
NEW = "https://new.example"
COA = "change-of-address-blocked"


def with_priority(ctx: AuditContext, tmp: Path, rows: str) -> AuditContext:
    path = tmp / "pages.csv"
    path.write_text("URL,Referring domains,Backlinks\n" + rows)
    return replace(ctx, priority=read_priority([path]))


def test_home_page_one_301_to_the_new_home_passes() -> None:
    ctx = make_ctx([(f"{OLD}/", f"{NEW}/")], urls=[f"{OLD}/"])
    assert findings(ctx, COA) == []


def test_home_page_failures_are_named() -> None:
    cases = {
        (f"{OLD}/", f"{NEW}/", 302): "redirects with a 302, not a 301",
        (f"{OLD}/", f"{NEW}/shop"): "lands on https://new.example/shop, not https://new.example/",
    }
    for edge, why in cases.items():
        (f,) = findings(make_ctx([edge], urls=[f"{OLD}/"]), COA)
        assert f.url == f"{OLD}/" and why in f.message, f.message
    two = make_ctx(
        [(f"{OLD}/", "https://old.example/"), ("https://old.example/", f"{NEW}/")], urls=[f"{OLD}/"]
    )
    (f,) = findings(two, COA)
    assert "takes 2 redirects, not one" in f.message
    assert f.fix == f"Answer 301 with Location: {NEW}/ (one hop)."


def test_home_page_mapped_elsewhere_is_accepted() -> None:
    rules = [rrule(f"{OLD}/", f"{NEW}/welcome")]
    assert findings(make_ctx([(f"{OLD}/", f"{NEW}/welcome")], rules=rules), COA) == []


def test_only_the_most_valuable_pages_are_checked(tmp_path: Path) -> None:
    urls = [f"{OLD}/", f"{OLD}/a", f"{OLD}/b", f"{OLD}/c"]
    edges = [(f"{OLD}/", f"{NEW}/"), (f"{OLD}/a", f"{NEW}/"), (f"{OLD}/b", f"{NEW}/b", 302)]
    edges.append((f"{OLD}/c", f"{NEW}/c"))
    ctx = make_ctx(edges, urls=urls)
    assert findings(ctx, COA) == []  # without a value, only the home page counts
    valued = with_priority(ctx, tmp_path, f"{OLD}/a,50,1\n{OLD}/b,40,1\n{OLD}/c,30,1\n")
    got = {f.url: f.message for f in findings(valued, COA)}
    assert set(got) == {f"{OLD}/a", f"{OLD}/b"}  # /c: one 301 to the same path
    assert "lands on https://new.example/, not https://new.example/a" in got[f"{OLD}/a"]
    assert "a 302, not a 301" in got[f"{OLD}/b"]


def report(*probes: HostProbe, launched: date | None = None) -> HostReport:
    return HostReport("2026-12-07T12:00:00Z", launched, probes)


def test_hosts_rules_need_the_probes() -> None:
    ctx = make_ctx([(f"{OLD}/a", f"{NEW}/a")], urls=[f"{OLD}/a"])
    assert findings(ctx, "permanent-redirect-uncached") == []
    uncached = findings(replace(ctx, hosts=report()), "permanent-redirect-uncached")
    assert [f.url for f in uncached] == [f"{OLD}/a"]


def test_certificates_under_30_days() -> None:
    ctx = replace(
        make_ctx([], urls=[]),
        hosts=report(
            HostProbe("https://a.example", ("192.0.2.1",), days_left=29, not_after="x"),
            HostProbe("https://b.example", ("192.0.2.1",), days_left=30, not_after="y"),
            HostProbe("https://c.example", ("192.0.2.1",), days_left=-2, not_after="z"),
            HostProbe("http://d.example", ("192.0.2.1",)),
        ),
    )
    got = {f.url: f.message for f in findings(ctx, "legacy-host-certificate-expiring")}
    assert set(got) == {"https://a.example/", "https://c.example/"}
    assert "29 days left" in got["https://a.example/"]
    assert "expired 2 days ago" in got["https://c.example/"]


def test_hsts_per_landing_host() -> None:
    with_hsts = replace(hop(f"{NEW}/a"), hsts="max-age=63072000; includeSubDomains")
    zero = replace(hop("https://other.example/b"), hsts="max-age=0")
    edges = [(f"{OLD}/a", f"{NEW}/a"), (f"{OLD}/b", "https://other.example/b")]
    ctx = make_ctx(edges, urls=[f"{OLD}/a", f"{OLD}/b"], extra=[with_hsts, zero])
    got = findings(replace(ctx, hosts=report()), "new-host-hsts-missing")
    assert [f.url for f in got] == ["https://other.example/b"]  # max-age=0 turns HSTS off

"""Canonical and internal-link rules on tiny sites crawled in memory, with their close calls,
and how they sit next to canonical-mismatch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .memcrawl import audit_site, fired

N, OLD = "https://n.test", "http://o.test"


def page(url: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, "title": url, "canonical": url, **extra}


def moved(old: str, new: str) -> dict[str, Any]:
    return {"url": old, "location": new}


def test_canonical_to_redirect_broken_and_foreign(tmp_path: Path) -> None:
    j = audit_site(
        tmp_path,
        [moved(f"{OLD}/{x}", f"{N}/{x}/") for x in ("a", "b", "c", "d", "e", "f")]
        + [
            page(f"{N}/a/", canonical=f"{N}/a"),  # → redirects back to /a/
            moved(f"{N}/a", f"{N}/a/"),
            page(f"{N}/b/", canonical=f"{N}/gone/"),  # → 404
            page(f"{N}/c/", canonical=f"{OLD}/c"),  # the old domain
            page(f"{N}/d/", canonical="https://staging.n.test/d/"),  # staging
            page(f"{N}/e/", canonical="HTTPS://N.TEST/e/"),  # itself: fine
            page(f"{N}/f/", canonical="https://elsewhere.test/f/"),  # another site: not fetched
            moved(f"{N}/x", f"{N}/y"),
        ],
        rows=[(f"{OLD}/{x}", f"{N}/{x}/") for x in ("a", "b", "c", "d", "e", "f")],
        staging_hosts=("staging.n.test",),
    )
    # the old-domain canonical redirects too: both rules say so (issue 12, item 2)
    assert fired(j, "canonical-to-redirect") == [f"{N}/a/", f"{N}/c/"]
    assert fired(j, "canonical-to-broken") == [f"{N}/b/"]
    assert fired(j, "canonical-foreign-host") == [f"{N}/c/", f"{N}/d/"]
    # the legacy URLs' own view: canonical-mismatch for every page not self-canonical
    assert fired(j, "canonical-mismatch") == [f"{OLD}/{x}" for x in ("a", "b", "c", "d", "f")]
    redirect = next(f for f in j.findings if f.rule_id == "canonical-to-redirect")
    assert redirect.url == f"{N}/a/"
    assert [h.url for h in redirect.evidence] == [f"{N}/a", f"{N}/a/"]
    rows = {v.url: v for v in j.verdicts}
    assert rows[f"{OLD}/e"].self_canonical is True and rows[f"{OLD}/a"].self_canonical is False


def test_a_canonical_on_the_old_domain_that_redirects_is_both(tmp_path: Path) -> None:
    j = audit_site(
        tmp_path,
        [
            moved(f"{OLD}/a", f"{N}/a/"),
            page(f"{N}/a/", canonical=f"{OLD}/a"),  # the old URL, which redirects back here
        ],
        rows=[(f"{OLD}/a", f"{N}/a/")],
    )
    assert fired(j, "canonical-foreign-host") == [f"{N}/a/"]
    assert fired(j, "canonical-to-redirect") == [f"{N}/a/"]
    leak = next(f for f in j.findings if f.rule_id == "canonical-foreign-host")
    assert [h.url for h in leak.evidence] == [f"{OLD}/a", f"{N}/a/"]
    assert leak.final_url == f"{N}/a/" and f"to {N}/a/ " in leak.fix


def test_without_staging_host_a_staging_canonical_is_just_elsewhere(tmp_path: Path) -> None:
    j = audit_site(
        tmp_path,
        [moved(f"{OLD}/d", f"{N}/d/"), page(f"{N}/d/", canonical="https://staging.n.test/d/")],
        rows=[(f"{OLD}/d", f"{N}/d/")],
    )
    assert fired(j, "canonical-foreign-host") == []
    assert fired(j, "canonical-mismatch") == [f"{OLD}/d"]


SITE = [
    moved(f"{OLD}/", f"{N}/"),
    page(
        f"{N}/",
        links=[
            "/a/",
            "/b",
            "/missing",
            "/loop",
            f"{OLD}/x",
            f"{OLD}/moved",
            "https://staging.n.test/",
            "https://external.test/",
            "mailto:x@n.test",
            "#top",
            "/a/#part",
        ],
    ),
    page(f"{N}/a/", links=["/deep/"]),
    moved(f"{N}/b", f"{N}/b/"),
    page(f"{N}/b/"),
    moved(f"{N}/loop", f"{N}/loop2"),
    moved(f"{N}/loop2", f"{N}/loop"),
    page(f"{N}/deep/", links=["/deeper/"]),
    page(f"{N}/deeper/", links=["/missing-deeper"]),
    moved(f"{OLD}/moved", f"{N}/b/"),
]


def test_internal_links(tmp_path: Path) -> None:
    j = audit_site(
        tmp_path,
        SITE,
        rows=[(f"{OLD}/", f"{N}/")],
        crawl=(f"{N}/",),
        staging_hosts=("staging.n.test",),
    )
    # A link to the old domain is judged by its chain too (issue 12, item 2): the one that
    # redirects is a link to a redirect, the one that answers 404 a broken link.
    assert fired(j, "internal-link-to-redirect") == [f"{OLD}/moved", f"{N}/b"]
    assert fired(j, "internal-link-broken") == [
        f"{OLD}/x",
        f"{N}/loop",
        f"{N}/missing",
        f"{N}/missing-deeper",
    ]
    assert fired(j, "internal-link-legacy-host") == [
        f"{OLD}/moved",
        f"{OLD}/x",
        "https://staging.n.test/",
    ]
    broken = next(f for f in j.findings if f.url == f"{N}/missing")
    assert broken.message.startswith(f"linked from {N}/")
    # the legacy-host finding of a redirecting link shows its hops and where to link instead
    leak = next(
        f
        for f in j.findings
        if f.url == f"{OLD}/moved" and f.rule_id == "internal-link-legacy-host"
    )
    assert [h.url for h in leak.evidence] == [f"{OLD}/moved", f"{N}/b/"]
    assert leak.final_url == f"{N}/b/" and f"Link straight to {N}/b/" in leak.fix
    staging = next(f for f in j.findings if f.url == "https://staging.n.test/")
    assert staging.evidence == () and staging.final_url is None  # never requested


def test_crawl_depth_bounds_what_is_followed(tmp_path: Path) -> None:
    j = audit_site(tmp_path, SITE, rows=[(f"{OLD}/", f"{N}/")], crawl=(f"{N}/",), depth=1)
    # /deep/ is at depth 2: never fetched, so /deeper/'s broken link is never seen
    assert f"{N}/missing-deeper" not in fired(j, "internal-link-broken")
    assert f"{N}/missing" in fired(j, "internal-link-broken")


def test_max_pages_bounds_the_crawl(tmp_path: Path) -> None:
    j = audit_site(tmp_path, SITE, rows=[(f"{OLD}/", f"{N}/")], crawl=(f"{N}/",), max_pages=1)
    # one page's links are collected: the home page's (the legacy chain lands there first)
    assert fired(j, "internal-link-broken") == [f"{OLD}/x", f"{N}/loop", f"{N}/missing"]


def test_without_crawl_the_link_rules_are_skipped(tmp_path: Path) -> None:
    j = audit_site(tmp_path, SITE, rows=[(f"{OLD}/", f"{N}/")])
    reasons = {s.rule_id: s.reason for s in j.skipped}
    assert reasons["internal-link-broken"] == "the new site was not crawled (--crawl)"
    assert "canonical-to-broken" not in reasons  # canonicals of final pages need no crawl


def test_canonical_mismatch_says_it_is_the_legacy_side_of_a_page_fact(tmp_path: Path) -> None:
    """One staging canonical, two legacy URLs landing there: one page-level error, and
    canonical-mismatch for each legacy URL saying it is the legacy URL's side of the same fix
    (issue 12, item 13: not one problem counted twice without a word)."""
    j = audit_site(
        tmp_path,
        [
            moved(f"{OLD}/d", f"{N}/d/"),
            moved(f"{OLD}/d2", f"{N}/d/"),
            page(f"{N}/d/", canonical="https://staging.n.test/d/"),
        ],
        rows=[(f"{OLD}/d", f"{N}/d/"), (f"{OLD}/d2", f"{N}/d/")],
        staging_hosts=("staging.n.test",),
    )
    assert fired(j, "canonical-foreign-host") == [f"{N}/d/"]  # once, on the page
    assert fired(j, "canonical-mismatch") == [f"{OLD}/d", f"{OLD}/d2"]
    for f in j.findings:
        if f.rule_id == "canonical-mismatch":
            assert "legacy URL's side" in f.fix and "page's side of the same fix" in f.fix

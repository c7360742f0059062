"""Sitemap rules on tiny sites crawled in memory (the real spider and new-site side): each rule
fires on its defect and stays silent on the close call next to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .memcrawl import audit_site, fired, pairs

N, OLD = "https://n.test", "http://o.test"


def robots(*sitemaps: str, rules: str = "Allow: /") -> dict[str, Any]:
    lines = "".join(f"Sitemap: {s}\n" for s in sitemaps)
    return {
        "url": f"{N}/robots.txt",
        "body": f"User-agent: *\n{rules}\n{lines}",
        "content_type": "text/plain",
    }


def page(url: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, "title": url, "canonical": url, **extra}


def smap(url: str, *entries: Any, **extra: Any) -> dict[str, Any]:
    return {"url": url, "sitemap": list(entries), **extra}


HOME = page(f"{N}/")


def run(tmp: Path, routes: list[dict[str, Any]], **kw: Any) -> Any:
    rows = kw.pop("rows", [(f"{OLD}/", f"{N}/")])
    routes = [{"url": f"{OLD}/", "location": f"{N}/"}, *routes]
    return audit_site(tmp, routes, rows=rows, **kw)


def test_sitemap_redirect_entries_and_files(tmp_path: Path) -> None:
    j = run(
        tmp_path,
        [
            HOME,
            robots(f"{N}/sitemap.xml"),
            {"url": f"{N}/sitemap.xml", "location": f"{N}/maps/main.xml"},
            smap(f"{N}/maps/main.xml", f"{N}/a", f"{N}/b/"),
            {"url": f"{N}/a", "location": f"{N}/a/"},
            page(f"{N}/a/"),
            page(f"{N}/b/"),
        ],
    )
    assert fired(j, "sitemap-redirect") == [f"{N}/a", f"{N}/sitemap.xml"]
    entry = next(f for f in j.findings if f.url == f"{N}/a")
    assert entry.origin is not None and entry.origin.file == f"{N}/maps/main.xml"
    assert [h.url for h in entry.evidence] == [f"{N}/a", f"{N}/a/"]
    assert "redirects (301)" in entry.message


def test_a_guessed_sitemap_that_redirects_is_no_finding(tmp_path: Path) -> None:
    j = run(
        tmp_path,
        [
            HOME,
            robots(),  # no Sitemap: line → /sitemap.xml is tried
            {"url": f"{N}/sitemap.xml", "location": f"{N}/real.xml"},
            smap(f"{N}/real.xml", f"{N}/"),
        ],
    )
    assert fired(j, "sitemap-redirect") == []
    assert not any(s.rule_id == "sitemap-redirect" for s in j.skipped)  # it was found


def test_sitemap_broken_entries_and_declared_files(tmp_path: Path) -> None:
    j = run(
        tmp_path,
        [
            HOME,
            robots(f"{N}/s.xml", f"{N}/missing.xml"),
            smap(f"{N}/s.xml", f"{N}/", f"{N}/gone", f"{N}/x"),
            {"url": f"{N}/x", "location": f"{N}/y"},  # → 404: broken, not a redirect
        ],
    )
    assert fired(j, "sitemap-broken") == [f"{N}/gone", f"{N}/missing.xml", f"{N}/x"]
    assert fired(j, "sitemap-redirect") == []


def test_no_sitemap_found_skips_the_sitemap_rules(tmp_path: Path) -> None:
    j = run(tmp_path, [HOME, robots()])  # /sitemap.xml answers 404: a guess that missed
    reasons = {s.rule_id: s.reason for s in j.skipped}
    assert reasons["sitemap-broken"].startswith("no new-site sitemap found")
    assert reasons["target-not-in-sitemap"].startswith("no new-site sitemap found")
    assert j.verdicts[0].in_sitemap is None


def test_sitemap_noindex_only_on_pages_answering_themselves(tmp_path: Path) -> None:
    j = run(
        tmp_path,
        [
            HOME,
            robots(f"{N}/s.xml"),
            smap(f"{N}/s.xml", f"{N}/", f"{N}/hidden", f"{N}/via", f"{N}/hdr"),
            page(f"{N}/hidden", robots="noindex"),
            page(f"{N}/hdr", headers={"X-Robots-Tag": "googlebot: none"}),
            {"url": f"{N}/via", "location": f"{N}/hidden"},
        ],
    )
    assert fired(j, "sitemap-noindex") == [f"{N}/hdr", f"{N}/hidden"]
    assert fired(j, "sitemap-redirect") == [f"{N}/via"]


def test_sitemap_non_canonical_compares_normalised(tmp_path: Path) -> None:
    j = run(
        tmp_path,
        [
            page(f"{N}/", canonical="HTTPS://N.TEST:443/"),  # itself, spelled otherwise
            robots(f"{N}/s.xml"),
            smap(f"{N}/s.xml", f"{N}/", f"{N}/p"),
            page(f"{N}/p", canonical=f"{N}/other"),
        ],
    )
    assert fired(j, "sitemap-non-canonical") == [f"{N}/p"]


def test_sitemap_legacy_url_joins_the_legacy_verdict(tmp_path: Path) -> None:
    j = run(
        tmp_path,
        [
            HOME,
            robots(f"{N}/s.xml"),
            smap(f"{N}/s.xml", f"{N}/", f"{OLD}/old", f"{OLD}/listed-only"),
            {"url": f"{OLD}/old", "location": f"{N}/"},
            page(f"{OLD}/listed-only"),
        ],
        rows=[(f"{OLD}/", f"{N}/"), (f"{OLD}/old", f"{N}/")],
        urls=[f"{OLD}/listed-only"],
    )
    assert fired(j, "sitemap-legacy-url") == [f"{OLD}/old"]
    # ... and, being on another host and redirecting, foreign and a redirect too
    assert fired(j, "sitemap-redirect") == [f"{OLD}/old"]
    f = next(f for f in j.findings if f.rule_id == "sitemap-legacy-url")
    assert f.origin is not None and f.origin.file == f"{N}/s.xml" and f.origin.line == 4
    assert f.expected_url == f"{N}/"
    verdict = next(v for v in j.verdicts if v.url == f"{OLD}/old")
    assert "sitemap-legacy-url" in verdict.rules
    # an unmapped list URL on another host is "only" foreign, not legacy
    assert fired(j, "sitemap-foreign-host") == [f"{OLD}/listed-only", f"{OLD}/old"]
    assert f"{OLD}/listed-only" not in fired(j, "sitemap-legacy-url")


def test_sitemap_foreign_host_and_scheme(tmp_path: Path) -> None:
    j = run(
        tmp_path,
        [
            HOME,
            robots(f"{N}/s.xml", "https://cdn.n.test/s2.xml"),
            smap(f"{N}/s.xml", f"{N}/", "http://n.test/", "https://www.n.test/"),
            # on another host, but named by n.test's robots.txt: may list n.test URLs
            smap("https://cdn.n.test/s2.xml", f"{N}/"),
        ],
        redirect_variants=True,
    )
    assert fired(j, "sitemap-foreign-host") == ["http://n.test/", "https://www.n.test/"]
    scheme = next(
        f for f in j.findings if f.url == "http://n.test/" and f.rule_id == "sitemap-foreign-host"
    )
    assert "http while the sitemap is on https://n.test" in scheme.message
    # A foreign entry that redirects is a redirecting entry too (issue 12, item 2): the
    # general rule is not silenced by the specific one (--max sitemap-redirect=0 counts it).
    assert fired(j, "sitemap-redirect") == ["http://n.test/", "https://www.n.test/"]
    # ... and the foreign finding shows the hops and names the final URL to list.
    www = next(
        f
        for f in j.findings
        if f.url == "https://www.n.test/" and f.rule_id == "sitemap-foreign-host"
    )
    assert [h.url for h in www.evidence] == ["https://www.n.test/", f"{N}/"]
    assert www.final_url == f"{N}/"
    assert f"List {N}/ " in www.fix and "redirects (301)" in www.message


def test_a_www_twin_entry_that_redirects_is_foreign_and_a_redirect(tmp_path: Path) -> None:
    j = run(
        tmp_path,
        [
            HOME,
            robots(f"{N}/s.xml"),
            smap(f"{N}/s.xml", f"{N}/", "https://www.n.test/a"),
            {"url": "https://www.n.test/a", "location": f"{N}/a/"},
            page(f"{N}/a/"),
        ],
    )
    assert pairs(j, "sitemap-redirect") == {("sitemap-redirect", "https://www.n.test/a")}
    assert pairs(j, "sitemap-foreign-host") == {("sitemap-foreign-host", "https://www.n.test/a")}
    for f in j.findings:
        if f.url == "https://www.n.test/a":
            assert f.final_url == f"{N}/a/" and f"{N}/a/" in f.fix
            assert [h.url for h in f.evidence] == ["https://www.n.test/a", f"{N}/a/"]


def test_a_foreign_entry_failing_dns_is_foreign_and_broken(tmp_path: Path) -> None:
    # www.n.test is in scope (the www twin of a named host) but does not resolve.
    j = run(
        tmp_path,
        [HOME, robots(f"{N}/s.xml"), smap(f"{N}/s.xml", f"{N}/", "https://www.n.test/x")],
    )
    assert fired(j, "sitemap-broken") == ["https://www.n.test/x"]
    assert fired(j, "sitemap-foreign-host") == ["https://www.n.test/x"]


def test_a_host_only_a_sitemap_names_is_never_requested(tmp_path: Path) -> None:
    j = run(
        tmp_path,
        [
            HOME,
            robots(f"{N}/s.xml"),
            smap(f"{N}/s.xml", f"{N}/", "https://cdn.elsewhere.test/x"),
            page("https://cdn.elsewhere.test/x"),  # it would answer: it must not be asked
        ],
    )
    assert fired(j, "sitemap-foreign-host") == ["https://cdn.elsewhere.test/x"]
    assert fired(j, "sitemap-broken") == [] and fired(j, "sitemap-redirect") == []
    (f,) = (f for f in j.findings if f.url == "https://cdn.elsewhere.test/x")
    (offsite,) = f.evidence
    assert offsite.status is None and "outside the audit's scope" in (offsite.error or "")


def test_sitemap_invalid_and_hostile_files(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><urlset><url><loc>&b;</loc></url></urlset>'
    )
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<urlset><url><loc>https://n.test/&x;</loc></url></urlset>"
    )
    j = run(
        tmp_path,
        [
            HOME,
            robots(f"{N}/index.xml", f"{N}/html.xml"),
            {
                "url": f"{N}/index.xml",
                "sitemap_index": [
                    f"{N}/index.xml",
                    f"{N}/laughs.xml",
                    f"{N}/xxe.xml",
                    f"{N}/rel.xml",
                ],
            },
            {"url": f"{N}/laughs.xml", "body": laughs, "content_type": "application/xml"},
            {"url": f"{N}/xxe.xml", "body": xxe, "content_type": "application/xml"},
            {
                "url": f"{N}/rel.xml",
                "body": "<urlset><url><loc>/a</loc></url></urlset>",
                "content_type": "application/xml",
            },
            {"url": f"{N}/html.xml", "body": "<html><body>no</body></html>"},
        ],
    )
    assert fired(j, "sitemap-invalid") == [
        f"{N}/html.xml",
        f"{N}/index.xml",
        f"{N}/laughs.xml",
        f"{N}/rel.xml",
        f"{N}/xxe.xml",
    ]
    by_url = {f.url: f.message for f in j.findings if f.rule_id == "sitemap-invalid"}
    assert "loop" in by_url[f"{N}/index.xml"]
    assert "DOCTYPE" in by_url[f"{N}/xxe.xml"] and "root:" not in by_url[f"{N}/xxe.xml"]
    assert "not an absolute http(s) URL" in by_url[f"{N}/rel.xml"]


def test_sitemap_too_large_for_a_gzip_bomb(tmp_path: Path) -> None:
    j = run(
        tmp_path,
        [
            HOME,
            robots(f"{N}/s.xml.gz"),
            {"url": f"{N}/s.xml.gz", "gzip": "file", "zeros_mb": 51},
        ],
    )
    assert fired(j, "sitemap-too-large") == [f"{N}/s.xml.gz"]
    assert fired(j, "sitemap-invalid") == [f"{N}/s.xml.gz"]  # and it is no sitemap either


def test_target_not_in_sitemap(tmp_path: Path) -> None:
    j = run(
        tmp_path,
        [
            page(f"{N}/"),
            robots(f"{N}/s.xml"),
            smap(f"{N}/s.xml", "HTTPS://N.TEST/listed"),
            page(f"{N}/listed"),
            page(f"{N}/unlisted"),
            page(f"{N}/hidden", robots="noindex"),
            page("https://partner.test/x"),
            {"url": f"{OLD}/a", "location": f"{N}/listed"},
            {"url": f"{OLD}/b", "location": f"{N}/unlisted"},
            {"url": f"{OLD}/c", "location": f"{N}/hidden"},
            {"url": f"{OLD}/d", "location": "https://partner.test/x"},
        ],
        rows=[
            (f"{OLD}/{x}", t)
            for x, t in (
                ("a", f"{N}/listed"),
                ("b", f"{N}/unlisted"),
                ("c", f"{N}/hidden"),
                ("d", f"{N}/unlisted"),
            )
        ],
    )
    assert fired(j, "target-not-in-sitemap") == [f"{OLD}/b"]
    rows = {v.url: v for v in j.verdicts}
    assert rows[f"{OLD}/a"].in_sitemap is True and rows[f"{OLD}/b"].in_sitemap is False


def test_old_sitemap_urls_must_redirect_or_be_mapped(tmp_path: Path) -> None:
    old_map = tmp_path / "old-sitemap.xml"
    old_map.write_text(
        "<urlset>"
        + "".join(f"<url><loc>{OLD}/{x}</loc></url>" for x in ("kept", "moved", "gone", "same"))
        + "</urlset>"
    )
    j = run(
        tmp_path,
        [
            HOME,
            robots(f"{N}/s.xml"),
            smap(f"{N}/s.xml", f"{N}/", f"{OLD}/same"),
            page(f"{OLD}/kept"),
            page(f"{OLD}/same"),
            {"url": f"{OLD}/moved", "location": f"{N}/"},
        ],
        rows=[(f"{OLD}/", f"{N}/"), (f"{OLD}/moved", f"{N}/")],
        old_sitemaps=(str(old_map),),
    )
    assert fired(j, "old-sitemap-unredirected") == [f"{OLD}/kept"]
    assert f"{OLD}/gone" in fired(j, "legacy-url-broken")
    kept = next(v for v in j.verdicts if v.url == f"{OLD}/kept")
    assert kept.origin is not None and kept.origin.file == str(old_map)


def test_remote_old_sitemap_urls_become_legacy_urls(tmp_path: Path) -> None:
    j = run(
        tmp_path,
        [HOME, smap(f"{OLD}/sitemap.xml", f"{OLD}/", f"{OLD}/kept"), page(f"{OLD}/kept")],
        old_sitemaps=(f"{OLD}/sitemap.xml",),
    )
    assert fired(j, "old-sitemap-unredirected") == [f"{OLD}/kept"]
    assert [v.url for v in j.verdicts] == [f"{OLD}/", f"{OLD}/kept"]
    assert ("sitemap-legacy-url", f"{OLD}/") not in pairs(j)  # an old sitemap is not a new one


def _live_old_site() -> list[dict[str, Any]]:
    return [
        HOME,
        robots(f"{N}/s.xml"),
        smap(f"{N}/s.xml", f"{N}/"),
        page(f"{OLD}/kept"),  # still answers 200 on the old host: must redirect
        page(f"{OLD}/self"),  # mapped to itself on purpose: map-self says it, not this rule
        {"url": f"{OLD}/moved", "location": f"{N}/"},
        page(f"{N}/new-page"),  # a listed URL on the new host answers itself: fine
    ]


def test_list_mode_and_old_sitemap_mode_agree_on_an_unredirected_url(tmp_path: Path) -> None:
    # issue 12, item 6: a legacy URL on a host that is not the new site's must redirect (or be
    # mapped), whether it comes from --urls or --old-sitemap.
    urls = [f"{OLD}/kept", f"{OLD}/moved", f"{OLD}/self", f"{N}/new-page"]
    rows = [(f"{OLD}/", f"{N}/"), (f"{OLD}/self", f"{OLD}/self")]
    listed = run(tmp_path / "list", _live_old_site(), rows=rows, urls=urls)
    old_map = tmp_path / "old-sitemap.txt"
    old_map.write_text("".join(f"{u}\n" for u in urls), encoding="utf-8")
    from_sitemap = run(
        tmp_path / "sitemap", _live_old_site(), rows=rows, old_sitemaps=(str(old_map),)
    )
    for j in (listed, from_sitemap):
        assert fired(j, "old-sitemap-unredirected") == [f"{OLD}/kept"]
        verdict = {v.url: v for v in j.verdicts}
        assert verdict[f"{OLD}/kept"].rules == ("old-sitemap-unredirected",)
        assert f"{OLD}/self" not in fired(j, "old-sitemap-unredirected")
        assert fired(j, "map-self") == [f"{OLD}/self"]
    (f,) = (f for f in listed.findings if f.rule_id == "old-sitemap-unredirected")
    assert "o.test, not a new-site host" in f.message and f.origin.file.endswith("urls.txt")


def test_list_mode_with_new_host_and_no_map(tmp_path: Path) -> None:
    j = audit_site(
        tmp_path,
        _live_old_site(),
        urls=[f"{OLD}/kept", f"{OLD}/moved", f"{N}/new-page"],
        new_hosts=("n.test",),
    )
    assert fired(j, "old-sitemap-unredirected") == [f"{OLD}/kept"]
    assert {v.url: v.verdict for v in j.verdicts}[f"{OLD}/kept"] == "error"


def test_list_mode_without_a_known_new_host_cannot_judge(tmp_path: Path) -> None:
    # No map and no --new-host: a listed URL's host cannot be told from the new site's.
    j = audit_site(tmp_path, _live_old_site(), urls=[f"{OLD}/kept", f"{N}/new-page"])
    assert fired(j, "old-sitemap-unredirected") == []
    reasons = {s.rule_id: s.reason for s in j.skipped}
    assert reasons["old-sitemap-unredirected"].startswith("no legacy sitemap given")

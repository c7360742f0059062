"""hreflang rules on tiny sites crawled in memory: HTML, Link header and sitemap alternates
that redirect, end on errors, or lack the return link — and the close calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .memcrawl import audit_site, fired

N, OLD = "https://n.test", "http://o.test"


def page(url: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, "title": url, "canonical": url, **extra}


def legacy(*paths: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    routes = [{"url": f"{OLD}{p}", "location": f"{N}{p}"} for p in paths]
    return routes, [(f"{OLD}{p}", f"{N}{p}") for p in paths]


def test_alternates_that_redirect_break_or_do_not_link_back(tmp_path: Path) -> None:
    routes, rows = legacy("/en/a", "/en/b", "/en/c", "/en/d")
    j = audit_site(
        tmp_path,
        [
            *routes,
            page(f"{N}/en/a", hreflang={"en": f"{N}/en/a", "de": f"{N}/de/a"}),
            page(f"{N}/de/a", hreflang={"en": f"{N}/en/a", "de": f"{N}/de/a"}),  # mutual: fine
            page(f"{N}/en/b", hreflang={"de": f"{N}/de/b"}),
            {"url": f"{N}/de/b", "location": f"{N}/de/b/"},
            page(f"{N}/de/b/", hreflang={"en": f"{N}/en/b"}),
            page(f"{N}/en/c", hreflang={"de": f"{N}/de/c"}),  # 404
            page(f"{N}/en/d", hreflang={"de": f"{N}/de/d"}),
            page(f"{N}/de/d", hreflang={"fr": f"{N}/fr/d"}),  # names others, not /en/d
            page(f"{N}/fr/d"),
        ],
        rows=rows,
    )
    assert fired(j, "hreflang-to-redirect") == [f"{N}/en/b"]
    assert fired(j, "hreflang-broken") == [f"{N}/en/c"]
    assert fired(j, "hreflang-no-return") == [f"{N}/en/d"]
    no_return = next(f for f in j.findings if f.rule_id == "hreflang-no-return")
    assert f"{N}/de/d (de)" in no_return.message


def test_link_header_alternates_count(tmp_path: Path) -> None:
    routes, rows = legacy("/en/a")
    header = (
        f'<{N}/de/a>; rel="alternate"; hreflang="de", <{N}/en/a>; rel="alternate"; hreflang="en"'
    )
    j = audit_site(
        tmp_path,
        [
            *routes,
            page(f"{N}/en/a", headers={"Link": header}),
            page(f"{N}/de/a"),  # no return link at all
        ],
        rows=rows,
    )
    assert fired(j, "hreflang-no-return") == [f"{N}/en/a"]


def test_sitemap_annotations_are_return_links(tmp_path: Path) -> None:
    routes, rows = legacy("/en/a")
    alternates = {"en": f"{N}/en/a", "de": f"{N}/de/a"}
    j = audit_site(
        tmp_path,
        [
            *routes,
            page(f"{N}/en/a", hreflang={"de": f"{N}/de/a"}),
            page(f"{N}/de/a"),  # its HTML names nothing, the sitemap names /en/a for it
            {"url": f"{N}/robots.txt", "body": f"Sitemap: {N}/s.xml\n",
             "content_type": "text/plain"},
            {"url": f"{N}/s.xml", "sitemap": [
                {"loc": f"{N}/en/a", "alternates": alternates},
                {"loc": f"{N}/de/a", "alternates": alternates},
                {"loc": f"{N}/x", "alternates": {"de": f"{N}/de/x"}},  # de/x: 404
            ]},
            page(f"{N}/x"),
        ],
        rows=rows,
    )  # fmt: skip
    assert fired(j, "hreflang-no-return") == []
    assert fired(j, "hreflang-broken") == [f"{N}/x"]


def test_alternates_on_other_sites_are_not_judged(tmp_path: Path) -> None:
    routes, rows = legacy("/en/a")
    j = audit_site(
        tmp_path,
        [*routes, page(f"{N}/en/a", hreflang={"de": "https://n-de.test/a"})],
        rows=rows,
    )
    assert fired(j, "hreflang-broken") == [] and fired(j, "hreflang-no-return") == []

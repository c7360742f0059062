"""The new-site state machine on its own: roles travel along redirects and act at the chain's
end; robots.txt leads to sitemaps; indexes recurse with a depth limit and loop detection;
limits hold; nothing is asked for twice."""

from __future__ import annotations

import gzip
from dataclasses import replace
from typing import Any

from migrationaudit.models.hops import Hop, HopKind, PageFacts
from migrationaudit.newsite.job import SiteJob
from migrationaudit.newsite.work import SiteWork

N, OLD = "https://n.test", "http://o.test"
JOB = SiteJob(new_sites=("n.test",), old_sites=("o.test",))


def work(**job: Any) -> tuple[SiteWork, list[dict[str, Any]]]:
    records: list[dict[str, Any]] = []
    return SiteWork(replace(JOB, **job), records.append), records


def page(url: str, *, canonical: str | None = None, links: tuple[str, ...] | None = None,
         hreflang: tuple[tuple[str, str], ...] = ()) -> Hop:  # fmt: skip
    facts = PageFacts(content_type="text/html", canonical=canonical, links=links,
                      hreflang=hreflang)  # fmt: skip
    return Hop(url, 200, HopKind.FINAL, page=facts)


def redirect(url: str, to: str, status: int = 301) -> Hop:
    return Hop(url, status, HopKind.HTTP_REDIRECT, location=to, target=to)


def answer(url: str, status: int) -> Hop:
    return Hop(url, status, HopKind.FINAL)


def urlset(*locs: str) -> bytes:
    return ("<urlset>" + "".join(f"<url><loc>{u}</loc></url>" for u in locs) + "</urlset>").encode()


def index(*locs: str) -> bytes:
    body = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in locs)
    return f"<sitemapindex>{body}</sitemapindex>".encode()


def kinds(records: list[dict[str, Any]]) -> list[str]:
    return [r["t"] for r in records]


def test_robots_of_every_audited_origin_once() -> None:
    w, _ = work()
    assert w.on_record(redirect(f"{OLD}/a", f"{N}/a")) == [f"{OLD}/robots.txt"]
    assert w.on_record(redirect(f"{OLD}/b", f"{N}/b")) == []  # same origin
    assert w.on_record(page("https://elsewhere.test/")) == []  # not audited
    assert w.on_record(Hop(f"{OLD}:8080/x", None, HopKind.NETWORK_ERROR, error="refused")) == []


def test_own_robots_txt_leads_to_its_sitemaps_or_to_a_guess() -> None:
    w, records = work()
    assert w.on_record(page(f"{N}/")) == [f"{N}/robots.txt"]
    assert w.wants_body(f"{N}/robots.txt")
    body = b"User-agent: *\nSitemap: https://n.test/s1.xml\nSitemap: https://n.test/s2.xml\n"
    out = w.on_record(page(f"{N}/robots.txt"), body)
    assert out == [f"{N}/s1.xml", f"{N}/s2.xml"]
    assert records[0] == {"t": "robots", "url": f"{N}/robots.txt", "status": 200,
                          "error": None, "text": body.decode()}  # fmt: skip
    assert [r["source"] for r in records[1:]] == ["robots", "robots"]
    w2, records2 = work()
    w2.on_record(page(f"{N}/"))
    assert w2.on_record(answer(f"{N}/robots.txt", 404)) == [f"{N}/sitemap.xml"]
    assert records2[-1]["source"] == "probe"


def test_a_host_redirecting_its_robots_txt_is_not_searched_for_sitemaps() -> None:
    w, records = work()
    w.on_record(page("http://n.test/x"))
    w.on_record(redirect("http://n.test/robots.txt", f"{N}/robots.txt"))
    out = w.on_record(page(f"{N}/robots.txt"), b"User-agent: *\n")  # no Sitemap: line
    # the https host answers its own robots.txt: /sitemap.xml is tried there, and only there
    assert out == [f"{N}/sitemap.xml"]
    refs = [r for r in records if r["t"] == "sitemap-ref"]
    assert refs == [{"t": "sitemap-ref", "url": f"{N}/sitemap.xml", "source": "probe",
                     "by": f"{N}/robots.txt", "old": False}]  # fmt: skip
    assert [r["t"] for r in records].count("robots") == 1  # one file, read once


def test_a_5xx_robots_txt_is_recorded_but_not_searched() -> None:
    w, records = work()
    w.on_record(page(f"{N}/"))
    assert w.on_record(answer(f"{N}/robots.txt", 503)) == []
    assert records == [{"t": "robots", "url": f"{N}/robots.txt", "status": 503, "error": None,
                        "text": None}]  # fmt: skip


def test_roles_travel_along_redirects_and_the_spider_follows() -> None:
    w, records = work(robots=False, discover=False, sitemaps=(f"{N}/s.xml",))
    assert w.start() == [f"{N}/s.xml"]
    # the redirect's target is the spider's business (hop limit): not returned here
    assert w.on_record(redirect(f"{N}/s.xml", f"{N}/maps/s.xml")) == []
    assert w.wants_body(f"{N}/maps/s.xml") and not w.wants_body(f"{N}/s.xml")
    out = w.on_record(page(f"{N}/maps/s.xml"), urlset(f"{N}/a", f"{N}/b"))
    assert out == [f"{N}/a", f"{N}/b"]
    doc = records[-1]
    assert doc["t"] == "sitemap" and doc["url"] == f"{N}/maps/s.xml" and doc["format"] == "urlset"


def test_index_recursion_depth_limit_and_loops() -> None:
    w, records = work(robots=False, discover=False, sitemaps=(f"{N}/i.xml",),
                      max_sitemap_depth=1)  # fmt: skip
    w.start()
    out = w.on_record(page(f"{N}/i.xml"), index(f"{N}/i.xml", f"{N}/j.xml", f"{N}/s.xml"))
    assert out == [f"{N}/j.xml", f"{N}/s.xml"]
    assert "loop" in records[-1]["errors"][0]
    # j.xml is an index again: depth 2 > 1 → not read, said so
    assert w.on_record(page(f"{N}/j.xml"), index(f"{N}/deeper.xml", f"{N}/i.xml")) == []
    errors = records[-1]["errors"]
    assert "nested deeper than 1" in errors[0] and "loop" in errors[1]


def test_fetch_limit_counts_what_is_left() -> None:
    w, records = work(robots=False, discover=False, sitemaps=(f"{N}/s.xml",), fetch_limit=2)
    w.start()
    out = w.on_record(page(f"{N}/s.xml"), gzip.compress(urlset(*[f"{N}/{i}" for i in range(5)])))
    assert out == [f"{N}/0", f"{N}/1"]
    assert records[-1]["unfetched"] == 3 and records[-1]["compressed"] is True


def test_undecodable_and_unread_bodies() -> None:
    w, records = work(robots=False, sitemaps=(f"{N}/a.xml",))
    w.start()
    w.on_record(page(f"{N}/a.xml"), b"", ["undecodable"])
    assert records[-1]["format"] is None and "could not be decoded" in records[-1]["errors"][0]
    w2, records2 = work(robots=False)
    w2.on_record(page(f"{N}/b.xml"))  # fetched before anyone knew it as a sitemap
    w2.job = replace(w2.job, sitemaps=(f"{N}/b.xml",))
    assert w2.start() == []
    assert records2[-1]["unread"].startswith("fetched for another purpose")


def test_expand_wants_canonicals_and_alternates_once() -> None:
    w, _ = work(robots=False, discover=False)
    assert w.legacy_seed(f"{OLD}/a") == [f"{OLD}/a"]
    w.on_record(redirect(f"{OLD}/a", f"{N}/a"))
    facts = page(f"{N}/a", canonical=f"{N}/a/", hreflang=(("de", f"{N}/de/a"), ("x", f"{N}/a")))
    assert w.on_record(facts) == [f"{N}/a/", f"{N}/de/a"]
    assert w.legacy_seed(f"{OLD}/a") == []  # reached again: acts at once (expanded already)
    # a canonical on another site is not fetched
    w.legacy_seed(f"{N}/b")
    assert w.on_record(page(f"{N}/b", canonical="https://other.test/b")) == []


def test_variants_of_legacy_urls_and_pages() -> None:
    w, _ = work(robots=False, discover=False, variants=True)
    out = w.legacy_seed(f"{OLD}/a")
    assert out[0] == f"{OLD}/a" and "https://www.o.test/a/" in out and len(out) == 8
    out = w.on_record(page(f"{OLD}/a"))  # an old page: not the new site, not expanded
    assert out == []
    w.legacy_seed(f"{N}/p/")
    assert w.on_record(page(f"{N}/p/")) == [f"{N}/p", f"{N}/P/", f"{N}/p/index.html"]


def test_crawl_follows_links_within_depth_and_pages() -> None:
    w, records = work(robots=False, discover=False, crawl=(f"{N}/",), depth=1, max_pages=2)
    assert w.start() == [f"{N}/"]
    assert w.wants_links(f"{N}/") and not w.wants_links(f"{OLD}/x")
    home = page(f"{N}/", links=(f"{N}/a", f"{N}/b", f"{OLD}/x", f"{N}/"))
    # a link to the old domain is fetched (not crawled): its finding shows where it goes
    assert w.on_record(home) == [f"{N}/a", f"{N}/b", f"{OLD}/x"]
    assert not w.wants_links(f"{OLD}/x")
    assert w.on_record(page(f"{N}/a", links=(f"{N}/deep",))) == []  # depth 1: not followed
    assert not w.wants_links(f"{N}/b")  # two pages' links collected: the budget is spent
    w.on_record(page(f"{N}/b"))
    crawled = [(r["url"], r["depth"]) for r in records if r["t"] == "crawled"]
    assert crawled == [(f"{N}/", 0), (f"{N}/a", 1)]


def test_a_host_legacy_urls_land_on_is_read_like_a_new_host() -> None:
    # issue 12, item 3: shop.n.test is neither new nor old, but a legacy URL lands there.
    shop = "https://shop.n.test"
    w, _ = work()
    assert w.legacy_seed(f"{OLD}/cart") == [f"{OLD}/cart"]
    w.on_record(redirect(f"{OLD}/cart", f"{shop}/cart"))
    assert w.on_record(page(f"{shop}/cart")) == [f"{shop}/robots.txt"]
    # its Sitemap: lines are followed (within scope: the spider decides what is requested)
    body = f"User-agent: *\nDisallow: /\nSitemap: {shop}/s.xml\n".encode()
    assert w.on_record(answer(f"{shop}/robots.txt", 200), body) == [f"{shop}/s.xml"]
    # a page there that no legacy URL landed on after a redirect is not a landing host
    w2, _ = work()
    assert w2.on_record(page("https://elsewhere.test/")) == []
    w2.legacy_seed("https://elsewhere.test/")  # no redirect: not a landing host
    assert w2.on_record(page("https://elsewhere.test/")) == []


def test_staging_and_old_hosts_are_never_landing_hosts() -> None:
    w, _ = work(staging_sites=("staging.n.test",))
    w.legacy_seed(f"{OLD}/a")
    w.on_record(redirect(f"{OLD}/a", "https://staging.n.test/a"))
    assert w.on_record(page("https://staging.n.test/a")) == []
    w.legacy_seed(f"{OLD}/b")
    w.on_record(redirect(f"{OLD}/b", f"{OLD}/c"))
    assert "https://o.test/robots.txt" not in w.on_record(page(f"{OLD}/c"))
    assert w.landed == set()

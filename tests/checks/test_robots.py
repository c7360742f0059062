"""robots.txt rules on tiny sites crawled in memory: blocked targets, blocked legacy URLs, a
new host closed to every crawler — each with the close call next to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .memcrawl import audit_site, fired

N, OLD = "https://n.test", "http://o.test"


def robots(origin: str, body: str, status: int = 200) -> dict[str, Any]:
    return {"url": f"{origin}/robots.txt", "body": body, "status": status,
            "content_type": "text/plain"}  # fmt: skip


def page(url: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, "title": url, "canonical": url, **extra}


def moved(old: str, new: str) -> dict[str, Any]:
    return {"url": old, "location": new}


ROWS = [(f"{OLD}/a", f"{N}/a"), (f"{OLD}/b", f"{N}/shop/b"), (f"{OLD}/c", f"{N}/c")]
SITE = [
    moved(f"{OLD}/a", f"{N}/a"),
    moved(f"{OLD}/b", f"{N}/shop/b"),
    moved(f"{OLD}/c", f"{N}/c"),
    page(f"{N}/a"),
    page(f"{N}/shop/b"),
    page(f"{N}/c"),
]


def test_blocked_target_for_star_or_googlebot(tmp_path: Path) -> None:
    body = "User-agent: *\nDisallow: /shop/\n\nUser-agent: Googlebot\nDisallow: /c\n"
    j = audit_site(tmp_path, [*SITE, robots(N, body)], rows=ROWS)
    assert fired(j, "robots-blocked-target") == [f"{OLD}/b", f"{OLD}/c"]
    msg = {f.url: f.message for f in j.findings if f.rule_id == "robots-blocked-target"}
    assert "for *" in msg[f"{OLD}/b"] and "for Googlebot" in msg[f"{OLD}/c"]
    rows = {v.url: v for v in j.verdicts}
    assert rows[f"{OLD}/a"].robots_allowed is True  # old robots.txt 404: allows all
    assert rows[f"{OLD}/b"].robots_allowed is False
    assert fired(j, "robots-disallow-all") == []


def test_a_5xx_robots_txt_closes_the_host(tmp_path: Path) -> None:
    j = audit_site(tmp_path, [*SITE, robots(N, "oops", status=503)], rows=ROWS)
    assert fired(j, "robots-disallow-all") == [f"{N}/robots.txt"]
    assert fired(j, "robots-blocked-target") == [f"{OLD}/a", f"{OLD}/b", f"{OLD}/c"]


def test_a_404_robots_txt_allows_everything(tmp_path: Path) -> None:
    j = audit_site(tmp_path, [*SITE, robots(OLD, "", status=200)], rows=ROWS)
    assert fired(j, "robots-blocked-target") == []
    rows = {v.url: v for v in j.verdicts}
    assert rows[f"{OLD}/a"].robots_allowed is True  # old: empty file, new: 404 = allow all


def test_disallow_all_only_when_everything_is_closed(tmp_path: Path) -> None:
    closed = "User-agent: *\nDisallow: /\n"
    home_only = "User-agent: *\nDisallow: /\nAllow: /$\n"  # the home page still open: not all
    j = audit_site(
        tmp_path,
        [
            *SITE,
            robots(N, closed),
            robots("https://www.n.test", home_only),
            page("https://www.n.test/"),
        ],
        rows=ROWS,
        urls=["https://www.n.test/"],
    )
    assert fired(j, "robots-disallow-all") == [f"{N}/robots.txt"]


def test_blocked_legacy_urls_need_a_redirect_to_hide(tmp_path: Path) -> None:
    body = "User-agent: *\nDisallow: /a\nDisallow: /gone\n"
    j = audit_site(
        tmp_path,
        [*SITE, robots(OLD, body)],
        rows=ROWS,
        urls=[f"{OLD}/gone"],  # blocked too, but answers 404 without a redirect: nothing hidden
    )
    assert fired(j, "robots-blocked-legacy") == [f"{OLD}/a"]
    assert next(v for v in j.verdicts if v.url == f"{OLD}/a").robots_allowed is False


def test_an_old_robots_txt_redirected_to_the_new_one_governs_the_old_host(tmp_path: Path) -> None:
    j = audit_site(
        tmp_path,
        [
            *SITE,
            moved(f"{OLD}/robots.txt", f"{N}/robots.txt"),
            robots(N, "User-agent: *\nDisallow: /b\n"),
        ],
        rows=ROWS,
    )
    assert fired(j, "robots-blocked-legacy") == [f"{OLD}/b"]
    assert fired(j, "robots-blocked-target") == []  # /shop/b is allowed


def test_no_robots_skips_the_robots_rules(tmp_path: Path) -> None:
    j = audit_site(tmp_path, SITE, rows=ROWS, robots=False, discover=False)
    reasons = {s.rule_id: s.reason for s in j.skipped}
    assert reasons["robots-blocked-target"] == "robots.txt not read (--no-robots)"
    assert all(v.robots_allowed is None for v in j.verdicts)


def test_robots_allowed_is_unknown_when_a_robots_txt_gives_no_answer(tmp_path: Path) -> None:
    j = audit_site(
        tmp_path,
        [page(f"{N}/a")],
        rows=[("http://down.test/a", f"{N}/a")],
        dead_hosts=["down.test"],
    )
    assert j.verdicts[0].robots_allowed is None  # the legacy URL's host never answered
    assert fired(j, "robots-blocked-legacy") == []


SHOP = "https://shop.n.test"


def _two_new_hosts(shop_robots: str) -> list[dict[str, Any]]:
    """Most targets on n.test; a few on shop.n.test (under half: not inferred as new)."""
    return [
        *SITE,
        moved(f"{OLD}/cart", f"{SHOP}/cart"),
        page(f"{SHOP}/cart"),
        robots(N, "User-agent: *\nAllow: /\n"),
        robots(SHOP, shop_robots),
        {"url": f"{SHOP}/shop-sitemap.xml", "sitemap": [f"{SHOP}/cart", f"{SHOP}/gone"]},
    ]


def test_a_second_new_host_that_the_map_targets_has_its_robots_txt_read(tmp_path: Path) -> None:
    # issue 12, item 3: shop.n.test is not named with --new-host and has too few targets to
    # be inferred; its robots.txt (and its Sitemap: lines) are read all the same.
    body = f"User-agent: *\nDisallow: /\nSitemap: {SHOP}/shop-sitemap.xml\n"
    j = audit_site(tmp_path, _two_new_hosts(body), rows=[*ROWS, (f"{OLD}/cart", f"{SHOP}/cart")])
    assert fired(j, "robots-disallow-all") == [f"{SHOP}/robots.txt"]
    assert fired(j, "robots-blocked-target") == [f"{OLD}/cart"]
    assert fired(j, "sitemap-broken") == [f"{SHOP}/gone"]  # its sitemap was read


def test_a_second_new_host_that_allows_crawling_raises_nothing(tmp_path: Path) -> None:
    body = f"User-agent: *\nAllow: /\nSitemap: {SHOP}/shop-sitemap.xml\n"
    j = audit_site(tmp_path, _two_new_hosts(body), rows=[*ROWS, (f"{OLD}/cart", f"{SHOP}/cart")])
    assert fired(j, "robots-disallow-all") == [] and fired(j, "robots-blocked-target") == []


def test_the_old_and_staging_hosts_are_never_landing_hosts(tmp_path: Path) -> None:
    # A legacy URL redirecting within the old host: the old host's robots.txt is the legacy
    # URL's business (robots-blocked-legacy), never "a new host closed to crawlers".
    j = audit_site(
        tmp_path,
        [
            *SITE,
            moved(f"{OLD}/x", f"{OLD}/y"),
            page(f"{OLD}/y"),
            robots(OLD, "User-agent: *\nDisallow: /\n"),
        ],
        rows=ROWS,
        urls=[f"{OLD}/x"],
    )
    assert fired(j, "robots-disallow-all") == []
    assert f"{OLD}/x" not in fired(j, "robots-blocked-target")

"""robots.txt as Googlebot reads it: groups, fallbacks, HTTP status semantics, "disallow all"."""

from __future__ import annotations

import pytest

from migrationaudit.inputs.robots import RobotsTxt, decode_robots, robots_url
from migrationaudit.settings import ROBOTS_MAX_BYTES

U = "https://n.test/robots.txt"


def test_robots_url() -> None:
    assert robots_url("https://N.test:8443/a/b?c#d") == "https://n.test:8443/robots.txt"
    assert robots_url("http://user:pw@n.test/x") == "http://n.test/robots.txt"
    assert robots_url("mailto:x@n.test") is None
    assert robots_url("/relative") is None


def test_googlebot_group_wins_over_star() -> None:
    r = RobotsTxt.from_answer(
        U, 200, "User-agent: *\nDisallow: /\n\nUser-agent: Googlebot\nDisallow: /private\n"
    )
    assert r.state == "rules"
    assert r.allows("https://n.test/a", "Googlebot") is True
    assert r.allows("https://n.test/a", "*") is False
    assert r.blocked_for("https://n.test/a") == ("*",)
    assert r.blocked_for("https://n.test/private/x") == ("Googlebot", "*")
    assert r.disallows_everything(U) == ("*",)


def test_googlebot_falls_back_to_star() -> None:
    r = RobotsTxt.from_answer(U, 200, "User-agent: *\nDisallow: /shop/\nAllow: /shop/open\n")
    assert r.blocked_for("https://n.test/shop/x") == ("Googlebot", "*")
    assert r.blocked_for("https://n.test/shop/open") == ()
    assert r.disallows_everything(U) == ()


@pytest.mark.parametrize(
    ("status", "state", "allowed"),
    [(404, "allow-all", True), (410, "allow-all", True), (401, "allow-all", True),
     (301, "allow-all", True), (429, "disallow-all", False), (503, "disallow-all", False),
     (500, "disallow-all", False), (None, "unknown", None)],
)  # fmt: skip
def test_status_semantics(status: int | None, state: str, allowed: bool | None) -> None:
    r = RobotsTxt.from_answer(U, status, None, "connection refused" if status is None else None)
    assert r.state == state
    assert r.allows("https://n.test/x", "Googlebot") is allowed
    assert r.sitemaps == ()


def test_empty_file_allows_everything_and_sitemaps_are_kept_in_order() -> None:
    r = RobotsTxt.from_answer(
        U, 200, "Sitemap: https://n.test/b.xml\nSitemap: https://n.test/a.xml\n"
    )
    assert r.blocked_for("https://n.test/anything") == ()
    assert r.sitemaps == ("https://n.test/b.xml", "https://n.test/a.xml")


def test_decode_robots_caps_and_strips_the_bom() -> None:
    assert decode_robots("\ufeffUser-agent: *".encode()) == "User-agent: *"
    big = b"#" * (ROBOTS_MAX_BYTES + 100) + b"\nDisallow: /"
    assert len(decode_robots(big)) == ROBOTS_MAX_BYTES  # Google stops at 500 KiB
    assert decode_robots(b"\xff\xfe") == "\ufffd\ufffd"


def test_pathological_wildcards_are_matched_without_backtracking_blowup() -> None:
    # Patterns that make a naive regex translation backtrack exponentially: many '*' with a
    # literal that never matches at the end, tested against long paths. pytest-timeout turns a
    # blow-up into a failure; the answers themselves follow Google's matching rules.
    stars = "/" + "*a" * 200 + "*b$"
    body = (
        f"User-agent: *\nDisallow: {stars}\nDisallow: /{'*' * 5000}x\n"
        "Allow: /ok*$\nDisallow: /ok/private$\n"
    )
    r = RobotsTxt.from_answer(U, 200, body)
    long_a = "https://n.test/" + "a" * 4000
    assert r.allows(long_a, "Googlebot") is True  # no trailing b, no x
    assert r.allows(long_a + "b", "Googlebot") is False  # ends in b after 200 a's
    assert r.allows("https://n.test/" + "a" * 4000 + "x", "*") is False
    assert r.allows("https://n.test/okay", "*") is True


def test_many_groups_and_huge_lines_stay_bounded() -> None:
    # 20,000 groups and a 400 KiB line (under the 500 KiB cap): parsed, the right group wins.
    groups = "".join(f"User-agent: bot{i}\nDisallow: /b{i}/\n\n" for i in range(20_000))
    body = groups + "User-agent: Googlebot\nDisallow: /" + "z" * 400_000 + "\n"
    r = RobotsTxt.from_answer(U, 200, body)
    assert r.allows("https://n.test/b7/x", "Googlebot") is True
    assert r.allows("https://n.test/" + "z" * 400_000, "Googlebot") is False

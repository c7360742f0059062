"""URL comparison helpers: normalisation, how two URLs differ, home pages."""

from __future__ import annotations

import pytest

from migrationaudit.web.urls import difference, host_of, is_homepage, normalize, www_variant


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM/Path", "http://example.com/Path"),  # path case kept
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),  # not https' default
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com?q=1", "http://example.com/?q=1"),
        ("http://example.com/a#section", "http://example.com/a"),
        ("http://example.com/caf%c3%a9", "http://example.com/caf%C3%A9"),
        ("http://example.com/café", "http://example.com/caf%C3%A9"),
        ("http://example.com/a b", "http://example.com/a%20b"),
        ("http://example.com/%7Euser/%41", "http://example.com/~user/A"),  # unreserved decoded
        ("http://example.com/a%2Fb?x=%2f", "http://example.com/a%2Fb?x=%2F"),  # reserved kept
        ("http://example.com/?Q=A&b=", "http://example.com/?Q=A&b="),  # query case kept
        ("http://münchen.example/", "http://xn--mnchen-3ya.example/"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        ("http://user:pw@Example.com:80/", "http://user:pw@example.com/"),
        ("  http://example.com/a  ", "http://example.com/a"),
        ("mailto:Someone@Example.com", "mailto:Someone@Example.com"),
        ("JavaScript:alert(1)", "javascript:alert(1)"),
    ],
)
def test_normalize(url: str, expected: str) -> None:
    assert normalize(url) == expected


def test_normalize_is_idempotent_and_tolerates_junk() -> None:
    for url in ("http://Example.com:80/caf%c3%a9 x?%7e#f", "http://host:99999/", "::::", ""):
        once = normalize(url)
        assert normalize(once) == once


@pytest.mark.parametrize(
    ("a", "b", "label"),
    [
        ("https://x.test/a/", "HTTPS://X.test:443/a/#top", None),
        ("https://x.test/a/", "https://x.test/a", "only trailing slash"),
        ("https://x.test/a", "https://x.test/a/", "only trailing slash"),
        ("https://x.test/Help", "https://x.test/help", "only case"),
        ("https://x.test/s?q=Lamp", "https://x.test/s?q=lamp", "only case"),
        ("https://www.x.test/a", "https://x.test/a", "only host www/non-www"),
        ("https://x.test/a", "https://www.x.test/a", "only host www/non-www"),
        ("http://x.test/a", "https://x.test/a", "only scheme"),
        ("https://x.test/s?q=1", "https://x.test/s", "only query"),
        ("https://x.test/s?q=1", "https://x.test/s?q=2", "only query"),
        (
            "http://x.test/a",
            "https://www.x.test/a/",
            "only scheme and host www/non-www and trailing slash",
        ),
        ("https://x.test/Help", "https://x.test/help/", "only trailing slash and case"),
        ("https://x.test/a", "https://x.test/b", "different page"),
        ("https://x.test/a", "https://y.test/a", "different page"),
        ("https://x.test/a", "https://wwwx.test/a", "different page"),
        ("https://x.test/a", "https://x.test:8443/a", "different page"),
        ("https://x.test/a", "ftp://x.test/a", "different page"),
        ("https://x.test/a", "https://u@x.test/a", "different page"),
        ("https://x.test/a", "https://x.test/a//", "different page"),
        ("https://x.test/a/b", "https://x.test/a", "different page"),
    ],
)
def test_difference(a: str, b: str, label: str | None) -> None:
    assert difference(a, b) == label


@pytest.mark.parametrize(
    ("url", "home"),
    [
        ("https://x.test/", True),
        ("https://x.test", True),
        ("https://x.test/index.html", True),
        ("https://x.test/INDEX.PHP", True),
        ("https://x.test/?ref=old", True),
        ("https://x.test/?utm_source=news&utm_medium=email&gclid=abc", True),
        ("https://x.test/index.php?UTM_Campaign=x&fbclid=1&msclkid=2&_ga=3", True),
        ("https://x.test/?", True),
        # a home path whose query names a page is that page (old CMS front scripts)
        ("http://old.example/index.php?id=4204", False),
        ("https://x.test/?p=123", False),
        ("https://x.test/?page_id=5", False),
        ("https://x.test/index.php?option=com_content&id=7", False),
        ("https://x.test/Default.aspx?TabId=5", False),
        ("https://x.test/?utm_source=news&p=123", False),
        ("https://x.test/index.php?/about", False),
        ("https://x.test/#top", True),
        ("https://x.test/a", False),
        ("https://x.test/en/", False),
        ("https://x.test/index.html/x", False),
    ],
)
def test_is_homepage(url: str, home: bool) -> None:
    assert is_homepage(url) is home


def test_host_helpers() -> None:
    assert host_of("HTTPS://WWW.X.test:8443/a") == "www.x.test"
    assert www_variant("www.x.test") == ("x.test", True)
    assert www_variant("x.test") == ("x.test", False)

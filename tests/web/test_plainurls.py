"""The fast paths of migrationaudit.web.plainurls give exactly what web.urls gives."""

from __future__ import annotations

import itertools
import random

import pytest

from migrationaudit.inputs.robots import robots_url
from migrationaudit.web import plainurls, urls

SCHEMES = ("http", "https", "HTTP", "Https", "ftp", "mailto", "")
HOSTS = (
    "x.test",
    "www.x.test",
    "X.Test",
    "WWW.x.test",
    "x.test:80",
    "x.test:443",
    "x.test:8080",
    "x.test:",
    "user@x.test",
    "u:p@www.x.test",
    "[::1]",
    "bücher.test",
    "x_y.test",
    "",
)
PATHS = (
    "",
    "/",
    "/a",
    "/a/",
    "/A/B",
    "//a",
    "/a//b/",
    "/index.html",
    "/INDEX.HTM",
    "/default.aspx",
    "/a/index.html",
    "/%7Euser",
    "/a%2fb",
    "/a%2Fb/",
    "/%69ndex.html",
    "/a b",
    "/ü",
    "/a;b=c",
    "/a:b@c",
    "/(x)!$&'*+,",
    "/[x]",
    "/a|b",
    "/a\\b",
    '/a"b',
    "/a^b",
    "/a{b}",
    "/~x_y.z-",
    "/www./x",
)
QUERIES = ("", "?", "?a=1&b", "?A=%41", "?x?y", "?a b", "?q=ü", "?a=1/2:3@[]")
# A home path with these is the home page or not (tracking parameters only, or a page id).
QUERIES += ("?utm_source=x&GCLID=1", "?utm%5Fsource=x", "?p=123", "?&ref=a&", "?utm_x=1&id=2")
FRAGMENTS = ("", "#top")
WRAPS = (("", ""), (" ", ""), ("", "\n"), ("\t", " "))


def _corpus() -> list[str]:
    out = [
        f"{s}://{h}{p}{q}{f}" if s else f"//{h}{p}{q}{f}"
        for s, h, p, q, f in itertools.product(SCHEMES, HOSTS, PATHS, QUERIES, FRAGMENTS)
        # Keep the corpus a reasonable size: the other schemes and fragments need less.
        if not ((s in ("ftp", "mailto", "Https") or f) and (q not in QUERIES[:2]))
    ]
    out += [f"{a}http://x.test/a{b}" for a, b in WRAPS]
    out += ["http://x.test/a\tb", "http://x.te\nst/a", "mailto:a@x.test", "junk", "", "http:/a"]
    rng = random.Random(5)
    alphabet = "aAzZ09-._~!$&'()*+,;=:@/?#%[] \\^|{}\"<>\tü"
    for _ in range(3000):
        tail = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        out.append(f"{rng.choice(('http', 'https', 'HTTP'))}://{rng.choice(HOSTS)}/{tail}")
    # Mostly plain URLs: the characters a plain URL may hold, and some it may not.
    for _ in range(2000):
        tail = "".join(rng.choice("aZ09-._~!$&'()*+,;=:@/?%") for _ in range(rng.randint(0, 12)))
        out.append(f"{rng.choice(('http', 'https'))}://{rng.choice(HOSTS[:3])}/{tail}")
    return out


CORPUS = _corpus()


def test_the_corpus_holds_plain_and_other_urls() -> None:
    plain = sum(plainurls.is_plain(u) for u in CORPUS)
    assert plain > 1000 and len(CORPUS) - plain > 1000  # both paths are exercised


@pytest.mark.parametrize(
    "name", ["normal_form", "scheme_of", "host_of", "is_homepage"], ids=lambda n: n
)
def test_fast_paths_equal_the_urls_module(name: str) -> None:
    fast = getattr(plainurls, name)
    slow = urls.normalize if name == "normal_form" else getattr(urls, name)
    wrong = [(u, fast(u), slow(u)) for u in CORPUS if fast(u) != slow(u)]
    assert wrong == []


def test_a_plain_urls_robots_txt_is_read_off_its_origin() -> None:
    plain = [u for u in CORPUS if plainurls.is_plain(u)]
    assert [f"{plainurls.origin_of(u)}/robots.txt" for u in plain] == [robots_url(u) for u in plain]
    assert plainurls.origin_of("HTTP://x.test/a") is None  # not plain: ask robots_url


def test_plain_urls_are_their_own_normal_form() -> None:
    for url in CORPUS:
        if plainurls.is_plain(url):
            assert urls.normalize(url) == url
            assert plainurls.normal_form(url) is url


def test_normal_form_returns_the_same_object_when_already_normal() -> None:
    url = "https://x.test:8080/a%20b"  # not plain (port, escape), yet in normal form
    assert urls.normalize(url) == url
    assert plainurls.normal_form(url) is url
    assert plainurls.normal_form("HTTP://X.test/a") == "http://x.test/a"


def _pairs(rng: random.Random) -> list[tuple[str, str]]:
    """Random pairs from the corpus, and pairs that differ in one or two aspects on purpose
    (random pairs rarely do)."""
    pairs = [(a, b) for a in CORPUS[::50] for b in rng.sample(CORPUS, 20)]
    for s, h, p, q in itertools.product(("http", "https"), HOSTS[:10], PATHS[:12], QUERIES[:4]):
        a = f"{s}://{h}{p}{q}"
        pairs += [
            (a, f"{s}://{h}{p.rstrip('/')}{q}"),
            (a, f"{s}://{h}{p}/{q}"),
            (a, f"{s}://www.{h}{p}{q}"),
            (a, f"{s}://{h.removeprefix('www.')}{p}{q}"),
            (a, f"https://{h}{p}{q}"),
            (a, f"http://www.{h}{p.upper()}/{q.upper()}"),
            (a, f"{s}://{h}{p.upper()}{q}"),
            (a, f"{s}://{h}{p}?b=2"),
        ]
    return pairs


def _difference(a: str, b: str) -> str | None:
    try:
        return urls.difference(a, b)
    except ValueError:  # urlsplit rejects it (an unbalanced "[" in the host)
        return "ValueError"


def test_difference_equals_the_urls_module() -> None:
    pairs = _pairs(random.Random(7))
    wrong = [
        (a, b)
        for a, b in pairs
        if _difference(a, b) != "ValueError" and plainurls.difference(a, b) != urls.difference(a, b)
    ]
    assert wrong == []
    fast = [(a, b) for a, b in pairs if plainurls.is_plain(a) and plainurls.is_plain(b)]
    assert len({urls.difference(a, b) for a, b in fast}) >= 8  # many kinds of answer compared


@pytest.mark.parametrize(
    "label", [urls.ONLY_SLASH, urls.ONLY_CASE, urls.ONLY_HOST_WWW, urls.ONLY_SCHEME]
)
def test_the_prefilter_never_rules_out_a_matching_difference(label: str) -> None:
    hits = 0
    for a, b in _pairs(random.Random(label)):
        if _difference(a, b) == label:
            hits += 1
            na, nb = plainurls.normal_form(a), plainurls.normal_form(b)
            assert plainurls.may_differ_only_by(na, nb, label), (a, b)
    assert hits > 50
    # ...and it does rule out most of the others (the point of it).
    assert not plainurls.may_differ_only_by("https://x.test/a", "https://x.test/b", label)

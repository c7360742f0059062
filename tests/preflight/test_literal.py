"""The literal index of rule patterns: it skips only rules that cannot match (so the simulators'
answers are those of trying every rule), and reads plain patterns as the hosts compile them."""

from __future__ import annotations

import doctest
import re

import pytest

from migrationaudit.preflight import literal
from migrationaudit.preflight.literal import LiteralIndex, literal_of, newline_key, slash_key

NETLIFY = [
    r"/a/?\Z",
    r"/(?P<x>[^/]+)\Z",
    r"/b\Z",
    r"/a/b/?\Z",
    r"/c\.html/?\Z",
    r"/blog(?:/(?P<splat>.*))?\Z",
    r"/a/?\Z",
    r"/\Z",
]
APACHE = [r"^/a$", r"^/a\x2db$", r"^/a", r"/b$", r"^/c\.d$", r"(?i)^/e$", r"^/a\$", r"^/a\n$",
          r"^/?a$", r"^/?b/c$", r"^a$"]  # fmt: skip
TEXTS = ["/", "//", "/a", "/a/", "/a-b", "/a\n", "/a\n\n", "/b", "/b/", "/c.html", "/cxhtml",
         "/blog", "/blog/x", "/a/b", "/a/b/", "/e", "/E", "/a$", "/c.d", "/zzz", "a", "b/c",
         "/b/c", "//a"]  # fmt: skip


def _patterns(texts: list[str]) -> list[re.Pattern[str]]:
    return [re.compile(t, re.DOTALL) if t.endswith(r"\Z") else re.compile(t) for t in texts]


@pytest.mark.parametrize(
    ("texts", "key", "anchors", "strip", "lead", "hit"),
    [
        (NETLIFY, slash_key, ("", r"\Z"), ("/?",), (), lambda p, t: p.match(t) is not None),
        (APACHE, newline_key, ("^", "$"), (), ("/?",), lambda p, t: p.search(t) is not None),
    ],
)
def test_first_never_skips_a_rule_that_matches(texts, key, anchors, strip, lead, hit) -> None:
    patterns = _patterns(texts)
    index = LiteralIndex(patterns, key, anchors=anchors, strip=strip, lead=lead)
    for text in TEXTS:
        for start in range(len(patterns) + 1):
            want = next((i for i in range(start, len(patterns)) if hit(patterns[i], text)), None)
            got, pos = None, index.first(text, start)
            while pos is not None:  # the simulators' loop: confirm each with its pattern
                if hit(patterns[pos], text):
                    got = pos
                    break
                pos = index.first(text, pos + 1)
            assert got == want, (text, start)


def test_plain_patterns_are_looked_up_not_tried() -> None:
    index = LiteralIndex(_patterns(APACHE), newline_key, anchors=("^", "$"), lead=("/?",))
    # plain: ^/a$, ^/a\x2db$, ^/c\.d$; tried for every text: the unanchored ^/a and /b$, the
    # case-blind (?i)^/e$, ^/a\$ (an escaped "$", no end anchor) and ^/a\n$ (an escape class)
    assert index.first("/zzz", 0) == 2  # ^/a$ and ^/a\x2db$ are skipped
    assert index.first("/a-b", 0) == 1 and index.first("/a\n", 0) == 0
    assert index.first("/zzz", 4) == 5  # ^/c\.d$ is skipped
    assert index.first("/c.d", 4) == 4
    assert index.first("/zzz", 6) == 6 and index.first("/zzz", 7) == 7
    assert index.first("/zzz", 8) is None  # ^/?a$, ^/?b/c$ and ^a$ are plain too
    assert index.first("/a", 8) == 8 and index.first("a", 9) == 10 and index.first("/b/c", 8) == 9


def test_literal_of_reads_escapes_and_refuses_operators() -> None:
    assert literal_of(r"/a\x2Db\ c\/d") == "/a-b c/d"
    for body in (r"/a.b", r"/a\d", r"/a[b]", r"/a(b)", r"/a|b", "/a\\", r"/a\x2", r"/a{2}"):
        assert literal_of(body) is None, body


def test_examples() -> None:
    failed, attempted = doctest.testmod(literal)
    assert attempted > 0 and failed == 0

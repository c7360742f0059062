"""Plain patterns matched as text (:class:`LiteralPattern`): every ``match``/``search`` gives
what the compiled pattern gives, the whole match included; anything else is compiled."""

from __future__ import annotations

import re
from itertools import product
from urllib.parse import unquote, urlsplit

import pytest

from migrationaudit.preflight.literal import (
    LiteralIndex,
    LiteralPattern,
    compile_pattern,
    slash_key,
)
from migrationaudit.preflight.model import RuleFile
from migrationaudit.preflight.nginx import normalise
from migrationaudit.preflight.simulate import Simulator
from migrationaudit.web.location import resolve_location
from migrationaudit.web.plainurls import split_url

# (pattern, flags, lead, strip): Apache's ^/?path$, Netlify's /path/?\Z, Cloudflare's /path\Z,
# and the shapes that must not be read as one text.
PATTERNS = [
    (r"^/?p/0$", 0, ("/?",), ()),
    (r"^/p/0$", 0, ("/?",), ()),
    (r"^p/0$", 0, ("/?",), ()),
    (r"^/?$", 0, ("/?",), ()),
    (r"^$", 0, (), ()),
    (r"^/?a\x2Db\.c$", 0, ("/?",), ()),
    (r"^/?a\x2db\ c$", 0, ("/?",), ()),
    (r"^/?/a$", 0, ("/?",), ()),
    (r"^/a\\$", 0, (), ()),
    (r"^/a\$", 0, (), ()),
    (r"^/a\x0A$", 0, (), ()),
    (r"^/a$", re.I, (), ()),
    (r"^/a$", re.M, (), ()),
    (r"/a$", 0, (), ()),
    (r"^/??a$", 0, ("/?",), ()),
    (r"^/a.b$", 0, (), ()),
    (r"/p/0/?\Z", re.DOTALL, (), ("/?",)),
    (r"/p/0/\Z", re.DOTALL, (), ("/?",)),
    (r"/p/0\Z", re.DOTALL, (), ("/?",)),
    (r"/?\Z", re.DOTALL, (), ("/?",)),
    (r"/a\//?\Z", re.DOTALL, (), ("/?",)),
    (r"/a\\/?\Z", re.DOTALL, (), ("/?",)),
    (r"/a\/?\Z", re.DOTALL, (), ("/?",)),
    (r"/caf\xE9/?\Z", re.DOTALL, (), ("/?",)),
    (r"/a/??\Z", re.DOTALL, (), ("/?",)),
    (r"^/a\Z", 0, (), ()),
]
PIECES = ["", "/", "//", "p/0", "/p/0", "a-b.c", "a-b c", "a", "/a", "/a/", "\\", "/a\\",
          "$", "/a$", "/caf\xe9", "\n", "/A", "/a.b", "/axb", "x"]  # fmt: skip
TEXTS = sorted({a + b for a, b in product(PIECES, ["", "/", "\n", "/\n", "\n\n", "x"])})


def _same(got: object, want: re.Match[str] | None) -> bool:
    if want is None:
        return got is None
    return got is not None and (got.group(0), got.groups(), got.groupdict()) == (  # type: ignore[attr-defined]
        want.group(0),
        want.groups(),
        want.groupdict(),
    )


@pytest.mark.parametrize(("pattern", "flags", "lead", "strip"), PATTERNS)
def test_literal_patterns_find_what_the_compiled_pattern_finds(pattern, flags, lead, strip) -> None:
    got = compile_pattern(pattern, flags, lead=lead, strip=strip)
    want = re.compile(pattern, flags)
    assert got.pattern == want.pattern and got.flags == want.flags
    for text in TEXTS:
        assert _same(got.match(text), want.match(text)), (pattern, text)
        assert _same(got.search(text), want.search(text)), (pattern, text)


def test_only_one_text_between_anchors_is_read_as_text() -> None:
    def as_text(pattern: str, flags: int = 0, **kw: tuple[str, ...]) -> bool:
        return isinstance(compile_pattern(pattern, flags, **kw), LiteralPattern)

    assert as_text(r"^/?p/0$", lead=("/?",)) and as_text(r"^/?a\x2Db\.c$", lead=("/?",))
    assert as_text(r"/p/0/?\Z", re.DOTALL, strip=("/?",)) and as_text(r"^/a$")
    for refused in (r"/a.b$", r"^/a\$", r"^/a\x0A$", r"^/a\d$", r"^(/a)$", r"^/a|b$"):
        assert not as_text(refused), refused
    assert not as_text(r"/a\/?\Z", strip=("/?",)) and not as_text(r"^/??a$", lead=("/?",))
    assert not as_text(r"^/a$", re.I) and not as_text(r"^/a$", re.M)
    with pytest.raises(re.error):
        compile_pattern(r"^/a($")  # an invalid pattern fails at once, as it always did


@pytest.mark.parametrize(
    ("base", "location"),
    [
        ("http://old.example/p/0", "http://new.example/n/0/"),
        ("http://old.example:99999/p/0", "http://new.example/n/0/"),  # a base browsers refuse
        ("http://old.example/p/0", "https://new.example/a/../b#frag"),
        ("http://old.example/p/0", "http://user:pw@new.example/x"),
        ("http://old.example/p/0", "http://new.example\\x"),
        ("http://old.example/p/0", "/relative"),
    ],
)
def test_shared_targets_are_those_resolve_location_gives(base: str, location: str) -> None:
    shared: dict[tuple[str, str], str | None] = {}
    sims = [Simulator(RuleFile("f", "netlify", ()), ("old.example",), shared) for _ in range(2)]
    want = resolve_location(base, [location]).target
    for sim in sims:
        assert sim.target(base, location) == want
        assert (
            sim.target(base + "/other", location)
            == resolve_location(base + "/other", [location]).target
        )


@pytest.mark.parametrize(
    ("anchors", "strip", "lead"), [(("", r"\Z"), ("/?",), ()), (("^", "$"), (), ("/?",))]
)
def test_an_index_of_literal_patterns_is_the_index_of_the_compiled_ones(anchors, strip, lead):
    texts = [p for p, *_ in PATTERNS]
    read = [compile_pattern(p, f, strip=strip, lead=lead) for p, f, *_ in PATTERNS]
    index = LiteralIndex(read, slash_key, anchors=anchors, strip=strip, lead=lead)
    want = LiteralIndex([re.compile(p, f) for p, f, *_ in PATTERNS], slash_key,
                        anchors=anchors, strip=strip, lead=lead)  # fmt: skip
    for text in TEXTS:
        for start in range(len(texts) + 1):
            assert index.first(text, start) == want.first(text, start), (text, start)


@pytest.mark.parametrize(
    "url",
    ["http://a.example/p/0", "https://a.example/p?x=1&y", "http://A.example/p", "http://a/%41",
     "http://a.example:8080/p", "http://u@a.example/p#f", "http://a.example", "x:/p"],
)  # fmt: skip
def test_split_url_is_urlsplit(url: str) -> None:
    assert split_url(url) == urlsplit(url)
    assert split_url(url).hostname == urlsplit(url).hostname


@pytest.mark.parametrize(
    "path",
    ["/", "/a/b", "/a/b/", "/a//b", "/a/./b", "/a/../b", "/a/.", "/a/..", "/.x", "/%41",
     "a/b", "", "/a\n", "/a b"],
)  # fmt: skip
def test_normalise_of_a_plain_path_is_the_path(path: str) -> None:
    assert normalise(path) == _slow_normalise(path)


def _slow_normalise(path: str) -> str:
    path = re.sub(r"/{2,}", "/", unquote(path))
    out: list[str] = []
    for seg in path.split("/")[1:]:
        if seg == "..":
            if out:
                out.pop()
        elif seg != ".":
            out.append(seg)
    return "/" + "/".join(out)

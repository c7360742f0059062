"""Location headers read as browsers read them (migrationaudit.web.location), the disagreements
with RFC 3986 flagged, the spider's use of it, and the two rules built on it
(``unsafe-redirect-scheme``, ``ambiguous-location``)."""

from __future__ import annotations

import pytest
from checks.conftest import findings, fired, hop, make_ctx, rules_for
from scrapy.http import Headers, Response

from migrationaudit.models.hops import HopKind
from migrationaudit.spiders.classify import hop_from_response
from migrationaudit.web.location import (
    browser_reading,
    mask_userinfo,
    resolve_location,
    rfc3986_reading,
)

BASE = "http://old.test/a/b"
HTTPS_BASE = "https://old.test/a/b"

# base, Location → target browsers go to, the cause named in ``ambiguity`` (None: agreed)
TABLE: list[tuple[str, str, str | None, str | None]] = [
    (BASE, "/p", "http://old.test/p", None),
    (BASE, "p", "http://old.test/a/p", None),
    (BASE, "../p", "http://old.test/p", None),
    (BASE, "../../../p", "http://old.test/p", None),
    (BASE, "?q", "http://old.test/a/b?q", None),
    (BASE, "#f", "http://old.test/a/b", None),  # fragment dropped: a redirect to itself
    (BASE, "/p?x=1#frag", "http://old.test/p?x=1", None),
    (BASE, "//host.test/p", "http://host.test/p", None),
    (HTTPS_BASE, "//host.test/p", "https://host.test/p", None),
    (BASE, "///host.test/p", "http://host.test/p", "extra slashes"),
    (BASE, "/\\evil.test/", "http://evil.test/", "backslash"),
    (BASE, "\\\\evil.test", "http://evil.test/", "backslash"),
    (BASE, "http:\\\\evil.test", "http://evil.test/", "backslash"),
    (BASE, "/a\\b", "http://old.test/a/b", "backslash"),
    (BASE, "http:evil.test", "http://old.test/a/evil.test", "http: without //"),
    (HTTPS_BASE, "http:evil.test", "http://evil.test/", "http: without //"),
    (BASE, "https:evil.test", "https://evil.test/", "https: without //"),
    (BASE, "HTTP://New.TEST/P", "http://new.test/P", None),
    (BASE, "/sp ace", "http://old.test/sp%20ace", None),
    (BASE, "/a\tb", "http://old.test/ab", "tab/CR/LF"),
    (BASE, "/a\nb\r", "http://old.test/ab", "tab/CR/LF"),
    (BASE, "\x01/p", "http://old.test/p", "control characters"),
    (BASE, "/a\x00b", "http://old.test/a%00b", None),  # both escape it the same way
    (BASE, "/caf\u00e9", "http://old.test/caf%C3%A9", None),
    (BASE, "http://b\u00fccher.test/stra\u00dfe", "http://xn--bcher-kva.test/stra%C3%9Fe", None),
    (BASE, "http://B\u00dcCHER.test/", "http://xn--bcher-kva.test/", None),
    (BASE, "ftp://files.test/x", "ftp://files.test/x", None),
    (BASE, "javascript:alert(1)", "javascript:alert(1)", None),
    (BASE, "data:text/html,<b>hi</b>", "data:text/html,<b>hi</b>", None),
    (BASE, "file:///etc/passwd", "file:///etc/passwd", None),
    (BASE, "mailto:a@b.test", "mailto:a@b.test", None),
    (BASE, "http://user:pw@h.test/x", "http://h.test/x", "userinfo user:***@"),
    (BASE, "http://user@h.test/x", "http://h.test/x", "userinfo user@"),
    (BASE, "/" + "x" * 60_000, "http://old.test/" + "x" * 60_000, None),  # huge, under 64 KiB
]


@pytest.mark.parametrize(("base", "value", "target", "cause"), TABLE)
def test_location_table(base: str, value: str, target: str, cause: str | None) -> None:
    got = resolve_location(base, [value])
    assert got.error is None
    assert got.target == target
    if cause is None:
        assert got.ambiguity is None
    else:
        assert got.ambiguity is not None and got.ambiguity.startswith(cause), got.ambiguity
        assert "\n" not in got.ambiguity and "\t" not in got.ambiguity  # one line
        assert len(got.ambiguity) < 400  # readings are cut, even of a 60 KB Location


def test_the_ambiguity_line_names_both_readings() -> None:
    got = resolve_location(BASE, ["/\\evil.test/"])
    assert got.ambiguity == (
        "backslash: browsers go to http://evil.test/, RFC 3986 reads http://old.test/%5Cevil.test/"
    )
    no_host = resolve_location(BASE, ["https:evil.test"])
    assert no_host.ambiguity is not None and "reads https:evil.test (no host)" in no_host.ambiguity


def test_userinfo_is_flagged_and_never_in_the_target_or_the_message() -> None:
    got = resolve_location(BASE, ["http://admin:s3cret@h.test/"])
    assert got.target == "http://h.test/"
    assert got.ambiguity is not None and "s3cret" not in got.ambiguity
    assert mask_userinfo("http://admin:s3cret@h.test/") == "http://admin:***@h.test/"
    assert mask_userinfo("HTTPS:\\\\a:b@h.test") == "HTTPS:\\\\a:***@h.test"
    assert mask_userinfo("/p?mail=a:b@c") == "/p?mail=a:b@c"  # not a userinfo
    assert mask_userinfo("http://user@h.test/") == "http://user@h.test/"


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ([], "invalid redirect: no Location header"),
        ([""], "invalid redirect: empty Location header"),
        ([" \t"], "invalid redirect: empty Location header"),
        (["\x00\x01"], "invalid redirect: empty Location header"),
        (["http://[broken/"], "invalid redirect: unparsable Location header"),
        (["http://exa mple.test/"], "invalid redirect: unparsable Location header"),
        (["http://h.test:99999/"], "invalid redirect: unparsable Location header"),
    ],
)
def test_unusable_locations(values: list[str], error: str) -> None:
    got = resolve_location(BASE, values)
    assert (got.target, got.error) == (None, error)


def test_duplicated_location_headers() -> None:
    same = resolve_location(BASE, ["/x", "/x ", "/x"])
    assert (same.target, same.error, same.ambiguity) == ("http://old.test/x", None, None)
    # Chrome refuses an answer with different Location headers: an invalid redirect.
    diff = resolve_location(BASE, ["/x", "/y"])
    assert diff.target is None
    assert diff.error == "invalid redirect: 2 different Location headers"
    assert diff.ambiguity is not None and "(/x | /y)" in diff.ambiguity


def test_the_two_readings_on_their_own() -> None:
    # RFC 3986 §5.4.1 normal examples (strict parser).
    base = "http://a/b/c/d;p?q"
    for ref, want in [
        ("g:h", "g:h"),
        ("g", "http://a/b/c/g"),
        ("./g", "http://a/b/c/g"),
        ("g/", "http://a/b/c/g/"),
        ("/g", "http://a/g"),
        ("//g", "http://g"),
        ("?y", "http://a/b/c/d;p?y"),
        ("g?y", "http://a/b/c/g?y"),
        ("#s", "http://a/b/c/d;p?q#s"),
        (";x", "http://a/b/c/;x"),
        ("", "http://a/b/c/d;p?q"),
        (".", "http://a/b/c/"),
        ("..", "http://a/b/"),
        ("../g", "http://a/b/g"),
        ("../..", "http://a/"),
        ("../../g", "http://a/g"),
        ("../../../g", "http://a/g"),
        ("/./g", "http://a/g"),
        ("g.", "http://a/b/c/g."),
        ("http:g", "http:g"),  # strict
    ]:
        assert rfc3986_reading(base, ref) == want, ref
    assert browser_reading(base, "http:g") == "http://a/b/c/g"  # WHATWG: relative
    assert browser_reading("not a url", "/x") is None


# -- the spider --

URL = "http://old.test/from"


def answer(status: int, *locations: str) -> Response:
    headers = Headers([("Location", v.encode("utf-8")) for v in locations])
    return Response(URL, status=status, headers=headers)


def test_spider_follows_the_browser_reading_and_records_the_ambiguity() -> None:
    h = hop_from_response(answer(301, "/\\evil.test/"), URL)
    assert (h.kind, h.target, h.location) == (
        HopKind.HTTP_REDIRECT,
        "http://evil.test/",
        "/\\evil.test/",
    )
    assert h.ambiguity is not None and h.ambiguity.startswith("backslash")
    assert h.to_dict()["ambiguity"] == h.ambiguity
    plain = hop_from_response(answer(301, "/new"), URL)
    assert plain.ambiguity is None and "ambiguity" not in plain.to_dict()


def test_spider_records_different_location_headers_as_an_invalid_redirect() -> None:
    h = hop_from_response(answer(302, "/x", "/y"), URL)
    assert (h.kind, h.target) == (HopKind.FINAL, None)
    assert h.error == "invalid redirect: 2 different Location headers"
    assert h.ambiguity is not None and h.headers["location"] == "/x, /y"


def test_spider_masks_a_location_password_in_the_record() -> None:
    h = hop_from_response(answer(301, "http://u:hunter2@new.test/p"), URL)
    assert h.target == "http://new.test/p"
    assert h.location == "http://u:***@new.test/p"
    assert "hunter2" not in str(h.to_dict())


# -- the rules --

OLD, NEW = "http://old.test", "https://new.test"
A = f"{OLD}/a"


@pytest.mark.parametrize(
    "target", ["ftp://f.test/x", "javascript:alert(1)", "data:,hi", "file:///x"]
)
def test_unsafe_redirect_scheme_fires(target: str) -> None:
    bad = hop(target, None, error=f"unsupported scheme: {target.split(':')[0]}")
    ctx = make_ctx([(A, target)], urls=[A], extra=[bad])
    (f,) = findings(ctx, "unsafe-redirect-scheme")
    assert f.url == A and f"{target.split(':')[0]}:" in f.message and "not requested" in f.message
    assert [h.url for h in f.evidence] == [A, target]
    # the chain ends on an error all the same: broken-target says so too (documented)
    assert rules_for(ctx, A) >= {"unsafe-redirect-scheme", "broken-target"}


def test_unsafe_redirect_scheme_fires_on_a_meta_refresh_deeper_in_the_chain() -> None:
    refresh = hop(f"{NEW}/a", 200, "javascript:void(0)")
    js = hop("javascript:void(0)", None, error="unsupported scheme: javascript")
    ctx = make_ctx([(A, f"{NEW}/a")], urls=[A], extra=[refresh, js])
    assert fired(ctx, "unsafe-redirect-scheme") == [A]


def test_unsafe_redirect_scheme_silent_on_http_and_https_targets() -> None:
    # close call: http → https (a scheme change, but both web schemes), an error end
    ctx = make_ctx(
        [(A, f"{NEW}/a"), (f"{NEW}/a", "http://new.test/b")],
        urls=[A],
        ends={"http://new.test/b": None},
    )
    assert fired(ctx, "unsafe-redirect-scheme") == []
    assert fired(ctx, "broken-target") == [A]


def _ambiguous(url: str, target: str, location: str, ambiguity: str | None):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(hop(url, 301, target), location=location, ambiguity=ambiguity)


def test_ambiguous_location_fires_with_the_raw_header_and_both_readings() -> None:
    got = resolve_location(A, ["https:\\\\new.test\\a\\"])
    assert got.target == f"{NEW}/a/"
    ctx = make_ctx(
        urls=[A],
        extra=[
            _ambiguous(A, f"{NEW}/a/", "https:\\\\new.test\\a\\", got.ambiguity),
            hop(f"{NEW}/a/", 200),
        ],
    )
    (f,) = findings(ctx, "ambiguous-location")
    assert 'Location "https:\\\\new.test\\a\\"' in f.message
    assert "browsers go to https://new.test/a/" in f.message
    assert "RFC 3986 reads https:%5C%5Cnew.test%5Ca%5C (no host)" in f.message
    assert rules_for(ctx, A) == {"ambiguous-location"}  # it lands fine otherwise


def test_ambiguous_location_silent_when_the_readings_agree() -> None:
    # close call: an odd but unambiguous Location (relative, spaces, non-ASCII, mixed case)
    value = "../New Page/caf\u00e9?Q=1"
    got = resolve_location(A, [value])
    assert got.ambiguity is None
    ctx = make_ctx(
        urls=[A], extra=[_ambiguous(A, str(got.target), value, None), hop(str(got.target), 200)]
    )
    assert fired(ctx, "ambiguous-location") == []

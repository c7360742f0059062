"""Rules about landing pages: home page, funnels, mixed variants, canonicals, noindex."""

from __future__ import annotations

import pytest

from .conftest import findings, fired, hop, make_ctx, rrule, rules_for

OLD, N = "http://old.test", "https://www.new.test"
A = f"{OLD}/a"


# --- homepage-redirect --------------------------------------------------------------------


def test_homepage_redirect_fires_for_a_deep_url() -> None:
    ctx = make_ctx([(A, f"{N}/")], urls=[A])
    (f,) = findings(ctx, "homepage-redirect")
    assert f.message == f"deep URL redirected to the home page {N}/"


def test_homepage_redirect_notes_when_the_map_asks_for_it() -> None:
    r = rrule(A, f"{N}/", line=9)
    ctx = make_ctx([(A, f"{N}/")], rules=[r])
    (f,) = findings(ctx, "homepage-redirect")
    assert f.message.endswith("; the map asks for this (map.csv:9)")
    assert fired(ctx, "target-mismatch") == []


@pytest.mark.parametrize("legacy", [f"{OLD}/", f"{OLD}/index.php", OLD])
def test_homepage_redirect_silent_for_home_to_home(legacy: str) -> None:
    ctx = make_ctx([(legacy, f"{N}/")], urls=[legacy])
    assert fired(ctx, "homepage-redirect") == []


@pytest.mark.parametrize(
    "legacy",
    [
        "http://old.example/index.php?id=4204",
        f"{OLD}/?p=123",  # WordPress
        f"{OLD}/?page_id=5",
        f"{OLD}/index.php?option=com_content&id=7",  # Joomla
        f"{OLD}/default.aspx?tabid=5",  # DotNetNuke
        f"{OLD}/?utm_source=news&p=123",
    ],
)
def test_homepage_redirect_fires_for_a_home_path_whose_query_names_a_page(legacy: str) -> None:
    ctx = make_ctx([(legacy, "https://new.example/")], urls=[legacy])
    (f,) = findings(ctx, "homepage-redirect")
    assert f.url == legacy
    assert f.message == (
        "page URL (a home path whose query names a page) redirected to the home page "
        "https://new.example/"
    )


@pytest.mark.parametrize(
    "legacy", [f"{OLD}/?utm_source=news&utm_medium=email", f"{OLD}/index.php?gclid=x&fbclid=y"]
)
def test_homepage_redirect_silent_for_home_with_tracking_query(legacy: str) -> None:
    ctx = make_ctx([(legacy, f"{N}/")], urls=[legacy])
    assert fired(ctx, "homepage-redirect") == []


def test_homepage_redirect_counts_the_new_home_with_tracking_query_as_home() -> None:
    ctx = make_ctx([(A, f"{N}/?utm_source=old-site")], urls=[A])
    assert fired(ctx, "homepage-redirect") == [A]
    # ... but a page the new home script serves is not the home page
    ctx = make_ctx([(A, f"{N}/?p=7")], urls=[A])
    assert fired(ctx, "homepage-redirect") == []


def test_homepage_redirect_silent_for_deep_targets() -> None:
    ctx = make_ctx([(A, f"{N}/a/")], urls=[A])
    assert fired(ctx, "homepage-redirect") == []


def test_homepage_redirect_counts_index_files_as_home() -> None:
    ctx = make_ctx([(A, f"{N}/index.html")], urls=[A])
    assert fired(ctx, "homepage-redirect") == [A]


# --- many-to-one --------------------------------------------------------------------------


def funnel(n: int, target: str) -> tuple[list[tuple[str, str]], list[str]]:
    urls = [f"{OLD}/p{i}" for i in range(n)]
    return [(u, target) for u in urls], urls


def test_many_to_one_fires_above_the_threshold() -> None:
    edges, urls = funnel(4, f"{N}/widgets/")
    ctx = make_ctx(edges, urls=urls, many_to_one=3)
    found = findings(ctx, "many-to-one")
    assert sorted(f.url for f in found) == sorted(urls)
    assert all("one of 4 legacy URLs" in f.message for f in found)


def test_many_to_one_silent_at_the_threshold() -> None:
    edges, urls = funnel(3, f"{N}/widgets/")
    ctx = make_ctx(edges, urls=urls, many_to_one=3)
    assert fired(ctx, "many-to-one") == []


def test_many_to_one_groups_after_normalisation_and_skips_home() -> None:
    urls = [f"{OLD}/p{i}" for i in range(4)]
    targets = [f"{N}/w", "HTTPS://WWW.NEW.TEST:443/w", f"{N}/w#x", f"{N}/w"]
    ctx = make_ctx(list(zip(urls, targets, strict=True)), urls=urls, many_to_one=3)
    assert len(fired(ctx, "many-to-one")) == 4
    edges, urls = funnel(4, f"{N}/")
    ctx = make_ctx(edges, urls=urls, many_to_one=3)
    assert fired(ctx, "many-to-one") == []
    assert len(fired(ctx, "homepage-redirect")) == 4


def test_many_to_one_groups_pages_of_a_home_script_but_not_the_home_page() -> None:
    # /?p=7 on the new site is a page (WordPress), not the home page: a funnel into it counts
    edges, urls = funnel(4, f"{N}/?p=7")
    ctx = make_ctx(edges, urls=urls, many_to_one=3)
    assert sorted(fired(ctx, "many-to-one")) == sorted(urls)
    assert fired(ctx, "homepage-redirect") == []
    # the home page with tracking parameters is still the home page: homepage-redirect's
    edges, urls = funnel(4, f"{N}/?utm_source=old")
    ctx = make_ctx(edges, urls=urls, many_to_one=3)
    assert fired(ctx, "many-to-one") == []
    assert len(fired(ctx, "homepage-redirect")) == 4


def test_many_to_one_ignores_urls_that_answer_themselves() -> None:
    edges, urls = funnel(3, f"{N}/w")
    ctx = make_ctx(edges, urls=[*urls, f"{N}/w"], many_to_one=3)
    assert fired(ctx, "many-to-one") == []


# --- inconsistent-final-urls --------------------------------------------------------------


def test_inconsistent_hosts_report_the_minority() -> None:
    edges = [(f"{OLD}/{i}", f"{N}/{i}") for i in range(3)] + [(f"{OLD}/x", "https://new.test/x")]
    ctx = make_ctx(edges, urls=[e[0] for e in edges])
    (f,) = findings(ctx, "inconsistent-final-urls")
    assert f.url == f"{OLD}/x"
    assert "host new.test while 3 legacy URL(s) land on www.new.test" in f.message
    assert f"straight to {N}/x" in f.fix


def test_inconsistent_schemes_report_the_minority() -> None:
    edges = [(f"{OLD}/{i}", f"{N}/{i}") for i in range(2)] + [(f"{OLD}/x", "http://www.new.test/x")]
    ctx = make_ctx(edges, urls=[e[0] for e in edges])
    (f,) = findings(ctx, "inconsistent-final-urls")
    assert f.url == f"{OLD}/x" and "http while 2 legacy URL(s) land on https" in f.message


def test_inconsistent_tie_flags_http_and_both_host_variants() -> None:
    edges = [(f"{OLD}/1", f"{N}/1"), (f"{OLD}/2", "http://www.new.test/2")]
    ctx = make_ctx(edges, urls=[e[0] for e in edges])
    assert fired(ctx, "inconsistent-final-urls") == [f"{OLD}/2"]
    edges = [(f"{OLD}/1", f"{N}/1"), (f"{OLD}/2", "https://new.test/2")]
    ctx = make_ctx(edges, urls=[e[0] for e in edges])
    assert sorted(fired(ctx, "inconsistent-final-urls")) == [f"{OLD}/1", f"{OLD}/2"]


def test_inconsistent_silent_for_different_domains_and_broken_finals() -> None:
    edges = [
        (f"{OLD}/1", f"{N}/1"),
        (f"{OLD}/2", "https://shop.other.test/2"),
        (f"{OLD}/3", "https://new.test/3"),
    ]
    ctx = make_ctx(edges, urls=[e[0] for e in edges], ends={"https://new.test/3": 404})
    assert fired(ctx, "inconsistent-final-urls") == []


def test_inconsistent_ignores_old_pages_that_were_not_redirected() -> None:
    ctx = make_ctx(
        [(f"{OLD}/1", f"{N}/1"), (f"{OLD}/2", f"{N}/2")],
        extra=[hop("http://www.new.test/old")],
        rules=[
            rrule(f"{OLD}/1", f"{N}/1"),
            rrule(f"{OLD}/2", f"{N}/2"),
            rrule("http://www.new.test/old", f"{N}/new"),
        ],
    )
    assert fired(ctx, "inconsistent-final-urls") == []


# --- canonical-mismatch -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("canonical", "how"),
    [
        ("https://staging.new.test/a/", "different page"),
        (f"{N}/a", "only trailing slash"),
        ("http://www.new.test/a/", "only scheme"),
    ],
)
def test_canonical_mismatch_fires(canonical: str, how: str) -> None:
    ctx = make_ctx([(A, f"{N}/a/")], extra=[hop(f"{N}/a/", canonical=canonical)], urls=[A])
    (f,) = findings(ctx, "canonical-mismatch")
    assert f.message == f"{N}/a/ declares canonical {canonical} ({how})"


def test_canonical_back_to_the_legacy_url_is_named() -> None:
    ctx = make_ctx([(A, f"{N}/a/")], extra=[hop(f"{N}/a/", canonical=A)], urls=[A])
    (f,) = findings(ctx, "canonical-mismatch")
    assert f.message.endswith("it is the legacy URL itself")


def test_canonical_from_link_header_counts() -> None:
    page = hop(f"{N}/a.pdf", html=False, canonical_header=f"{N}/b.pdf")
    ctx = make_ctx([(A, f"{N}/a.pdf")], extra=[page], urls=[A])
    assert fired(ctx, "canonical-mismatch") == [A]


@pytest.mark.parametrize("canonical", [None, f"{N}/a/", "HTTPS://WWW.NEW.TEST:443/a/#top"])
def test_canonical_mismatch_silent_on_self_or_missing_canonical(canonical: str | None) -> None:
    ctx = make_ctx([(A, f"{N}/a/")], extra=[hop(f"{N}/a/", canonical=canonical)], urls=[A])
    assert fired(ctx, "canonical-mismatch") == []


def test_canonical_mismatch_silent_on_broken_final() -> None:
    ctx = make_ctx([(A, f"{N}/a/")], extra=[hop(f"{N}/a/", 404, canonical=f"{N}/x")], urls=[A])
    assert fired(ctx, "canonical-mismatch") == []


# --- noindex-target -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"robots": "noindex, nofollow"}, 'meta robots "noindex, nofollow"'),
        ({"robots": "NONE"}, 'meta robots "NONE"'),
        ({"x_robots": "googlebot: noindex"}, 'X-Robots-Tag "googlebot: noindex"'),
    ],
)
def test_noindex_target_fires(kwargs: dict[str, str], said: str) -> None:
    ctx = make_ctx([(A, f"{N}/a/")], extra=[hop(f"{N}/a/", **kwargs)], urls=[A])  # type: ignore[arg-type]
    (f,) = findings(ctx, "noindex-target")
    assert f.message == f"{N}/a/ is noindex ({said})"


def test_noindex_names_only_the_source_that_says_noindex() -> None:
    page = hop(f"{N}/a/", robots="index, follow", x_robots="noindex")
    ctx = make_ctx([(A, f"{N}/a/")], extra=[page], urls=[A])
    (f,) = findings(ctx, "noindex-target")
    assert "meta robots" not in f.message and 'X-Robots-Tag "noindex"' in f.message


@pytest.mark.parametrize("robots", [None, "index, follow", "nofollow", "noarchive"])
def test_noindex_target_silent_on_indexable_pages(robots: str | None) -> None:
    ctx = make_ctx([(A, f"{N}/a/")], extra=[hop(f"{N}/a/", robots=robots)], urls=[A])
    assert fired(ctx, "noindex-target") == []


def test_noindex_on_a_list_url_answering_itself() -> None:
    ctx = make_ctx(extra=[hop(f"{N}/news/", robots="noindex")], urls=[f"{N}/news/"])
    assert rules_for(ctx, f"{N}/news/") == {"noindex-target"}

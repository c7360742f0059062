"""URL-variant rules on tiny sites crawled in memory, and the variant generators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from migrationaudit.newsite.variants import legacy_variants, page_variants

from .memcrawl import audit_site, fired

N, OLD = "https://www.n.test", "http://www.o.test"


def page(url: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, "title": url, "canonical": url, **extra}


def test_legacy_variants() -> None:
    got = legacy_variants("http://www.o.test/a?x=1")
    assert got == [
        "http://www.o.test/a/?x=1",
        "http://o.test/a?x=1",
        "http://o.test/a/?x=1",
        "https://www.o.test/a?x=1",
        "https://www.o.test/a/?x=1",
        "https://o.test/a?x=1",
        "https://o.test/a/?x=1",
    ]
    assert "http://o.test/f.pdf/" not in legacy_variants("http://o.test/f.pdf")  # a file
    assert legacy_variants("http://127.0.0.1:8080/") == []  # no scheme swap, no www, no slash


def test_page_variants() -> None:
    assert page_variants(f"{N}/a/") == [f"{N}/a", f"{N}/A/", f"{N}/a/index.html"]
    assert page_variants(f"{N}/About") == [f"{N}/About/", f"{N}/about"]
    assert page_variants(f"{N}/d/index.html") == [f"{N}/D/INDEX.HTML", f"{N}/d/"]
    assert page_variants(f"{N}/") == [f"{N}/index.html"]


def test_duplicate_variants(tmp_path: Path) -> None:
    j = audit_site(
        tmp_path,
        [{"url": f"{OLD}/{x}", "location": f"{N}/{x}/"} for x in ("a", "b", "c", "d")]
        + [
            page(f"{N}/a/"),
            page(f"{N}/a"),  # a duplicate with its own canonical
            page(f"{N}/b/"),
            page(f"{N}/b/index.html", canonical=f"{N}/b/"),  # canonicalised: fine
            page(f"{N}/c/"),
            {"url": f"{N}/c", "location": f"{N}/c/"},  # redirected: fine
            page(f"{N}/d/"),
            {"url": f"{N}/D/", "title": "D"},  # case-insensitive server, no canonical
        ],
        rows=[(f"{OLD}/{x}", f"{N}/{x}/") for x in ("a", "b", "c", "d")],
        variants=True,
    )
    assert fired(j, "duplicate-variant") == [f"{N}/a/", f"{N}/d/"]


def test_variant_chains(tmp_path: Path) -> None:
    j = audit_site(
        tmp_path,
        [
            {"url": f"{OLD}/a", "location": f"{N}/a"},
            {"url": f"{OLD}/b", "location": f"{N}/b"},
            {"url": f"{OLD}/c", "location": f"{N}/c"},
            {"url": f"{OLD}/d", "location": f"{N}/d"},
            # https://www.o.test/a first goes back to http: two hops
            {"url": "https://www.o.test/a", "location": f"{OLD}/a"},
            # the slash variant of /b lands elsewhere
            {"url": f"{OLD}/b/", "location": f"{N}/other"},
            # the slash variant of /c is the old page, still live
            page(f"{OLD}/c/"),
            page(f"{N}/a"),
            page(f"{N}/b"),
            page(f"{N}/c"),
            page(f"{N}/d"),
            page(f"{N}/other"),
        ],
        rows=[(f"{OLD}/{x}", f"{N}/{x}") for x in ("a", "b", "c", "d")],
        redirect_variants=True,  # every other variant answers like its route: one hop
        variants=True,
    )
    assert fired(j, "variant-chain") == [f"{OLD}/a", f"{OLD}/b", f"{OLD}/c"]
    msg = {f.url: f.message for f in j.findings if f.rule_id == "variant-chain"}
    assert "https://www.o.test/a takes 2 redirects" in msg[f"{OLD}/a"]
    assert f"lands on {N}/other" in msg[f"{OLD}/b"]
    assert "answers 200 itself" in msg[f"{OLD}/c"]


def test_variants_on_hosts_that_do_not_answer_are_not_judged(tmp_path: Path) -> None:
    # no redirect_variants: o.test (bare) and the https side are not served at all
    j = audit_site(
        tmp_path,
        [{"url": f"{OLD}/a", "location": f"{N}/a"}, page(f"{N}/a")],
        rows=[(f"{OLD}/a", f"{N}/a")],
        dead_hosts=["o.test"],
        variants=True,
    )
    # www.o.test answers 404 for the variants it has no route for: noted once per kind, not a
    # detour of /a; the bare host refuses every connection: not judged at all
    assert fired(j, "variant-chain") == []
    notes = [f for f in j.findings if f.rule_id == "variant-not-found"]
    assert [f.url for f in notes] == [f"{OLD}/a/", "https://www.o.test/a", "https://www.o.test/a/"]
    assert all("//o.test/" not in f.message for f in notes)


def test_a_correct_migration_whose_old_server_404s_the_variants_gets_one_notice_per_kind(
    tmp_path: Path,
) -> None:
    # Issue 12: every legacy URL redirects in one hop; the old server never served the
    # trailing-slash (or https) spellings and answers 404 for them, as it did before the move.
    paths = ("a", "b", "c", "d", "e", "f")
    j = audit_site(
        tmp_path,
        [{"url": f"{OLD}/{x}", "location": f"{N}/{x}"} for x in paths]
        + [page(f"{N}/{x}") for x in paths],
        rows=[(f"{OLD}/{x}", f"{N}/{x}") for x in paths],
        dead_hosts=["o.test"],
        variants=True,
    )
    assert fired(j, "variant-chain") == []
    notes = {f.url: f for f in j.findings if f.rule_id == "variant-not-found"}
    assert sorted(notes) == [f"{OLD}/a/", "https://www.o.test/a", "https://www.o.test/a/"]
    slash = notes[f"{OLD}/a/"]
    assert slash.severity.label == "notice"
    assert slash.message == (
        "the trailing-slash variant of 6 legacy URLs on www.o.test answers 404 without "
        f"redirecting: {OLD}/a/, {OLD}/b/, {OLD}/c/, {OLD}/d/, {OLD}/e/ and 1 more"
    )
    assert [h.status for h in slash.evidence] == [404]
    assert notes["https://www.o.test/a"].message.startswith(
        "the http/https variant of 6 legacy URLs on www.o.test answers 404"
    )
    assert "http/https and trailing-slash variant" in notes["https://www.o.test/a/"].message
    # the legacy URLs themselves are clean
    assert {v.verdict for v in j.verdicts} == {"ok"}


def test_a_variant_that_redirects_badly_or_errs_is_still_a_detour(tmp_path: Path) -> None:
    j = audit_site(
        tmp_path,
        [
            {"url": f"{OLD}/a", "location": f"{N}/a"},
            {"url": f"{OLD}/b", "location": f"{N}/b"},
            {"url": f"{OLD}/c", "location": f"{N}/c"},
            {"url": f"{OLD}/a/", "location": f"{N}/gone"},  # redirected to a 404
            {"url": f"{OLD}/b/", "status": 500, "title": "oops"},  # a server error
            {"url": f"{OLD}/c/", "status": 410, "title": "gone"},  # gone on purpose: a note
            page(f"{N}/a"),
            page(f"{N}/b"),
            page(f"{N}/c"),
        ],
        rows=[(f"{OLD}/{x}", f"{N}/{x}") for x in ("a", "b", "c")],
        dead_hosts=["o.test"],
        variants=True,
    )
    assert fired(j, "variant-chain") == [f"{OLD}/a", f"{OLD}/b"]
    msg = {f.url: f.message for f in j.findings if f.rule_id == "variant-chain"}
    assert f"{OLD}/a/ ends on 404" in msg[f"{OLD}/a"]
    assert f"{OLD}/b/ ends on 500" in msg[f"{OLD}/b"]
    slash = next(f for f in j.findings if f.rule_id == "variant-not-found" and f.url == f"{OLD}/c/")
    assert slash.message.startswith(
        "the trailing-slash variant of 1 legacy URL on www.o.test answers 410 without"
    )


def test_without_variants_the_rules_are_skipped(tmp_path: Path) -> None:
    j = audit_site(tmp_path, [page(f"{N}/a")], urls=[f"{N}/a"])
    reasons = {s.rule_id: s.reason for s in j.skipped}
    assert reasons["variant-chain"] == reasons["duplicate-variant"]
    assert reasons["variant-not-found"] == reasons["variant-chain"]
    assert reasons["variant-chain"] == "URL variants not requested (--variants)"

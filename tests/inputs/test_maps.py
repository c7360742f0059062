"""Redirect map parsing: formats accepted, and every bad input named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrationaudit.errors import InputError
from migrationaudit.inputs.maps import read_map

BASE = "https://old.example"


def write(tmp_path: Path, content: str | bytes, name: str = "map.csv") -> Path:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8")
    return p


def test_header_bom_comments_blanks_and_origins(tmp_path: Path) -> None:
    p = write(tmp_path, "\ufeff# a comment\nold_url,new_url,status,note\n\n/a,/b,301,hi\n"
                        "# another\n/c,https://new.example/d,,\n")
    rules = read_map(p, BASE)
    assert [(r.source, r.expected_target, r.expected_status, r.note, r.origin.line)
            for r in rules] == [
        ("https://old.example/a", "https://old.example/b", 301, "hi", 4),
        ("https://old.example/c", "https://new.example/d", None, "", 6),
    ]
    assert rules[0].origin.file == str(p)


def test_tsv_without_header_is_positional(tmp_path: Path) -> None:
    p = write(tmp_path, "https://old.example/a\thttps://new.example/a\t308\n", "map.tsv")
    (rule,) = read_map(p)
    assert rule.expected_target == "https://new.example/a" and rule.expected_status == 308


def test_header_names_are_matched_case_insensitively_in_any_order(tmp_path: Path) -> None:
    p = write(tmp_path, "Note;Destination;Source\nx;https://n.example/;https://o.example/q\n")
    (rule,) = read_map(p)
    assert (rule.source, rule.expected_target, rule.note) == (
        "https://o.example/q", "https://n.example/", "x")


def test_quoted_newline_keeps_the_line_the_record_starts_on(tmp_path: Path) -> None:
    p = write(tmp_path, 'old_url,new_url,note\n/a,/b,"two\nlines"\n/c,/d,x\n')
    rules = read_map(p, BASE)
    assert [r.origin.line for r in rules] == [2, 4]


def test_target_base_url_for_a_domain_move(tmp_path: Path) -> None:
    p = write(tmp_path, "/a,/b\n")
    (rule,) = read_map(p, BASE, "https://new.example")
    assert (rule.source, rule.expected_target) == ("https://old.example/a", "https://new.example/b")


def test_removed_on_purpose_row(tmp_path: Path) -> None:
    (rule,) = read_map(write(tmp_path, "old_url,new_url,status\n/gone,,410\n"), BASE)
    assert rule.expected_target is None and rule.expected_status == 410


def test_fragment_is_dropped_and_scheme_lowercased(tmp_path: Path) -> None:
    (rule,) = read_map(write(tmp_path, "HTTPS://Old.example/a#top,https://n.example/b#x\n"))
    assert rule.source == "https://Old.example/a"
    assert rule.expected_target == "https://n.example/b"


def test_conflicting_rows_are_kept_for_the_rules(tmp_path: Path) -> None:
    rules = read_map(write(tmp_path, "/a,/b\n/a,/c\n"), BASE)
    assert [r.expected_target for r in rules] == ["https://old.example/b", "https://old.example/c"]


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("old,foo\n/a,/b\n", 1, "missing column new_url"),
        ("foo,new_url\n/a,/b\n", 1, "missing column old_url"),
        ("/a,/b\nftp://x.example/y,/c\n", 2, "scheme 'ftp'"),
        ("/a,/b\nhttp://exa mple/,/c\n", 2, "unparseable old_url"),
        ("/a,/b\nhttp://x.example:99999/,/c\n", 2, "unparseable old_url"),
        ("/a,/b\n/c\n", 2, "missing new_url"),
        ("/a,/b\n/c,javascript:alert(1)\n", 2, "scheme 'javascript'"),
        ("old_url,new_url,status\n/a,/b,200\n", 2, "bad status 200"),
        ("old_url,new_url,status\n/a,/b,abc\n", 2, "bad status 'abc'"),
        ("old_url,new_url,status\n/a,/b,410\n", 2, "410 means removed"),
        ('/a,/b\n/c,"/d\n', 2, "malformed CSV"),
        ("old_url,new_url\n", None, "empty"),
        ("", None, "empty"),
    ],
)
def test_bad_maps_name_file_line_and_problem(
    tmp_path: Path, content: str, line: int | None, message: str
) -> None:
    p = write(tmp_path, content)
    with pytest.raises(InputError) as info:
        read_map(p, BASE)
    assert info.value.file == str(p)
    assert info.value.line == line
    assert message in str(info.value)


def test_relative_url_without_base_url(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"map.csv:1: relative old_url '/a' needs --base-url"):
        read_map(write(tmp_path, "/a,https://n.example/\n"))


def test_undecodable_bytes_name_the_line(tmp_path: Path) -> None:
    p = write(tmp_path, b"/a,/b\n/c,/d\n/e,/\xff\xfe\n")
    with pytest.raises(InputError, match=r"map.csv:3: undecodable bytes"):
        read_map(p, BASE)


def test_nul_byte(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r":2: NUL byte"):
        read_map(write(tmp_path, "/a,/b\n/c\x00,/d\n"), BASE)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read file"):
        read_map(tmp_path / "nope.csv")


# --- rows that cannot be read, spaces, missing schemes (issue 12, item 11) ---------------------

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"


def test_space_in_a_path_is_percent_encoded_as_browsers_do(tmp_path: Path) -> None:
    (rule,) = read_map(write(tmp_path, "/a b?q=x y\t/Trash/Usando audio y video\n"), BASE)
    assert rule.source == "https://old.example/a%20b?q=x%20y"
    assert rule.expected_target == "https://old.example/Trash/Usando%20audio%20y%20video"


def test_url_without_scheme_is_named_so(tmp_path: Path) -> None:
    for base in (None, BASE):
        with pytest.raises(InputError, match=r"map.csv:1: old_url 'old.example/a' is missing its "
                                             r"scheme: write http://old.example/a"):
            read_map(write(tmp_path, "old.example/a,https://n.example/\n"), base)


def test_unreadable_rows_are_set_aside_with_their_line(tmp_path: Path) -> None:
    from migrationaudit.inputs.mapfiles import read_map_file

    p = write(tmp_path, "old_url,new_url,status\n/a,/b\nhttp://a b/,/x\n/c,/d,200\n"
                        "old.example/e,/f\n/g,/h\n")
    rules, skipped = read_map_file(p, BASE)
    assert [r.origin.line for r in rules] == [2, 6]
    assert [(s.origin.line, s.unreadable, s.text) for s in skipped] == [
        (3, True, "http://a b/"),
        (4, True, "https://old.example/c"),  # its old URL was readable: spelt in full
        (5, True, "old.example/e"),
    ]
    assert skipped[1].reason == "bad status 200: expected 301, 302, 303, 307, 308 (redirect) or " \
                                "404, 410 (removed)"
    # not one readable row: the file cannot be audited, the first row's error says why
    with pytest.raises(InputError, match=r"map.csv:2: unparseable old_url 'http://a b/'"):
        read_map_file(write(tmp_path, "old_url,new_url\nhttp://a b/,/x\n/c\n"), BASE)


@pytest.mark.skipif(not CORPORA.is_dir(), reason="shared corpora not present")
def test_mdn_redirects_read_whole() -> None:
    """MDN's _redirects.txt (9,556 rules, tab-separated) is read whole: line 4660's target
    has spaces, which browsers percent-encode."""
    from migrationaudit.inputs.mapfiles import read_map_file

    rules, skipped = read_map_file(CORPORA / "mdn-archived" / "_redirects.txt", BASE)
    assert (len(rules), len(skipped)) == (9556, 0)
    (row,) = [r for r in rules if r.origin.line == 4660]
    assert row.expected_target == (
        "https://old.example/en-US/docs/Trash/Usando%20audio%20y%20video%20con%20HTML5"
    )

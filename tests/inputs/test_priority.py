"""--priority exports: Ahrefs (UTF-16, tabs), Semrush, Search Console, backlink rows; loose join;
the errors a user sees; and the CLI end to end (check-map, no network)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from migrationaudit.errors import InputError
from migrationaudit.inputs.priority import parse_number, read_priority
from migrationaudit.inputs.priorityindex import page_key, valuable_unmapped
from migrationaudit.models.inputs import LegacyURL, Origin

OLD = "http://www.old.example"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_ahrefs_top_pages_utf16_with_tabs(tmp_path: Path) -> None:
    text = (
        "URL\tCurrent traffic\tCurrent traffic value\tReferring domains\tBacklinks\n"
        f"{OLD}/a\t1,204\t$310\t57\t1.2K\n"
        f"{OLD}/b\t0\t$0\t3\t9\n"
    )
    # Ahrefs writes UTF-16 little endian with a BOM
    index = read_priority([write(tmp_path / "ahrefs.csv", "\ufeff" + text, "utf-16-le")])
    a = index.get(f"{OLD}/a")
    assert a is not None
    assert (a.referring_domains, a.backlinks, a.traffic, a.clicks) == (57, 1200, 1204, None)
    assert a.origin == Origin(str(tmp_path / "ahrefs.csv"), 2)
    assert index.notes()["pages"] == 2 and index.rows == 2


def test_utf16_without_bom_and_big_endian(tmp_path: Path) -> None:
    text = f"URL,Referring domains\n{OLD}/a,4\n"
    for enc in ("utf-16-le", "utf-16-be"):
        index = read_priority([write(tmp_path / f"{enc}.csv", text, enc)])
        value = index.get(f"{OLD}/a")
        assert value is not None and value.referring_domains == 4


def test_semrush_pages_and_search_console(tmp_path: Path) -> None:
    semrush = write(
        tmp_path / "semrush.csv",
        f"URL,Traffic,Traffic (%),Number of Keywords\n{OLD}/a,310,12.5,40\n{OLD}/b,12,0.4,3\n",
    )
    gsc = write(
        tmp_path / "Pages.csv",
        "\ufeffTop pages,Clicks,Impressions,CTR,Position\n"
        f'{OLD}/a,"1,020","45,300",2.25%,7.1\n'
        f"{OLD}/c,0,980,0%,41\n",
    )
    index = read_priority([semrush, gsc])
    a = index.get(f"{OLD}/a")
    assert a is not None and (a.traffic, a.clicks, a.impressions) == (310, 1020, 45300)
    c = index.get(f"{OLD}/c")
    assert c is not None and c.impressions == 980 and not c.valuable  # impressions alone
    assert index.files == (str(semrush), str(gsc))


def test_backlink_rows_are_counted_per_target(tmp_path: Path) -> None:
    # One row per link; "Referring domains" here describes the *linking* page: ignored.
    text = (
        "Referring page URL\tReferring domains\tTarget URL\tAnchor\n"
        f"https://blog.example/post-1\t900\t{OLD}/a\tone\n"
        f"https://www.blog.example/post-2\t900\t{OLD}/a\ttwo\n"
        f"https://news.example/story\t12\t{OLD}/a\tthree\n"
        f"https://news.example/story\t12\t{OLD}/b\tfour\n"
    )
    index = read_priority([write(tmp_path / "backlinks.csv", text, "utf-16")])
    a, b = index.get(f"{OLD}/a"), index.get(f"{OLD}/b")
    assert a is not None and (a.referring_domains, a.backlinks) == (2, 3)
    assert b is not None and (b.referring_domains, b.backlinks) == (1, 1)


def test_semrush_backlinks_export(tmp_path: Path) -> None:
    text = (
        "Page ascore,Source title,Source url,Target url,Anchor,External links\n"
        f"40,A,https://a.example/1,{OLD}/x,x,120\n"
        f"41,B,https://b.example/2,{OLD}/x,y,80\n"
    )
    value = read_priority([write(tmp_path / "s.csv", text)]).get(f"{OLD}/x")
    assert value is not None and (value.referring_domains, value.backlinks) == (2, 2)


def test_loose_join_merges_variants_of_one_page(tmp_path: Path) -> None:
    text = (
        f"URL,Referring domains,Clicks\n{OLD}/a/,10,5\nhttps://old.example/a,7,3\n{OLD}/Q?x=1,2,1\n"
    )
    index = read_priority([write(tmp_path / "p.csv", text)])
    for spelling in (f"{OLD}/a", "https://old.example/a/", "HTTP://WWW.OLD.EXAMPLE:80/a"):
        value = index.get(spelling)
        assert value is not None
        assert (value.referring_domains, value.clicks) == (10, 8)  # max of domains, sum
    assert index.get(f"{OLD}/Q?x=1") is not None
    assert index.get(f"{OLD}/q?x=1") is None  # path case and query are significant
    assert page_key("https://www.old.example/a/") == page_key("http://old.example/a")


def test_columns_named_by_option_and_relative_urls(tmp_path: Path) -> None:
    text = "Landing page,Sessions,Engaged\n/a,1 200,3\n/b,15,1\n(not set),9,9\n"
    path = write(tmp_path / "ga.csv", text)
    index = read_priority(
        [path], "https://www.old.example/", {"url": "landing page", "clicks": "Engaged"}
    )
    a = index.get("https://www.old.example/a")
    assert a is not None and (a.clicks, a.traffic) == (3, 1200)
    assert index.skipped == 1  # "(not set)" is not a URL: skipped, not an error


def test_errors_name_the_file_and_what_was_found(tmp_path: Path) -> None:
    no_url = write(tmp_path / "no-url.csv", "Keyword,Volume\nshoes,100\n")
    with pytest.raises(InputError, match=r"no URL column \(found: Keyword, Volume\)") as exc:
        read_priority([no_url])
    assert exc.value.file == str(no_url) and exc.value.line == 1
    no_metric = write(tmp_path / "no-metric.csv", "URL,Title\nhttp://a.example/,A\n")
    with pytest.raises(InputError, match="no link or traffic column"):
        read_priority([no_metric])
    with pytest.raises(InputError, match="column 'Visits' not found"):
        read_priority([no_metric], columns={"clicks": "Visits"})
    relative = write(tmp_path / "rel.csv", "URL,Clicks\n/a,3\n")
    with pytest.raises(InputError, match="relative URL '/a' needs --base-url"):
        read_priority([relative])
    with pytest.raises(InputError, match="empty"):
        read_priority([write(tmp_path / "empty.csv", "\n\n")])
    with pytest.raises(InputError, match="no rows"):
        read_priority([write(tmp_path / "head.csv", "URL,Clicks\n")])
    with pytest.raises(InputError, match="not UTF-8 or UTF-16"):
        read_priority(
            [write(tmp_path / "latin1.csv", "URL,Clicks\nhttp://a.example/é,1\n", "latin-1")]
        )
    with pytest.raises(InputError, match="cannot read file"):
        read_priority([tmp_path / "missing.csv"])


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12", 12),
        ("1,234", 1234),
        ("1 234", 1234),
        ("1.234.567", 1234567),
        ("12.6", 13),
        ("3,5", 4),
        ("1.2K", 1200),
        ("2m", 2000000),
        ("", None),
        ("-", None),
        ("n/a", None),
        ("12%", None),
        ("-3", None),
    ],
)
def test_parse_number(text: str, number: int | None) -> None:
    assert parse_number(text) == number


def test_valuable_unmapped_pages_most_valuable_first(tmp_path: Path) -> None:
    text = (
        "URL,Referring domains,Clicks\n"
        f"{OLD}/small,1,0\n{OLD}/big,40,0\n{OLD}/mapped/,99,0\n{OLD}/nothing,0,0\n"
    )
    index = read_priority([write(tmp_path / "p.csv", text)])
    legacy = [LegacyURL("https://old.example/mapped", Origin("map.csv", 2))]
    got = valuable_unmapped(index, legacy)
    assert [item.url for item in got] == [f"{OLD}/big", f"{OLD}/small"]
    assert got[0].origin == Origin(str(tmp_path / "p.csv"), 3) and got[0].rule is None


# --- the CLI, map-only (no request is sent) ---------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migrationaudit.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_map_with_priority_ranks_and_reports(tmp_path: Path) -> None:
    (tmp_path / "map.csv").write_text(
        "old_url,new_url\n"
        f"{OLD}/low,https://new.example/low\n"
        f"{OLD}/high,https://new.example/high\n"
        f"{OLD}/none,https://new.example/none\n"
    )
    write(
        tmp_path / "top.csv",
        "URL\tReferring domains\tBacklinks\tCurrent traffic\n"
        f"{OLD}/high\t50\t300\t90\n{OLD}/low\t2\t2\t1\n{OLD}/unmapped\t14\t20\t5\n",
        "utf-16",
    )
    out = tmp_path / "out"
    proc = run_cli(
        "check-map",
        "--map",
        str(tmp_path / "map.csv"),
        "--priority",
        str(tmp_path / "top.csv"),
        "--out",
        str(out),
        "--format",
        "json",
        "--format",
        "csv",
        "-q",
    )
    assert proc.returncode == 1, proc.stderr  # the unmapped valuable URL is an error
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert [(f["rule"], f["url"]) for f in data["findings"]] == [
        ("valuable-url-unmapped", f"{OLD}/unmapped")
    ]
    assert data["findings"][0]["message"].startswith("14 referring domains, 20 backlinks")
    # verdicts ranked by value; each carries it
    assert [v["url"] for v in data["verdicts"]] == [
        f"{OLD}/high",
        f"{OLD}/unmapped",
        f"{OLD}/low",
        f"{OLD}/none",
    ]
    assert data["verdicts"][0]["value"]["referring_domains"] == 50
    assert "value" not in data["verdicts"][-1] or data["verdicts"][-1]["value"] is None
    assert data["run"]["input"]["priority"]["valuable_pages"] == 3
    rows = list(csv.DictReader(io.StringIO((out / "verdicts.csv").read_text(encoding="utf-8"))))
    assert rows[0]["url"] == f"{OLD}/high"
    assert (rows[0]["referring_domains"], rows[0]["backlinks"], rows[0]["traffic"]) == (
        "50",
        "300",
        "90",
    )
    assert rows[-1]["referring_domains"] == ""


def test_cli_priority_errors_exit_2(tmp_path: Path) -> None:
    (tmp_path / "map.csv").write_text(f"{OLD}/a,https://new.example/a\n")
    write(tmp_path / "bad.csv", "Keyword,Volume\nx,1\n")
    proc = run_cli(
        "check-map",
        "--map",
        str(tmp_path / "map.csv"),
        "--priority",
        str(tmp_path / "bad.csv"),
        "--out",
        str(tmp_path / "o"),
        "-q",
    )
    assert proc.returncode == 2
    assert "bad.csv:1: no URL column (found: Keyword, Volume)" in proc.stderr
    proc = run_cli(
        "check-map",
        "--map",
        str(tmp_path / "map.csv"),
        "--priority-column",
        "links",
        "--out",
        str(tmp_path / "o"),
        "-q",
    )
    assert proc.returncode == 2 and "expected METRIC=HEADER" in proc.stderr

"""Hostile input files (issue 6, "Inputs"): what spreadsheets and exporters really write.

Every case goes through the reader, the command line (``check-map`` and ``audit --map``, in
a subprocess; input errors stop both before any request, so no server is needed) and the
Python API. Files that can be read are read exactly (sources, targets, line numbers, notes);
files that cannot give exit 2 and one line ``file:line: problem``. ``NA``-like cells stay
strings in the readers, in the API's DataFrames and through ``verdicts.csv``/``hops.csv``.
A 200k-row map is validated with memory that does not grow with the file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import parse_site
from migrationaudit.errors import InputError
from migrationaudit.inputs.common import MAX_LINE, read_text
from migrationaudit.inputs.mapfiles import detect_format, read_map_file
from migrationaudit.inputs.maps import read_map
from migrationaudit.inputs.priority import read_priority
from migrationaudit.inputs.urllist import read_url_list

BASE = "http://old.example"
NA_VALUES = ("NA", "N/A", "null", "None", "nan", "-", "NaN", "NULL", "#N/A")


def cli(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "migrationaudit.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


# ---------------------------------------------------------------------------------------------
# Files that are read: (case, text, codec, [(old path, new path, line)])

READABLE: list[tuple[str, str, str, list[tuple[str, str, int]]]] = [
    ("utf8-bom", "\ufeffold_url,new_url\n/a,/b\n", "utf-8", [("/a", "/b", 2)]),
    ("utf16le-bom", "\ufeffold_url,new_url\n/a,/é\n", "utf-16-le", [("/a", "/é", 2)]),
    ("utf16be-bom", "\ufeffold_url,new_url\n/a,/é\n", "utf-16-be", [("/a", "/é", 2)]),
    ("utf16le-no-bom", "old_url\tnew_url\r\n/a\t/ü\r\n", "utf-16-le", [("/a", "/ü", 2)]),
    ("utf16be-no-bom", "old_url,new_url\n/a,/ü\n", "utf-16-be", [("/a", "/ü", 2)]),
    # U+4E00 has a NUL low byte: UTF-16 detection must not demand ASCII only
    ("utf16le-no-bom-cjk", "old_url,new_url\n/一二,/三\n", "utf-16-le", [("/一二", "/三", 2)]),
    ("utf32le-bom", "\ufeff/a,/b\n", "utf-32-le", [("/a", "/b", 1)]),
    ("utf8-no-bom", "old_url,new_url\n/café,/b\n", "utf-8", [("/café", "/b", 2)]),
    # European Excel: ';' separated, and a comma inside a URL must not win
    (
        "semicolon",
        "old_url;new_url\n/a,1;/b\n/c;/d,e\n",
        "utf-8",
        [("/a,1", "/b", 2), ("/c", "/d,e", 3)],
    ),
    ("semicolon-no-header", "/x,y;/z\n/p;/q\n", "utf-8", [("/x,y", "/z", 1), ("/p", "/q", 2)]),
    ("tab", "# exported\nold_url\tnew_url\n/a\t/b,c\n", "utf-8", [("/a", "/b,c", 3)]),
    (
        "quoted-newline",
        'old_url,new_url,note\n/a,/b,"two\r\nlines"\n"/c",/d,x\n',
        "utf-8",
        [("/a", "/b", 2), ("/c", "/d", 4)],
    ),
    (
        "crlf-lf-cr-mix",
        "old_url,new_url\r\n/a,/b\r/c,/d\n\r\n/e,/f\r\n/g,/h",
        "utf-8",
        [("/a", "/b", 2), ("/c", "/d", 3), ("/e", "/f", 5), ("/g", "/h", 6)],
    ),
    ("cr-only", "old_url,new_url\r/a,/b\r\r/c,/d\r", "utf-8", [("/a", "/b", 2), ("/c", "/d", 4)]),
]


def _expected(rows: list[tuple[str, str, int]], prefix: str = "") -> list[tuple[str, str, int]]:
    return [
        (f"{BASE}{a.replace('/', '/' + prefix)}", f"{BASE}{b.replace('/', '/' + prefix)}", line)
        for a, b, line in rows
    ]


@pytest.mark.parametrize(("case", "text", "codec", "rows"), READABLE, ids=[c[0] for c in READABLE])
def test_reader_reads_every_encoding_delimiter_and_line_end(
    tmp_path: Path, case: str, text: str, codec: str, rows: list[tuple[str, str, int]]
) -> None:
    path = tmp_path / f"{case}.csv"
    path.write_bytes(text.encode(codec))
    got = [(r.source, r.expected_target, r.origin.line) for r in read_map(path, BASE)]
    assert got == _expected(rows)


def test_check_map_reads_them_all_through_the_cli(tmp_path: Path) -> None:
    args: list[str] = []
    want = set()
    for case, text, codec, rows in READABLE:
        # One run for all files: a prefix per file keeps their URLs apart.
        (tmp_path / f"{case}.csv").write_bytes(text.replace("/", f"/{case}-").encode(codec))
        args += ["--map", f"{case}.csv"]
        want |= {(a, b, f"{case}.csv", line) for a, b, line in _expected(rows, f"{case}-")}
    code, err = finish(
        cli("check-map", *args, "--base-url", BASE, "--format", "json", "--out", "o", cwd=tmp_path)
    )
    assert code == 0, err
    data = json.loads((tmp_path / "o" / "findings.json").read_text(encoding="utf-8"))
    got = {
        (v["url"], v["expected_url"], v["origin"]["file"], v["origin"]["line"])
        for v in data["verdicts"]
    }
    assert got == want


def test_na_values_stay_strings_in_every_reader(tmp_path: Path) -> None:
    notes = "".join(f"/n{i},/t{i},,{na}\n" for i, na in enumerate(NA_VALUES))
    rules = read_map(_write(tmp_path, "m.csv", f"old_url,new_url,status,note\n{notes}"), BASE)
    assert [r.note for r in rules] == list(NA_VALUES)
    assert all(r.expected_status is None for r in rules)
    # As a URL, "NA" is a relative path like any other: kept, not dropped or turned into None.
    (na_target,) = read_map(_write(tmp_path, "t.csv", "/a,NA\n"), BASE)
    assert na_target.expected_target == f"{BASE}/NA"
    with pytest.raises(InputError, match=r"s\.csv:2: bad status 'NA'"):
        read_map(_write(tmp_path, "s.csv", "old_url,new_url,status\n/a,/b,NA\n"), BASE)
    listed = read_url_list(_write(tmp_path, "u.txt", "/null\n/None\n/-\n"), BASE)
    assert [u.url for u in listed] == [f"{BASE}/null", f"{BASE}/None", f"{BASE}/-"]
    index = read_priority([_write(tmp_path, "p.csv", "URL,Clicks\n/NA,3\n/null,-\n/x,N/A\n")], BASE)
    assert index.get(f"{BASE}/NA") is not None and index.get(f"{BASE}/NA").clicks == 3  # type: ignore[union-attr]
    assert index.get(f"{BASE}/null").clicks is None  # type: ignore[union-attr]


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


# ---------------------------------------------------------------------------------------------
# Files that are refused: (case, bytes, line or None, part of the message)

HUGE_CELL = b"/c," + b"x" * (10 * 1024 * 1024) + b"\n"
REFUSED: list[tuple[str, bytes, int | None, str]] = [
    (
        "cp1252-e-acute",
        "old_url,new_url\n/a,/b\n/caf\xe9,/x\n".encode("latin-1"),
        3,
        "undecodable bytes (not UTF-8 or UTF-16) at byte 26: b'\\xe9,/x'; in Windows-1252 0xE9 "
        "is 'é'",
    ),
    (
        "cp1252-smart-quotes",
        "old_url;new_url;note\n/a;/b;\u201cnew\u201d\n".encode("cp1252"),
        2,
        "0x93 is '\u201c' (an Excel 'CSV' export?): save it as 'CSV UTF-8'",
    ),
    ("utf8-then-latin1", "/é,/b\n/c,/d\n".encode() + b"/\xe8,/f\n", 3, "0xE8 is 'è'"),
    ("utf16-odd-length", "/a,/b\n/c,/d\n".encode("utf-16-le") + b"x", 3, "invalid UTF-16 LE"),
    ("nul-byte", b"old_url,new_url\n/a,/b\n/c\x00,/d\n", 3, "NUL byte"),
    ("xlsx-as-csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xde", 1, "NUL byte"),
    ("unbalanced-quote", b'old_url,new_url\n/a,/b\n"/c,/d\n/e,/f\n', 3, "unbalanced quote"),
    ("quote-after-quote", b'old_url,new_url\n/a,"/b"x\n', 2, "malformed CSV"),
    ("huge-cell", b"old_url,new_url\n/a,/b\n" + HUGE_CELL, 3, f"longer than {MAX_LINE}"),
    (
        "huge-quoted-field",
        b'old_url,new_url\n/a,/b\n/c,"' + b"x\n" * 200_000 + b'"\n',
        3,
        "field larger than 131072 characters",
    ),
    ("empty", b"", None, "redirect map is empty: 0 bytes"),
    ("only-comments", b"\n# nothing\n\n", None, "only blank or comment lines"),
    ("header-only", b"old_url,new_url\r\n", None, "a header row (line 1) and no data rows"),
    ("missing-column", b"old_url,notes\n/a,/b\n", 1, "missing column new_url"),
    # its only row: beside readable rows it would be a map-row-unreadable finding instead
    ("missing-cell", b"old_url,new_url\n/c\n", 2, "missing new_url"),
]


@pytest.mark.parametrize(("case", "data", "line", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_files_name_file_line_and_problem(
    tmp_path: Path, case: str, data: bytes, line: int | None, message: str
) -> None:
    path = tmp_path / f"{case}.csv"
    path.write_bytes(data)
    where = f"{case}.csv:{line}: " if line is not None else f"{case}.csv: "
    # Both commands at once: two interpreters starting is most of the cost.
    procs = [
        cli(cmd, "--map", path.name, "--base-url", BASE, "--out", f"o-{cmd}", cwd=tmp_path)
        for cmd in ("check-map", "audit")
    ]
    # The reader and the API, in this process, while the subprocesses run.
    with pytest.raises(InputError) as info:
        read_map(path, BASE)
    assert (info.value.file, info.value.line) == (str(path), line)
    assert message in str(info.value)
    import migrationaudit

    with pytest.raises(InputError) as api_info:
        migrationaudit.audit(map=str(path), base_url=BASE, out=tmp_path / "api")
    assert str(api_info.value) == str(info.value)
    for proc in procs:
        code, err = finish(proc)
        assert code == 2, err
        lines = err.splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith(f"migrationaudit: error: {where}"), err
        assert message in lines[0]
    assert not (tmp_path / "o-audit" / "run" / "hops.jsonl").exists()


def test_refusal_does_not_read_a_huge_cell_into_memory(tmp_path: Path) -> None:
    # No line break at all in 64 MB: the reader stops after MAX_LINE + 1 characters.
    path = tmp_path / "one-line.csv"
    with path.open("wb") as f:
        f.write(b"/a,")
        for _ in range(64):
            f.write(b"y" * 2**20)
    code = (
        "import resource, sys\n"
        "from migrationaudit.errors import InputError\n"
        "from migrationaudit.inputs.maps import read_map\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    read_map(sys.argv[1], 'http://old.example')\n"
        "except InputError as exc:\n"
        "    print(exc)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    message, grown_mb = proc.stdout.splitlines()
    assert message.endswith(f"one-line.csv:1: line longer than {MAX_LINE} characters (a huge "
                            "cell or no line breaks?)")  # fmt: skip
    assert int(grown_mb) < 32, proc.stdout  # the whole file as text would be 64+ MB


def test_url_lists_and_hosting_files_share_the_policy(tmp_path: Path) -> None:
    utf16 = tmp_path / "u.txt"
    utf16.write_bytes("\ufeff/a\r/b\r\n# c\n/d\n".encode("utf-16-le"))
    assert [(u.url, u.origin.line) for u in read_url_list(utf16, BASE)] == [
        (f"{BASE}/a", 1),
        (f"{BASE}/b", 2),
        (f"{BASE}/d", 4),
    ]
    latin = tmp_path / "l.txt"
    latin.write_bytes(b"/a\n/\xe9\n")
    with pytest.raises(InputError, match=r"l\.txt:2: undecodable bytes .* 0xE9 is 'é'"):
        read_url_list(latin, BASE)
    # U+2028 is not a line break (str.splitlines would say it is, and shift every line number)
    odd = tmp_path / "odd.txt"
    odd.write_text("/a\u2028b\n/c\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"odd\.txt:1: unparseable URL"):
        read_url_list(odd, BASE)
    netlify = tmp_path / "rules.txt"
    netlify.write_bytes("/a /b 301\r\n\r/c /d\r".encode("utf-16"))
    assert detect_format(netlify) == "netlify"
    assert read_text(netlify)[1] == "/a /b 301\r\n\r/c /d\r"  # BOM dropped, line ends kept
    rules, _ = read_map_file(netlify, BASE)
    assert [(r.source, r.origin.line) for r in rules] == [(f"{BASE}/a", 1), (f"{BASE}/c", 3)]


def test_priority_export_refusals_name_the_line(tmp_path: Path) -> None:
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"URL,Clicks\n/a,1\n/b\x00,2\n")
    with pytest.raises(InputError, match=r"nul\.csv:3: NUL byte"):
        read_priority([nul], BASE)
    quote = tmp_path / "quote.csv"
    quote.write_bytes(b'URL,Clicks\n/a,1\n"/b,2\n')
    with pytest.raises(InputError, match=r"quote\.csv:3: malformed CSV: unbalanced quote"):
        read_priority([quote], BASE)


# ---------------------------------------------------------------------------------------------
# Memory: a big map is validated streaming


def _rss_growth(code: str, path: Path, n: int) -> dict[str, int]:
    script = (
        "import json, resource, sys\n"
        "from migrationaudit.inputs.maps import iter_map, read_map\n"
        "def peak(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024\n"
        "base = peak()\n" + code
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(path), str(n)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, int] = json.loads(proc.stdout)
    return result


def test_a_200k_row_map_is_validated_with_flat_memory(tmp_path: Path) -> None:
    n = 200_000
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("old_url,new_url,status,note\r\n")
        for i in range(n):
            f.write(f"http://www.old.example/catalog/item-{i}.html,/products/{i}/,301,NA\r\n")
    size = path.stat().st_size  # ≈ 16 MB
    validated = _rss_growth(
        "count = sum(1 for _ in iter_map(sys.argv[1], 'https://new.example'))\n"
        "print(json.dumps({'rows': count, 'grown': peak() - base}))\n",
        path,
        n,
    )
    assert validated["rows"] == n
    # Streaming: no copy of the file (as bytes or text) is ever held. Generous bound: a
    # third of the file (measured: ~4 MB, mostly the decoder's and csv's buffers).
    assert validated["grown"] < size / 3, validated
    kept = _rss_growth(
        "rules = read_map(sys.argv[1], 'https://new.example')\n"
        "print(json.dumps({'rows': len(rules), 'grown': peak() - base}))\n",
        path,
        n,
    )
    assert kept["rows"] == n
    # Keeping every rule costs the rules only (measured ~500 bytes a row: two URLs, an
    # origin, the rule), not the file on top of them.
    assert kept["grown"] < 800 * n, kept


# ---------------------------------------------------------------------------------------------
# The Python API: DataFrames in, DataFrames out, no NaN

OLD, NEW = "http://old.example", "http://new.example"


@pytest.fixture(scope="module")
def na_site() -> Any:
    routes: list[dict[str, Any]] = []
    for i, na in enumerate(NA_VALUES):
        routes.append({"url": f"{OLD}/p{i}", "location": f"{NEW}/p{i}"})
        routes.append({"url": f"{NEW}/p{i}", "status": 200, "title": na})
    server = ScenarioServer(parse_site({"routes": routes})).start()
    yield server
    server.stop()


def test_api_keeps_na_strings_in_frames_and_csv_round_trips(
    na_site: ScenarioServer, tmp_path: Path
) -> None:
    import pandas as pd

    import migrationaudit

    # A map as a DataFrame read the careless way: the status column has a gap, so pandas made
    # it float64 (301.0, NaN); the note column holds NA-like strings.
    frame = pd.DataFrame(
        {
            "old_url": [f"{OLD}/p{i}" for i in range(len(NA_VALUES))],
            "new_url": [f"{NEW}/p{i}" for i in range(len(NA_VALUES))],
            "status": [None if i == 1 else 301 for i in range(len(NA_VALUES))],
            "note": list(NA_VALUES),
        }
    )
    assert frame["status"].dtype == "float64"
    run = migrationaudit.audit(
        map=frame,
        connect_to=[e.spec for e in na_site.connect_to()],
        out=tmp_path / "out",
        timeout=3,
        retries=0,
        format=["csv"],
    )
    written = (tmp_path / "out" / "api-map.csv").read_text(encoding="utf-8")
    assert f"{OLD}/p0,{NEW}/p0,301,NA" in written and f"{OLD}/p1,{NEW}/p1,,N/A" in written
    assert set(run.verdicts.verdict) == {"ok"}, run.verdicts[["url", "verdict", "rules"]]

    finals = run.hops[run.hops.kind == "final"]
    titles = dict(zip(finals.url, finals.page_title, strict=True))
    assert titles == {f"{NEW}/p{i}": na for i, na in enumerate(NA_VALUES)}
    for table in (run.hops, run.verdicts, run.findings):
        assert all(str(dtype) == "object" for dtype in table.dtypes), table.dtypes
        assert not any(v != v for col in table for v in table[col]), table  # NaN != NaN

    # Read back as the README says (keep_default_na=False, dtype=str): every cell as written,
    # None as "" — and the NA-like titles are still strings.
    def back(name: str) -> pd.DataFrame:
        return pd.read_csv(tmp_path / "out" / name, dtype=str, keep_default_na=False)

    hops = back("hops.csv")
    titles_back = dict(zip(hops.url, hops.page_title, strict=True))
    assert {u: titles_back[u] for u in titles} == {
        u: ("'-" if t == "-" else t) for u, t in titles.items()
    }  # "-" starts like a formula: neutralised in CSV files only (issue 6, "Outputs")
    verdicts = back("verdicts.csv")
    assert list(verdicts.columns) == list(run.verdicts.columns)
    as_text = run.verdicts.map(lambda v: "" if v is None else str(v))
    assert verdicts.to_dict("records") == as_text.to_dict("records")
    assert (
        not pd.read_csv(tmp_path / "out" / "verdicts.csv", keep_default_na=False)
        .isna()
        .any(axis=None)
    )


def test_api_rows_with_missing_values_are_empty_cells(tmp_path: Path) -> None:
    import math

    import migrationaudit

    # Rows given as tuples, NaN where a spreadsheet had a gap: an empty status, kept NA note.
    rows = [(f"{OLD}/a", f"{NEW}/a", math.nan, "NA"), (f"{OLD}/b", None, 410.0, "null")]
    # (a missing URL list stops the audit after the map is written, before any request: the
    # unreadable row /c alone would be a map-row-unreadable finding, not an error)
    with pytest.raises(InputError, match=r"no-such-list\.txt"):
        migrationaudit.audit(
            map=[*rows, ("/c", "/d")], urls=str(tmp_path / "no-such-list.txt"), out=tmp_path
        )
    assert (tmp_path / "api-map.csv").read_text(encoding="utf-8").splitlines() == [
        "old_url,new_url,status,note",
        f"{OLD}/a,{NEW}/a,,NA",
        f"{OLD}/b,,410,null",
        "/c,/d",
    ]

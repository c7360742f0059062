"""tables.py frames and the CSV files written from them (formula-safe, NA-safe)."""

from __future__ import annotations

import csv
import io

import pandas as pd
from audit_fixture import BIDI_URL, FORMULA_TITLE, FORMULA_URL, NEW, OLD, SCRIPT_URL

from migrationaudit.models.result import AuditResult
from migrationaudit.reports import csvout
from migrationaudit.settings import KEPT_HEADERS
from migrationaudit.tables import (
    csv_safe,
    evidence_path,
    findings_frame,
    hops_frame,
    to_csv_text,
    verdicts_frame,
)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_hops_frame_one_row_per_hop_keyed_by_legacy_url(audit_result: AuditResult) -> None:
    frame = hops_frame(audit_result)
    assert list(frame.columns[:9]) == [
        "legacy_url",
        "hop_index",
        "url",
        "status",
        "kind",
        "location",
        "target",
        "error",
        "elapsed_ms",
    ]
    for name in KEPT_HEADERS:
        assert f"header_{name}" in frame.columns
    assert "header_x-custom" in frame.columns  # an extra header gets its own column
    assert len(frame) == sum(len(c.hops) for c in audit_result.chains.values())
    chain = frame[frame.legacy_url == f"{OLD}/chain"]
    assert list(chain.hop_index) == [0, 1, 2, 3]
    assert list(chain.status) == [301, 302, 301, 200]
    assert list(chain.kind) == ["http-redirect"] * 3 + ["final"]
    assert chain.url.iloc[-1] == f"{NEW}/chain/"
    # legacy URLs appear in input (verdict) order; the map-only URL has no hop rows
    assert list(dict.fromkeys(frame.legacy_url))[:3] == [f"{OLD}/ok", f"{OLD}/chain", f"{OLD}/loop"]
    assert f"{OLD}/self" not in set(frame.legacy_url)


def test_frames_are_object_typed_and_keep_none(audit_result: AuditResult) -> None:
    for frame in (
        hops_frame(audit_result),
        verdicts_frame(audit_result),
        findings_frame(audit_result),
    ):
        assert [str(d) for d in frame.dtypes] == ["object"] * len(frame.columns)
    hops = hops_frame(audit_result)
    dead = hops[hops.url == "https://dead.example/x"].iloc[0]
    assert dead.status is None
    assert dead.error == "ConnectionRefusedError: Connection refused"
    noindex = hops[hops.url == f"{NEW}/noindex"].iloc[0]
    assert noindex["header_x-robots-tag"] == "NA"
    assert noindex["header_x-custom"] == "null"
    assert noindex.page_title == "null"


def test_verdicts_frame(audit_result: AuditResult) -> None:
    frame = verdicts_frame(audit_result)
    assert list(frame.url) == [v.url for v in audit_result.verdicts]
    row = frame[frame.url == f"{OLD}/chain"].iloc[0]
    assert row.rules == "redirect-chain scheme-hop slash-hop temporary-redirect"
    assert row.origin == "map.csv:3"
    assert row.target_match is True
    incomplete = frame[frame.url == f"{OLD}/partial"].iloc[0]
    assert (incomplete.verdict, incomplete.final_url, incomplete.indexable) == (
        "incomplete",
        None,
        None,
    )


def test_findings_frame_paths(audit_result: AuditResult) -> None:
    frame = findings_frame(audit_result)
    assert len(frame) == len(audit_result.findings)
    loop = frame[frame.rule == "redirect-loop"].iloc[0]
    assert loop.path.endswith(f"{OLD}/loop [loop]")
    assert loop.hop_count == 2
    self_row = frame[frame.rule == "map-self"].iloc[0]
    assert (self_row.path, self_row.hop_count) == ("", 0)


def test_evidence_path_without_a_chain() -> None:
    from audit_fixture import hop

    assert evidence_path(()) == ""
    assert evidence_path((hop("http://a/", 301, "http://b/"),)) == "http://a/ --301--> http://b/"
    assert evidence_path((hop("http://a/", 404),)) == "http://a/ [404]"


def test_csv_formula_cells_are_neutralised(audit_result: AuditResult) -> None:
    files = csvout.render_files(audit_result)
    assert set(files) == {"hops.csv", "verdicts.csv", "findings.csv"}
    findings = rows(files["findings.csv"])
    mismatch = next(r for r in findings if r["rule"] == "target-mismatch")
    assert mismatch["url"] == FORMULA_URL  # "=" mid-cell is not a formula: left alone
    assert mismatch["expected_url"] == "'@SUM(A1)"
    assert mismatch["message"] == "'-1+1 lands on a different page"
    hops = rows(files["hops.csv"])
    assert any(r["page_title"] == "'" + FORMULA_TITLE for r in hops)
    assert any(r["page_title"] == "'=1+1" for r in hops)
    # no cell of any file starts with a formula character
    for text in files.values():
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_csv_none_is_empty_and_na_stays_text(audit_result: AuditResult) -> None:
    hops = rows(csvout.render_files(audit_result)["hops.csv"])
    dead = next(r for r in hops if r["url"] == "https://dead.example/x")
    assert dead["status"] == "" and dead["location"] == ""
    redirect = next(r for r in hops if r["url"] == f"{OLD}/ok")
    assert (redirect["status"], redirect["hop_index"]) == ("301", "0")  # no 301.0
    noindex = next(r for r in hops if r["url"] == f"{NEW}/noindex")
    assert noindex["header_x-robots-tag"] == "NA"
    assert noindex["page_title"] == "null"


def test_csv_round_trips_through_pandas(audit_result: AuditResult) -> None:
    text = csvout.render_files(audit_result)["verdicts.csv"]
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert list(back.url) == [v.url for v in audit_result.verdicts]
    assert SCRIPT_URL in set(back.url)
    assert BIDI_URL in set(back.url)  # text is kept verbatim apart from the formula guard
    assert text.endswith("\n") and "\r\n" not in text


def test_csv_safe_leaves_numbers_and_plain_text_alone() -> None:
    frame = pd.DataFrame(
        [[-1, "-x", "a=b", None, "@"], [2.5, "\tx", "ok", "NA", "+1"]],
        columns=["n", "t", "u", "v", "=w"],
        dtype=object,
    )
    safe = csv_safe(frame)
    assert list(safe.columns) == ["n", "t", "u", "v", "'=w"]
    assert safe.values.tolist() == [
        [-1, "'-x", "a=b", None, "'@"],
        [2.5, "'\tx", "ok", "NA", "'+1"],
    ]
    assert to_csv_text(frame).splitlines()[1] == "-1,'-x,a=b,,'@"


def test_empty_result_has_headers_only(empty_result: AuditResult) -> None:
    files = csvout.render_files(empty_result)
    for name, text in files.items():
        assert len(text.splitlines()) == 1, name
    assert files["hops.csv"].startswith("legacy_url,hop_index,url,status,")


class _Text(str):
    """A str subclass: written as csv writes it (the plain-line shortcut does not take it)."""


def test_csv_chunks_write_any_row_as_the_csv_module_does() -> None:
    import random

    from migrationaudit.humanize import formula_safe

    pieces = ["a", "b c", ",", '"', "\n", "\r", "\t", "=", "+", "-", "@", "é", "", "1"]
    values: list[object] = [None, 0, -3, 2.5, float("nan"), True, False, _Text("-x"), _Text("y")]
    rnd = random.Random(7)
    table = [
        [
            rnd.choice(values) if rnd.random() < 0.3 else "".join(rnd.choices(pieces, k=3))
            for _ in range(rnd.randint(1, 4))
        ]
        for _ in range(3000)
    ]
    table += [[""], [None], ["", ""], ["=1", "x"], ["x", "-1"], ["ok", "fine"]]
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(["h1", "h2"])
    writer.writerows([formula_safe(v) for v in row] for row in table)
    assert "".join(csvout.csv_chunks(["h1", "h2"], table)) == expected.getvalue()

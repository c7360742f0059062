"""Outputs at scale: findings.json, SARIF, JUnit and the CSVs are streamed (the same text as
rendering them whole, in a fraction of the memory), and report.html caps its tables to the
worst rows above ``--html-rows``, saying so and linking the files that hold everything."""

from __future__ import annotations

import json
import math
import re
import tracemalloc
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from audit_fixture import OLD
from click.testing import CliRunner
from lxml import html as lxml_html
from test_browser import synthetic_result

from migrationaudit.cli import main
from migrationaudit.models.findings import Severity
from migrationaudit.models.inputs import LinkValue
from migrationaudit.models.result import AuditResult
from migrationaudit.reports import csvout, html, jsonout, junit, sarif, write_reports
from migrationaudit.reports.htmlselect import select_rows
from migrationaudit.reports.streamjson import placeholder, pretty, stream_document
from migrationaudit.tables import findings_frame, hops_frame, to_csv_text, verdicts_frame

FIXTURES = ["audit_result", "clean_result", "empty_result"]


def embedded(page: str) -> dict[str, Any]:
    doc = lxml_html.fromstring(page)
    data: dict[str, Any] = json.loads(doc.get_element_by_id("report-data").text)
    return data


def with_values(result: AuditResult) -> AuditResult:
    """The fixture with link values on a few URLs (``--priority``)."""
    worth = {
        f"{OLD}/missing": LinkValue(referring_domains=40, clicks=1200),
        f"{OLD}/chain": LinkValue(referring_domains=3, traffic=9),
        f"{OLD}/loop": LinkValue(referring_domains=7),
    }
    return replace(
        result, verdicts=tuple(replace(v, value=worth.get(v.url)) for v in result.verdicts)
    )


# --- streamed writers: the same text as one whole render ---------------------------------------


class Colour(str, Enum):
    RED = "red"


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [1.5, -0.0, 1e300, True, False, None, {}, []], "c": {"z": {"y": "x"}}},
        {"nan": math.nan, "inf": [math.inf, -math.inf]},
        {"ctl": 'a\x00b\x1f"\\', "sep": "\u2028\u2029", "bidi": "\u202e", "emoji": "\U0001f600"},
        {2: "int keys", 1: "fall back to json"},
        {"enum": Colour.RED, "int": Severity.ERROR, "tuple": (1, (2, 3))},
        [],
        "plain",
        7,
    ],
)
@pytest.mark.parametrize("sort_keys", [True, False])
def test_pretty_is_json_dumps_with_indent(value: Any, sort_keys: bool) -> None:
    whole = json.dumps({"k": [value]}, indent=2, ensure_ascii=False, sort_keys=sort_keys)
    nested = pretty(value, "    ", sort_keys=sort_keys)
    assert whole == '{\n  "k": [\n    ' + nested + "\n  ]\n}"


def test_a_late_non_text_key_falls_back_whole() -> None:
    # The str keys before it were already encoded when the int key turns up.
    value = {"a": {"x": [1, {"y": None}]}, "b": "text", 3: "int key", "c": 1.5}
    whole = json.dumps({"k": [value]}, indent=2, ensure_ascii=False)
    assert whole == '{\n  "k": [\n    ' + pretty(value, "    ") + "\n  ]\n}"


def test_stream_document_fills_placeholders_at_any_depth() -> None:
    items = [{"u": f"http://x/{i}", "n": i} for i in range(5)]
    # A run value that looks like a placeholder is just text: tokens are random per render.
    doc = {"run": {"note": "\x00migrationaudit:findings\x00"}, "a": {"b": [{"items": items}]}}
    skeleton = {"run": doc["run"], "a": {"b": [{"items": placeholder("items")}]}}
    for sort_keys in (True, False):
        text = "".join(stream_document(skeleton, {"items": iter(items)}, sort_keys=sort_keys))
        assert text == json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=sort_keys) + "\n"
    empty = "".join(stream_document({"x": placeholder("x")}, {"x": iter(())}))
    assert empty == '{\n  "x": []\n}\n'


@pytest.mark.parametrize("fixture", FIXTURES)
def test_streamed_json_and_sarif_equal_one_dump(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    result: AuditResult = request.getfixturevalue(fixture)
    for r in (result, with_values(result)):
        whole = json.dumps(jsonout.document(r), sort_keys=True, ensure_ascii=False, indent=2)
        assert "".join(jsonout.chunks(r)) == whole + "\n"
        log = json.dumps(sarif.document(r), ensure_ascii=False, indent=2)
        assert "".join(sarif.chunks(r)) == log + "\n"


@pytest.mark.parametrize("fixture", FIXTURES)
def test_streamed_junit_equals_the_whole_tree(fixture: str, request: pytest.FixtureRequest) -> None:
    import xml.etree.ElementTree as ET

    result: AuditResult = request.getfixturevalue(fixture)
    root = junit.build(result)
    ET.indent(root)
    whole = ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
    assert "".join(junit.chunks(result)).encode("utf-8") == whole
    assert junit.render(result) == whole


@pytest.mark.parametrize("fixture", FIXTURES)
def test_streamed_csvs_equal_the_dataframes(fixture: str, request: pytest.FixtureRequest) -> None:
    result: AuditResult = request.getfixturevalue(fixture)
    frames = {
        "hops.csv": hops_frame,
        "verdicts.csv": verdicts_frame,
        "findings.csv": findings_frame,
    }
    for r in (result, with_values(result)):
        files = csvout.render_files(r)
        assert list(files) == list(frames)
        for name, frame in frames.items():
            assert files[name] == to_csv_text(frame(r)), name


def test_big_outputs_are_written_in_little_memory(tmp_path: Path) -> None:
    result = synthetic_result(5000)
    whole_json = len(jsonout.render(result).encode("utf-8"))
    tracemalloc.start()
    try:
        peaks = {}
        for fmt in ("json", "sarif", "csv", "junit"):
            tracemalloc.reset_peak()
            write_reports(result, tmp_path, [fmt])
            peaks[fmt] = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (tmp_path / "findings.json").stat().st_size == whole_json > 4_000_000
    # One item at a time: a small fraction of the file (rendering it whole takes ~2x the file).
    assert peaks["json"] < whole_json / 10, peaks
    assert peaks["sarif"] < (tmp_path / "findings.sarif").stat().st_size / 4, peaks
    # CSV and JUnit keep an index of the URLs (dedupe, findings per URL): below the files' size.
    # (Rendered whole, these took 7.5 MB and 5.1 MB here.)
    csv_size = sum((tmp_path / name).stat().st_size for name in csvout.FILENAMES)
    assert peaks["csv"] < csv_size / 2, peaks
    assert peaks["junit"] < 2_500_000, peaks


def test_a_render_error_midway_keeps_the_old_file(
    audit_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "findings.json").write_text("previous", encoding="utf-8")

    def broken(result: AuditResult) -> Any:
        yield '{\n  "findings": [\n'
        raise RuntimeError("render bug after the first chunk")

    monkeypatch.setattr(jsonout, "chunks", broken)
    with pytest.raises(RuntimeError, match="render bug"):
        write_reports(audit_result, tmp_path, ["csv", "json"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["findings.json"]
    assert (tmp_path / "findings.json").read_text(encoding="utf-8") == "previous"


# --- report.html: capped above --html-rows --------------------------------------------------


def test_below_the_cap_nothing_changes(audit_result: AuditResult) -> None:
    assert len(audit_result.verdicts) == 14 and len(audit_result.findings) == 15
    assert not html.capped(audit_result) and not html.capped(audit_result, 15)
    assert html.capped(audit_result, 14)  # more findings than 14
    page = html.render(audit_result)
    assert page == html.render(audit_result, max_rows=0) == html.render(audit_result, 15)
    assert 'class="capped"' not in page and "vn" not in embedded(page)


def test_a_capped_report_lists_the_worst_rows_and_says_so(audit_result: AuditResult) -> None:
    result = with_values(audit_result)
    page = html.render(result, max_rows=3)
    doc = lxml_html.fromstring(page)
    data = embedded(page)
    urls = data["s"]
    listed = [urls[row[0]] for row in data["V"][: data["vn"]]]
    # the 3 worst: errors, the most valuable first, then by URL
    errors = sorted(v.url for v in result.verdicts if v.verdict == "error")
    valued = [f"{OLD}/missing", f"{OLD}/loop"]  # 40 then 7 referring domains, both errors
    assert listed == (valued + [u for u in errors if u not in valued])[:3]
    # the findings table: at most 3 per rule, every rule present
    per_rule: dict[str, int] = {}
    for row in data["F"]:
        rule = data["rules"][row[0]]["id"]
        per_rule[rule] = per_rule.get(rule, 0) + 1
    assert per_rule.keys() == result.counts_by_rule().keys()
    assert all(n == min(3, result.counts_by_rule()[r]) for r, n in per_rule.items())
    # every finding's verdict row is embedded (for its value and curl), after the listed ones
    assert all(row[3] >= 0 for row in data["F"])
    assert len(data["V"]) >= data["vn"] == 3
    # the first page shows the listed rows only; the summary counts everything
    assert len(doc.xpath('//table[@id="verdict-table"]/tbody/tr')) == 3
    assert doc.get_element_by_id("total-urls").text_content() == "14"
    assert doc.get_element_by_id("total-findings").text_content() == "15"
    note = " ".join(doc.xpath('//p[@data-capped="verdicts"]')[0].text_content().split())
    assert note.startswith(
        "Showing 3 of 14 legacy URLs — the full data is in verdicts.csv / findings.csv / "
        "findings.json beside this report."
    )
    assert "then by link value" in note
    links = doc.xpath('//p[@data-capped="verdicts"]/a/@href')
    assert links == ["verdicts.csv", "findings.csv", "findings.json"]
    # no rule has more than 3 findings: the findings table is whole, and says nothing
    assert not doc.xpath('//p[@data-capped="findings"]')
    one = lxml_html.fromstring(html.render(result, max_rows=1))
    note = " ".join(one.xpath('//p[@data-capped="findings"]')[0].text_content().split())
    assert note.startswith(f"Showing {len(result.counts_by_rule())} of 15 findings")
    assert "Listed here: the worst 1 of each rule" in note


def test_the_worst_findings_rank_by_severity_value_and_url(audit_result: AuditResult) -> None:
    result = with_values(audit_result)
    chosen = select_rows(result, 1)
    assert chosen.listed == 1 and chosen.verdicts[0].url == f"{OLD}/missing"
    # one finding per rule, worst severity first
    assert sorted(f.rule_id for f in chosen.findings) == sorted(result.counts_by_rule())
    severities = [int(f.severity) for f in chosen.findings]
    assert severities == sorted(severities, reverse=True)


def test_the_cli_option_and_config_key_cap_the_report(tmp_path: Path) -> None:
    demo_map = Path(__file__).resolve().parents[2] / "sample_maps" / "demo" / "redirects.csv"
    runner = CliRunner()
    out = tmp_path / "flag"
    got = runner.invoke(main, ["check-map", "--map", str(demo_map), "--out", str(out), "-q",
                               "--html-rows", "2"])  # fmt: skip
    assert got.exit_code in (0, 1), got.output
    note = lxml_html.parse(str(out / "report.html")).xpath('//p[@data-capped="verdicts"]')
    assert re.match(r"Showing 2 of \d+ legacy URLs", " ".join(note[0].text_content().split()))
    config = tmp_path / "migrationaudit.toml"
    config.write_text("html_rows = 0\n", encoding="utf-8")
    out = tmp_path / "config"
    got = runner.invoke(main, ["check-map", "--map", str(demo_map), "--out", str(out), "-q",
                               "--config", str(config)])  # fmt: skip
    assert got.exit_code in (0, 1), got.output
    assert 'class="capped"' not in (out / "report.html").read_text(encoding="utf-8")


def test_the_documented_default_is_the_real_one() -> None:
    option = next(p for p in main.commands["audit"].params if p.name == "html_rows")
    assert f"default {html.HTML_ROWS:,}" in str(option.help)

"""write_reports: the contract file names, atomic writes, errors; render_summary."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from migrationaudit.errors import ConfigError, ReportError
from migrationaudit.models.result import AuditResult
from migrationaudit.reports import FORMATS, render_summary, write_reports

CONTRACT_FILES = {
    "report.html",
    "findings.json",
    "hops.csv",
    "verdicts.csv",
    "findings.csv",
    "junit.xml",
    "summary.md",
}


def test_formats_are_the_contract() -> None:
    assert FORMATS == ("html", "json", "csv", "junit", "markdown")


@pytest.mark.parametrize("fixture", ["audit_result", "clean_result", "empty_result"])
def test_every_format_renders_every_result(
    fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    result: AuditResult = request.getfixturevalue(fixture)
    written = write_reports(result, tmp_path / "out")
    assert set(written) == CONTRACT_FILES
    assert {p.name for p in (tmp_path / "out").iterdir()} == CONTRACT_FILES
    for name, path in written.items():
        assert path == tmp_path / "out" / name
        assert path.stat().st_size > 0
        path.read_text(encoding="utf-8")  # all of it is UTF-8 text


def test_subset_of_formats_and_case_and_duplicates(
    audit_result: AuditResult, tmp_path: Path
) -> None:
    written = write_reports(audit_result, tmp_path, ["JSON", "csv", "json"])
    assert list(written) == ["findings.json", "hops.csv", "verdicts.csv", "findings.csv"]
    assert {p.name for p in tmp_path.iterdir()} == set(written)


def test_a_single_format_string(audit_result: AuditResult, tmp_path: Path) -> None:
    assert list(write_reports(audit_result, tmp_path, "markdown")) == ["summary.md"]


def test_unknown_format_is_a_config_error_before_writing(
    audit_result: AuditResult, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="unknown report format 'pdf'"):
        write_reports(audit_result, tmp_path / "out", ["json", "pdf"])
    assert not (tmp_path / "out").exists()


def test_overwrites_and_leaves_no_temporary_files(
    audit_result: AuditResult, tmp_path: Path
) -> None:
    (tmp_path / "findings.json").write_text("old", encoding="utf-8")
    write_reports(audit_result, tmp_path)
    write_reports(audit_result, tmp_path)
    assert (
        json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))["schema_version"] == 1
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(CONTRACT_FILES)


def test_files_get_umask_permissions_not_private_ones(
    audit_result: AuditResult, tmp_path: Path
) -> None:
    old = os.umask(0o022)
    try:
        path = write_reports(audit_result, tmp_path, ["json"])["findings.json"]
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_failing_rename_keeps_the_old_files_and_cleans_up(
    audit_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "report.html").write_text("previous report", encoding="utf-8")
    real_replace = os.replace

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst).name == "report.html":
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(ReportError) as info:
        write_reports(audit_result, tmp_path)
    assert str(tmp_path / "report.html") in str(info.value)
    assert "No space left on device" in str(info.value)
    # the old file is whole, no half file and no temporary file is left
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == "previous report"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_render_error_writes_nothing(
    audit_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from migrationaudit.reports import markdown

    def boom(result: AuditResult, files: object = None) -> str:
        raise RuntimeError("render bug")

    monkeypatch.setattr(markdown, "render", boom)
    with pytest.raises(RuntimeError, match="render bug"):
        write_reports(audit_result, tmp_path)
    # html/json/csv/junit were staged before markdown failed: none of them was committed
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_unwritable_folder_is_a_report_error_naming_the_path(
    audit_result: AuditResult, tmp_path: Path
) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ReportError, match=str(tmp_path)):
            write_reports(audit_result, tmp_path, ["json"])
    finally:
        tmp_path.chmod(0o700)


def test_out_dir_that_is_a_file_is_a_report_error(
    audit_result: AuditResult, tmp_path: Path
) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ReportError, match=f"cannot create report folder {blocker}"):
        write_reports(audit_result, blocker / "out")


def test_target_that_is_a_folder_is_a_report_error(
    audit_result: AuditResult, tmp_path: Path
) -> None:
    (tmp_path / "summary.md").mkdir()
    (tmp_path / "summary.md" / "keep").write_text("x", encoding="utf-8")
    with pytest.raises(ReportError, match=f"cannot write {tmp_path / 'summary.md'}"):
        write_reports(audit_result, tmp_path, ["markdown"])
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_summary_for_a_failing_audit(audit_result: AuditResult, tmp_path: Path) -> None:
    text = render_summary(audit_result, tmp_path)
    lines = text.splitlines()
    assert 5 <= len(lines) <= 10
    assert lines[0] == (
        "migrationaudit: 14 legacy URLs: 2 ok, 1 notice, 2 warning, 8 error, 1 incomplete"
    )
    assert "findings: 8 error, 6 warning, 1 notice" in lines
    assert any(line.startswith("top rules: broken-target 2, ") for line in lines)
    assert "gate: FAIL (8 finding(s) at or above error)" in lines
    assert f"report: {tmp_path / 'report.html'}" in lines
    assert "partial run: the crawl did not finish; 1 URL incomplete" in lines
    # no crawled text reaches the terminal
    assert "<script>" not in text and "\x1b" not in text


def test_summary_for_a_passing_audit(clean_result: AuditResult) -> None:
    text = render_summary(clean_result)
    assert "gate: PASS (nothing at or above error)" in text
    assert "findings: 0 error, 0 warning, 1 notice" in text
    assert "report:" not in text and "partial" not in text


def test_summary_for_nothing(empty_result: AuditResult) -> None:
    text = render_summary(empty_result)
    assert text.splitlines()[0].startswith("migrationaudit: 0 legacy URLs: 0 ok")
    assert "gate: PASS" in text


def test_summary_has_no_trailing_newline(audit_result: AuditResult) -> None:
    # the CLI prints it with click.echo, which adds the newline
    assert not render_summary(audit_result).endswith("\n")


def test_capped_report_links_only_the_files_written(
    audit_result: AuditResult, tmp_path: Path
) -> None:
    """report.html cut to one row names only the data files written beside it (issue 12,
    item 10): none with --format html, the CSVs with html and csv."""
    from lxml import html as lxml_html

    def notes(formats: list[str]) -> tuple[list[str], str]:
        out = tmp_path / "-".join(formats)
        page = write_reports(audit_result, out, formats, html_rows=1)["report.html"]
        doc = lxml_html.fromstring(page.read_bytes())
        capped = doc.xpath('//*[@data-capped="verdicts"]')[0]
        text = " ".join(capped.text_content().split())
        return [a.get("href") for a in capped.xpath(".//a")], text

    hrefs, text = notes(["html"])
    assert hrefs == [] and "in no file of this run" in text
    hrefs, _ = notes(["html", "csv"])
    assert hrefs == ["verdicts.csv", "findings.csv"]
    hrefs, _ = notes(["html", "csv", "json"])
    assert hrefs == ["verdicts.csv", "findings.csv", "findings.json"]

"""``snapshot`` before cutover, ``audit --snapshot`` after it, on real loopback servers: every
parity rule fires on its planted pair and stays silent on the near-misses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from .cases import CASES, OLD, PARITY_RULES, after, before, new_path
from .site import LoopbackSites

pytestmark = pytest.mark.timeout(180)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migrationaudit.cli", *args],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    tmp = tmp_path_factory.mktemp("parity")
    with LoopbackSites(before()) as sites:
        urls = tmp / "urls.txt"
        urls.write_text("".join(sites.url(OLD, p) + "\n" for p in CASES), encoding="utf-8")
        snap = tmp / "before.jsonl.gz"
        got = cli("snapshot", "--urls", str(urls), "--out", str(snap), "-q",
                  *sites.resolve_args())
        assert got.returncode == 0, got.stderr
        sites.hosts = after(sites.port)
        rows = "".join(
            f"{sites.url(OLD, p)},{sites.url('new.test', new_path(p))}\n" for p in CASES
        )
        (tmp / "redirects.csv").write_text("old_url,new_url\n" + rows, encoding="utf-8")
        out = tmp / "out"
        got = cli("audit", "--map", str(tmp / "redirects.csv"), "--snapshot", str(snap),
                  "--out", str(out), "--format", "json", "--format", "html", "--format",
                  "csv", "-q", *sites.resolve_args())
        assert got.returncode in (0, 1), got.stderr
        return snap, out, sites.port


def test_snapshot_is_one_json_lines_file_pandas_reads(migrated: tuple[Path, Path, int]) -> None:
    snap, _, port = migrated
    frame = pd.read_json(snap, lines=True)
    assert len(frame) == len(CASES)
    row = frame.set_index("url").loc[f"http://{OLD}:{port}/jsonld-lost"]
    assert row["status"] == 200
    assert row["title"] == "Blue Ceramic Table Lamp"
    assert list(row["jsonld_types"]) == ["Product"]
    assert row["word_count"] >= 400 and len(row["fingerprint"]) == 32
    pdf = frame.set_index("url").loc[f"http://{OLD}:{port}/brochure.pdf"]
    assert pdf["content_type"] == "application/pdf"


def test_each_parity_rule_fires_on_its_plant_and_not_on_near_misses(
    migrated: tuple[Path, Path, int],
) -> None:
    _, out, port = migrated
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]
    got = {(f["rule"], f["url"]) for f in findings if f["rule"].startswith("parity-")}
    planted = {
        (rule_id, f"http://{OLD}:{port}{path}")
        for path, (_, _, rule_id) in CASES.items()
        if rule_id is not None
    }
    assert got == planted
    assert {r for r, _ in got} == PARITY_RULES


def test_verdicts_carry_the_parity_column(migrated: tuple[Path, Path, int]) -> None:
    _, out, port = migrated
    verdicts = json.loads((out / "findings.json").read_text(encoding="utf-8"))["verdicts"]
    by_url = {v["url"]: v for v in verdicts}
    assert by_url[f"http://{OLD}:{port}/clean"]["parity"] == "ok"
    assert by_url[f"http://{OLD}:{port}/jsonld-lost"]["parity"] == "structured-data"
    table = pd.read_csv(out / "verdicts.csv").set_index("url")
    assert table.loc[f"http://{OLD}:{port}/german", "parity"] == "language"


def test_the_report_shows_old_and_new_side_by_side(migrated: tuple[Path, Path, int]) -> None:
    _, out, port = migrated
    html = (out / "report.html").read_text(encoding="utf-8")
    section = html.split('id="parity"', 1)[1].split("</section>", 1)[0]
    assert f"http://{OLD}:{port}/title-changed" in section
    assert "<strong>Garden Furniture Clearance</strong>" in section  # the new title, marked
    assert f"http://{OLD}:{port}/title-reworded" not in section  # a near-miss is no pair


def test_old_origin_stands_in_for_a_snapshot(tmp_path: Path) -> None:
    # the old site kept at a second host name after cutover: the same pairs, the same findings
    with LoopbackSites(before()) as sites:
        sites.hosts = {**after(sites.port), "origin.test": before()[OLD]}
        rows = "".join(
            f"{sites.url(OLD, p)},{sites.url('new.test', new_path(p))}\n" for p in CASES
        )
        (tmp_path / "redirects.csv").write_text("old_url,new_url\n" + rows, encoding="utf-8")
        out = tmp_path / "out"
        got = cli("audit", "--map", str(tmp_path / "redirects.csv"), "--old-origin",
                  sites.url("origin.test", ""), "--out", str(out), "--format", "json", "-q",
                  *sites.resolve_args())
        assert got.returncode in (0, 1), got.stderr
        port = sites.port
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]
    got_pairs = {(f["rule"], f["url"]) for f in findings if f["rule"].startswith("parity-")}
    assert got_pairs == {
        (rule_id, f"http://{OLD}:{port}{path}")
        for path, (_, _, rule_id) in CASES.items()
        if rule_id is not None
    }


def test_snapshot_and_old_origin_cannot_be_combined(tmp_path: Path) -> None:
    (tmp_path / "urls.txt").write_text("http://old.test/a\n", encoding="utf-8")
    (tmp_path / "s.jsonl").write_text("", encoding="utf-8")
    got = cli("audit", "--urls", str(tmp_path / "urls.txt"), "--snapshot",
              str(tmp_path / "s.jsonl"), "--old-origin", "http://origin.test",
              "--out", str(tmp_path / "out"))
    assert got.returncode == 2 and "cannot be combined" in got.stderr

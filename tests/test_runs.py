"""Saved runs, for real: `report` re-renders without the network, `--only-failed` re-checks
only what failed (proved on the server side) and merges, `diff` compares two runs, and the
Python API runs twice in one process.

Two scenario servers: "before" (a 404 and a loop among healthy redirects) and "after" (the
404 and the loop fixed, and — to catch a re-fetch — the healthy URL now broken)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import parse_site

# Plain http on purpose: these tests are about saved runs, not TLS.
OLD, NEW = "http://old.example", "http://new.example"
MAP = (
    "old_url,new_url\n"
    f"{OLD}/ok,{NEW}/ok\n"
    f"{OLD}/chain,{NEW}/chain\n"
    f"{OLD}/gone,{NEW}/gone\n"
    f"{OLD}/loop,{NEW}/loop\n"
)
PAGES = [
    {"url": f"{NEW}/{name}", "status": 200, "title": name}
    for name in ("ok", "chain", "gone", "loop")
]
BEFORE = [
    {"url": f"{OLD}/ok", "location": f"{NEW}/ok"},
    {"url": f"{OLD}/chain", "location": f"{NEW}/chain-old"},
    {"url": f"{NEW}/chain-old", "location": f"{NEW}/chain"},
    {"url": f"{OLD}/gone", "status": 404},
    {"url": f"{OLD}/loop", "location": f"{OLD}/loop2"},
    {"url": f"{OLD}/loop2", "location": f"{OLD}/loop"},
    *PAGES,
]
AFTER = [
    {"url": f"{OLD}/ok", "status": 500},  # never fetched by --only-failed: /ok passed before
    {"url": f"{OLD}/chain", "status": 500},  # a warning is not a failure at --fail-on error
    {"url": f"{OLD}/gone", "location": f"{NEW}/gone"},
    {"url": f"{OLD}/loop", "location": f"{NEW}/loop"},
    *PAGES,
]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, ScenarioServer]]:
    before = ScenarioServer(parse_site({"routes": BEFORE})).start()
    after = ScenarioServer(parse_site({"routes": AFTER})).start()
    yield {"before": before, "after": after}
    before.stop()
    after.stop()


@contextmanager
def serving(server: ScenarioServer, routes: list[dict[str, Any]]) -> Iterator[ScenarioServer]:
    """``server`` answering ``routes`` for a while: the same addresses, a fixed site (what
    --only-failed re-checks is the same site at the same address, later)."""
    before = server.site
    server.site = parse_site({"routes": routes})
    try:
        yield server
    finally:
        server.site = before


def connect_args(server: ScenarioServer) -> list[str]:
    out: list[str] = []
    for entry in server.connect_to():
        out += ["--connect-to", entry.spec]
    return out


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migrationaudit.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def findings_json(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return data


def verdicts(data: dict[str, Any]) -> dict[str, str]:
    return {v["url"]: v["verdict"] for v in data["verdicts"]}


@pytest.fixture(scope="module")
def first_run(servers: dict[str, ScenarioServer], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The audit against "before": OUT folder (cwd is its parent, the map is m.csv there)."""
    work = tmp_path_factory.mktemp("runs")
    (work / "m.csv").write_text(MAP, encoding="utf-8")
    proc = cli(
        "audit",
        "--map",
        "m.csv",
        "--out",
        "out1",
        "--timeout",
        "3",
        "--retries",
        "0",
        "--format",
        "json",
        "--no-fixes",
        *connect_args(servers["before"]),
        cwd=work,
    )
    assert proc.returncode == 1, proc.stderr
    return work / "out1"


def test_first_run_is_what_the_other_tests_assume(first_run: Path) -> None:
    data = findings_json(first_run)
    assert verdicts(data) == {
        f"{OLD}/ok": "ok",
        f"{OLD}/chain": "warning",
        f"{OLD}/gone": "error",
        f"{OLD}/loop": "error",
    }
    run = first_run / "run"
    for name in ("hops.jsonl", "inputs.json", "run.json", "job.json", "crawl.json"):
        assert (run / name).is_file(), name
    saved = json.loads((run / "inputs.json").read_text(encoding="utf-8"))
    assert saved["rules"][0]["origin"] == {"file": "m.csv", "line": 2}
    assert {"maps", "url_lists", "legacy"} <= set(saved)  # the first layout's keys stay


def test_report_rerenders_the_same_result_without_network(first_run: Path, tmp_path: Path) -> None:
    hops = (first_run / "run" / "hops.jsonl").read_bytes()
    proc = cli(
        "report",
        str(first_run),
        "--out",
        str(tmp_path / "same"),
        "--format",
        "json",
        cwd=first_run.parent,
    )
    assert proc.returncode == 1, proc.stderr
    original, again = findings_json(first_run), findings_json(tmp_path / "same")
    assert again["findings"] == original["findings"]
    assert again["verdicts"] == original["verdicts"]
    assert (first_run / "run" / "hops.jsonl").read_bytes() == hops
    assert not (tmp_path / "same" / "run").exists()  # nothing was crawled


def test_report_applies_new_config(first_run: Path, tmp_path: Path) -> None:
    (tmp_path / "migrationaudit.toml").write_text(
        '[severity]\nredirect-loop = "off"\n'
        '[[ignore]]\nrule = "legacy-url-broken"\nurl = "http://old.example/gone"\n'
        'reason = "removed on purpose, 410 coming"\n',
        encoding="utf-8",
    )
    proc = cli(
        "report",
        str(first_run / "run"),
        "--out",
        "re",
        "--format",
        "json",
        "--format",
        "markdown",
        "--fail-on",
        "warning",
        "--max",
        "redirect-chain=1",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    data = findings_json(tmp_path / "re")
    # the loop is off, the 404 ignored (with its reason), the chain within its budget
    assert [(f["rule"], f["url"]) for f in data["findings"]] == [("redirect-chain", f"{OLD}/chain")]
    assert "budgets: redirect-chain 1/1\n" in proc.stderr
    assert data["summary"]["suppressed"] == {"ignored": 1, "baselined": 0}
    assert data["suppressed"][0]["suppressed"]["reason"] == "removed on purpose, 410 coming"
    assert data["run"]["options"]["fail_on"] == "warning"
    assert "rerendered_at" in data["run"]
    md = (tmp_path / "re" / "summary.md").read_text(encoding="utf-8")
    assert "removed on purpose, 410 coming" in md


def test_report_on_something_else_exits_2(tmp_path: Path) -> None:
    proc = cli("report", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "not a run directory" in proc.stderr


def test_only_failed_rechecks_only_failures_and_merges(
    first_run: Path, servers: dict[str, ScenarioServer]
) -> None:
    """No --connect-to given: the run's own (job.json) is used, not DNS."""
    with serving(servers["before"], AFTER) as after:
        seen_before = len(after.requests)
        proc = cli(
            "audit",
            "--only-failed",
            str(first_run),
            "--out",
            "out2",
            "--format",
            "json",
            "--no-fixes",
            cwd=first_run.parent,
        )
    assert proc.returncode == 0, proc.stderr
    fetched = {r.url for r in after.requests[seen_before:]}
    assert fetched == {f"{OLD}/gone", f"{NEW}/gone", f"{OLD}/loop", f"{NEW}/loop"}
    data = findings_json(first_run.parent / "out2")
    # /ok and /chain kept from the first run (the "after" server would answer 500 now)
    assert verdicts(data) == {
        f"{OLD}/ok": "ok",
        f"{OLD}/chain": "warning",
        f"{OLD}/gone": "ok",
        f"{OLD}/loop": "ok",
    }
    assert data["run"]["only_failed"]["rechecked"] == 2
    assert data["run"]["only_failed"]["kept"] == 2
    # every saved crawl option was reused, not only the addresses
    job = json.loads((first_run.parent / "out2" / "run" / "job.json").read_text("utf-8"))
    assert (job["timeout"], job["retries"]) == (3, 0)
    assert data["run"]["connect_to"] == findings_json(first_run)["run"]["connect_to"]
    # the merged run directory is complete: it re-renders to the same verdicts
    again = cli("report", "out2", "--out", "out2b", "--format", "json", cwd=first_run.parent)
    assert again.returncode == 0, again.stderr
    assert findings_json(first_run.parent / "out2b")["verdicts"] == data["verdicts"]


def test_only_failed_refuses_records_from_other_addresses(
    first_run: Path, servers: dict[str, ScenarioServer], tmp_path: Path
) -> None:
    """Another --connect-to than the run's: exit 2, nothing fetched, nothing written."""
    after = servers["after"]
    seen = len(after.requests)
    proc = cli(
        "audit",
        "--only-failed",
        str(first_run),
        "--out",
        str(tmp_path / "mixed"),
        "--format",
        "json",
        *connect_args(after),
        cwd=first_run.parent,
    )
    assert proc.returncode == 2, proc.stderr
    assert "--resolve/--connect-to differs from the run in" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(after.requests) == seen
    assert not (tmp_path / "mixed" / "findings.json").exists()
    # host rewriting sends requests elsewhere too
    proc = cli(
        "audit", "--only-failed", str(first_run), "--out", str(tmp_path / "rewritten"),
        "--rewrite-host", "old.example=staging.example", cwd=first_run.parent,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "--rewrite-host differs from the run in" in proc.stderr
    assert "(none there, old.example=staging.example now)" in proc.stderr


def test_diff_both_ways(first_run: Path) -> None:
    work = first_run.parent
    if not (work / "out2" / "findings.json").exists():
        pytest.skip("needs the --only-failed run")
    proc = cli("diff", "out1", "out2", "--out", "d", "--fail-on-regression", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert "legacy URLs: 0 regressed, 0 new, 2 fixed, 0 removed, 2 unchanged" in proc.stderr
    md = (work / "d" / "diff.md").read_text(encoding="utf-8")
    assert f"| `{OLD}/gone` | error | ok |" in md
    assert "### Findings fixed (2)" in md
    page = lxml_html.fromstring((work / "d" / "diff.html").read_bytes())
    assert not page.xpath("//script") and not page.xpath("//a[@href]")
    csp = page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert "default-src 'none'" in csp
    assert f"{OLD}/loop" in page.text_content()
    back = cli(
        "diff",
        "out2/run",
        "out1/findings.json",
        "--out",
        "d2",
        "--format",
        "markdown",
        "--fail-on-regression",
        cwd=work,
    )
    assert back.returncode == 1, back.stderr
    assert "2 regressed" in back.stderr
    assert not (work / "d2" / "diff.html").exists()


def test_python_api_twice_in_one_process(
    servers: dict[str, ScenarioServer], tmp_path: Path
) -> None:
    import migrationaudit

    rows = [(f"{OLD}/ok", f"{NEW}/ok"), (f"{OLD}/gone", f"{NEW}/gone")]
    runs = []
    for name in ("before", "after"):
        runs.append(
            migrationaudit.audit(
                map=rows,
                connect_to=[e.spec for e in servers[name].connect_to()],
                out=tmp_path / name,
                timeout=3,
                retries=0,
                ignore=[
                    {"rule": "legacy-url-broken", "url": f"{OLD}/ok", "reason": "500 on purpose"}
                ],
            )
        )
    first, second = runs
    assert dict(zip(first.verdicts.url, first.verdicts.verdict, strict=True)) == {
        f"{OLD}/ok": "ok",
        f"{OLD}/gone": "error",
    }
    assert dict(zip(second.verdicts.url, second.verdicts.verdict, strict=True)) == {
        f"{OLD}/ok": "ok",
        f"{OLD}/gone": "ok",
    }  # /ok answers 500 there, but is ignored
    assert first.gate_failed and not second.gate_failed
    assert list(first.findings.rule) == ["legacy-url-broken"]
    assert set(second.hops.legacy_url) == {f"{OLD}/ok", f"{OLD}/gone"}
    assert second.result.counts_suppressed() == {"ignored": 1, "baselined": 0}
    assert (tmp_path / "after" / "run" / "hops.jsonl").is_file()
    # write_reports takes the HTML cap like --html-rows: 1 row keeps one of the two URLs.
    written = first.write_reports(tmp_path / "capped", formats=["html"], html_rows=1)
    html = written["report.html"].read_text(encoding="utf-8")
    assert "Showing 1 of 2" in html


def test_python_api_rejects_bad_arguments(tmp_path: Path) -> None:
    import migrationaudit
    from migrationaudit.errors import ConfigError

    with pytest.raises(ConfigError, match=r"unknown argument 'max_hop' \(did you mean 'max_hops'"):
        migrationaudit.audit(urls=[f"{OLD}/a"], out=tmp_path, max_hop=3)
    with pytest.raises(ConfigError, match="fail_on: 'fatal' is not one of"):
        migrationaudit.audit(urls=[f"{OLD}/a"], out=tmp_path, fail_on="fatal")


def test_only_failed_in_place(
    first_run: Path, servers: dict[str, ScenarioServer], tmp_path: Path
) -> None:
    """Re-checking into the same folder keeps the earlier records it still needs."""
    import shutil

    shutil.copytree(first_run, tmp_path / "out")
    shutil.copy(first_run.parent / "m.csv", tmp_path / "m.csv")
    with serving(servers["before"], AFTER):
        proc = cli(
            "audit",
            "--only-failed",
            "out",
            "--out",
            "out",
            "--timeout",
            "3",
            "--retries",
            "0",
            "--format",
            "json",
            "--no-fixes",
            *connect_args(servers["before"]),  # the run's own addresses, given again: allowed
            cwd=tmp_path,
        )
    assert proc.returncode == 0, proc.stderr
    data = findings_json(tmp_path / "out")
    assert set(verdicts(data).values()) == {"ok", "warning"}
    assert (tmp_path / "out" / "run-recheck" / "hops.jsonl").is_file()
    hops = (tmp_path / "out" / "run" / "hops.jsonl").read_text(encoding="utf-8").splitlines()
    urls = [json.loads(line)["url"] for line in hops]
    assert len(urls) == len(set(urls))  # one record per URL after the merge
    assert f"{OLD}/loop2" in urls  # a record of the earlier run, kept


# --- `report` with --priority exports and fixes/ ------------------------------------------------

EXPORT = (  # an Ahrefs "top pages"-style export: /gone is the most linked page
    f"URL,Referring domains,Backlinks\n{OLD}/gone,40,300\n{OLD}/ok,7,20\n{OLD}/chain,3,5\n"
)


def values(data: dict[str, Any]) -> dict[str, int | None]:
    return {v["url"]: v["value"]["referring_domains"] for v in data["verdicts"] if v.get("value")}


@pytest.fixture(scope="module")
def priority_run(
    servers: dict[str, ScenarioServer], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """An audit with a relative --priority export (cwd: its parent): OUT folder."""
    work = tmp_path_factory.mktemp("prio")
    (work / "m.csv").write_text(MAP, encoding="utf-8")
    (work / "exports").mkdir()
    (work / "exports" / "top.csv").write_text(EXPORT, encoding="utf-8")
    proc = cli(
        "audit",
        "--map",
        "m.csv",
        "--priority",
        "exports/top.csv",
        "--out",
        "out",
        "--timeout",
        "3",
        "--retries",
        "0",
        "--format",
        "json",
        "--no-fixes",
        *connect_args(servers["before"]),
        cwd=work,
    )
    assert proc.returncode == 1, proc.stderr
    assert values(findings_json(work / "out")) == {
        f"{OLD}/gone": 40,
        f"{OLD}/ok": 7,
        f"{OLD}/chain": 3,
    }
    return work / "out"


def test_report_reads_the_priority_exports_again_and_writes_fixes(
    priority_run: Path, tmp_path: Path
) -> None:
    # from another folder: the export's saved relative path is found again
    proc = cli("report", str(priority_run), "--out", "re", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "warning:" not in proc.stderr
    data = findings_json(tmp_path / "re")
    before = findings_json(priority_run)
    # ranked alike, with the same values (origins are re-pointed from this folder)
    assert [v["url"] for v in data["verdicts"]] == [v["url"] for v in before["verdicts"]]
    assert values(data) == values(before) == {f"{OLD}/gone": 40, f"{OLD}/ok": 7, f"{OLD}/chain": 3}
    value = next(v["value"] for v in data["verdicts"] if v["url"] == f"{OLD}/gone")
    export = os.path.relpath(priority_run.parent / "exports" / "top.csv", tmp_path)
    assert value["origin"] == {"file": export, "line": 2}
    assert "priority_missing" not in data["run"]
    # fixes/ like `audit` writes it: /ok and /chain get one hop, the loop goes to a human
    fixes = tmp_path / "re" / "fixes"
    assert "fixes: 2 one-hop redirects, 2 URLs for a human -> re/fixes" in proc.stderr
    flat = (fixes / "redirects.csv").read_text(encoding="utf-8")
    assert f"{OLD}/chain,{NEW}/chain" in flat and f"{OLD}/ok,{NEW}/ok" in flat
    assert f"{OLD}/loop" in (fixes / "needs-review.csv").read_text(encoding="utf-8")
    assert (fixes / "nginx-map.conf").is_file() and (fixes / "_redirects").is_file()
    # --no-fixes (or fixes = false in the config) writes none
    proc = cli(
        "report",
        str(priority_run),
        "--out",
        "nofix",
        "--format",
        "json",
        "--no-fixes",
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    assert not (tmp_path / "nofix" / "fixes").exists()


def test_report_without_the_priority_export_says_so(priority_run: Path, tmp_path: Path) -> None:
    work = priority_run.parent
    export = work / "exports" / "top.csv"
    hidden = export.rename(tmp_path / "top.csv")  # gone since the audit (put back below)
    try:
        proc = cli(
            "report",
            "out",
            "--out",
            "re",
            "--format",
            "json",
            "--format",
            "html",
            "--no-fixes",
            cwd=work,
        )
    finally:
        hidden.rename(export)
    assert proc.returncode == 1, proc.stderr
    name = "exports/top.csv"
    assert (
        f"warning: --priority export {name} is gone: rendering without its link values"
        in proc.stderr
    )
    assert "warning: --priority export(s) gone" in proc.stderr  # the summary says it again
    data = findings_json(work / "re")
    assert values(data) == {}  # rendered, without values
    assert {v["url"]: v["verdict"] for v in data["verdicts"]} == verdicts(
        findings_json(priority_run)
    )
    assert data["run"]["priority_missing"] == [name]
    page = lxml_html.fromstring((work / "re" / "report.html").read_bytes())
    (banner,) = page.xpath('//p[@data-warning="priority-missing"]')
    assert name in banner.text_content()

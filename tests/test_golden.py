"""The golden corpus: every folder of sample_maps/ is audited for real (scenario site on
127.0.0.1, the CLI in a subprocess) and its findings must equal expected.json exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from migrationaudit.demo.cases import case_args, case_maps
from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import load_site

SAMPLES = Path(__file__).resolve().parent.parent / "sample_maps"
CASES = sorted(p for p in SAMPLES.iterdir() if (p / "expected.json").is_file())


def audit_case(case: Path, out: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    site = load_site(case / "site.json")
    with ScenarioServer(site) as server:
        # TLS is verified: the scenario's throwaway CA is trusted like a private staging CA.
        ca_file = out.parent / "scenario-ca.pem"
        ca_file.parent.mkdir(parents=True, exist_ok=True)
        ca_file.write_bytes(server.ca_pem)
        args = [
            sys.executable,
            "-m",
            "migrationaudit.cli",
            "audit",
            "--map",
            str(case / "redirects.csv"),
            "--out",
            str(out),
            "--timeout",
            "5",
            "--retries",
            "0",
            "-q",
            "--ca-bundle",
            str(ca_file),
        ]
        if (case / "urls.txt").is_file():
            args += ["--urls", str(case / "urls.txt")]
        for rules in case_maps(case)[1:]:  # a host rule file (pre-flight rules)
            args += ["--map", rules]
        args += case_args(case)  # the new site's side: audit.json (crawl, variants, ...)
        for entry in server.connect_to():
            args += ["--connect-to", entry.spec]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=180)
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return proc, data


def test_there_are_golden_cases() -> None:
    assert {c.name for c in CASES} >= {"demo", "clean"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case(case: Path, tmp_path: Path) -> None:
    proc, data = audit_case(case, tmp_path / "out")
    got = sorted([f["rule"], f["url"]] for f in data["findings"])
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    assert got == sorted(expected), "\n".join(
        [f"+ {g}" for g in got if g not in expected] + [f"- {e}" for e in expected if e not in got]
    )
    has_error = any(f["severity"] == "error" for f in data["findings"])
    assert proc.returncode == (1 if has_error else 0), proc.stderr
    # every input URL has exactly one verdict
    inputs = [ln.split(",")[0] for ln in (case / "redirects.csv").read_text().splitlines()]
    assert len(data["verdicts"]) == len({v["url"] for v in data["verdicts"]})
    assert data["summary"]["legacy_urls"] == len(data["verdicts"])
    assert inputs  # the map is not empty

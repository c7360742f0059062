"""The README stays what a new user needs first, and its quick start is what the Makefile and CI
really do. (Its links and commands are checked in tests/test_docs.py, with the docs site's.)"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MAX_LINES = 300


def quick_start(text: str) -> list[tuple[str, str]]:
    """(command, comment) of each line of the first code block after '## Quick start'."""
    section = text.split("\n## Quick start\n", 1)[1]
    block = re.search(r"^```sh\n(.*?)^```", section, flags=re.S | re.M)
    assert block, "no ```sh block in the quick start"
    lines = []
    for line in block.group(1).splitlines():
        command, _, comment = line.partition("#")
        lines.append((" ".join(command.split()), comment.strip()))
    return lines


def makefile_quick_start() -> list[tuple[str, str]]:
    """The Makefile's header comment: '#   make demo   what it does', the lines after the one
    naming the README's quick start."""
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if "README's quick start" in line)
    found = []
    for line in lines[start + 1 :]:
        m = re.match(r"^#\s+(make [\w-]+)\s{2,}(.+)$", line)
        if not m:
            break
        found.append((m.group(1), m.group(2).strip()))
    return found


def test_readme_is_short() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"README.md has {lines} lines: move reference to docs/"


def test_readme_has_no_generated_reference() -> None:
    """The command reference and rule catalogue live in docs/, generated (test_docs.py)."""
    text = README.read_text(encoding="utf-8")
    assert "<!-- generated:" not in text
    assert "docs/reference/cli.md" in text and "docs/rules.md" in text


@pytest.mark.parametrize("page", ["README.md", "docs/install.md"])
def test_quick_start_is_the_makefiles(page: str) -> None:
    expected = makefile_quick_start()
    assert [cmd for cmd, _ in expected] == ["make demo", "make test"]
    shown = quick_start((ROOT / page).read_text(encoding="utf-8"))
    assert shown == expected, f"{page}'s quick start differs from the Makefile's header"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, flags=re.M)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(
    ("target", "must_run"),
    [
        (
            "demo",
            [
                "--require-hashes -r requirements.lock",
                "--no-deps --no-build-isolation",
                "migrationaudit demo",
            ],
        ),
        (
            "test",
            [
                "--require-hashes -r requirements-test.lock",
                "--no-deps --no-build-isolation",
                "scripts/install-system-deps.sh",
                "-m pytest",
            ],
        ),
    ],
)
def test_quick_start_commands_do_what_the_readme_says(target: str, must_run: list[str]) -> None:
    """`make -n` prints what the target would run without running it: the installs come from
    the lock, and the demo or the tests run."""
    proc = subprocess.run(
        ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    for fragment in must_run:
        assert fragment in proc.stdout, (target, fragment, proc.stdout)

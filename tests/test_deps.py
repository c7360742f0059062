"""The dependency check (scripts/audit_deps.py) on the installed environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import audit_deps  # noqa: E402


def test_security_floors_are_met_by_the_installed_set() -> None:
    assert audit_deps.check_floors() == []


def test_a_package_below_its_floor_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(audit_deps.SECURITY_FLOORS, "click", ("999.0", "test advisory"))
    problems = audit_deps.check_floors()
    assert len(problems) == 1 and problems[0].startswith("click ")
    assert "below 999.0 (test advisory)" in problems[0]


def test_floors_match_pyproject() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for name, (minimum, _why) in audit_deps.SECURITY_FLOORS.items():
        if name == "scrapy":
            continue  # pyproject pins a newer floor (>=2.19) than the advisory's fix
        assert f'"{name}>={minimum}' in text.lower(), name


def test_runtime_licences_are_permissive() -> None:
    problems, found = audit_deps.check_licences()
    assert problems == []
    # The closure really is the runtime set: the direct dependencies are in it, test tools not.
    for name in ("scrapy", "networkx", "pandas", "jinja2", "click", "aiohttp", "lxml"):
        assert name in found
    assert "pytest" not in found and "playwright" not in found


def test_copyleft_names_are_caught() -> None:
    for text in (
        "GPL-3.0-only",
        "LGPL-2.1-or-later",
        "GNU General Public License v3 (GPLv3)",
        "AGPL-3.0",
    ):
        assert audit_deps.COPYLEFT.search(text), text
    for text in ("MIT", "BSD-3-Clause", "Apache-2.0", "Mozilla Public License 2.0 (MPL 2.0)"):
        assert not audit_deps.COPYLEFT.search(text), text


def test_version_tuple() -> None:
    assert audit_deps.version_tuple("2.13.4") == (2, 13, 4)
    assert audit_deps.version_tuple("6.1.0rc1") == (6, 1, 0)
    assert audit_deps.version_tuple("3.1.6+local") == (3, 1, 6)
    assert audit_deps.version_tuple("2.13.4") < audit_deps.version_tuple("2.13.10")


def test_offline_script_exit_code() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "audit_deps.py"), "--offline"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "security floors met" in proc.stdout

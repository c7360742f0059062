"""The installed wheel works on its own: spiders, templates and the demo ship inside it.

The wheel is built from a copy of the source tree, installed (without the editable checkout on
sys.path) into a fresh virtualenv, and the demo is run from there in an empty directory.
Third-party dependencies come from the test environment's site-packages (added as a plain
path, so its editable-install hook is not active): this keeps the test offline and fast while
every migrationaudit module, template and sample file must come from the wheel.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("migrationaudit", "spiders", "reports", "sample_maps"):
        shutil.copytree(
            ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (whl,) = dist.glob("migrationaudit-*.whl")
    return whl


def test_wheel_contains_spiders_templates_and_samples(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "migrationaudit/spiders/hop.py" in names
    assert "migrationaudit/spiders/handler.py" in names
    assert "migrationaudit/reports/templates/report.html.j2" in names
    assert "migrationaudit/sample_maps/demo/site.json" in names
    assert "migrationaudit/sample_maps/demo/redirects.csv" in names
    assert not any(n.startswith(("tests/", "spiders/", "reports/")) for n in names)


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed (not editable); its directory."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # third-party packages from the test environment, as a plain path (no .pth processing)
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "zz_test_deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    return env_dir


def run_demo(env_dir: Path, cwd: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(env_dir / "bin" / "migrationaudit"), "demo", "--out", str(out)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_runs_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    env_dir = installed
    py = env_dir / "bin" / "python"
    work = tmp_path / "empty"
    work.mkdir()
    proc = run_demo(env_dir, work, work / "report")
    assert proc.returncode == 0, proc.stderr
    where = subprocess.run(
        [str(py), "-c", "import migrationaudit.spiders.hop as h; print(h.__file__)"],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert str(env_dir) in where, "migrationaudit must be imported from the wheel"
    assert (work / "report" / "report.html").is_file()
    data = json.loads((work / "report" / "findings.json").read_text(encoding="utf-8"))
    assert data["summary"]["legacy_urls"] > 40
    assert "report.html" in proc.stdout


def test_the_wheel_runs_an_audit_from_the_source_checkout(installed: Path, tmp_path: Path) -> None:
    # The repository root holds ./migrationaudit/ (the source tree, where spiders/ is not inside
    # the package): the crawl child must import the wheel, not the folder it was started in.
    proc = run_demo(installed, ROOT, tmp_path / "report")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "report" / "findings.json").is_file()


def test_a_planted_package_in_the_current_folder_is_never_executed(
    installed: Path, tmp_path: Path
) -> None:
    # An audit run inside a checked-out website repository must never import code from it
    # (CWE-427): a migrationaudit/ package there writes a marker if anything imports it.
    work = tmp_path / "website"
    marker = tmp_path / "PLANTED-CODE-RAN"
    for pkg in ("migrationaudit", "migrationaudit/crawl", "scrapy", "twisted"):
        (work / pkg).mkdir(parents=True)
        (work / pkg / "__init__.py").write_text(
            f"open({str(marker)!r}, 'a').write({pkg!r} + '\\n')\n", encoding="utf-8"
        )
    (work / "migrationaudit" / "crawl.py").write_text(
        f"open({str(marker)!r}, 'a').write('crawl.py\\n')\n", encoding="utf-8"
    )
    proc = run_demo(installed, work, tmp_path / "report")
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists(), marker.read_text(encoding="utf-8")
    # the same planted code does run when a plain `python -m` is started in that folder, so
    # the check above can fail
    subprocess.run(
        [str(installed / "bin" / "python"), "-m", "migrationaudit.crawl", "--help"],
        cwd=work, capture_output=True, timeout=60,
    )  # fmt: skip
    assert marker.exists()

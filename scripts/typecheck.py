"""mypy --strict on the package as it is installed.

pyproject maps ``spiders/`` and ``reports/`` into the package (``migrationaudit.spiders``,
``migrationaudit.reports``), which mypy cannot follow from the source tree, so the installed
layout is assembled from symbolic links in a temporary folder and checked there; the paths mypy
prints are turned back into the repository's own.

Usage: python scripts/typecheck.py [MYPY ARGS...]   (exit code: mypy's)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOUNTS = {"spiders": ROOT / "spiders", "reports": ROOT / "reports"}


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="migrationaudit-typecheck-") as tmp:
        pkg = Path(tmp) / "migrationaudit"
        pkg.mkdir()
        for entry in (ROOT / "migrationaudit").iterdir():
            if entry.name != "__pycache__":
                (pkg / entry.name).symlink_to(entry)
        for name, target in MOUNTS.items():
            (pkg / name).symlink_to(target)
        cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")]
        cmd += ["--cache-dir", str(ROOT / ".mypy_cache"), *argv, "-p", "migrationaudit"]
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, env=dict(os.environ))
        out = proc.stdout
        for name in MOUNTS:
            out = out.replace(f"migrationaudit/{name}/", f"{name}/")
        sys.stdout.write(out)
        sys.stderr.write(proc.stderr)
        return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

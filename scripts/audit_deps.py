"""Check the installed dependency set: security floors, licences, known vulnerabilities.

Three checks, in the order they can run:

1. **Security floors** (offline): the installed versions of the packages whose advisories
   the audit depends on are at least the fixed versions (the same floors as pyproject.toml).
2. **Licences** (offline): every runtime dependency of migrationaudit, recursively, declares
   a licence, and none is GPL/LGPL/AGPL (the project is MIT and ships as a library).
3. **pip-audit** (online, when it can run): the frozen dependency set against the PyPI
   advisory database. When the advisory service cannot be reached (an offline CI runner, a
   package mirror without the JSON API), the script says so and relies on checks 1 and 2.

Exit 0 when every check that ran passed, 1 otherwise. ``--offline`` skips pip-audit.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

# Package → (minimum version, why). Keep in step with pyproject.toml's floors.
SECURITY_FLOORS: dict[str, tuple[str, str]] = {
    "scrapy": ("2.13.4", "GHSA-23j4-mw76-5v7h, CVE-2024-3574, CVE-2024-1968, CVE-2022-0577"),
    "lxml": ("6.1.0", "safe XML parsing defaults for sitemaps"),
    "protego": ("0.6.2", "robots.txt parsing fixes"),
    "jinja2": ("3.1.6", "CVE-2025-27516 sandbox escape, CVE-2024-56326"),
    "aiohttp": ("3.10.11", "CVE-2024-52304 request smuggling, CVE-2024-30251 DoS"),
}

# Licence words that are not allowed in the runtime dependency set.
COPYLEFT = re.compile(r"\b(A?GPL|LGPL|GNU (Lesser |Affero )?General Public)", re.IGNORECASE)

ROOT = "migrationaudit"


def version_tuple(text: str) -> tuple[int, ...]:
    """``"2.13.4"`` → (2, 13, 4); pre-release and local parts are dropped."""
    out: list[int] = []
    for part in re.split(r"[.+-]", text):
        m = re.match(r"\d+", part)
        if not m:
            break
        out.append(int(m.group()))
    return tuple(out)


def check_floors() -> list[str]:
    """Problems with the security floors (empty when all are met)."""
    problems = []
    for name, (minimum, why) in SECURITY_FLOORS.items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name}: not installed (needs >= {minimum}: {why})")
            continue
        if version_tuple(have) < version_tuple(minimum):
            problems.append(f"{name} {have} is below {minimum} ({why})")
    return problems


def runtime_closure(root: str = ROOT) -> dict[str, metadata.Distribution]:
    """Every distribution ``root`` needs at run time (no extras), by normalised name."""
    seen: dict[str, metadata.Distribution] = {}
    todo = [root]
    while todo:
        name = _norm(todo.pop())
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional/platform-specific requirement that is not installed
        seen[name] = dist
        for req in dist.requires or ():
            if ";" in req and "extra" in req.split(";", 1)[1]:
                continue
            m = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req)
            if m:
                todo.append(m.group())
    return seen


def licence_of(dist: metadata.Distribution) -> str:
    """The declared licence: License-Expression, else the licence classifiers, else
    the License field's first line."""
    meta = dist.metadata
    expr = meta.get("License-Expression")
    if expr:
        return expr.strip()
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    if classifiers:
        return "; ".join(classifiers)
    field = (meta.get("License") or "").strip()
    return field.splitlines()[0][:80] if field else ""


def check_licences(root: str = ROOT) -> tuple[list[str], dict[str, str]]:
    """(problems, {name: licence}) for the runtime closure of ``root``."""
    problems = []
    found = {}
    for name, dist in sorted(runtime_closure(root).items()):
        if name == _norm(root):
            continue
        lic = licence_of(dist)
        found[name] = lic
        if not lic:
            problems.append(f"{name}: no licence declared")
        elif COPYLEFT.search(lic):
            problems.append(f"{name}: copyleft licence {lic!r}")
    return problems, found


def run_pip_audit() -> tuple[bool | None, str]:
    """(passed, message). passed is None when pip-audit could not check (not installed,
    advisory service unreachable)."""
    exe = shutil.which("pip-audit", path=str(Path(sys.executable).parent))
    if exe is None:
        return None, "pip-audit is not installed: skipped"
    freeze = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(freeze)
        reqs = f.name
    try:
        proc = subprocess.run(
            [
                exe,
                "-r",
                reqs,
                "--no-deps",
                "--disable-pip",
                "--progress-spinner",
                "off",
                "-f",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, "pip-audit: advisory service did not answer within 300 s: skipped"
    finally:
        Path(reqs).unlink(missing_ok=True)
    try:
        report = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return None, f"pip-audit could not run: {tail[0][:200]}"
    deps = report.get("dependencies", [])
    checked = [d for d in deps if "skip_reason" not in d]
    vulnerable = [d for d in checked if d.get("vulns")]
    if not checked:
        return None, (
            f"pip-audit: the advisory service is not reachable from this machine "
            f"({len(deps)} packages could not be checked): skipped"
        )
    if vulnerable:
        lines = [
            f"{d['name']} {d['version']}: " + ", ".join(v["id"] for v in d["vulns"])
            for d in vulnerable
        ]
        return False, "pip-audit found known vulnerabilities:\n  " + "\n  ".join(lines)
    return True, f"pip-audit: {len(checked)} packages checked, no known vulnerability"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offline", action="store_true", help="skip pip-audit")
    args = parser.parse_args(argv)
    failed = False
    floors = check_floors()
    for p in floors:
        print(f"audit-deps: security floor: {p}")
    licence_problems, licences = check_licences()
    for p in licence_problems:
        print(f"audit-deps: licence: {p}")
    failed = bool(floors or licence_problems)
    print(
        f"audit-deps: {len(SECURITY_FLOORS)} security floors "
        f"{'FAILED' if floors else 'met'}; {len(licences)} runtime dependencies, licences "
        f"{'FAILED' if licence_problems else 'all permissive'}"
    )
    if not args.offline:
        passed, message = run_pip_audit()
        print(f"audit-deps: {message}")
        failed = failed or passed is False
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

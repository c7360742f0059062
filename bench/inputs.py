"""Stage ``inputs``: peak memory of reading and checking big redirect maps, no network.

For each N a map of N distinct rows (``old_url,new_url,status,note``; every 10th row has a
``NA`` note, every 50th has no status) is written to ``WORK/map-N.csv``; then each stage runs
in a fresh child process, and its peak RSS is read from the kernel when it exits
(``os.wait4`` → ``ru_maxrss``):

- ``baseline``: the interpreter with the reader imported, nothing read (subtract it);
- ``validate``: :func:`migrationaudit.inputs.maps.iter_map` consumed without keeping a rule:
  what validating a map costs (decoding, CSV, URL checks) — should be flat in N;
- ``read_map``: every rule kept (:func:`read_map`), what any audit of the map must hold;
- ``check-map``: ``migrationaudit check-map --map FILE`` (rules, verdicts, the outputs of
  ``--format``, default ``json``): the whole command as a user runs it.

Prints one JSON object: {"sizes": [{"n", "file_mb", "stages": {stage: {"peak_rss_mb", "s",
"bytes_per_row"}}}]} (``bytes_per_row`` = (peak − baseline) / N).

    python bench/inputs.py --n 100000 --n 1000000 --work /tmp/inputs-bench
    python bench/inputs.py --n 100000 --format html --format json --format csv
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CHILD = {
    "baseline": "import migrationaudit.inputs.maps\n",
    "validate": (
        "import sys\n"
        "from migrationaudit.inputs.maps import iter_map\n"
        "n = sum(1 for _ in iter_map(sys.argv[1]))\n"
        "assert n == int(sys.argv[2]), n\n"
    ),
    "read_map": (
        "import sys\n"
        "from migrationaudit.inputs.maps import read_map\n"
        "rules = read_map(sys.argv[1])\n"
        "assert len(rules) == int(sys.argv[2]), len(rules)\n"
    ),
}


def write_map(path: Path, n: int) -> None:
    """N distinct rows, realistic lengths (~90 bytes a row)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("old_url,new_url,status,note\n")
        for i in range(n):
            status = "" if i % 50 == 0 else "301"
            note = "NA" if i % 10 == 0 else ""
            f.write(
                f"http://www.old.example/catalog/item-{i}.html,"
                f"https://shop.new.example/products/{i}/,{status},{note}\n"
            )


def peak_rss(argv: list[str]) -> tuple[float, float]:
    """(peak RSS in MiB, seconds) of one child process, from the kernel's accounting."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode not in (0, 1):  # check-map exits 1 when its gate fails
        raise SystemExit(f"{argv[:4]}… exited {proc.returncode}: {err[-2000:]}")
    return usage.ru_maxrss / 1024, elapsed  # ru_maxrss is in KiB on Linux


def measure(n: int, work: Path, formats: list[str]) -> dict[str, Any]:
    path = work / f"map-{n}.csv"
    if not path.exists():
        write_map(path, n)
    stages: dict[str, dict[str, float]] = {}
    for stage, code in CHILD.items():
        mb, s = peak_rss([sys.executable, "-c", code, str(path), str(n)])
        stages[stage] = {"peak_rss_mb": round(mb, 1), "s": round(s, 2)}
    out = work / f"out-{n}"
    fmt_args = [a for f in formats for a in ("--format", f)]
    mb, s = peak_rss(
        [sys.executable, "-m", "migrationaudit.cli", "check-map", "--map", str(path),
         "--out", str(out), "--quiet", *fmt_args]
    )  # fmt: skip
    stages["check-map"] = {"peak_rss_mb": round(mb, 1), "s": round(s, 2)}
    base = stages["baseline"]["peak_rss_mb"]
    for name, row in stages.items():
        if name != "baseline":
            row["bytes_per_row"] = round((row["peak_rss_mb"] - base) * 1024 * 1024 / n, 1)
    return {"n": n, "file_mb": round(path.stat().st_size / 2**20, 1), "stages": stages}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, action="append", help="rows (repeatable; default 100000)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/migrationaudit-bench-inputs"))
    ap.add_argument("--format", action="append", dest="formats", help="check-map outputs")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sizes = [measure(n, args.work, args.formats or ["json"]) for n in args.n or [100_000]]
    print(json.dumps({"sizes": sizes}, indent=2))


if __name__ == "__main__":
    main()

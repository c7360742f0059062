"""``--workers`` with the new-site stage on: one crawl process against several (issue 5).

``bench/run.py`` drives the project with ``--urls`` only (no map, so no new-site work). Here
the synthetic site (:mod:`synthsite`, nginx on loopback) is audited with a redirect map (every
legacy URL → its new page), so the new-site stage is on: robots.txt of the audited hosts,
sitemap discovery on the new host, the landing pages' canonicals, optionally ``--variants``
and ``--crawl``. The audit runs once per ``--workers`` value; wall time, CPU of the process
tree, peak RSS, what the crawl recorded, and whether the findings are the same as the first
run's (rule + URL) are reported.

    .venv/bin/python bench/workers_site.py --n 5000 --workers 1 --workers 2 [--variants]

Every process is started through ``run.run_measured`` (ended by PID on timeout).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import machine, run_measured  # noqa: E402
from synthsite import NginxSite, legacy_url  # noqa: E402

NEW = "http://new.example"  # the synthetic site's new host (synthsite._chain)


def write_map(n: int, path: Path) -> Path:
    """A redirect map of the first ``n`` legacy URLs: each to its new page ``/n/i/``."""
    with path.open("w", encoding="utf-8") as f:
        f.write("source,target\n")
        for i in range(n):
            f.write(f"{legacy_url(i)},{NEW}/n/{i}/\n")
    return path


def audit_once(
    site: NginxSite, mapfile: Path, out: Path, workers: int, args: argparse.Namespace
) -> dict[str, Any]:
    """One measured audit with ``--workers workers``."""
    cmd = [sys.executable, "-c", "import sys; from migrationaudit.cli import main; main()"]
    cmd += ["audit", "--map", str(mapfile), "--out", str(out), "--quiet", "--retries", "0"]
    cmd += [f"--connect-to={c}" for c in site.connect_to()]
    cmd += ["--concurrency", str(args.concurrency)]
    cmd += ["--per-host-concurrency", str(args.concurrency)]
    cmd += ["--workers", str(workers)]
    if args.variants:
        cmd.append("--variants")
    if args.crawl:
        cmd += ["--crawl", f"{NEW}/"]
    out.mkdir(parents=True, exist_ok=True)
    code, wall, peak, _, cpu = run_measured(cmd, args.timeout, out.parent / f"w{workers}.log")
    crawl = json.loads((out / "run" / "crawl.json").read_text(encoding="utf-8"))
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return {
        "workers_asked": workers,
        "workers_used": crawl.get("workers"),
        "exit_code": code,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_rss_mb": round(peak, 1),
        "crawl_s": crawl.get("elapsed_s"),
        "fetched": crawl.get("fetched"),
        "complete": crawl.get("complete"),
        "findings": len(data["findings"]),
        "_keys": sorted((f["rule"], f["url"]) for f in data["findings"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="legacy URLs in the map")
    parser.add_argument("--workers", type=int, action="append", help="repeatable (1, 2)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--variants", action="store_true", help="also audit URL variants")
    parser.add_argument("--crawl", action="store_true", help="also crawl the new home page")
    parser.add_argument("--timeout", type=float, default=1800.0, help="per audit, seconds")
    parser.add_argument("--work", type=Path, help="keep outputs here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    args = parser.parse_args(argv)
    workers = args.workers or [1, 2]
    with tempfile.TemporaryDirectory(prefix="workers-site-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        mapfile = write_map(args.n, work / "map.csv")
        runs = []
        with NginxSite(work / "nginx") as site:
            for w in workers:
                runs.append(audit_once(site, mapfile, work / f"out-w{w}", w, args))
                r = runs[-1]
                print(
                    f"n={args.n} --workers {w}: used {r['workers_used']}, wall {r['wall_s']} s, "
                    f"cpu {r['cpu_s']} s, peak RSS {r['peak_rss_mb']} MB, fetched "
                    f"{r['fetched']}, findings {r['findings']}, exit {r['exit_code']}",
                    flush=True,
                )
    same = all(r["_keys"] == runs[0]["_keys"] for r in runs)
    for r in runs:
        del r["_keys"]
    base = runs[0]["wall_s"]
    for r in runs[1:]:
        print(f"speed-up --workers {r['workers_asked']} vs {runs[0]['workers_asked']}: "
              f"{base / r['wall_s']:.2f}x wall")  # fmt: skip
    print(f"same findings (rule + url) in every run: {same}")
    result = {
        "n": args.n,
        "variants": args.variants,
        "crawl": args.crawl,
        "runs": runs,
        "same_findings": same,
        "machine": machine(),
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if same and all(r["exit_code"] in (0, 1) for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())

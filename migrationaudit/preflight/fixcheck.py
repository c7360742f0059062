"""The server files that ``fixes/`` writes, read back by the simulator before they are written:
a corrected rule that would still chain or loop (its target caught by another rule of the same
file) is never emitted; it goes to ``needs-review.csv`` with the predicted chain."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from migrationaudit.fixes.plan import FixPlan, Review
from migrationaudit.preflight.model import RuleFile
from migrationaudit.preflight.read import read_rule_file
from migrationaudit.preflight.simulate import Simulator, Targets
from migrationaudit.web.plainurls import is_plain

PREDICTED_CHAIN = "predicted-chain"
MAX_HOPS = 10


def _nginx(folder: Path, files: Mapping[str, str], hosts: list[str]) -> Path:
    (folder / "nginx-map.conf").write_text(files["nginx-map.conf"], encoding="utf-8")
    (folder / "nginx-server.conf").write_text(files["nginx-server.conf"], encoding="utf-8")
    conf = folder / "nginx.conf"
    conf.write_text(
        f"http {{\ninclude {folder}/nginx-map.conf;\nserver {{\nserver_name {' '.join(hosts)};\n"
        f"include {folder}/nginx-server.conf;\n}}\n}}\n",
        encoding="utf-8",
    )
    return conf


def _file(name: str) -> Callable[[Path, Mapping[str, str], list[str]], Path]:
    def write(folder: Path, files: Mapping[str, str], hosts: list[str]) -> Path:
        (folder / name).write_text(files[name], encoding="utf-8")
        return folder / name

    return write


SERVERS: dict[str, tuple[str, Callable[[Path, Mapping[str, str], list[str]], Path]]] = {
    "nginx-server.conf": ("nginx", _nginx),
    "apache.conf": ("apache", _file("apache.conf")),
    "_redirects": ("netlify", _file("_redirects")),
}


def predicted_path(sim: Simulator, url: str) -> tuple[int, str]:
    """(redirects the simulator predicts from ``url``, the chain as text); a loop or the hop
    limit counts as more redirects than the limit. A first answer whose Location plainly
    names another host counts as one redirect without being resolved (a Location that
    resolves to nothing is none: either way, not a chain)."""
    seen: list[str] = [url]
    for hops in range(MAX_HOPS + 1):
        a = sim.answer(url, resolve=False)
        if a.location is None:
            return hops, " -> ".join(seen)
        if hops == 0 and _plainly_elsewhere(a.location, sim.hosts):
            return 1, url
        target = sim.target(url, a.location)
        if target is None or not sim.on_site(target):
            return hops + (1 if target else 0), " -> ".join(seen)
        url = target
        if url in seen:
            return MAX_HOPS + 1, " -> ".join([*seen, url, "(loop)"])
        seen.append(url)
    return MAX_HOPS + 1, " -> ".join(seen)


def _plainly_elsewhere(location: str, hosts: frozenset[str]) -> bool:
    """``location`` is a plain URL (:mod:`~migrationaudit.web.plainurls`) whose host, a domain
    name as WHATWG reads it (its last label no number, no ``xn--`` label to re-encode), is none
    of ``hosts``: its target, if it has one, has that same host, so it leaves the site."""
    if not is_plain(location):
        return False
    host = location.split("/", 3)[2]
    last = host.rstrip(".").rpartition(".")[2]
    return (
        host not in hosts
        and "xn--" not in host
        and not last.startswith("0x")
        and any("a" <= c <= "z" for c in last)
    )


def checked_plan(plan: FixPlan, files: Mapping[str, str]) -> FixPlan:
    """``plan`` without the fixes that a written server file would answer with more than one
    redirect (each moved to review, its predicted chain and the file named)."""
    hosts = sorted({(urlsplit(f.source).hostname or "") for f in plan.fixes} - {""})
    if not hosts:
        return plan
    bad: dict[str, str] = {}
    targets: Targets = {}  # each fix's target is resolved once for the three files
    with tempfile.TemporaryDirectory(prefix="migrationaudit-fixcheck-") as tmp:
        for name, (fmt, write) in SERVERS.items():
            if name not in files:
                continue
            rule_file: RuleFile = read_rule_file(write(Path(tmp), files, hosts), fmt)
            sim = Simulator(rule_file, tuple(hosts), targets)
            for f in plan.fixes:
                if f.source in bad:
                    continue
                n, path = predicted_path(sim, f.source)
                if n > 1:
                    bad[f.source] = f"{name} would still chain: {path}"
    if not bad:
        return plan
    review = tuple(
        Review(f.source, PREDICTED_CHAIN, bad[f.source], bad[f.source], f.target)
        for f in plan.fixes
        if f.source in bad
    )
    fixes = tuple(f for f in plan.fixes if f.source not in bad)
    return replace(plan, fixes=fixes, review=plan.review + review)

"""The package's structure, read from its code: no import cycle between modules (imports inside
functions and under ``TYPE_CHECKING`` count too), and no module past its size limit."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
# source folder -> dotted package it is installed as (pyproject's package-dir)
FOLDERS = {"migrationaudit": "migrationaudit", "spiders": "migrationaudit.spiders",
           "reports": "migrationaudit.reports"}  # fmt: skip


def modules() -> dict[str, Path]:
    out = {}
    for folder, dotted in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([dotted, *parts])] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every package module ``path`` imports, wherever the import statement stands."""
    is_pkg = path.name == "__init__.py"
    here = name if is_pkg else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join([*up, base]) if base else ".".join(up)
            # ``from pkg import submodule`` needs the submodule; ``from mod import name`` needs mod
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def import_graph() -> nx.DiGraph:
    mods = modules()
    known = set(mods)
    g = nx.DiGraph()
    for name, path in mods.items():
        g.add_node(name)
        for target in imports(name, path, known):
            g.add_edge(name, target)
    return g


def test_no_import_cycle() -> None:
    g = import_graph()
    cycles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert not cycles, cycles


MAX_LINES = 400  # a module past this holds more than one job: split it where the jobs part


def test_no_module_is_over_the_size_limit() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()
    }
    over = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not over, over


def test_the_run_folder_has_one_owner() -> None:
    # every file name of the run folder, and the one rename into place, live in rundir/layout
    names = ('"hops.jsonl"', '"job.json"', '"inputs.json"', '"site.jsonl"', '"crawl.json"')
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        if name == "migrationaudit.rundir.layout":
            continue
        assert not [n for n in names if n in text], name
        assert "os.replace(" not in text, name


def test_every_package_folder_is_in_the_wheel() -> None:
    # pyproject lists the packages one by one (spiders/ and reports/ are mapped into the
    # package): a new folder left out of the list would be missing from the installed wheel
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    folders = {name for name, path in modules().items() if path.name == "__init__.py"}
    assert folders <= listed, folders - listed

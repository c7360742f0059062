"""The ``Examples`` sections of the rule modules and the graph run as doctests (what
``--doctest-modules`` would do for these modules, without changing how pytest collects the
rest): each listed module has at least one example, and none fails."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import migrationaudit.checks

# The modules that document themselves with a runnable example (the rule families and the
# helpers they share); every other module of checks/ is run too, examples or not.
WITH_EXAMPLES = (
    "migrationaudit.graph",
    "migrationaudit.checks.needs",
    "migrationaudit.checks.common",
    "migrationaudit.checks.redirects",
    "migrationaudit.checks.targets",
    "migrationaudit.checks.maps",
    "migrationaudit.checks.site",
)
CHECKS = tuple(
    m.name for m in pkgutil.iter_modules(migrationaudit.checks.__path__, "migrationaudit.checks.")
)
MODULES = tuple(dict.fromkeys(("migrationaudit.checks", *WITH_EXAMPLES, *CHECKS)))


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
    if name in WITH_EXAMPLES:
        assert result.attempted > 0, f"{name} has no runnable example"


def test_every_module_with_examples_is_listed() -> None:
    for name in CHECKS:
        examples = doctest.DocTestFinder().find(importlib.import_module(name))
        if any(t.examples for t in examples):
            assert name in WITH_EXAMPLES, f"{name} has examples: list it in WITH_EXAMPLES"

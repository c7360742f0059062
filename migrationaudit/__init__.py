"""migrationaudit: does every old URL still land where it should, in one clean hop, on a page
search engines will index?

``migrationaudit.audit(map=..., resolve=...)`` runs an audit from Python (see
:mod:`migrationaudit.api`); it is imported on first use, so ``import migrationaudit`` stays
light (no Scrapy, pandas or networkx).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Audit", "__version__", "audit"]

_LAZY = {"audit": "migrationaudit.api", "Audit": "migrationaudit.api"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'migrationaudit' has no attribute {name!r}")

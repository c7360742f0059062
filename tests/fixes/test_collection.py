"""Writing fixes/ pauses the cyclic garbage collector and gives it back as it found it."""

from __future__ import annotations

import gc

import pytest

from migrationaudit.fixes import _no_cycle_collection


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_then_left_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with _no_cycle_collection():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError), _no_cycle_collection():
            raise ValueError("a failed write")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()

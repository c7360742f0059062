"""Hop records read back with shared values: the same Hops as a plain decode, fewer objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrationaudit.models.hops import Hop, HopKind, PageFacts
from migrationaudit.rundir import shared as shared_module
from migrationaudit.rundir.records import encode_hop, read_hops
from migrationaudit.rundir.shared import Shared

OLD, NEW, GONE = "http://old.test/a", "http://new.test/a/", "http://new.test/gone"
HEADERS = {"server": "nginx", "content-type": "text/html"}


def _records() -> list[Hop]:
    page = PageFacts(content_type="text/html", title="A", canonical=NEW, meta_robots="noindex")
    return [
        Hop(OLD, 301, HopKind.HTTP_REDIRECT, NEW, NEW, headers={**HEADERS, "location": NEW}),
        Hop(NEW, 200, HopKind.FINAL, headers=dict(HEADERS), page=page),
        Hop(GONE, 404, HopKind.FINAL, headers=dict(HEADERS), page=PageFacts(title="x")),
        Hop("http://old.test/loop", 301, HopKind.HTTP_REDIRECT, "/loop", "http://old.test/loop"),
        Hop("http://old.test/err", None, HopKind.NETWORK_ERROR, error="refused", elapsed_ms=2.5),
        Hop("http://old.test/b", 302, HopKind.HTTP_REDIRECT, "../x", "http://old.test/x"),
    ]


def _write(tmp_path: Path, hops: list[Hop]) -> Path:
    (tmp_path / "hops.jsonl").write_bytes(b"".join(encode_hop(h.to_dict()) for h in hops))
    return tmp_path


def test_shared_read_gives_the_same_hops_as_a_plain_decode(tmp_path: Path) -> None:
    hops = _records()
    run = _write(tmp_path, hops)
    plain = [
        Hop.from_dict(json.loads(line))
        for line in (run / "hops.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert plain == hops
    assert list(read_hops(run)) == hops


def test_equal_values_are_one_object(tmp_path: Path) -> None:
    got = list(read_hops(_write(tmp_path, _records())))
    redirect, page, gone, loop = got[:4]
    assert redirect.target is redirect.location is redirect.headers["location"]
    assert page.url is redirect.target  # the record the redirect leads to
    assert page.page is not None and page.page.canonical is page.url
    assert page.headers is gone.headers  # an equal header set without a Location: one dict
    assert redirect.headers is not page.headers
    assert loop.target is loop.url  # a redirect to itself
    assert page.status == 200 and gone.status == 404


def test_equal_numbers_of_other_types_stay_apart(tmp_path: Path) -> None:
    hops = [
        Hop("http://o.test/a", 200, HopKind.FINAL, elapsed_ms=301.0),
        Hop(
            "http://o.test/b", 301, HopKind.HTTP_REDIRECT, "/a", "http://o.test/a", elapsed_ms=200.0
        ),
        Hop("http://o.test/c", 200, HopKind.FINAL, elapsed_ms=301.0),
    ]
    got = list(read_hops(_write(tmp_path, hops)))
    assert got == hops
    assert [type(h.status) for h in got] == [int, int, int]
    assert [type(h.elapsed_ms) for h in got] == [float, float, float]
    assert got[0].elapsed_ms is got[2].elapsed_ms


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_module, "_SHARED_MAX", 3)
    shared = Shared()
    for i in range(10):
        hop = Hop(f"http://o.test/{i}", 200, HopKind.FINAL, headers={"x": f"v{i}"})
        assert shared.hop(json.loads(encode_hop(hop.to_dict()))) == hop
    assert len(shared._texts) <= 3 and len(shared._headers) <= 3

"""RunInfo: run.json read into typed fields and written back byte for byte (keys, values and
their order), whatever version wrote it; keys added later land where a dict update put them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from migrationaudit.models.findings import Severity
from migrationaudit.models.result import AuditResult
from migrationaudit.models.runinfo import GateInfo, RunInfo, RunOptions, connect_entry
from migrationaudit.settings import ConnectTo

# run.json of an audit with --launched, --compare-to and a gate policy, as this version writes it
AUDIT: dict[str, Any] = {
    "tool": "migrationaudit",
    "version": "0.9.0",
    "python": "3.11.7",
    "started_at": "2026-12-07T10:00:00Z",
    "finished_at": "2026-12-07T10:01:00Z",
    "inputs": ["redirects.csv"],
    "base_url": None,
    "connect_to": ["old.example:443:127.0.0.1:8443", "new.example:443:10.0.0.1", "v6:80:::1"],
    "options": {
        "max_hops": 10,
        "concurrency": 16,
        "per_host_concurrency": 4,
        "workers": 1,
        "delay": 0.0,
        "timeout": 5,
        "retries": 0,
        "user_agent": "migrationaudit/0.9.0",
        "many_to_one": 5,
        "fail_on": "error",
        "disabled_rules": [],
    },
    "partial": False,
    "tls": {"verify": True, "ca_bundle": None},
    "launched": {"date": "2026-11-30", "keep_redirects_until": "2027-11-30"},
    "mode": "audit",
    "input": {"map_rows": 3, "skipped_rows": 0},
    "run_dir": "out/run",
    "crawl": {
        "seeds": 3,
        "fetched": 7,
        "elapsed_s": 0.42,
        "complete": True,
        "interrupted": False,
        "workers": 1,
    },
    "site": {"sitemaps": []},
    "hosts": {"checked_at": "2026-12-07T10:01:00Z", "launched": "2026-11-30", "hosts": []},
    "gate": {
        "fail_on": "error",
        "failed": True,
        "budgets": [{"rule": "redirect-chain", "max": 0, "count": 1, "exceeded": True}],
        "ignores": [{"rule": "*", "url": "http://x/*", "reason": "gone", "matched": 2}],
        "baseline": None,
        "ignored": 2,
        "baselined": 0,
    },
    "watch": {"since": "last", "regression": False},
}


def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return json.dumps(a) == json.dumps(b)  # order included


def test_a_run_json_round_trips_with_typed_fields() -> None:
    run = RunInfo.from_dict(AUDIT)
    assert same(run.to_dict(), AUDIT)
    assert not run.rest  # every key of this version is typed or an open summary
    assert run.options is not None and run.options.max_hops == 10
    assert run.crawl is not None and run.crawl.fetched == 7 and not run.crawl.interrupted
    assert run.gate is not None and run.gate.budgets[0].limit == 0
    assert run.gate.ignores[0].matched == 2
    assert run.connect_to[0] == ConnectTo("old.example", 443, "127.0.0.1", 8443)
    assert run.input_notes == {"map_rows": 3, "skipped_rows": 0}


def test_an_older_run_json_keeps_its_keys_and_only_those() -> None:
    old = {
        "tool": "migrationaudit",
        "version": "0.1.0",
        "started_at": "2025-01-02T03:04:05Z",
        "inputs": ["map.csv"],
        "options": {"max_hops": 10, "fail_on": "error", "extra_option": 1},
        "connect_to": [],
        "future_key": {"x": [1, 2]},
    }
    run = RunInfo.from_dict(old)
    assert same(run.to_dict(), old)
    assert run.finished_at is None and not run.has("finished_at") and not run.has("partial")
    assert run.has("connect_to") and run.rest == {"future_key": {"x": [1, 2]}}


def test_values_of_the_wrong_shape_are_kept_as_read() -> None:
    edited = {"options": 5, "partial": "yes", "crawl": {"interrupted": 1}, "inputs": "a.csv"}
    run = RunInfo.from_dict(edited)
    assert same(run.to_dict(), edited)
    assert run.options is None and run.partial is False and run.inputs == ()
    assert run.crawl is not None and run.crawl.interrupted is False


def test_updated_is_a_dict_update() -> None:
    run = RunInfo.from_dict({"tool": "migrationaudit", "partial": True, "gate": None})
    run = run.updated(resumed=True, partial=False, gate=GateInfo(failed=False, order=("failed",)))
    assert list(run.to_dict()) == ["tool", "partial", "gate", "resumed"]
    assert run.to_dict()["gate"] == {"failed": False}
    # a key set to its default still appears once added; without() drops it
    assert RunOptions().updated(disabled_rules=()).to_dict() == {"disabled_rules": []}
    assert "partial" not in run.without("partial").to_dict()


@pytest.mark.parametrize(
    "entry",
    [
        ConnectTo("h.example", 443, "127.0.0.1", 443),
        ConnectTo("h.example", 443, "127.0.0.1", 8443),
        ConnectTo("h.example", 443, "::1", 443),
        ConnectTo("h.example", 80, "localhost", 8080),
    ],
)
def test_connect_to_entries_read_back_as_written(entry: ConnectTo) -> None:
    assert str(connect_entry(str(entry))) == str(entry)
    assert connect_entry(str(entry)) == entry


def test_connect_to_text_this_version_never_writes_stays_raw() -> None:
    raw = {"connect_to": ["h:80:[::1]:8080", "junk"]}
    run = RunInfo.from_dict(raw)
    assert run.connect_to == () and same(run.to_dict(), raw)
    with pytest.raises(ValueError):
        connect_entry("h:443:127.0.0.1:443")  # written "h:443:127.0.0.1"


def test_code_written_for_the_mapping_still_reads_it() -> None:
    run = RunInfo.from_dict(AUDIT)
    assert run["gate"]["failed"] is True and run.get("nope", 3) == 3 and "watch" in run
    assert {**run} == AUDIT
    result = AuditResult((), (), {}, (), (), Severity.ERROR, run=AUDIT)  # type: ignore[arg-type]
    assert isinstance(result.run, RunInfo) and result.run == run

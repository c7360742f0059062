"""The run's metadata, typed: :class:`RunInfo` is what every report and stage reads of how a run
was made (``AuditResult.run``), and what ``run.json`` and the ``run`` object of
``findings.json`` hold.

Every key that code reads is a typed field; the rest of the object (keys of other versions,
open summaries such as the input notes) is kept as read, and so is the key order: a
``run.json`` is read and written back byte for byte (:mod:`migrationaudit.models.record`).
A key the run did not have is absent (its field at the default): ``has("partial")`` tells
the two apart when it matters. The open summaries (``input``, ``site``, ``preflight``,
``hosts``, ``watch``) stay plain mappings: their typed forms belong to the stages that make
them (:class:`~migrationaudit.hostchecks.model.HostReport`,
:class:`~migrationaudit.watch.WatchSummary`).
"""

# key() returns a dataclasses.Field, which RUF009 cannot tell from a shared default value.
# ruff: noqa: RUF009

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from migrationaudit.models.record import (
    OpenRecord,
    as_list,
    dump_record,
    dump_records,
    flag,
    key,
    mapping,
    number,
    optional,
    record,
    records,
    text,
    texts,
    whole,
)

if TYPE_CHECKING:
    from migrationaudit.settings import ConnectTo

_text = optional(text)
_whole = optional(whole)
_number = optional(number)
_flag = optional(flag)
_mapping = optional(mapping)


@dataclass(frozen=True, slots=True)
class RunOptions(OpenRecord):
    """``options``: the crawl and judging options the run was made with."""

    max_hops: int | None = key(load=_whole)
    concurrency: int | None = key(load=_whole)
    per_host_concurrency: int | None = key(load=_whole)
    workers: int | None = key(load=_whole)
    delay: float | None = key(load=_number)
    timeout: float | None = key(load=_number)
    retries: int | None = key(load=_whole)
    user_agent: str | None = key(load=_text)
    many_to_one: int | None = key(load=_whole)
    fail_on: str | None = key(load=_text)
    disabled_rules: tuple[str, ...] = key((), load=texts, dump=as_list)


@dataclass(frozen=True, slots=True)
class CrawlStats(OpenRecord):
    """``crawl``: how the crawl went (``mode`` audit only)."""

    seeds: int | None = key(load=_whole)
    fetched: int | None = key(load=_whole)
    elapsed_s: float | None = key(load=_number)
    complete: bool | None = key(load=_flag)
    interrupted: bool = key(False, load=flag)
    workers: int | None = key(load=_whole)
    stopped: str | None = key(load=_text)  # the limit that stopped it: "max-runtime"


@dataclass(frozen=True, slots=True)
class TlsInfo(OpenRecord):
    """``tls``: whether certificates were verified (``--insecure``), and ``--ca-bundle``."""

    verify: bool | None = key(load=_flag)
    ca_bundle: str | None = key(load=_text)


@dataclass(frozen=True, slots=True)
class LaunchInfo(OpenRecord):
    """``launched``: the launch day (``--launched``) and the day until which redirects stay."""

    date: str | None = key(load=_text)
    keep_redirects_until: str | None = key(load=_text)


@dataclass(frozen=True, slots=True)
class IgnoreEntry(OpenRecord):
    """One ignore entry of the gate's policy and how many findings it matched."""

    rule: str | None = key(load=_text)
    url: str | None = key(load=_text)
    reason: str | None = key(load=_text)
    matched: int | None = key(load=_whole)


@dataclass(frozen=True, slots=True)
class BudgetEntry(OpenRecord):
    """One budget of the gate's policy: its rule, the most findings allowed, the count."""

    rule: str | None = key(load=_text)
    limit: int | None = key(name="max", load=_whole)
    count: int | None = key(load=_whole)
    exceeded: bool | None = key(load=_flag)


_BUDGETS = records(BudgetEntry)
_IGNORES = records(IgnoreEntry)


@dataclass(frozen=True, slots=True)
class GateInfo(OpenRecord):
    """``gate``: the policy applied (:func:`migrationaudit.gate.apply`) and what it decided."""

    fail_on: str | None = key(load=_text)
    failed: bool | None = key(load=_flag)
    budgets: tuple[BudgetEntry, ...] = key((), load=_BUDGETS, dump=dump_records)
    ignores: tuple[IgnoreEntry, ...] = key((), load=_IGNORES, dump=dump_records)
    baseline: str | None = key(load=_text)
    ignored: int | None = key(load=_whole)
    baselined: int | None = key(load=_whole)


@dataclass(frozen=True, slots=True)
class OnlyFailedInfo(OpenRecord):
    """``only_failed``: what ``--only-failed`` re-checked of which earlier run."""

    previous: str | None = key(load=_text)
    rechecked: int | None = key(load=_whole)
    kept: int | None = key(load=_whole)
    recheck_dir: str | None = key(load=_text)


def connect_entry(spec: str) -> ConnectTo:
    """The :class:`~migrationaudit.settings.ConnectTo` that ``str()`` writes as ``spec``
    (``HOST:PORT:ADDR``, or ``HOST:PORT:ADDR:PORT2`` when the ports differ). ValueError for
    any other text: such an entry is kept as read, not typed."""
    from migrationaudit.settings import ConnectTo

    host, _, rest = text(spec).partition(":")
    port, _, target = rest.partition(":")
    if not host or not port.isdigit() or not target:
        raise ValueError(f"{spec!r}: not a --resolve/--connect-to entry")
    addr, sep, port2 = target.rpartition(":")
    if sep and port2.isdigit() and addr and ":" not in addr and "[" not in addr:
        entry = ConnectTo(host, int(port), addr, int(port2))
    else:  # an address alone (IPv6 ones hold colons)
        entry = ConnectTo(host, int(port), target, int(port))
    if str(entry) != spec:
        raise ValueError(f"{spec!r}: not written the way this version writes it")
    return entry


def _connect_to(value: Any) -> tuple[ConnectTo, ...]:
    if not isinstance(value, list | tuple):
        raise TypeError("expected a list")
    return tuple(connect_entry(v) for v in value)


def _connect_texts(value: tuple[ConnectTo, ...]) -> list[str]:
    return [str(c) for c in value]


_OPTIONS = record(RunOptions)
_TLS = record(TlsInfo)
_LAUNCH = record(LaunchInfo)
_CRAWL = record(CrawlStats)
_ONLY_FAILED = record(OnlyFailedInfo)
_GATE = record(GateInfo)


@dataclass(frozen=True, slots=True)
class RunInfo(OpenRecord):
    """How a run was made: ``AuditResult.run``, saved as ``run.json``.

    Build one with :meth:`from_dict` (a ``run.json`` object) and change it with
    :meth:`updated` (a key it had keeps its place, a new one comes last, as in ``run.json``
    so far); :meth:`to_dict` gives the JSON object back. For code written against the
    mapping it used to be, item access, ``get``, ``in`` and ``{**run}`` read :meth:`to_dict`
    (read-only)."""

    tool: str | None = key(load=_text)
    version: str | None = key(load=_text)
    python: str | None = key(load=_text)
    started_at: str | None = key(load=_text)
    finished_at: str | None = key(load=_text)
    inputs: tuple[str, ...] = key((), load=texts, dump=as_list)  # maps, lists, exports, logs
    base_url: str | None = key(load=_text)
    connect_to: tuple[ConnectTo, ...] = key((), load=_connect_to, dump=_connect_texts)
    options: RunOptions | None = key(load=_OPTIONS, dump=dump_record)
    tls: TlsInfo | None = key(load=_TLS, dump=dump_record)
    rewrite_host: tuple[str, ...] = key((), load=texts, dump=as_list)  # OLD=NEW pairs
    scoped_headers: tuple[str, ...] = key((), load=texts, dump=as_list)  # "Name (origin)"
    launched: LaunchInfo | None = key(load=_LAUNCH, dump=dump_record)
    mode: str | None = key(load=_text)  # "audit" | "check-map"
    predicted: bool = key(False, load=flag)  # check-map of a host rule file: no server asked
    preflight: Mapping[str, Any] | None = key(load=_mapping)  # the rule file's counts
    input_notes: Mapping[str, Any] | None = key(name="input", load=_mapping)  # Inputs.notes()
    run_dir: str | None = key(load=_text)
    crawl: CrawlStats | None = key(load=_CRAWL, dump=dump_record)
    stopped: str | None = key(load=_text)  # "--max-runtime 15m reached"
    site: Mapping[str, Any] | None = key(load=_mapping)  # the new site's side, in numbers
    rerendered_at: str | None = key(load=_text)  # migrationaudit report
    partial: bool = key(False, load=flag)  # the crawl did not finish
    priority_missing: tuple[str, ...] = key((), load=texts, dump=as_list)  # exports gone
    resumed: bool = key(False, load=flag)  # --resume
    only_failed: OnlyFailedInfo | None = key(load=_ONLY_FAILED, dump=dump_record)
    hosts: Mapping[str, Any] | None = key(load=_mapping)  # HostReport.to_dict() (--launched)
    gate: GateInfo | None = key(load=_GATE, dump=dump_record)
    watch: Mapping[str, Any] | None = key(load=_mapping)  # WatchSummary.to_dict()

    # --- read-only mapping access, for code written against the dict it used to be ---------

    def keys(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __getitem__(self, name: str) -> Any:
        return self.to_dict()[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def get(self, name: str, default: Any = None) -> Any:
        return self.to_dict().get(name, default)

"""The Python API for notebooks and scripts: :func:`audit` runs an audit like the command line
and returns an :class:`Audit` whose ``.verdicts``, ``.hops`` and ``.findings`` are pandas
DataFrames.

::

    import migrationaudit

    run = migrationaudit.audit(
        map="redirects.csv",
        resolve=["www.new.example:443:203.0.113.10"],
        max={"redirect-chain": 25},
    )
    run.verdicts[run.verdicts.verdict != "ok"]
    run.gate_failed, run.summary()

Keyword arguments are the config-file keys (``fail_on`` or ``"fail-on"`` alike), checked by
the same option types as the command line, so a bad value raises :class:`ConfigError` naming
the argument. ``config=None`` (the default) reads no config file and no environment; pass a
path, or ``True`` to find one as the command line does (environment included).

The crawl runs in a child process (Twisted's reactor cannot restart), so :func:`audit` can be
called any number of times in one Python process.
"""

from __future__ import annotations

import csv
import math
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrationaudit.models.result import AuditResult

if TYPE_CHECKING:
    import pandas as pd

URL_LIST_FILE = "api-urls.txt"
MAP_FILE = "api-map.csv"


class Audit:
    """The outcome of :func:`audit`: the raw :class:`AuditResult` and its tables."""

    def __init__(self, result: AuditResult, out_dir: Path) -> None:
        self.result = result
        self.out_dir = out_dir
        self._frames: dict[str, pd.DataFrame] = {}

    def _frame(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            from migrationaudit import tables

            build = {
                "verdicts": tables.verdicts_frame,
                "hops": tables.hops_frame,
                "findings": tables.findings_frame,
            }[name]
            self._frames[name] = build(self.result)
        return self._frames[name]

    @property
    def verdicts(self) -> pd.DataFrame:
        """One row per legacy URL: verdict, outcome, hop count, final URL and status, …"""
        return self._frame("verdicts")

    @property
    def hops(self) -> pd.DataFrame:
        """One row per hop of every legacy URL's chain."""
        return self._frame("hops")

    @property
    def findings(self) -> pd.DataFrame:
        """One row per active finding (ignored and baselined ones are in
        ``result.suppressed``)."""
        return self._frame("findings")

    @property
    def gate_failed(self) -> bool:
        return self.result.gate_failed

    @property
    def run_dir(self) -> Path:
        """The saved run (``migrationaudit report`` / ``diff`` take it)."""
        return self.out_dir / "run"

    def summary(self) -> str:
        """The short text summary the command line prints."""
        from migrationaudit.reports import render_summary

        return render_summary(self.result)

    def write_reports(
        self,
        out: str | Path | None = None,
        formats: Iterable[str] | None = None,
        *,
        html_rows: int | None = None,
    ) -> dict[str, Path]:
        """Write the report files (default: every default format, into the audit's folder).
        ``html_rows`` caps report.html's tables as ``--html-rows`` does (None: the default,
        0: never cap)."""
        from migrationaudit.reports import FORMATS, write_reports

        return write_reports(
            self.result,
            Path(out or self.out_dir),
            tuple(formats or FORMATS),
            html_rows=html_rows,
        )

    def __repr__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.result.counts_by_verdict().items() if v)
        gate = "fail" if self.gate_failed else "pass"
        return f"<Audit {len(self.result.verdicts)} legacy URLs ({counts}); gate {gate}>"


def _looks_like_url(value: object) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | Path) or hasattr(value, "to_csv"):
        return [value]
    return list(value)


def _urls_input(urls: Any, out_dir: Path) -> list[str]:
    """File paths stay; URLs given directly are written to a list file in ``out_dir``."""
    items = _as_list(urls)
    direct = [str(u) for u in items if _looks_like_url(u)]
    files = [str(u) for u in items if not _looks_like_url(u)]
    if direct:
        path = out_dir / URL_LIST_FILE
        path.write_text("".join(u.strip() + "\n" for u in direct), encoding="utf-8")
        files.append(str(path))
    return files


def _cell(value: Any) -> Any:
    """A map cell as the CSV reader should see it. Missing values (None, NaN, ``pd.NA``,
    ``NaT``) are empty cells, and a whole float is an int: a status column with a gap is
    float64 in pandas, and ``301.0`` is not a status. Strings such as ``"NA"`` or ``"null"``
    are kept as they are."""
    if value is None or isinstance(value, str):
        return "" if value is None else value
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return int(value) if value.is_integer() else value
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing markers
        return ""
    if hasattr(value, "item") and not isinstance(value, int):  # numpy scalars
        return _cell(value.item())
    return value


def _map_input(map_: Any, out_dir: Path) -> list[str]:
    """File paths stay; a DataFrame or rows of (old_url, new_url[, status[, note]]) are
    written to a CSV map in ``out_dir`` (missing values as empty cells, see :func:`_cell`)."""
    if map_ is None:
        return []
    if hasattr(map_, "to_csv"):
        path = out_dir / MAP_FILE
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow([str(c) for c in map_.columns])
            writer.writerows([_cell(v) for v in r] for r in map_.itertuples(index=False))
        return [str(path)]
    items = _as_list(map_)
    rows = [r for r in items if isinstance(r, tuple | list)]
    files = [str(r) for r in items if not isinstance(r, tuple | list)]
    if rows:
        path = out_dir / MAP_FILE
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["old_url", "new_url", "status", "note"][: max(map(len, rows))])
            writer.writerows([_cell(v) for v in r] for r in rows)
        files.append(str(path))
    return files


def audit(
    map: Any = None,
    urls: Any = None,
    *,
    resolve: Iterable[str] | str | None = None,
    out: str | Path | None = None,
    config: str | Path | bool | None = None,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> Audit:
    """Audit legacy URLs hop by hop and judge them, like ``migrationaudit audit``.

    - ``map``: redirect map file(s), or a DataFrame / rows ``(old_url, new_url[, status])``;
      ``urls``: URL list file(s), or the URLs themselves.
    - ``resolve``: ``HOST:PORT:ADDR`` entries (``connect_to=`` for ``HOST:PORT:ADDR:PORT2``).
    - ``out``: the folder for the run (hop records) and reports; default: a new temporary
      folder. Reports are written only when ``format=`` is given (or call
      :meth:`Audit.write_reports`).
    - ``**options``: any config key: ``base_url``, ``max_hops``, ``timeout``, ``fail_on``,
      ``severity={"query-dropped": "off"}``, ``max={"redirect-loop": 0}``,
      ``ignore=[{"rule": ..., "url": ..., "reason": ...}]``, ``baseline``, ``format``, …
    - ``progress(done, total)`` is called as hop records arrive.

    Raises :class:`ConfigError` for bad arguments, :class:`InputError` for bad inputs and
    :class:`CrawlError` when the crawl process fails; never for problems of the audited site.
    """
    from migrationaudit.checks import all_rules
    from migrationaudit.cli import audit_params
    from migrationaudit.gate import apply, make_policy, write_baseline
    from migrationaudit.options import build_request
    from migrationaudit.pipeline import run_audit

    out_dir = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="migrationaudit-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "map": _map_input(map, out_dir) or None,
        "urls": _urls_input(urls, out_dir) or None,
        "resolve": resolve,
        "out": str(out_dir),
        **options,
    }
    kw = audit_params(values, config)  # validated as the command validates its flags
    req = build_request(kw, {r.rule_id for r in all_rules()})
    policy = make_policy(kw.get("budgets", ()), kw.get("ignores", ()), kw.get("baseline"))
    result = run_audit(req, progress=progress)
    if req.launched is not None:  # after launch: the legacy hosts, as the command checks them
        from migrationaudit.hostchecks.stage import check_hosts

        launched = req.launched.date()
        result = check_hosts(result, req.checks, req.crawl.connect_to, launched, req.crawl.timeout)
    result = apply(result, policy)
    run = Audit(result, req.out_dir)
    if options.get("format") is not None:
        run.write_reports(formats=kw["formats"])
    if kw.get("write_baseline"):
        write_baseline(result, kw["write_baseline"])
    return run

"""Records → pandas DataFrames: one row per hop, per verdict, per finding.

pandas lives here and in the CSV writer only (the core stays pandas-free). Every frame has
``dtype=object`` so strings such as ``"NA"`` or ``"null"`` stay strings and ``None`` stays
``None`` (an empty CSV cell), instead of pandas inferring NaN or a string dtype.

The frames hold the data verbatim, for notebooks; :func:`csv_safe` / :func:`to_csv_text`
neutralise spreadsheet formulas only when a CSV is written, because URLs and titles from a
crawled site are hostile text (``=HYPERLINK(...)`` in a cell is code to Excel).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from migrationaudit.humanize import formula_safe
from migrationaudit.models.findings import Finding
from migrationaudit.models.hops import Chain, Hop, path_text
from migrationaudit.models.result import AuditResult
from migrationaudit.settings import KEPT_HEADERS

HOP_COLUMNS = (
    "legacy_url",
    "hop_index",
    "url",
    "status",
    "kind",
    "location",
    "target",
    "error",
    "elapsed_ms",
)
PAGE_COLUMNS = ("page_title", "page_canonical", "page_meta_robots")
VERDICT_COLUMNS = (
    "url",
    "verdict",
    "outcome",
    "hop_count",
    "final_url",
    "final_status",
    "expected_url",
    "target_match",
    "indexable",
    "canonical",
    "self_canonical",
    "in_sitemap",
    "robots_allowed",
    "rules",
    "origin",
    "path",
)
# Appended to verdicts.csv when --priority exports were given (what each URL is worth).
VALUE_COLUMNS = ("referring_domains", "backlinks", "clicks", "impressions", "traffic")
FINDING_COLUMNS = (
    "rule",
    "severity",
    "url",
    "final_url",
    "expected_url",
    "message",
    "fix",
    "origin",
    "hop_count",
    "path",
    "fingerprint",
)



def evidence_path(hops: Sequence[Hop]) -> str:
    """``a --301--> b [200]`` for a bare hop sequence (a finding's evidence): see
    :func:`~migrationaudit.models.hops.path_text`."""
    return path_text(hops)


def finding_chain(result: AuditResult, finding: Finding) -> Chain | None:
    """The legacy URL's chain when it is what the finding's evidence shows (or the finding
    has no evidence of its own), so the outcome marker (``[loop]``…) can be shown."""
    chain = result.chains.get(finding.url)
    if chain is None:
        return None
    if not finding.evidence or tuple(finding.evidence) == tuple(chain.hops):
        return chain
    return None


def finding_path(result: AuditResult, finding: Finding) -> str:
    """The hop path of a finding as text, preferring the full chain of its legacy URL."""
    chain = finding_chain(result, finding)
    if chain is not None:
        return chain.path_text()
    return evidence_path(finding.evidence)


def legacy_chains(result: AuditResult) -> Iterator[tuple[str, Chain]]:
    """Chains in verdict (= input) order, then any chain without a verdict."""
    seen: set[str] = set()
    for v in result.verdicts:
        chain = result.chains.get(v.url)
        if chain is not None and v.url not in seen:
            seen.add(v.url)
            yield v.url, chain
    for url, chain in result.chains.items():
        if url not in seen:
            seen.add(url)
            yield url, chain


def header_names(result: AuditResult) -> list[str]:
    """KEPT_HEADERS always (a stable schema), plus any other header a hop carries."""
    extra: set[str] = set()
    for _, chain in legacy_chains(result):
        for h in chain.hops:
            extra.update(k.lower() for k in h.headers)
    return [*KEPT_HEADERS, *sorted(extra - set(KEPT_HEADERS))]


def _frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns), dtype=object)


def _column_frame(data: dict[str, list[Any]]) -> pd.DataFrame:
    # One list per column, not one dict per row: at a million hops the row dicts alone would
    # cost gigabytes, while these lists only point at strings the Hops already hold.
    return pd.DataFrame(data, columns=list(data), dtype=object)


def hops_frame(result: AuditResult) -> pd.DataFrame:
    """One row per hop of every legacy URL's chain, keyed by the requested legacy URL.

    A hop shared by several chains appears once per legacy URL. Header columns are named
    ``header_<lower-case name>``; ``page_*`` columns hold the final page's title, canonical
    and meta robots."""
    names = header_names(result)
    header_columns = {n: f"header_{n}" for n in names}
    columns = [*HOP_COLUMNS, *header_columns.values(), *PAGE_COLUMNS]
    data: dict[str, list[Any]] = {c: [] for c in columns}
    for legacy, chain in legacy_chains(result):
        for index, h in enumerate(chain.hops):
            data["legacy_url"].append(legacy)
            data["hop_index"].append(index)
            data["url"].append(h.url)
            data["status"].append(h.status)
            data["kind"].append(h.kind.value)
            data["location"].append(h.location)
            data["target"].append(h.target)
            data["error"].append(h.error)
            data["elapsed_ms"].append(round(h.elapsed_ms, 1))
            headers = {k.lower(): v for k, v in h.headers.items()} if h.headers else {}
            for name, column in header_columns.items():
                data[column].append(headers.get(name))
            page = h.page
            data["page_title"].append(page.title if page else None)
            data["page_canonical"].append(page.canonical_url if page else None)
            data["page_meta_robots"].append(page.meta_robots if page else None)
    return _column_frame(data)


def verdicts_frame(result: AuditResult) -> pd.DataFrame:
    """One row per legacy URL, in the result's order (input order; most valuable first with
    ``--priority``), rules space-separated, origin ``file:line``. With ``--priority`` the
    :data:`VALUE_COLUMNS` follow (empty for a URL no export has)."""
    valued = any(v.value is not None for v in result.verdicts)
    rows = [
        {
            "url": v.url,
            "verdict": v.verdict,
            "outcome": v.outcome.value,
            "hop_count": v.hop_count,
            "final_url": v.final_url,
            "final_status": v.final_status,
            "expected_url": v.expected_url,
            "target_match": v.target_match,
            "indexable": v.indexable,
            "canonical": v.canonical,
            "self_canonical": v.self_canonical,
            "in_sitemap": v.in_sitemap,
            "robots_allowed": v.robots_allowed,
            "rules": " ".join(v.rules),
            "origin": str(v.origin) if v.origin else None,
            "path": v.path,
            **(
                {c: getattr(v.value, c) if v.value else None for c in VALUE_COLUMNS}
                if valued
                else {}
            ),
        }
        for v in result.verdicts
    ]
    return _frame(rows, VERDICT_COLUMNS + (VALUE_COLUMNS if valued else ()))


def findings_frame(result: AuditResult) -> pd.DataFrame:
    """One row per finding, in the result's (deterministic) order."""
    rows = [
        {
            "rule": f.rule_id,
            "severity": f.severity.label,
            "url": f.url,
            "final_url": f.final_url,
            "expected_url": f.expected_url,
            "message": f.message,
            "fix": f.fix,
            "origin": str(f.origin) if f.origin else None,
            "hop_count": sum(1 for h in f.evidence if h.is_redirect),
            "path": finding_path(result, f),
            "fingerprint": f.fingerprint,
        }
        for f in result.findings
    ]
    return _frame(rows, FINDING_COLUMNS)


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where every text cell (and column name) starting with ``= + - @ \\t \\r`` is
    prefixed with ``'``, so a spreadsheet shows it as text instead of running it."""
    # Built column by column from plain lists: DataFrame.map would re-infer dtypes (301 →
    # 301.0 next to a None, text → a string dtype with NaN), which the object frames avoid.
    data = {
        formula_safe(name): [formula_safe(v) for v in frame[name].tolist()]
        for name in frame.columns
    }
    return pd.DataFrame(data, columns=list(data), dtype=object)


def to_csv_text(frame: pd.DataFrame) -> str:
    """The frame as formula-safe CSV text (UTF-8 without BOM, ``\\n`` line ends, None → "")."""
    text: str = csv_safe(frame).to_csv(index=False, lineterminator="\n", na_rep="")
    return text

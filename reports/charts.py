"""The report's charts as plain geometry for inline SVG (drawn by ``report.html.j2``).

Four pictures give the shape of a migration at a glance: findings per rule, how many hops
legacy URLs take, the status they end on, and the pages many legacy URLs are funnelled into.
Each function returns a dict of numbers and (escaped-by-the-template) labels; no markup is
built here, so no crawled string can become SVG code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from migrationaudit.models.hops import Outcome
from migrationaudit.models.result import AuditResult, Verdict
from migrationaudit.reports.common import display_text, safe_href

WIDTH = 420
ROW = 22  # height of one horizontal bar row
LABEL_W = 190  # room for labels left of horizontal bars
HOP_BUCKETS = ("0", "1", "2", "3", "4", "5+")
MAX_LABEL = 30
FUNNEL_TOP = 8
TOP_RULES = 15  # bars of the rule chart; every rule has its own section below


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` cut in the middle with an ellipsis when longer than ``limit`` characters."""
    if len(text) <= limit:
        return text
    keep = limit - 1
    return text[: keep // 2] + "…" + text[len(text) - (keep - keep // 2) :]


def horizontal(
    chart_id: str, title: str, bars: Sequence[dict[str, Any]], empty: str
) -> dict[str, Any]:
    """Horizontal bars: each bar dict has ``label``, ``value``, ``cls`` and optionally
    ``href`` (an in-page ``#anchor`` or a vetted http(s) URL) and ``full`` (tooltip)."""
    top = max((b["value"] for b in bars), default=0)
    span = WIDTH - LABEL_W - 50
    rows = []
    for i, b in enumerate(bars):
        width = round(span * b["value"] / top) if top else 0
        rows.append(
            {
                **b,
                "href": b.get("href"),
                "label": display_text(shorten(str(b["label"]))),
                "full": display_text(str(b.get("full", b["label"]))),
                "y": i * ROW + 4,
                "w": max(width, 2 if b["value"] else 0),
                "text_y": i * ROW + 17,
            }
        )
    return {
        "id": chart_id,
        "kind": "h",
        "title": title,
        "bars": rows,
        "width": WIDTH,
        "height": len(rows) * ROW + 8,
        "label_w": LABEL_W,
        "empty": empty,
        "desc": "; ".join(f"{r['full']}: {r['value']}" for r in rows) or empty,
    }


def vertical(
    chart_id: str, title: str, bars: Sequence[dict[str, Any]], empty: str
) -> dict[str, Any]:
    """Vertical bars (a distribution): ``label``, ``value``, ``cls`` per bar."""
    height, base = 170, 140
    top = max((b["value"] for b in bars), default=0)
    step = (WIDTH - 20) / max(len(bars), 1)
    rows = []
    for i, b in enumerate(bars):
        h = round((base - 20) * b["value"] / top) if top else 0
        h = max(h, 2 if b["value"] else 0)
        x = round(10 + i * step + step * 0.15)
        rows.append(
            {
                **b,
                "x": x,
                "w": round(step * 0.7),
                "y": base - h,
                "h": h,
                "cx": round(x + step * 0.35),
                "value_y": base - h - 4,
                "label_y": base + 16,
            }
        )
    return {
        "id": chart_id,
        "kind": "v",
        "title": title,
        "bars": rows,
        "width": WIDTH,
        "height": height,
        "base": base,
        "empty": empty,
        "desc": "; ".join(f"{r['label']}: {r['value']}" for r in rows) or empty,
    }


def _hop_bucket(v: Verdict) -> str | None:
    if v.outcome is Outcome.LOOP:
        return "loop"
    if v.outcome is Outcome.HOP_LIMIT:
        return "limit"
    if v.outcome is Outcome.INCOMPLETE:
        return None
    return HOP_BUCKETS[min(v.hop_count, 5)]


def hop_chart(verdicts: Iterable[Verdict]) -> dict[str, Any]:
    """How many redirects each legacy URL takes: 0-1 good, 2+ a chain, loops and limits."""
    counts = Counter(b for v in verdicts if (b := _hop_bucket(v)) is not None)
    order = [*HOP_BUCKETS, "loop", "limit"]
    cls = {"0": "c-ok", "1": "c-ok", "loop": "c-error", "limit": "c-error"}
    bars = [{"label": k, "value": counts.get(k, 0), "cls": cls.get(k, "c-warning")} for k in order]
    return vertical("chart-hops", "Redirects per legacy URL", bars, "No chain was followed.")


def status_key(v: Verdict) -> str:
    """What a legacy URL ended on, as one filterable word: ``200``, ``404``, ``loop``,
    ``hop-limit``, ``network-error``, ``not-fetched`` or ``offsite`` (left the audit's scope)."""
    if v.outcome is Outcome.LOOP:
        return "loop"
    if v.outcome is Outcome.HOP_LIMIT:
        return "hop-limit"
    if v.outcome is Outcome.INCOMPLETE:
        return "not-fetched"
    if v.outcome is Outcome.OFFSITE:
        return "offsite"
    if v.final_status is None:
        return "network-error"
    return str(v.final_status)


def _status_cls(key: str) -> str:
    if key.isdigit():
        return {"2": "c-ok", "3": "c-warning"}.get(key[0], "c-error")
    return "c-muted" if key in ("not-fetched", "offsite") else "c-error"


def status_chart(verdicts: Iterable[Verdict]) -> dict[str, Any]:
    """The final answer of each legacy URL's chain."""
    counts = Counter(status_key(v) for v in verdicts)
    bars = [
        {"label": k, "value": n, "cls": _status_cls(k)}
        for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return horizontal("chart-status", "Final status of legacy URLs", bars, "Nothing was audited.")


def funnel_chart(verdicts: Iterable[Verdict]) -> dict[str, Any]:
    """The final pages that most legacy URLs land on (two or more): many-to-one at a glance."""
    counts = Counter(v.final_url for v in verdicts if v.final_url)
    top = [(u, n) for u, n in counts.most_common() if n >= 2][:FUNNEL_TOP]
    bars = [
        {
            "label": url.split("://", 1)[-1],  # the scheme only costs room
            "full": url,
            "value": n,
            "cls": "c-notice",
            "href": safe_href(url),
        }
        for url, n in top
    ]
    return horizontal(
        "chart-funnels", "Top funnel targets", bars, "No page receives two or more legacy URLs."
    )


def rule_chart(
    result: AuditResult, anchors: dict[str, str], severities: dict[str, str]
) -> dict[str, Any]:
    """Findings per rule, worst severity colour, each bar linking to its rule section."""
    bars = [
        {
            "label": rule_id,
            "value": n,
            "cls": f"c-{severities.get(rule_id, 'notice')}",
            "href": "#" + anchors[rule_id],
        }
        for rule_id, n in sorted(result.counts_by_rule().items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    title = "Findings per rule"
    if len(bars) > TOP_RULES:
        title = f"Findings per rule (top {TOP_RULES} of {len(bars)})"
    return horizontal("chart-rules", title, bars[:TOP_RULES], "No rule fired.")


def charts(
    result: AuditResult, anchors: dict[str, str], severities: dict[str, str]
) -> list[dict[str, Any]]:
    """All four charts, in page order."""
    return [
        rule_chart(result, anchors, severities),
        hop_chart(result.verdicts),
        status_chart(result.verdicts),
        funnel_chart(result.verdicts),
    ]

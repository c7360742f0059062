"""``--notify URL``: a short JSON message to a webhook when the watch sees a regression.

Two bodies (``--notify-format``):

- ``slack`` (default): ``{"text": "..."}``, what Slack, Mattermost, Rocket.Chat and Microsoft
  Teams' incoming-webhook connectors accept;
- ``json``: ``{"event": "regression", "since": ..., "counts": ..., "regressed": [...], ...}``
  for anything else (a CI trigger, an alerting service).

Delivery is best effort by design: a timeout per attempt, a few attempts with a doubling pause
(a 5xx, 429 or network error is retried; another 4xx is not), and the outcome is returned, never
raised: a webhook that is down must not turn a passing audit into a failing one. A webhook URL
carries its secret in its path or query (``https://hooks.slack.com/services/T0/B0/XXXX``), so
every text this module returns names it by :func:`mask_url` only.

The webhook is the user's own address: the audit's scope and loopback rules, which protect the
*audited* site, do not apply to it.
"""

from __future__ import annotations

import json
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from migrationaudit import __version__, settings
from migrationaudit.watch import SHOWN, WatchSummary

FORMATS = ("slack", "json")


@dataclass(frozen=True)
class Delivery:
    """How a notification went: ``ok``, attempts made and, on failure, why (masked URL)."""

    ok: bool
    attempts: int
    detail: str


def mask_url(url: str) -> str:
    """``https://hooks.slack.com/***``: scheme and host (and port) only; path, query and any
    user:password are the secret."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(webhook URL)"
    if not parts.scheme or not host:
        return "(webhook URL)"
    return f"{parts.scheme}://{host}{port}/***"


def check_webhook(url: str) -> str:
    """The URL when it is an http(s) URL with a host; ValueError (masked) otherwise."""
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{mask_url(url)}: expected an http:// or https:// webhook URL")
    return url


def message(summary: WatchSummary | None, gate: Mapping[str, Any], report: str) -> dict[str, Any]:
    """The generic body: the watch's counts and URLs (when compared), the gate, the report."""
    body: dict[str, Any] = {
        "event": "regression" if summary is not None else "gate-failed",
        "tool": f"migrationaudit {__version__}",
        "gate": dict(gate),
        "report": report,
    }
    if summary is not None:
        full = summary.to_dict(limit=SHOWN)
        body.update(
            since=full["since"],
            counts=full["counts"],
            findings=full["findings"],
            regressed=full["regressed"],
            new=full["new"],
        )
    return body


def slack_text(body: Mapping[str, Any]) -> str:
    """The Slack-compatible one-message text of a generic body."""
    gate = body.get("gate") or {}
    lines = []
    if body.get("event") == "regression":
        c = body.get("counts") or {}
        lines.append(
            f"migrationaudit: regression since {body.get('since')}: "
            f"{c.get('regressed', 0)} regressed, {c.get('new', 0)} new, "
            f"{c.get('fixed', 0)} fixed, {c.get('still_failing', 0)} still failing"
        )
        for kind in ("regressed", "new"):
            for row in body.get(kind) or []:
                lines.append(f"• {kind}: {row['url']} ({row['before'] or '—'} → {row['after']})")
    else:
        lines.append("migrationaudit: the audit's gate failed")
    if gate:
        lines.append(f"gate: {gate.get('status', '?')} ({gate.get('findings', 0)} findings)")
    lines.append(f"report: {body.get('report')}")
    return "\n".join(lines)


def _plain(text: str) -> str:
    """Controls dropped, invisible and bidi characters shown as ``\\uXXXX``: URLs that came
    from access logs are anyone's text (``/%E2%80%AE`` decoded, or worse)."""
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc" and ch != "\n":
            continue
        out.append(f"\\u{ord(ch):04X}" if category in ("Cf", "Zl", "Zp") else ch)
    return "".join(out)


def slack_escape(text: str) -> str:
    """Slack's three escapes: a logged URL like ``/<!channel>`` must not ping anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(body: Mapping[str, Any], fmt: str) -> bytes:
    """The bytes to post for ``fmt`` (``slack`` or ``json``)."""
    text = slack_escape(_plain(slack_text(body)))
    data: Mapping[str, Any] = {"text": text} if fmt == "slack" else body
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 429 or exc.code >= 500
    return True  # connection refused, timeout, reset: maybe better in a moment


def send(
    url: str,
    data: bytes,
    timeout: float = settings.NOTIFY_TIMEOUT,
    attempts: int = settings.NOTIFY_ATTEMPTS,
    backoff: float = settings.NOTIFY_BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST ``data`` as JSON to ``url``; never raises (see the module's docstring)."""
    where = mask_url(url)
    detail = "not sent"
    for attempt in range(1, max(1, attempts) + 1):
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": f"migrationaudit/{__version__} (notify)",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Delivery(True, attempt, f"{where} answered {response.status}")
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the response's socket
            detail = f"{where} answered {exc.code}"
            error: Exception = exc
        except (OSError, ValueError) as exc:
            # URLError and timeouts are OSErrors; their text may quote the URL: not shown.
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                text = "timed out"
            elif isinstance(reason, OSError) and reason.strerror:
                text = reason.strerror.lower()
            else:
                text = type(reason).__name__
            detail = f"{where}: {text}"
            error = exc
        if attempt >= attempts or not _retryable(error):
            break
        sleep(backoff * 2 ** (attempt - 1))
    return Delivery(False, attempt, detail)

"""The ``--access-log`` files of a saved run: named in ``inputs.json`` (referenced, not copied:
they are large and the user's own, like ``--priority`` exports) and read again when the run is
re-rendered (``report``), resumed without its inputs, or re-checked (``--only-failed``), so
``legacy-url-still-failing`` judges it as the first time did."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from migrationaudit.errors import MigrationAuditError
from migrationaudit.inputs.accesslog import read_access_logs
from migrationaudit.inputs.common import check_base_url
from migrationaudit.inputs.crawlerranges import read_crawler_ranges
from migrationaudit.inputs.traffic import TrafficIndex


def logs_request(req: Any) -> dict[str, Any]:
    """The ``request`` entries of ``inputs.json`` for the logs of ``req`` (an AuditRequest)."""
    launched = getattr(req, "launched", None)
    return {
        "access_logs": list(getattr(req, "access_logs", ())),
        "access_log_fields": [list(f) for f in getattr(req, "access_log_fields", ())],
        "crawler_ranges": list(getattr(req, "crawler_ranges", ())),
        "launched": launched.isoformat() if launched else None,
    }


def reread_logs(
    request: Mapping[str, Any], move: Callable[[str], str]
) -> tuple[TrafficIndex | None, tuple[str, ...]]:
    """The saved run's logs read again (None without any), and a sentence for each problem: a
    log that is gone is left out; when none can be read the rule is skipped, with its reason."""
    saved = [move(str(f)) for f in request.get("access_logs") or []]
    if not saved:
        return None, ()
    present = [p for p in saved if os.path.isfile(p)]
    notes = tuple(
        f"--access-log {p} is gone: rendering without its requests"
        for p in saved
        if p not in present
    )
    if not present:
        return None, notes
    fields = {str(f[0]): str(f[1]) for f in request.get("access_log_fields") or [] if len(f) == 2}
    launched = request.get("launched")
    try:
        since = datetime.fromisoformat(launched) if isinstance(launched, str) else None
        base = check_base_url(request.get("base_url"))
        ranges = read_crawler_ranges([move(str(f)) for f in request.get("crawler_ranges") or []])
        return read_access_logs(present, base, fields, since=since, ranges=ranges), notes
    except (MigrationAuditError, ValueError) as exc:
        return None, (*notes, f"--access-log files cannot be read again ({exc})")

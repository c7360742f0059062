"""``--old-origin``: the old site kept at a second address after cutover (another host name, or
an address with ``--resolve``). Each legacy URL's path is requested there with the audit's
crawl options, and the page it answers with stands in for a snapshot: the parity rules compare
it with the page the legacy URL lands on now."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from migrationaudit.crawl import run_crawl
from migrationaudit.errors import ConfigError
from migrationaudit.graph import build_graph, chains_for
from migrationaudit.inputs import Inputs
from migrationaudit.options import AuditRequest
from migrationaudit.parity.probecrawl import run_probes
from migrationaudit.parity.snapshot import OldPage, read_snapshot
from migrationaudit.rundir.layout import INPUTS_FILE, OLD_ORIGIN_SUBDIR
from migrationaudit.rundir.records import read_hops
from migrationaudit.web.scope import Scope


def rebase(url: str, origin: str) -> str:
    """``url``'s path and query on ``origin`` (``https://old-origin.example``)."""
    parts, base = urlsplit(url), urlsplit(origin)
    return urlunsplit((base.scheme, base.netloc, parts.path or "/", parts.query, ""))


def check_origin(origin: str) -> str:
    """``origin`` as scheme://host[:port]; ConfigError when it is not one."""
    try:
        parts = urlsplit(origin.strip())
    except ValueError as exc:
        raise ConfigError(f"--old-origin {origin!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
        raise ConfigError(f"--old-origin {origin!r}: expected scheme://host[:port]")
    return f"{parts.scheme}://{parts.netloc}"


def old_origin_pages(req: AuditRequest, inputs: Inputs, run_dir: Path, scope: Scope) -> Inputs:
    """``inputs`` with the old pages fetched from ``--old-origin`` as their snapshot (None
    given: unchanged). The fetches go to their own run folder inside ``run_dir``."""
    if not req.old_origin:
        return inputs
    origin = check_origin(req.old_origin)
    pairs = [(item.url, rebase(item.url, origin)) for item in inputs.legacy]
    folder = Path(run_dir) / OLD_ORIGIN_SUBDIR
    run_crawl((u for _, u in pairs), folder, req.crawl, scope=scope)
    urls = [u for _, u in pairs]
    chains = chains_for(build_graph(read_hops(folder)), urls, req.crawl.max_hops)
    pages: dict[str, OldPage] = {}
    for legacy, url in pairs:
        final = chains[url].final
        if final is not None:
            pages[legacy] = OldPage(legacy, final.url, final.status, final.page)
    return replace(inputs, snapshot=pages)


def side_crawls(req: AuditRequest, inputs: Inputs, run_dir: Path, scope: Scope) -> Inputs:
    """What the audit fetches beside the legacy chains: the catch-all probes
    (``--catch-all-probes``) and the old pages at ``--old-origin``."""
    run_probes(req, inputs, run_dir, scope)
    return old_origin_pages(req, inputs, run_dir, scope)


def saved_parity(req: AuditRequest, run_dir: Path) -> AuditRequest:
    """``req`` with the ``--snapshot`` / ``--old-origin`` its run was started with (a resume
    that does not give them again; neither is taken when one is given)."""
    if req.snapshot or req.old_origin:
        return req
    try:
        data = json.loads((Path(run_dir) / INPUTS_FILE).read_text(encoding="utf-8"))
        saved = data.get("request") or {}
    except (OSError, ValueError, AttributeError):
        return req
    snapshot, origin = saved.get("snapshot"), saved.get("old_origin")
    return replace(
        req,
        snapshot=str(snapshot) if isinstance(snapshot, str) else None,
        old_origin=str(origin) if isinstance(origin, str) else None,
    )


def with_snapshot(req: AuditRequest, inputs: Inputs) -> Inputs:
    """``inputs`` with ``req``'s snapshot read when they were restored without it."""
    if not req.snapshot or inputs.snapshot is not None:
        return inputs
    return replace(inputs, snapshot=read_snapshot(req.snapshot, (i.url for i in inputs.legacy)))

"""Hop paths as the HTML report shows them (one step per URL, its status and class), and the
curl command that replays a hop the way the audit requested it."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from migrationaudit.models.hops import Chain, Hop, HopKind, Outcome
from migrationaudit.models.runinfo import RunInfo
from migrationaudit.reports.common import host_of
from migrationaudit.web.urls import normalize


def status_class(status: int | None, error: str | None = None) -> str:
    """The badge colour class of an HTTP status (``s2``…) or of a failure (``serr``)."""
    if error is not None or status is None:
        return "serr"
    return f"s{min(max(status // 100, 1), 5)}"


@dataclass(frozen=True)
class Step:
    """One URL of a drawn path and the arrow leaving it (raw text, escaped later)."""

    url: str | None
    arrow: str = ""
    arrow_cls: str = ""
    host_change: bool = False


@lru_cache(maxsize=65536)
def _host(url: str) -> str:
    return str(host_of(url))


def path_steps(
    hops: Sequence[Hop], chain: Chain | None
) -> tuple[list[Step], tuple[str, str] | None]:
    """A hop path as steps and an end badge ``(label, cls)``: ``a --301--> b [200]``; with a
    chain its outcome decides the end (``loop``, ``hop limit``, ``not fetched``)."""
    steps: list[Step] = []
    for h in hops:
        if h.is_redirect:
            meta = h.kind is HopKind.META_REFRESH
            steps.append(
                Step(
                    h.url,
                    "meta" if meta else str(h.status),
                    "smeta" if meta else status_class(h.status),
                    bool(h.target) and _host(h.url) != _host(str(h.target)),
                )
            )
        else:
            steps.append(Step(h.url))
    last = hops[-1] if hops else None
    outcome = chain.outcome if chain is not None else None
    end: tuple[str, str] | None = None
    if outcome is Outcome.LOOP and chain is not None and chain.loop_at:
        steps.append(Step(chain.loop_at))
        end = ("loop", "sloop")
    elif outcome is Outcome.HOP_LIMIT:
        end = ("hop limit", "sloop")
    elif outcome is Outcome.INCOMPLETE and chain is not None:
        if chain.missing:
            steps.append(Step(chain.missing))
        end = ("not fetched", "sinc")
    elif outcome is Outcome.OFFSITE:
        end = ("offsite: not requested", "sinc")  # the last step: outside the audit's scope
    elif last is not None and last.is_redirect:
        steps.append(Step(last.target))
    elif last is not None:
        if last.error is not None:
            label = last.error
        else:
            label = "no status" if last.status is None else str(last.status)
        end = (label, status_class(last.status, last.error))
    return steps, end


def curl_command(url: str, hops: Sequence[Hop], run: RunInfo) -> str:
    """A shell command reproducing ``url``'s chain hop by hop: curl follows the redirects and
    prints every answer's headers, with the audit's User-Agent, hop limit and any
    ``--resolve``/``--connect-to`` entry for a host on the chain. Every argument goes through
    :func:`shlex.quote` (URLs are hostile text); the URL is written in its wire form."""
    options = run.options
    max_hops = options.max_hops if options and options.max_hops is not None else 10
    args = ["curl", "-sS", "-o", "/dev/null", "-D", "-", "-L", "--max-redirs", str(max_hops)]
    agent = options.user_agent if options else None
    if agent:
        args += ["-A", agent]
    hosts = {_host(url)} | {_host(h.url) for h in hops}
    hosts |= {_host(h.target) for h in hops if h.target}
    for entry in run.connect_to:
        if entry.host.lower() in hosts:
            if entry.connect_port == entry.port:
                args += ["--resolve", str(entry)]
            else:
                args += ["--connect-to", entry.spec]
    args.append(normalize(url))
    return " ".join(shlex.quote(a) for a in args)

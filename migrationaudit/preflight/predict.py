"""Predict every chain of a rule file without a request, and judge it like a live audit.

The legacy URLs are the file's exact sources (those the host ignores included: they are
answered 404). Each one is answered by the :class:`~migrationaudit.preflight.simulate.Simulator`
as an ordinary :class:`~migrationaudit.models.hops.Hop`; its Location is followed through the
same rules while it stays on the site (another host is an ``offsite`` hop: not predicted), up
to the hop limit. The hops then go through the same graph, chains and rules as a crawl's, so
every rule keeps its id; the rule-file rules (``rule-shadowed``, ``rule-ignored``,
``rule-chain-source``) read the :class:`~migrationaudit.preflight.model.RuleFileFacts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from migrationaudit.errors import InputError
from migrationaudit.inputs import Inputs
from migrationaudit.inputs.common import check_url
from migrationaudit.inputs.hosting import SkippedRow
from migrationaudit.inputs.mapfiles import EXACT_ROW_READERS
from migrationaudit.models.hops import Hop
from migrationaudit.models.inputs import LegacyURL, RedirectRule
from migrationaudit.options import AuditRequest
from migrationaudit.preflight.analysis import analyse
from migrationaudit.preflight.model import PredictedAnswer, RuleFile, RuleFileFacts
from migrationaudit.preflight.read import read_rule_file, rule_format
from migrationaudit.preflight.simulate import NOT_PREDICTED, PREDICTED_HEADER, Simulator

DEFAULT_BASE = "https://site.example/"


@dataclass(frozen=True)
class Prediction:
    """A rule file's predicted audit inputs: the map rules and legacy URLs, every predicted hop,
    and the facts about the file."""

    inputs: Inputs
    hops: tuple[Hop, ...]
    facts: RuleFileFacts
    rule_file: RuleFile


def _exact_rules(
    rule_file: RuleFile, base: str | None
) -> tuple[list[RedirectRule], list[LegacyURL]]:
    """Map rules (redirect rules with one source URL) and every exact source as a legacy URL."""
    rules: list[RedirectRule] = []
    extra: list[LegacyURL] = []
    name = rule_file.name
    scheme = urlsplit(base or "https:").scheme or "https"
    for r in rule_file.rules:
        if r.dynamic or r.fallback or any(v[:1] in ":<" for _, v in r.query):
            continue
        raw = f"{scheme}://{r.host}{r.source}" if r.host and r.source.startswith("/") else r.source
        try:
            src = check_url(raw, base, r.origin.file, r.line, what="source")
            if not r.is_redirect or "$" in r.target or "%{" in r.target:
                extra.append(LegacyURL(src, r.origin))  # a rewrite, or a computed target
                continue
            dst = check_url(r.target, base, name, r.line, what="target")
        except InputError:
            continue  # the rule cannot be requested as one URL: the simulator still applies it
        # No expected status: the host answers the rule's own status by definition, so a
        # temporary one (written, or Cloudflare's default 302) is reported, not exempted.
        rules.append(RedirectRule(src, dst, r.origin))
    for item in rule_file.ignored:
        if not item.by_host or "#" in item.source or any(c in item.source for c in "*<"):
            continue
        if any(p.startswith(":") for p in item.source.split("/")):
            continue
        try:
            extra.append(
                LegacyURL(check_url(item.source, base, name, item.origin.line), item.origin)
            )
        except InputError:
            continue
    return rules, extra


def predict_hops(sim: Simulator, urls: Sequence[str], max_hops: int) -> tuple[Hop, ...]:
    """The hop record of every URL the chains from ``urls`` reach (each answered once), up to
    ``max_hops + 1`` answers along each chain, as the crawl fetches them."""
    hops: dict[str, Hop] = {}
    for start in dict.fromkeys(urls):
        url: str | None = start
        walked: set[str] = set()
        for _ in range(max_hops + 1):
            if url is None or url in walked:
                break  # the end of the chain, or a loop (the graph finds it)
            walked.add(url)
            hop = hops.get(url)
            if hop is None:
                hop = sim.hop(url)
                if hop.error and hop.error.startswith(NOT_PREDICTED):
                    break  # a proxy or an application answers: left unfetched, not guessed
                hops[url] = hop
            url = hop.target if hop.is_redirect else None
    return tuple(hops.values())


def simulator(rule_file: RuleFile, base: str, hosts: Sequence[str] = ()) -> Simulator:
    """The simulator of ``rule_file`` for a site at ``base``: its own hosts are the base's,
    ``hosts`` and every host a full-URL source of the file names."""
    named = [r.host for r in rule_file.rules if r.host]
    site_hosts = (urlsplit(base).hostname or "", *hosts, *rule_file.hosts, *named)
    return Simulator(rule_file, tuple(dict.fromkeys(h for h in site_hosts if h)))


def file_facts(path: str, fmt: str, base_url: str | None) -> RuleFileFacts:
    """The facts of one rule file (shadowed, ignored, chain-source rules), without predicting
    its chains: what ``audit --map RULES`` reports besides the live answers."""
    rule_file = read_rule_file(path, fmt)
    base = base_url or DEFAULT_BASE
    sim = simulator(rule_file, base)
    facts = analyse(sim, base)
    rules, extra = _exact_rules(rule_file, base)
    urls = [r.source for r in rules] + [item.url for item in extra]
    answers = tuple(predicted_answer(sim, u) for u in dict.fromkeys(urls))
    return replace(facts, answers=answers)


def predicted_answer(sim: Simulator, url: str, max_hops: int = 10) -> PredictedAnswer:
    """The rule file's first answer to ``url`` and its whole predicted chain as text."""
    first = sim.hop(url)
    parts: list[str] = []
    hop: Hop | None = first
    seen: set[str] = set()
    while hop is not None:
        parts.append(hop.url)
        if hop.url in seen or len(seen) > max_hops:
            parts.append("[loop]" if hop.url in seen else "[hop limit]")
            break
        seen.add(hop.url)
        if not (hop.is_redirect and hop.target):
            parts.append(f"[{hop.status if hop.error is None else 'offsite'}]")
            break
        parts.append(f"--{hop.status}-->")
        hop = sim.hop(hop.target)
    line = first.headers.get(PREDICTED_HEADER, "")
    rule = next((r for r in sim.rule_file.rules if str(r.origin) == line), None)
    return PredictedAnswer(
        url,
        first.status or 0,
        first.target if first.is_redirect else None,
        rule.origin if rule else None,
        " ".join(parts),
    )


def predict(
    rule_file: RuleFile,
    base_url: str | None,
    max_hops: int,
    hosts: Sequence[str] = (),
    extra_legacy: Sequence[LegacyURL] = (),
) -> Prediction:
    """Predict the chains of every exact source of ``rule_file`` served at ``base_url`` (its
    host and ``hosts`` are the site's own host names), plus ``extra_legacy`` URLs."""
    from migrationaudit.inputs import collect_legacy

    base = base_url or DEFAULT_BASE
    sim = simulator(rule_file, base, hosts)
    rules, extra = _exact_rules(rule_file, base)
    legacy = collect_legacy(rules, [*extra, *extra_legacy])
    hops = predict_hops(sim, [item.url for item in legacy], max_hops)
    facts = analyse(sim, base)
    return Prediction(Inputs(tuple(rules), legacy), hops, facts, rule_file)


def rule_file_facts(req: AuditRequest, base: str | None) -> RuleFileFacts | None:
    """What the maps that are host rule files (``--map-format netlify|cloudflare|amplify``, or
    detected from the file) hold besides their exact rows: shadowed, ignored and chain-source
    rules (:mod:`migrationaudit.preflight`)."""
    from migrationaudit.preflight.model import merge_facts

    kinds = [(m, rule_format(m, req.map_format)) for m in req.maps]
    return merge_facts(file_facts(m, kind, base) for m, kind in kinds if kind is not None)


def exact_rows(
    path: str | Path, base_url: str | None, fmt: str
) -> tuple[tuple[RedirectRule, ...], tuple[SkippedRow, ...]]:
    """The map rows ``audit`` requests from a rule file only pre-flight reads: each exact
    source with a literal target (the other lines are skipped rows, with the reason)."""
    rule_file = read_rule_file(path, fmt)
    rules, _ = _exact_rules(rule_file, base_url)
    taken = {r.origin for r in rules}
    why = "pattern, rewrite or computed target: predicted by check-map, not one map row"
    skipped = tuple(SkippedRow(r.origin, why) for r in rule_file.rules if r.origin not in taken)
    ignored = tuple(SkippedRow(i.origin, i.reason) for i in rule_file.ignored)
    return tuple(rules), skipped + ignored


for _kind in ("vercel", "nginx", "apache", "cloudflare-bulk"):
    EXACT_ROW_READERS[_kind] = partial(exact_rows, fmt=_kind)
EXACT_ROW_READERS["netlify.toml"] = partial(exact_rows, fmt="netlify")

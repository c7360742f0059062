"""What only a rule file has: rules the host ignores, rules an earlier rule always beats, and
rules whose target another rule catches (so a visitor takes two hops where one was written).

Pattern rules are judged on two sample paths (each placeholder and splat filled with two
different made-up values): an earlier rule shadows a pattern rule when it catches both samples;
a pattern rule is a chain source when both of its sample targets are caught by the same other
rule. Exact rules are judged on their own source and target.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote, urljoin, urlsplit

from migrationaudit.models.inputs import Origin
from migrationaudit.preflight.model import ORDERED, HostRule, RuleFile, RuleFileFacts, RuleNote
from migrationaudit.preflight.simulate import Simulator
from migrationaudit.web.location import resolve_location

_SAMPLES = (("pfa", "pfa/pfb"), ("pfx1", "pfy2.html"))


def source_url(source: str, base: str) -> str:
    """A rule's source as a URL (patterns kept as written), for a finding to name."""
    return urljoin(base, quote(source, safe="/:*<>?=&%#@!$'()+,;~-._"))


def _sample(rule: HostRule, fmt: str, fill: tuple[str, str]) -> str:
    one, rest = fill
    src = rule.source.split("?", 1)[0]
    if fmt == "amplify":
        src = re.sub(r"<[^>*]+>", one, src.replace("<*>", rest))
    else:
        src = re.sub(r"(?<=/):[A-Za-z]\w*", one, src).replace("*", rest)
    query = "&".join(f"{k}={one if v[:1] in ':<' else v}" for k, v in rule.query)
    return src + (f"?{query}" if query else "")


def _samples(rule: HostRule, fmt: str, base: str) -> list[str]:
    root = f"{urlsplit(base).scheme}://{rule.host}/" if rule.host else base
    if fmt not in ORDERED and fmt != "cloudflare-bulk":  # a server: its own sample path
        return [urljoin(root, rule.sample)] if rule.sample else []
    fills = _SAMPLES if rule.dynamic else _SAMPLES[:1]
    return [urljoin(root, _sample(rule, fmt, f)) for f in fills]


def shadowed(sim: Simulator, base: str) -> Iterator[RuleNote]:
    """Rules never reached: for every path they catch, an earlier rule answers first."""
    fmt = sim.rule_file.fmt
    for rule in sim.rule_file.rules:
        if rule.fallback:
            continue
        samples = _samples(rule, fmt, base)
        if fmt in ORDERED:
            winners = {sim.match(u, before=rule.line) for u in samples}
        elif rule.exact:  # a server's precedence: another rule answers the rule's own path
            winners = {sim.match(u) for u in samples}
            if any(w is not None and w[0] is rule for w in winners):
                continue
        else:
            continue
        lines = {w[0].origin for w in winners if w is not None}
        if not samples or None in winners or len(lines) != 1:
            continue
        (other,) = lines
        yield RuleNote(
            "shadowed",
            source_url(rule.source, base),
            rule.origin,
            f"line {rule.line} ({rule.source}) is never reached: line {other.line} matches "
            "first for every path it catches",
            other=other,
        )


def chain_sources(sim: Simulator, base: str) -> Iterator[RuleNote]:
    """Redirect rules whose target another rule catches (the visitor takes a second hop)."""
    fmt = sim.rule_file.fmt
    for rule in sim.rule_file.rules:
        if rule.fallback or not rule.is_redirect:
            continue
        caught: set[tuple[Origin, str]] = set()
        missed = False
        for url in _samples(rule, fmt, base):
            own = sim.match(url)
            if own is None or own[0] is not rule:
                missed = True  # shadowed: another rule answers there (rule-shadowed says so)
                break
            target = resolve_location(url, [own[1]]).target
            nxt = sim.match(target) if target and sim.on_site(target) else None
            if nxt is None or nxt[0] is rule or not nxt[0].is_redirect or not nxt[1]:
                missed = True
                break
            caught.add((nxt[0].origin, nxt[0].source))
        if missed or len(caught) != 1:
            continue
        ((other, source),) = caught
        line = other.line if other.file == rule.origin.file else str(other)
        yield RuleNote(
            "chain-source",
            source_url(rule.source, base),
            rule.origin,
            f"line {rule.line} ({rule.source} -> {rule.target}) sends to a path that line "
            f"{line} ({source}) redirects again: two hops where one was written",
            other=other,
            target=rule.target,
        )


def ignored(rule_file: RuleFile, base: str) -> Iterator[RuleNote]:
    """Rules the host does not apply (past a limit, not understood) or the simulator cannot."""
    for item in rule_file.ignored:
        yield RuleNote(
            "ignored",
            source_url(item.source, base),
            item.origin,
            f"line {item.origin.line} ({item.source}): {item.reason}",
        )


def analyse(sim: Simulator, base: str) -> RuleFileFacts:
    """Every fact about the rule file, one note per kind and URL (the first line wins)."""
    notes: list[RuleNote] = []
    seen: set[tuple[str, str]] = set()
    for note in (*ignored(sim.rule_file, base), *shadowed(sim, base), *chain_sources(sim, base)):
        if (note.kind, note.url) not in seen:
            seen.add((note.kind, note.url))
            notes.append(note)
    counts = {
        k: sum(1 for n in notes if n.kind == k) for k in ("ignored", "shadowed", "chain-source")
    }
    return RuleFileFacts(sim.rule_file.fmt, tuple(notes), counts)

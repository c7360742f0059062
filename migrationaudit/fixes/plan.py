"""The corrected redirect map: what the observed chains say each legacy URL should redirect to.

From an :class:`~migrationaudit.models.AuditResult` (so a saved run can be re-planned) every
legacy URL gets one of three answers:

- a **fix**: one 301 (or the redirect status its map row asks for, e.g. a 307 kept
  temporary on purpose) straight to its ultimate healthy page. That page is the map's target
  followed through the observed graph to the 2xx page it really ends on (or, without a map
  row, where the URL's own chain ends), then flattened through the other fixes, so a target
  that is itself a legacy URL is replaced by its own final page;
- **review**: a human must decide: the chain loops, exceeds the hop limit or ends broken, the
  map's target was never requested so nothing proves it works, or the fixes would form a cycle;
- **kept**: nothing to write: the URL still answers 200 itself, or answers 404/410 as the map
  asks (removed on purpose).

:func:`migrationaudit.fixes.write_fixes` writes ``OUT/fixes/``: ``redirects.csv`` (the
flattened map, readable by ``--map``), ``needs-review.csv``, ``nginx-map.conf`` +
``nginx-server.conf``, ``apache.conf`` and ``_redirects`` (see
:mod:`migrationaudit.fixes.servers` for the escaping of each syntax).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from migrationaudit.graph import follow
from migrationaudit.models.hops import Chain, Hop, Outcome
from migrationaudit.models.result import AuditResult, Verdict
from migrationaudit.settings import HARD_MAX_HOPS
from migrationaudit.web.plainurls import normal_form as normalize

FIXES_SUBDIR = "fixes"
STATUS = 301  # a fix's status unless its map row asks for another redirect status
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# Review reasons (stable codes, the first column a human sorts by).
LOOP = "loop"
HOP_LIMIT = "hop-limit"
BROKEN = "broken"
UNVERIFIED = "target-unverified"
INCOMPLETE = "incomplete"
OFFSITE = "offsite"  # the chain left the audit's scope: where it lands is not known
NOT_REQUESTED = "not-requested"
CYCLE = "cycle"
UNSAFE = "unsafe-url"


@dataclass(frozen=True)
class Fix:
    """One flattened rule: ``source`` → ``target`` (a page observed answering 2xx) in one hop."""

    source: str
    target: str
    hops_today: int  # redirects the chain takes today (0: not redirected at all)
    note: str
    status: int = STATUS  # the map row's redirect status when it names one, else 301


@dataclass(frozen=True)
class Review:
    """A legacy URL no rule can be written for without a human decision."""

    url: str
    reason: str  # one of the reason codes above
    detail: str
    path: str
    expected_url: str | None = None
    final_url: str | None = None


@dataclass(frozen=True)
class FixPlan:
    """Fixes in input order, URLs for review, and how many URLs need nothing."""

    fixes: tuple[Fix, ...]
    review: tuple[Review, ...]
    kept: int


def _healthy(c: Chain) -> bool:
    final = c.final
    return c.outcome is Outcome.FINAL and final is not None and final.is_healthy


def describe(c: Chain) -> tuple[str, str]:
    """(reason code, plain words) for a chain that does not end on a healthy page."""
    if c.outcome is Outcome.LOOP:
        return LOOP, f"loops back to {c.loop_at} after {len(c.hops)} fetches"
    if c.outcome is Outcome.HOP_LIMIT:
        # The words of rule hop-limit: the last URL fetched still redirects, so the chain
        # followed one redirect fewer than it fetched (11 URLs fetched = 10 redirects followed).
        last = c.hops[-1]
        followed = len(c.hops) - 1
        return HOP_LIMIT, (
            f"no final page within {followed} redirect{'' if followed == 1 else 's'}: "
            f"{last.url} still redirects ({last.status}) to {last.target}"
        )
    if c.outcome is Outcome.INCOMPLETE:
        return INCOMPLETE, f"{c.missing} was never fetched (interrupted crawl)"
    if c.outcome is Outcome.OFFSITE and c.hops:
        return OFFSITE, f"redirects to {c.hops[-1].url}, outside the audit's scope (not requested)"
    final = c.final
    if final is None:
        return BROKEN, "has no answer"
    if final.error:
        return BROKEN, f"ends on {final.url}: {final.error}"
    return BROKEN, f"ends on {final.url}, which answers {final.status}"


def _max_hops(result: AuditResult) -> int:
    value = result.run.options.max_hops if result.run.options else None
    return value if value is not None and value > 0 else HARD_MAX_HOPS


def _hops(result: AuditResult) -> Iterable[Hop]:
    seen: set[str] = set()
    for c in result.chains.values():
        for h in c.hops:
            if h.url not in seen:
                seen.add(h.url)
                yield h


class _Resolver:
    """Follows a URL through the observed hops like :func:`migrationaudit.graph.chain` does,
    from a plain dict: no networkx graph to build, so a 100,000-URL run plans in seconds.
    A URL spelled differently from its record is found by its normal form."""

    def __init__(self, hops: Iterable[Hop], max_hops: int) -> None:
        self.exact = {h.url: h for h in hops}
        self.max_hops = max_hops
        self._normal: dict[str, Hop] | None = None

    def lookup(self, url: str) -> Hop | None:
        hop = self.exact.get(url)
        if hop is None:
            if self._normal is None:  # built on the first miss only
                self._normal = {}
                for u, h in self.exact.items():
                    self._normal.setdefault(normalize(u), h)
            hop = self._normal.get(normalize(url))
        return hop

    def follow(self, url: str) -> Chain:
        return follow(url, self.lookup, self.max_hops)


class _Planner:
    """Decides one legacy URL at a time, then flattens the fixes through each other."""

    def __init__(self, result: AuditResult) -> None:
        self.result = result
        self.resolver = _Resolver(_hops(result), _max_hops(result))
        self.norm = lru_cache(maxsize=None)(normalize)
        self.direct: dict[str, tuple[Verdict, str, str]] = {}  # normalized source → (v, t, note)
        self.review: list[Review] = []
        self.kept = 0

    def _review(self, v: Verdict, reason: str, detail: str) -> None:
        self.review.append(Review(v.url, reason, detail, v.path, v.expected_url, v.final_url))

    def decide(self, v: Verdict) -> None:
        own = self.result.chains.get(v.url)
        if own is None or not own.hops:
            self._review(v, NOT_REQUESTED, "the URL was not requested (no crawl result)")
            return
        if own.outcome in (Outcome.INCOMPLETE, Outcome.OFFSITE):
            self._review(v, *describe(own))
            return
        if v.expected_url is not None:
            target_chain = self.resolver.follow(v.expected_url)
            if _healthy(target_chain):
                target = str(target_chain.final_url)
                same = own.final_url == target or self.norm(str(own.final_url)) == self.norm(target)
                if own.hop_count == 1 and same:
                    note = "already one hop"
                elif own.hop_count == 0 and _healthy(own):
                    note = "not redirected today"
                elif _healthy(own):
                    note = f"{own.hop_count} hops today"
                else:
                    note = f"map's target works; the URL {describe(own)[1]} today"
                self._plan(v, target, note)
            elif not target_chain.hops:
                where = (
                    f"it lands on {own.final_url} today"
                    if _healthy(own)
                    else (f"the URL {describe(own)[1]}")
                )
                self._review(
                    v,
                    UNVERIFIED,
                    f"the map's target {v.expected_url} was never requested, so nothing "
                    f"proves it works; {where}",
                )
            else:
                code, words = describe(target_chain)
                self._review(v, code, f"the map's target {v.expected_url} {words}")
            return
        if _healthy(own):
            if own.hop_count == 0:
                self.kept += 1  # a live page at its own address: nothing to redirect
                return
            note = "already one hop" if own.hop_count == 1 else f"{own.hop_count} hops today"
            self._plan(v, str(own.final_url), note)
            return
        final = own.final
        gone = final is not None and final.error is None and final.status in (404, 410)
        if gone and own.hop_count == 0 and "legacy-url-broken" not in v.rules:
            # Removed on purpose by the map (legacy-url-broken stays silent for those): 404
            # or 410 is the answer wanted, not something a redirect rule should change.
            self.kept += 1
            return
        self._review(v, *describe(own))

    def _plan(self, v: Verdict, target: str, note: str) -> None:
        if target == v.url or self.norm(target) == self.norm(v.url):
            self.kept += 1
            return
        self.direct.setdefault(self.norm(v.url), (v, target, note))

    def flatten(self) -> list[Fix]:
        """Follow each target through the other fixes (A → B and B → C make A → C)."""
        fixes: list[Fix] = []
        for key, (v, target, note) in self.direct.items():
            seen = {key}
            current = target
            cycle = False
            while (nxt := self.direct.get(self.norm(current))) is not None:
                if self.norm(current) in seen:
                    cycle = True
                    break
                seen.add(self.norm(current))
                current = nxt[1]
            if cycle or self.norm(current) == key:
                self._review(v, CYCLE, f"the fixes would send it round in a cycle via {target}")
                continue
            if current != target:
                note = f"{note}; {target} is itself redirected"
            own = self.result.chains.get(v.url)
            fixes.append(Fix(v.url, current, own.hop_count if own else 0, note, _status(v)))
        return fixes


def _status(v: Verdict) -> int:
    """The status of ``v``'s fix: the one its map row asks for (a 302 or 307 meant to stay
    temporary, a 308), else :data:`STATUS`."""
    if v.expected_url is not None and v.expected_status in REDIRECT_STATUSES:
        return int(v.expected_status)
    return STATUS


_LAST: list[tuple[AuditResult, FixPlan]] = []  # the report and fixes/ plan the same result


def build_fixes(result: AuditResult) -> FixPlan:
    """Plan the corrected map for every legacy URL of ``result`` (no I/O). The last plan is
    kept, so the HTML report and ``fixes/`` do not plan a big run twice."""
    if _LAST and _LAST[0][0] is result:
        return _LAST[0][1]
    planner = _Planner(result)
    for v in result.verdicts:
        planner.decide(v)
    fixes = planner.flatten()
    plan = FixPlan(tuple(fixes), tuple(planner.review), planner.kept)
    _LAST[:] = [(result, plan)]
    return plan

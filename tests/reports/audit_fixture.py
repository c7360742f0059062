"""One hand-built AuditResult that every output format renders in the report tests.

(A plain module, not conftest.py, so tests can import its constants by a unique name.)

It holds a clean redirect, a four-hop chain, a loop, a hop limit, a network error, a meta
refresh, an unfetched (incomplete) chain, a 404, a noindex target, a dropped query, a map-only
finding without a chain, and hostile text: ``<script>`` and ``javascript:`` in URLs, locations
and messages, ``=HYPERLINK(...)`` formulas, control characters, a bidi override, and the
strings ``NA``/``null`` that pandas likes to turn into NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from migrationaudit.models.findings import Finding, RuleInfo, Severity, SkippedRule
from migrationaudit.models.hops import Chain, Hop, HopKind, Outcome, PageFacts
from migrationaudit.models.inputs import Origin
from migrationaudit.models.result import AuditResult, Verdict
from migrationaudit.models.runinfo import RunInfo

OLD = "http://old.example"
NEW = "https://new.example"
SCRIPT_URL = f"{OLD}/<script>alert(1)</script>"
JS_TARGET = "javascript:alert(1)"
FORMULA_URL = f'{OLD}/=HYPERLINK("http://evil.example","click")'
FORMULA_TITLE = '=HYPERLINK("http://evil.example","x")<script>alert(4)</script>'
BIDI_URL = f"{OLD}/invoice\u202egpj.exe"
HOSTILE_MESSAGE = 'redirects to a script URL "javascript:alert(1)" <img src=x onerror=alert(3)>'
MAP = "map.csv"

ERROR, WARNING, NOTICE = Severity.ERROR, Severity.WARNING, Severity.NOTICE

RULE_DOCS: dict[str, tuple[Severity, str]] = {
    "broken-target": (ERROR, "Redirects that end broken"),
    "canonical-mismatch": (WARNING, "Final pages that canonicalise elsewhere"),
    "hop-limit": (ERROR, "Chains longer than the hop limit"),
    "legacy-url-broken": (ERROR, "Legacy URLs that answer an error"),
    "map-self": (ERROR, "Map rows that redirect a URL to itself"),
    "meta-refresh": (WARNING, "Meta refresh instead of an HTTP redirect"),
    "many-to-one": (WARNING, "Many legacy URLs funnelled into one page"),
    "noindex-target": (ERROR, "Final pages that forbid indexing"),
    "query-dropped": (NOTICE, "Query strings lost on the way"),
    "redirect-chain": (WARNING, "Redirect chains"),
    "redirect-loop": (ERROR, "Redirect loops"),
    "scheme-hop": (WARNING, "Extra http→https hops"),
    "slash-hop": (WARNING, "Extra trailing-slash hops"),
    "status-mismatch": (WARNING, "First hop status differs from the map"),
    "target-mismatch": (ERROR, "Redirects that land on the wrong page"),
    "temporary-redirect": (WARNING, "Temporary redirects"),
}


def rule_infos() -> tuple[RuleInfo, ...]:
    out = []
    for rule_id, (severity, title) in sorted(RULE_DOCS.items()):
        doc = (
            f"{title}.\n\n"
            f"Detects {rule_id} (symptom) via ``<link rel=canonical>``.\n"
            "Search engines drop the signals <b>of</b> the old URL:\n"
            "rankings and links are lost.\n\n"
            f"Fix: repair the {rule_id} rows of the map & redeploy."
        )
        out.append(RuleInfo(rule_id=rule_id, severity=severity, title=title, doc=doc))
    return tuple(out)


def hop(
    url: str,
    status: int | None = 200,
    target: str | None = None,
    *,
    kind: HopKind | None = None,
    error: str | None = None,
    headers: dict[str, str] | None = None,
    page: PageFacts | None = None,
    location: str | None = None,
) -> Hop:
    """A Hop; the kind follows from status/target/error unless given."""
    if kind is None:
        if error is not None:
            kind = HopKind.NETWORK_ERROR
        elif target is not None:
            kind = HopKind.HTTP_REDIRECT
        else:
            kind = HopKind.FINAL
    if location is None and kind is HopKind.HTTP_REDIRECT:
        location = target
    return Hop(
        url=url,
        status=status,
        kind=kind,
        location=location,
        target=target,
        error=error,
        elapsed_ms=12.34,
        headers=headers or {},
        page=page,
    )


def redirects(*steps: str | int) -> tuple[Hop, ...]:
    """``redirects(a, 301, b, 302, c)`` → hops a→b, b→c and a final 200 at c."""
    urls = [s for s in steps[::2] if isinstance(s, str)]
    statuses = [s for s in steps[1::2] if isinstance(s, int)]
    hops = [hop(u, st, urls[i + 1]) for i, (u, st) in enumerate(zip(urls, statuses, strict=False))]
    return (*hops, hop(urls[-1]))


class Builder:
    """Collects chains, findings and verdicts in input order."""

    def __init__(self) -> None:
        self.chains: dict[str, Chain] = {}
        self.findings: list[Finding] = []
        self.verdicts: list[Verdict] = []
        self.line = 1

    def add(
        self,
        url: str,
        hops: Sequence[Hop] | None,
        outcome: Outcome = Outcome.FINAL,
        *,
        expected: str | None = None,
        rules: Sequence[tuple[str, str]] = (),
        loop_at: str | None = None,
        missing: str | None = None,
        indexable: bool | None = True,
        canonical: str | None = None,
        fix: str = "Point the map row straight at the final URL.",
        evidence: Sequence[Hop] | None = None,
    ) -> None:
        self.line += 1
        origin = Origin(MAP, self.line)
        chain = None
        if hops is not None:
            chain = Chain(url, tuple(hops), outcome, loop_at=loop_at, missing=missing)
            self.chains[url] = chain
        found = []
        for rule_id, message in rules:
            severity = RULE_DOCS[rule_id][0]
            f = Finding(
                rule_id=rule_id,
                severity=severity,
                url=url,
                message=message,
                fix=fix,
                evidence=tuple(evidence if evidence is not None else (hops or ())),
                final_url=chain.final_url if chain else None,
                expected_url=expected,
                origin=origin,
            )
            found.append(f)
        self.findings.extend(found)
        worst = max((f.severity for f in found), default=None)
        verdict = worst.label if worst else "ok"
        if outcome is Outcome.INCOMPLETE and not found:
            verdict = "incomplete"
        final = chain.final if chain else None
        self.verdicts.append(
            Verdict(
                url=url,
                verdict=verdict,
                outcome=outcome if chain else Outcome.INCOMPLETE,
                hop_count=chain.hop_count if chain else 0,
                final_url=chain.final_url if chain else None,
                final_status=chain.final_status if chain else None,
                expected_url=expected,
                target_match=None if expected is None or final is None else final.url == expected,
                indexable=indexable if final is not None and final.error is None else None,
                canonical=canonical,
                rules=tuple(sorted({f.rule_id for f in found})),
                origin=origin,
                path=chain.path_text() if chain else "",
            )
        )

    def result(self, fail_on: Severity = ERROR, run: dict[str, Any] | None = None) -> AuditResult:
        findings = sorted(self.findings, key=lambda f: (-f.severity, f.rule_id, f.url))
        return AuditResult(
            findings=tuple(findings),
            verdicts=tuple(self.verdicts),
            chains=dict(self.chains),
            skipped=(
                SkippedRule("status-mismatch", "no expected_status column in the map"),
                SkippedRule("many-to-one", "disabled by configuration <b>really</b>"),
            ),
            rules=rule_infos(),
            fail_on=fail_on,
            run=RunInfo.from_dict(run if run is not None else RUN),
        )


RUN: dict[str, Any] = {
    "tool": "migrationaudit",
    "version": "0.1.0",
    "started_at": "2025-01-02T03:04:05+00:00",
    "finished_at": "2025-01-02T03:05:06+00:00",
    "inputs": [MAP, "urls<script>.txt"],
    "options": {"max_hops": 10, "concurrency": 16, "user_agent": "migrationaudit/0.1.0"},
    "connect_to": ["old.example:80:127.0.0.1"],
    "partial": True,
    "base_url": NEW + "/",
    "crawl": {"fetched": 20, "complete": False},
    "python": "3.11.7",
}


def build_audit_result() -> AuditResult:
    """The shared hostile, many-rule result (gate fails: there are errors)."""
    b = Builder()
    # 1. a clean one-hop redirect
    b.add(
        f"{OLD}/ok",
        redirects(f"{OLD}/ok", 301, f"{NEW}/ok"),
        expected=f"{NEW}/ok",
        canonical=f"{NEW}/ok",
    )
    # 2. a four-hop chain: scheme hop, temporary redirect, slash hop
    chain_hops = redirects(
        f"{OLD}/chain", 301, "https://old.example/chain", 302, f"{NEW}/chain", 301, f"{NEW}/chain/"
    )
    b.add(
        f"{OLD}/chain",
        chain_hops,
        expected=f"{NEW}/chain/",
        rules=[
            ("redirect-chain", "3 hops before the final page (1 expected)"),
            ("scheme-hop", "hop 1 only switches http→https"),
            ("slash-hop", "hop 3 only adds a trailing slash"),
            ("temporary-redirect", "hop 2 answers 302 (use 301 or 308)"),
        ],
    )
    # 3. a loop
    loop_hops = (hop(f"{OLD}/loop", 301, f"{OLD}/loop-b"), hop(f"{OLD}/loop-b", 302, f"{OLD}/loop"))
    b.add(
        f"{OLD}/loop",
        loop_hops,
        Outcome.LOOP,
        loop_at=f"{OLD}/loop",
        indexable=None,
        rules=[("redirect-loop", "the chain returns to http://old.example/loop")],
    )
    # 4. a hop limit
    far = [f"{OLD}/far", f"{OLD}/far1", f"{OLD}/far2", f"{OLD}/far3"]
    b.add(
        far[0],
        tuple(hop(u, 301, far[i + 1]) for i, u in enumerate(far[:-1])),
        Outcome.HOP_LIMIT,
        indexable=None,
        rules=[("hop-limit", "no final answer within 2 hops")],
    )
    # 5. a network error after a redirect
    dead = (
        hop(f"{OLD}/dead", 301, "https://dead.example/x"),
        hop("https://dead.example/x", None, error="ConnectionRefusedError: Connection refused"),
    )
    b.add(
        f"{OLD}/dead",
        dead,
        Outcome.ERROR,
        expected="https://dead.example/x",
        rules=[("broken-target", "the chain ends in a network error")],
    )
    # 6. a meta refresh
    meta_page = PageFacts(content_type="text/html", title="Moved", meta_refresh="0; url=/meta")
    meta = (
        hop(f"{OLD}/meta", 200, f"{NEW}/meta", kind=HopKind.META_REFRESH, page=meta_page),
        hop(f"{NEW}/meta", page=PageFacts(title="Meta target")),
    )
    b.add(
        f"{OLD}/meta",
        meta,
        expected=f"{NEW}/meta",
        rules=[("meta-refresh", "hop 1 is a meta refresh")],
    )
    # 7. hostile: <script> in the legacy URL, a javascript: redirect
    js = (
        hop(SCRIPT_URL, 301, JS_TARGET),
        hop(JS_TARGET, None, error="unsupported URL scheme 'javascript'"),
    )
    b.add(
        SCRIPT_URL,
        js,
        Outcome.ERROR,
        expected="javascript:alert(2)",
        rules=[("broken-target", HOSTILE_MESSAGE)],
        fix="<script>alert(5)</script> remove the script URL",
    )
    # 8. hostile: a formula URL landing on the wrong page with a formula title
    wrong_page = PageFacts(title=FORMULA_TITLE, canonical=f"{NEW}/wrong")
    b.add(
        FORMULA_URL,
        (hop(FORMULA_URL, 301, f"{NEW}/wrong"), hop(f"{NEW}/wrong", page=wrong_page)),
        expected="@SUM(A1)",
        rules=[("target-mismatch", "-1+1 lands on a different page")],
        canonical=f"{NEW}/wrong",
    )
    # 9. incomplete: the target was never fetched
    b.add(
        f"{OLD}/partial",
        (hop(f"{OLD}/partial", 301, f"{NEW}/partial"),),
        Outcome.INCOMPLETE,
        missing=f"{NEW}/partial",
        indexable=None,
    )
    # 10. a legacy URL that answers 404 itself
    b.add(
        f"{OLD}/missing",
        (hop(f"{OLD}/missing", 404),),
        expected=f"{NEW}/missing",
        indexable=False,
        rules=[("legacy-url-broken", "answers 404 with no redirect")],
    )
    # 11. noindex + canonical elsewhere; header values "NA" / "null" must stay text
    noindex_page = PageFacts(title="null", canonical=f"{NEW}/other", meta_robots="noindex")
    b.add(
        f"{OLD}/noindex",
        (
            hop(f"{OLD}/noindex", 301, f"{NEW}/noindex"),
            hop(
                f"{NEW}/noindex",
                headers={"x-robots-tag": "NA", "X-Custom": "null"},
                page=noindex_page,
            ),
        ),
        expected=f"{NEW}/noindex",
        indexable=False,
        canonical=f"{NEW}/other",
        rules=[
            ("canonical-mismatch", "canonical is https://new.example/other"),
            ("noindex-target", "the final page says noindex"),
        ],
    )
    # 12. a dropped query (notice only)
    b.add(
        f"{OLD}/q?id=1",
        redirects(f"{OLD}/q?id=1", 301, f"{NEW}/q"),
        expected=f"{NEW}/q?id=1",
        rules=[("query-dropped", "query id=1 is lost")],
    )
    # 13. control characters and a bidi override, no finding
    b.add(
        BIDI_URL,
        (
            hop(
                BIDI_URL,
                headers={"server": "nginx\x00\x1b[31mred\x0b"},
                page=PageFacts(title="=1+1"),
            ),
        ),
    )
    # 14. a map-only finding: no chain at all
    b.add(
        f"{OLD}/self",
        None,
        expected=f"{OLD}/self",
        rules=[("map-self", "the map sends http://old.example/self to itself")],
        fix="Delete the row or give it a real target.",
    )
    return b.result()


def build_clean_result() -> AuditResult:
    """A passing audit with an empty ``run`` (every metadata key missing)."""
    b = Builder()
    b.add(f"{OLD}/a", redirects(f"{OLD}/a", 301, f"{NEW}/a"), expected=f"{NEW}/a")
    b.add(
        f"{OLD}/b",
        redirects(f"{OLD}/b", 301, f"{NEW}/b"),
        rules=[("query-dropped", "a notice is below the gate")],
    )
    return b.result(run={})


def build_empty_result() -> AuditResult:
    """Nothing audited at all."""
    return AuditResult(
        findings=(),
        verdicts=(),
        chains={},
        skipped=(),
        rules=(),
        fail_on=ERROR,
        run=RunInfo(),
    )

"""The rules only a host rule file has (``check-map --map-format netlify|cloudflare|amplify``):
each reports one line of the file, read from the pre-flight facts of the context."""

from __future__ import annotations

from collections.abc import Iterator

from migrationaudit.checks import AuditContext, Need, rule
from migrationaudit.checks.common import finding, judged
from migrationaudit.models.findings import Finding, Severity
from migrationaudit.models.hops import HopKind
from migrationaudit.preflight.model import RuleNote


def _finding(note: RuleNote, fix: str) -> Finding:
    return Finding(
        rule_id="",
        severity=Severity.NOTICE,
        url=note.url,
        message=note.message,
        fix=fix,
        expected_url=note.target,
        origin=note.origin,
    )


def _notes(ctx: AuditContext, kind: str) -> tuple[RuleNote, ...]:
    return ctx.rule_file.of_kind(kind) if ctx.rule_file is not None else ()


@rule("rule-shadowed", Severity.WARNING, needs=Need.RULE_FILE)
def shadowed_rules(ctx: AuditContext) -> Iterator[Finding]:
    """Rules an earlier rule always beats

    A line of the host's rule file that is never reached: the host reads the rules top down and
    the first match wins, and for every path this line catches an earlier line (named in the
    message) matches first. Why: the redirect written on this line never happens; visitors and
    crawlers get the earlier rule's target, which is rarely what this line meant. Fix: move the
    line above the rule that shadows it, or delete it if the earlier rule is right.
    """
    for note in _notes(ctx, "shadowed"):
        other = note.other.line if note.other else "?"
        yield _finding(note, f"Move line {note.origin.line} above line {other}, or delete it.")


@rule("rule-ignored", Severity.WARNING, needs=Need.RULE_FILE)
def ignored_rules(ctx: AuditContext) -> Iterator[Finding]:
    """Rules the host ignores or the simulator cannot evaluate

    A line the host never applies: past its limit (Cloudflare Pages applies at most 2,000 static
    and 100 dynamic rules and drops the rest silently), a line it does not understand, or a
    source with a #fragment that no request carries; and lines whose conditions (country,
    language, role) depend on the client, which the prediction does not simulate. Why: an
    ignored redirect is a broken link that nothing in the deploy reports. Fix: bring the file
    within the host's limits (fewer dynamic rules, or static rules above the first splat), or
    move the redirects to the host's bulk redirect feature; correct the line's syntax.
    """
    for note in _notes(ctx, "ignored"):
        yield _finding(note, f"Make line {note.origin.line} a rule the host applies.")


@rule("rule-chain-source", Severity.WARNING, needs=Need.RULE_FILE)
def chain_source_rules(ctx: AuditContext) -> Iterator[Finding]:
    """Rules whose target another rule catches

    A redirect rule whose target is itself redirected by another line of the file (both lines
    named), so every visitor takes two hops (or more) where one was written. Why: each extra
    hop costs a round trip and some ranking signal, and long chains are not followed to the
    end by crawlers. Fix: point this line straight at the other line's target: one edit.
    """
    for note in _notes(ctx, "chain-source"):
        other = note.other.line if note.other else "?"
        yield _finding(
            note, f"Point line {note.origin.line} at the target of line {other} directly."
        )


@rule("live-differs-from-rules", Severity.WARNING, needs=Need.RULE_FILE)
def live_differences(ctx: AuditContext) -> Iterator[Finding]:
    """Live answers that differ from the rule file

    ``audit --map RULES`` with a host rule file: the first answer of a legacy URL that the file
    names (status and Location) is not what the file predicts for it — a rule not deployed, a
    CDN or an application answering first, or a rule the host reads differently than written.
    Both chains are shown: the live one as evidence, the predicted one in the message. Why:
    the rule file in the repository no longer describes the site, so every check of the file
    (and every fix made to it) misses what visitors get. Fix: deploy the file, or find what
    answers before it (a CDN rule, the application, a second rule file) and remove or update it.
    """
    facts = ctx.rule_file
    if facts is None or ctx.graph is None or not facts.answers:
        return
    answers = {a.url: a for a in facts.answers}
    for item, chain in judged(ctx):
        a = answers.get(item.url)
        first = chain.hops[0]
        if a is None or first.kind in (HopKind.NETWORK_ERROR, HopKind.OFFSITE):
            continue
        live = (first.status, first.target if first.is_redirect else None)
        if live == (a.status, a.target):
            continue
        line = f"line {a.origin.line}" if a.origin else "no rule (a page)"
        yield finding(
            item,
            chain,
            f"live: {chain.path_text()}; the rule file ({line}) predicts: {a.path}",
            "Deploy the rule file, or remove what answers before it (CDN, application).",
        )

"""The data of a pre-flight check: host rules as the host reads them, rules it ignores, and the
facts about the file (shadowed, ignored, chained rules) that the rule-file rules report."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from migrationaudit.models.inputs import Origin

FORMATS = ("netlify", "cloudflare", "amplify")


@dataclass(frozen=True, slots=True)
class HostRule:
    """One redirect rule of a host's file, in the host's terms.

    ``pattern``: the source path compiled for this host (placeholders and splats as named
    groups); ``dynamic``: it has a placeholder or splat. ``status``: the status the host
    answers (its default applied); 200 is a rewrite, 404 a not-found page rule. ``fallback``:
    acts only where no file is served (Amplify ``404-200``/``404``): never on a page."""

    origin: Origin
    source: str
    target: str
    status: int
    pattern: re.Pattern[str]
    dynamic: bool = False
    force: bool = False
    fallback: bool = False
    query: tuple[tuple[str, str], ...] = ()  # query conditions (key, value or :name)
    host: str | None = None  # a full-URL source applies to this host only

    @property
    def line(self) -> int:
        return self.origin.line

    @property
    def is_redirect(self) -> bool:
        return 300 <= self.status < 400


@dataclass(frozen=True, slots=True)
class IgnoredRule:
    """A line the host does not apply (or that the simulator cannot), and why."""

    origin: Origin
    source: str
    reason: str
    # The host never reads it (past a limit, invalid): its source is not served by any rule.
    by_host: bool = True


@dataclass(frozen=True)
class RuleFile:
    """A parsed rule file: the rules the host applies in file order, and the ignored ones."""

    name: str
    fmt: str
    rules: tuple[HostRule, ...]
    ignored: tuple[IgnoredRule, ...] = ()
    notes: tuple[str, ...] = ()  # per-file remarks (limits applied, what is not simulated)


@dataclass(frozen=True, slots=True)
class RuleNote:
    """One fact about one line of a rule file, for a rule-file rule to report.

    ``kind``: ``shadowed`` / ``ignored`` / ``chain-source``; ``url``: the line's source as a URL
    (the finding's URL); ``other``: the line of the rule that shadows it or catches its target.
    """

    kind: str
    url: str
    origin: Origin
    message: str
    other: Origin | None = None
    target: str | None = None


@dataclass(frozen=True)
class RuleFileFacts:
    """What the pre-flight analysis found in a rule file (read by the rule-file rules)."""

    fmt: str
    notes: tuple[RuleNote, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)

    def of_kind(self, kind: str) -> tuple[RuleNote, ...]:
        return tuple(n for n in self.notes if n.kind == kind)

"""The data of a pre-flight check: host rules as the host reads them, rules it ignores, and the
facts about the file (shadowed, ignored, chained rules) that the rule-file rules report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from migrationaudit.models.inputs import Origin
from migrationaudit.preflight.literal import Regex

FORMATS = (
    "netlify",
    "cloudflare",
    "amplify",
    "vercel",
    "nginx",
    "apache",
    "cloudflare-bulk",
)
# Formats whose rules are read in file order, first match wins (the others: a server's own
# precedence, :class:`Engine`, or Cloudflare Bulk Redirects' most specific match).
ORDERED = ("netlify", "cloudflare", "amplify", "vercel")


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
    pattern: Regex
    dynamic: bool = False
    force: bool = False
    fallback: bool = False
    query: tuple[tuple[str, str], ...] = ()  # query conditions (key, value or :name)
    host: str | None = None  # a full-URL source applies to this host only
    # Cloudflare Bulk Redirects: the source's scheme (None: both), its subdomains too, the
    # request's query string kept, the path past a subpath match appended to the target.
    scheme: str | None = None
    subdomains: bool = False
    keep_query: bool = False
    keep_suffix: bool = False
    # nginx/Apache: a path this rule answers, for the shadowed/chain analysis (None: a regex
    # the analysis does not sample); ``exact``: that path is the rule's only source.
    sample: str | None = None
    exact: bool = False

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


@dataclass(frozen=True, slots=True)
class EngineAnswer:
    """A server's answer (nginx, Apache) to one URL: ``rule`` (None: no rule), ``status``,
    ``location`` as sent (None for a page), ``unknown``: why the answer is not predicted
    (the request reaches a proxy, an application, a Lua block)."""

    rule: HostRule | None
    status: int
    location: str | None = None
    unknown: str | None = None


class Engine(Protocol):
    """A server whose answer is not one first-matching rule (nginx, Apache): it answers a URL
    with its own precedence (locations, rewrite phases, per-directory files)."""

    def answer(self, url: str) -> EngineAnswer: ...


@dataclass(frozen=True)
class RuleFile:
    """A parsed rule file: the rules the host applies in file order, and the ignored ones.

    ``engine``: for servers (nginx, Apache), what answers a URL; ``hosts``: the host names the
    file serves (server_name, ServerName), which are the site's own."""

    name: str
    fmt: str
    rules: tuple[HostRule, ...]
    ignored: tuple[IgnoredRule, ...] = ()
    notes: tuple[str, ...] = ()  # per-file remarks (limits applied, what is not simulated)
    engine: Engine | None = None
    hosts: tuple[str, ...] = ()


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "origin": self.origin.to_dict(),
            "message": self.message,
            "other": self.other.to_dict() if self.other else None,
            "target": self.target,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RuleNote:
        other = d.get("other")
        return cls(
            kind=str(d["kind"]),
            url=str(d["url"]),
            origin=Origin(str(d["origin"]["file"]), int(d["origin"]["line"])),
            message=str(d["message"]),
            other=Origin(str(other["file"]), int(other["line"])) if other else None,
            target=d.get("target"),
        )


@dataclass(frozen=True, slots=True)
class PredictedAnswer:
    """What the rule file predicts for one of its exact sources: the first answer (``status``,
    absolute ``target`` or None for a page), the answering line (None: no rule applies) and
    the whole predicted chain as text (``a --301--> b [200]``)."""

    url: str
    status: int
    target: str | None
    origin: Origin | None
    path: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "target": self.target,
            "origin": self.origin.to_dict() if self.origin else None,
            "path": self.path,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PredictedAnswer:
        o = d.get("origin")
        return cls(
            url=str(d["url"]),
            status=int(d["status"]),
            target=d.get("target"),
            origin=Origin(str(o["file"]), int(o["line"])) if o else None,
            path=str(d.get("path", "")),
        )


@dataclass(frozen=True)
class RuleFileFacts:
    """What the pre-flight analysis found in a rule file (read by the rule-file rules), and,
    for ``audit``, the predicted first answer of each exact source (``live-differs-from-rules``).
    """

    fmt: str
    notes: tuple[RuleNote, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    answers: tuple[PredictedAnswer, ...] = ()

    def of_kind(self, kind: str) -> tuple[RuleNote, ...]:
        return tuple(n for n in self.notes if n.kind == kind)


def merge_facts(facts: Iterable[RuleFileFacts]) -> RuleFileFacts | None:
    """The facts of several rule files as one (None when there is none)."""
    items = list(facts)
    if not items:
        return None
    counts: dict[str, int] = {}
    for f in items:
        for k, n in f.counts.items():
            counts[k] = counts.get(k, 0) + n
    fmt = ",".join(dict.fromkeys(f.fmt for f in items))
    notes = tuple(n for f in items for n in f.notes)
    return RuleFileFacts(fmt, notes, counts, tuple(a for f in items for a in f.answers))


def facts_from_notes(
    fmt: str, notes: Iterable[RuleNote], answers: Iterable[PredictedAnswer] = ()
) -> RuleFileFacts:
    """Facts rebuilt from saved notes and answers (a saved run judged again)."""
    items = tuple(notes)
    kinds = ("ignored", "shadowed", "chain-source")
    counts = {k: sum(1 for n in items if n.kind == k) for k in kinds}
    return RuleFileFacts(fmt, items, counts, tuple(answers))

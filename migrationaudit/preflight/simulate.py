"""What a host answers to one request, from its rule file alone: the first rule that matches
(in file order) decides the status and the Location, as :mod:`~migrationaudit.preflight.formats`
describes for each host.

A path no rule catches is taken to be a served page (200): which files exist is not in the
rule file. One exception: the source of a rule the host ignores (past its limit, invalid) is
answered 404, because a rule exists there only because the page moved — which is what the live
replays of the corpora show (kgateway.dev's 849 ignored rules answer 404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from migrationaudit.models.hops import Hop, HopKind
from migrationaudit.models.inputs import Origin
from migrationaudit.preflight.formats import substitute
from migrationaudit.preflight.hostfiles import substitute_vercel
from migrationaudit.preflight.literal import LiteralIndex, slash_key
from migrationaudit.preflight.model import HostRule, RuleFile
from migrationaudit.preflight.querystring import with_query
from migrationaudit.web.location import resolve_location
from migrationaudit.web.plainurls import is_plain, split_url

# An http(s) URL's scheme and authority: what follows it (path, query, fragment) never makes
# a WHATWG or RFC 3986 parser refuse the URL as a base.
_AUTHORITY = re.compile(r"https?://[^/?#\\]*")
Targets = dict[tuple[str, str], str | None]
PREDICTED_HEADER = "x-migrationaudit-predicted-by"  # the rule-file line that answered
NOT_PREDICTED = "not predicted"


@dataclass(frozen=True, slots=True)
class Answer:
    """What the host answers to one URL: ``status``, the ``location`` as the rule writes it
    (None for a page), the absolute ``target`` and the ``rule`` that answered (None: no rule)."""

    status: int
    location: str | None = None
    target: str | None = None
    rule: HostRule | None = None
    unknown: str | None = None  # not predicted: a proxy or an application answers


class Simulator:
    """Answers requests to ``hosts`` (the site's own host names) as ``rule_file``'s host does."""

    def __init__(
        self, rule_file: RuleFile, hosts: tuple[str, ...], targets: Targets | None = None
    ) -> None:
        self.rule_file = rule_file
        # Absolute Locations resolved already (shared by the simulators of one check).
        self._targets: Targets = {} if targets is None else targets
        self.hosts = frozenset(h.lower() for h in hosts)
        self._gone = {
            i.source.split("?", 1)[0].rstrip("/") or "/"
            for i in rule_file.ignored
            if i.by_host and "*" not in i.source and ":" not in i.source and "<" not in i.source
        }
        # The rules a path may meet, in file order (a plain source path is looked up, not tried).
        self._index = LiteralIndex([r.pattern for r in rule_file.rules], slash_key, strip=("/?",))

    def on_site(self, url: str) -> bool:
        """Whether ``url`` is answered by this rule file (one of the site's hosts)."""
        if is_plain(url):  # scheme://host/...: the host as urlsplit reads it
            return url.split("/", 3)[2] in self.hosts
        return (urlsplit(url).hostname or "").lower() in self.hosts

    def match(
        self, url: str, before: int | None = None, skip: HostRule | None = None
    ) -> tuple[HostRule, str] | None:
        """The first rule (with a line before ``before``, other than ``skip``) that catches
        ``url``, and the target it sends to; None when none does. A server (nginx, Apache)
        answers with its own precedence: ``before`` and ``skip`` do not apply to it."""
        if self.rule_file.engine is not None:
            got = self.rule_file.engine.answer(url)
            if got.rule is None or got.unknown:
                return None
            return got.rule, got.location or ""
        parts = split_url(url)
        host = (parts.hostname or "").lower()
        path = parts.path or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        fmt = self.rule_file.fmt
        best: tuple[tuple[int, int], HostRule, str] | None = None
        rules, first = self.rule_file.rules, self._index.first
        pos = first(path, 0)
        while pos is not None:
            rule = rules[pos]
            pos = first(path, pos + 1)
            if before is not None and rule.line >= before:
                break
            if rule is skip or rule.fallback:
                continue  # a not-found fallback never acts on a served page
            if rule.scheme is not None and rule.scheme != parts.scheme:
                continue
            if rule.host is not None:
                if rule.host != host and not (rule.subdomains and host.endswith("." + rule.host)):
                    continue
            elif host not in self.hosts:
                continue
            m = rule.pattern.match(path)
            if m is None:
                continue
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            if not _query_matches(rule, query, groups):
                continue
            if fmt == "vercel":
                target = substitute_vercel(rule.target, groups)
            elif fmt == "cloudflare-bulk":
                target = rule.target  # static: no placeholder
            else:
                target = substitute(rule.target, groups, fmt)
            if rule.keep_suffix and groups.get("suffix"):
                target = target.rstrip("/") + "/" + groups["suffix"].lstrip("/")
            if rule.keep_query and parts.query:
                target += ("&" if "?" in target else "?") + parts.query
            if fmt != "cloudflare-bulk":
                return rule, target
            # Bulk Redirects: no order; the exact source beats a subpath one, then the
            # longest source path, then the host itself beats a subdomain match.
            rank = (int(not groups.get("suffix")) * 2 + int(rule.host == host), len(rule.source))
            if best is None or rank > best[0]:
                best = (rank, rule, target)
        return (best[1], best[2]) if best else None

    def answer(self, url: str, resolve: bool = True) -> Answer:
        """What the host answers to a GET of ``url`` (``resolve=False``: the Location is not
        resolved, ``target`` stays None; :meth:`target` gives it)."""
        if self.rule_file.engine is not None:
            got = self.rule_file.engine.answer(url)
            if got.unknown:
                return Answer(0, rule=got.rule, unknown=got.unknown)
            if got.location is None or not 300 <= got.status < 400:
                return Answer(got.status, rule=got.rule)
            target = self.target(url, got.location) if resolve else None
            return Answer(got.status, got.location, target, got.rule)
        found = self.match(url)
        if found is None:
            path = split_url(url).path.rstrip("/") or "/"
            return Answer(404 if path in self._gone else 200)
        rule, target = found
        if not rule.is_redirect:
            return Answer(rule.status, rule=rule)  # a rewrite, a proxy or a not-found page
        query = split_url(url).query
        if query:
            target, unknown = with_query(self.rule_file.fmt, rule, target, query)
            if unknown:
                return Answer(0, rule=rule, unknown=unknown)
        return Answer(rule.status, target, self.target(url, target) if resolve else None, rule)

    def target(self, url: str, location: str) -> str | None:
        """The absolute target of ``location`` answered to ``url``. An ``http(s)://`` location
        does not depend on the rest of ``url`` once its ``scheme://authority`` (which decides
        whether ``url`` is a base at all) is the same: it is resolved once per such pair."""
        if not location.startswith(("http://", "https://")):
            return resolve_location(url, [location]).target
        m = _AUTHORITY.match(url)
        if m is None:
            return resolve_location(url, [location]).target
        key = (m.group(0), location)
        if key not in self._targets:
            self._targets[key] = resolve_location(url, [location]).target
        return self._targets[key]

    def hop(self, url: str) -> Hop:
        """The answer to ``url`` as an ordinary hop record (marked with the answering line)."""
        if not self.on_site(url):
            return Hop(
                url=url,
                status=None,
                kind=HopKind.OFFSITE,
                error="another host: its answer is not predicted by the rule file",
            )
        a = self.answer(url)
        if a.unknown:
            return Hop(
                url=url,
                status=None,
                kind=HopKind.OFFSITE,
                error=f"{NOT_PREDICTED}: {a.unknown}",
                headers={PREDICTED_HEADER: str(a.rule.origin) if a.rule else "no rule"},
            )
        headers = {PREDICTED_HEADER: str(a.rule.origin) if a.rule else "no rule (a page)"}
        if a.status == 404 and a.rule is None:
            headers[PREDICTED_HEADER] = "no rule applied (its rule is ignored by the host)"
        if a.location is not None and a.target:
            return Hop(
                url=url,
                status=a.status,
                kind=HopKind.HTTP_REDIRECT,
                location=a.location,
                target=a.target,
                headers=headers,
            )
        return Hop(url=url, status=a.status, kind=HopKind.FINAL, headers=headers)


def _query_matches(rule: HostRule, query: dict[str, str], groups: dict[str, str]) -> bool:
    for key, value in rule.query:
        if key not in query:
            return False
        if value.startswith(":"):
            groups[value[1:]] = query[key]
        elif value.startswith("<") and value.endswith(">"):
            groups[value[1:-1]] = query[key]
        elif query[key] != value:
            return False
    return True


def origin_text(origin: Origin) -> str:
    """``file:line`` of a rule, as findings name it."""
    return f"{origin.file}:{origin.line}"

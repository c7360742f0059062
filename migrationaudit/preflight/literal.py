"""An index of the rules whose pattern matches one literal text, so that answering a request
does not try every rule of a file of a hundred thousand.

The simulators answer as the hosts do: the first rule in file order that catches the request.
A rule whose compiled pattern is a plain text (``/old/page`` as Netlify or Cloudflare Pages
compile it, ``^/old\\x2dpage$`` in Apache's ``RewriteRule``) can only catch requests whose text
has the same *key*; every other rule (placeholders, splats, regular expressions, a pattern this
module cannot read) is tried for every request. :meth:`LiteralIndex.first` gives the next rule
in file order that may catch a text, so a simulator tries a handful of rules instead of all of
them, and still confirms each with the rule's own pattern: the answers are exactly those of
trying every rule.

    >>> import re
    >>> index = LiteralIndex([re.compile(r"/a/?\\Z"), re.compile(r"/(?P<x>[^/]+)\\Z"),
    ...                      re.compile(r"/b\\Z")], slash_key, strip=("/?",))
    >>> index.first("/b/", 0), index.first("/b", 0), index.first("/b", 2), index.first("/c", 2)
    (1, 1, 2, None)
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence

_SPECIAL = frozenset(".^$*+?{}[]|()")
_HEX = frozenset("0123456789abcdefABCDEF")


def literal_of(body: str) -> str | None:
    """The one text a regular expression body (no anchors) matches, or None when it may match
    more than one (any operator, class, group or escape other than an escaped character).

    >>> literal_of(r"/old\\x2dpage\\.html"), literal_of(r"/a(?:/b)?"), literal_of(r"/a\\d")
    ('/old-page.html', None, None)
    """
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c == "\\":
            nxt = body[i + 1 : i + 2]
            if nxt == "x" and len(body[i + 2 : i + 4]) == 2 and set(body[i + 2 : i + 4]) <= _HEX:
                out.append(chr(int(body[i + 2 : i + 4], 16)))
                i += 4
                continue
            if not nxt or nxt.isalnum() or nxt == "_":
                return None  # \d, \w, \b, \A, \Z, back-references, other escapes
            out.append(nxt)
            i += 2
            continue
        if c in _SPECIAL:
            return None
        out.append(c)
        i += 1
    return "".join(out)


def slash_key(text: str) -> str:
    """The key of a path, its trailing slashes aside (Netlify's one slash more or less)."""
    return text.rstrip("/") or "/"


def newline_key(text: str) -> str:
    """The key of a path for a ``^…$``-anchored pattern: ``$`` also matches before a final
    newline (a decoded path may end with one), and a leading slash may be optional
    (``^/?old$``, as rules meant for both a virtual host and ``.htaccess`` are written)."""
    return text.rstrip("\n").lstrip("/")


class LiteralIndex:
    """Positions of ``patterns`` (in order) that may match a text.

    ``key`` maps a text to its key (the same function for a rule's literal and a request);
    ``strip``/``lead``: suffixes/prefixes of a pattern's text that make no other key
    (Netlify's ``/?`` at the end, Apache's ``/?`` at the start);
    ``anchors``: the (start, end) a pattern must have to be read as a literal."""

    def __init__(
        self,
        patterns: Sequence[re.Pattern[str] | None],
        key: Callable[[str], str],
        *,
        anchors: tuple[str, str] = ("", r"\Z"),
        strip: tuple[str, ...] = (),
        lead: tuple[str, ...] = (),
    ) -> None:
        self._key = key
        self._by_key: dict[str, list[int]] = {}
        self._always: list[int] = []
        start, end = anchors
        for pos, pattern in enumerate(patterns):
            literal = None
            if pattern is not None and not pattern.flags & (re.IGNORECASE | re.VERBOSE):
                text = pattern.pattern
                if text.startswith(start) and text.endswith(end) and len(text) >= len(start + end):
                    body = text[len(start) : len(text) - len(end)]
                    for suffix in strip:
                        body = body.removesuffix(suffix)
                    for prefix in lead:
                        body = body.removeprefix(prefix)
                    literal = literal_of(body)
            if literal is None:
                self._always.append(pos)
            else:
                self._by_key.setdefault(key(literal), []).append(pos)

    def first(self, text: str, start: int) -> int | None:
        """The first position at or after ``start`` whose pattern may match ``text``."""
        best: int | None = None
        keyed = self._by_key.get(self._key(text))
        if keyed:
            i = bisect_left(keyed, start)
            if i < len(keyed):
                best = keyed[i]
        always = self._always
        j = bisect_left(always, start)
        if j < len(always) and (best is None or always[j] < best):
            best = always[j]
        return best

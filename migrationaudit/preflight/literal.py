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
_ASCII, _UNICODE = int(re.ASCII), int(re.UNICODE)
# Flags that change what a literal text between anchors matches (case, ``^``/``$`` per line,
# spaces and ``#`` ignored): a pattern with one of them is always compiled.
_CHANGES_LITERAL = int(re.IGNORECASE | re.MULTILINE | re.VERBOSE | re.LOCALE)  # int: no enum


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
        patterns: Sequence[Regex | None],
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
        # compile_pattern reads the optional-slash suffix and prefix only.
        same_reading = (anchors, strip, lead) if set(strip) | set(lead) <= {"/?"} else None
        blind = int(re.IGNORECASE | re.VERBOSE)
        for pos, pattern in enumerate(patterns):
            literal = None
            if isinstance(pattern, LiteralPattern) and pattern.reading[:3] == same_reading:
                literal = pattern.reading[3]  # read already, the same way
            elif pattern is not None and not pattern.flags & blind:
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


class LiteralMatch:
    """What a :class:`LiteralPattern` matched: the whole match (``group(0)``), no groups."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def group(self, n: int = 0) -> str:
        if n != 0:
            raise IndexError("no such group")
        return self._text

    def groups(self) -> tuple[str, ...]:
        return ()

    def groupdict(self) -> dict[str, str]:
        return {}


class LiteralPattern:
    """A regular expression that matches one text between its anchors (the plain patterns a
    rule file is mostly made of), answered without compiling it: :meth:`match` and
    :meth:`search` find exactly what the compiled pattern finds (``group(0)`` included). Made
    by :func:`compile_pattern`; ``compiled`` builds the real pattern on first use.

    The texts it matches: ``literal``, with a ``/`` before it (``lead``) and after it
    (``tail``) or not where an optional ``/?`` was written there; with the ``$`` anchor also
    each of them followed by one final newline (which ``group(0)`` leaves out)."""

    __slots__ = ("_anchored", "_compiled", "_dollar", "_texts", "flags", "pattern", "reading")

    def __init__(
        self, pattern: str, flags: int, literal: str, anchors: tuple[str, str], head: bool,
        tail: bool, strip: tuple[str, ...] = (), lead: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        self.pattern = pattern
        # (anchors, strip, lead, literal): how compile_pattern read it, for LiteralIndex.
        self.reading: tuple[tuple[str, str], tuple[str, ...], tuple[str, ...], str] = (
            anchors, strip, lead, literal,
        )  # fmt: skip
        self.flags = flags | (0 if flags & _ASCII else _UNICODE)  # as re.compile reports
        self._anchored = anchors[0] == "^"
        self._dollar = anchors[1] == "$"
        texts = (literal, literal + "/") if tail else (literal,)
        self._texts = texts + tuple("/" + t for t in texts) if head else texts
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled

    def match(self, string: str) -> LiteralMatch | None:
        """``re.Pattern.match``: the pattern at the start of ``string``."""
        if self._dollar and string.endswith("\n"):
            string = string[:-1]  # ``$`` also matches before a final newline
        return LiteralMatch(string) if string in self._texts else None

    def search(self, string: str) -> re.Match[str] | LiteralMatch | None:
        """``re.Pattern.search`` (an unanchored pattern is compiled to search)."""
        if self._anchored:
            return self.match(string)
        return self.compiled.search(string)


Regex = re.Pattern[str] | LiteralPattern


def compile_pattern(
    pattern: str,
    flags: int = 0,
    *,
    anchors: tuple[tuple[str, str], ...] = (("^", "$"), ("", r"\Z")),
    strip: tuple[str, ...] = (),
    lead: tuple[str, ...] = (),
) -> Regex:
    """``re.compile(pattern, flags)``, or a :class:`LiteralPattern` when ``pattern`` is one
    literal text (:func:`literal_of`) between one of ``anchors`` (start ``^`` or none, end
    ``$`` or ``\\Z``), after an optional ``strip`` suffix and ``lead`` prefix (each only
    ``/?``, an optional slash). A pattern a literal cannot stand for is compiled at once, so
    an invalid one fails where it always did."""
    flags = int(flags)
    if not flags & _CHANGES_LITERAL:
        for start, end in anchors:
            if not (pattern.startswith(start) and pattern.endswith(end)):
                continue
            if len(pattern) < len(start) + len(end) or start not in ("", "^"):
                continue
            body = pattern[len(start) : len(pattern) - len(end)]
            tail = any(s == "/?" and body.endswith(s) for s in strip)
            body = body.removesuffix("/?") if tail else body
            head = any(p == "/?" and body.startswith(p) for p in lead)
            body = body.removeprefix("/?") if head else body
            literal = literal_of(body)
            if literal is not None and "\n" not in literal and end in ("$", r"\Z"):
                reading = (start, end)
                return LiteralPattern(pattern, flags, literal, reading, head, tail, strip, lead)
            break
    return re.compile(pattern, flags)

"""One object for equal values across the hop records of one read (:class:`Shared`): what
keeps a million decoded records from holding a million copies of the same header, status
text or URL."""

from __future__ import annotations

from typing import Any

from migrationaudit.models.hops import Hop

# How many distinct short texts and header sets one read shares (a bound on its memo, which
# lives as long as the read: past it, new values are kept as decoded).
_SHARED_MAX = 1 << 16
# Header values longer than this are not looked up (unique in practice: links, locations).
_SHORT = 100


class Shared:
    """One object for equal values across the hop records of one read.

    The JSON decoder makes a new object for every value of every record: the same header
    names and values, status codes, timings and content types a million times over, and each URL two
    to four times (the record's ``url``, its ``location``, ``target`` and Location header, the
    page's canonical, and the ``url`` of the record the target leads to). Held in the redirect
    graph for the whole judging, those copies were about a third of its memory. Equal values
    give equal Hops, so nothing downstream can tell (the header mappings, shared between
    hops, are never written to)."""

    __slots__ = ("_headers", "_numbers", "_targets", "_texts")

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        # Statuses and timings, by (type, value): 200 and 200.0 are equal keys of a dict.
        self._numbers: dict[tuple[type, float], Any] = {}
        self._headers: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        # Targets not yet read as a record's ``url``: that record takes the same object.
        self._targets: dict[str, str] = {}

    def _text(self, value: str) -> str:
        return _kept(self._texts, value, value)  # type: ignore[no-any-return]

    def _number(self, value: float) -> Any:
        return _kept(self._numbers, (type(value), value), value)

    def hop(self, data: dict[str, Any]) -> Hop:
        """``data`` (a checked record, changed in place) as a Hop of shared values."""
        url = self._targets.pop(data["url"], None) or data["url"]
        data["url"] = url
        location = data.get("location")
        target = data.get("target")
        if target is not None:
            if target == location:
                target = data["target"] = location
            elif target == url:
                target = data["target"] = url
            if len(self._targets) >= _SHARED_MAX:
                # Targets never read as a URL (loops back, hop limits, offsite) pile up;
                # forward ones are read soon after their redirect.
                self._targets.clear()
            self._targets.setdefault(target, target)
        status = data.get("status")
        if status is not None:
            data["status"] = self._number(status)
        elapsed = data.get("elapsed_ms")
        if type(elapsed) is float:  # written to 0.1 ms: the same few thousand values
            data["elapsed_ms"] = self._number(elapsed)
        headers = data.get("headers")
        page = data.get("page")
        hop = Hop.from_dict(data)
        if page:
            facts = hop.page
            assert facts is not None
            changes: dict[str, Any] = {}
            if facts.canonical is not None and facts.canonical == url:
                changes["canonical"] = url
            for key in ("content_type", "meta_robots", "x_robots_tag"):
                value = getattr(facts, key)
                if value is not None:
                    changes[key] = self._text(value)
            for key, value in changes.items():
                object.__setattr__(facts, key, value)  # still being built: nobody holds it
        if headers:
            # Frozen, but not yet seen by anyone: set here rather than built twice.
            object.__setattr__(hop, "headers", self._header_set(headers, location))
        return hop

    def _header_set(self, headers: dict[str, str], location: str | None) -> dict[str, str]:
        items = tuple(
            (
                self._text(k),
                location
                if location is not None and v == location
                else (self._text(v) if len(v) <= _SHORT else v),
            )
            for k, v in headers.items()
        )
        got = self._headers.get(items)
        if got is not None:
            return got
        out = dict(items)
        if len(self._headers) < _SHARED_MAX and location not in out.values():
            self._headers[items] = out  # a set with a Location is one hop's own
        return out


def _kept(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    """The object ``memo`` holds for ``key``, else ``value`` (kept while ``memo`` has room)."""
    got = memo.get(key)
    if got is not None:
        return got
    if len(memo) < _SHARED_MAX:
        memo[key] = value
    return value

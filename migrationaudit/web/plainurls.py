"""Fast paths of :mod:`migrationaudit.web.urls` for plain URLs, the bulk of every crawl.

A *plain* URL is one :func:`~migrationaudit.web.urls.normalize` provably returns unchanged: an
``http``/``https`` scheme and a host in lower case, no port, user info, fragment or
percent-escape, a path that starts with ``/`` and only characters that ``urllib.parse.quote``
keeps as they are (a query, when present, is not empty). For such a URL the scheme, host, path
and normal form can be read off the string; anything else goes to :mod:`migrationaudit.web.urls`.

Why: judging a million legacy URLs called ``urlsplit`` (through ``normalize``, ``scheme_of``,
``host_of``, ``is_homepage``) several million times; that parsing was the largest single cost of
the rules. Every function here returns exactly what its :mod:`migrationaudit.web.urls` namesake
returns (tests/web/test_plainurls.py checks them against each other on thousands of URLs).
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from migrationaudit.web import urls

# The order :func:`migrationaudit.web.urls.difference` names several aspects in.
_ASPECT_ORDER = (urls.SCHEME, urls.HOST_WWW, urls.SLASH, urls.CASE, urls.QUERY)
_PLAIN = re.compile(
    r"(https?)://[a-z0-9.-]+/[A-Za-z0-9_.~!$&'()*+,;=:@/-]*(?:\?[A-Za-z0-9_.~!$&'()*+,;=:@/?-]+)?"
)


def is_plain(url: str) -> bool:
    """True when ``url`` is plain (see the module docstring): ``normalize(url) == url``."""
    return _PLAIN.fullmatch(url) is not None


def normal_form(url: str) -> str:
    """:func:`~migrationaudit.web.urls.normalize`; a plain URL comes back as the same object, and so
    does any URL already in normal form (no copy is kept)."""
    if _PLAIN.fullmatch(url):
        return url
    norm = urls.normalize(url)
    return url if norm == url else norm


def scheme_of(url: str) -> str:
    """:func:`~migrationaudit.web.urls.scheme_of`."""
    m = _PLAIN.fullmatch(url)
    return m.group(1) if m else urls.scheme_of(url)


def host_of(url: str) -> str:
    """:func:`~migrationaudit.web.urls.host_of`."""
    m = _PLAIN.fullmatch(url)
    if m is None:
        return urls.host_of(url)
    start = m.end(1) + 3
    return url[start : url.index("/", start)]


def origin_of(url: str) -> str | None:
    """``scheme://host`` of a plain URL (what its robots.txt URL is built from); None for any
    other URL (ask :func:`migrationaudit.inputs.robots.robots_url`)."""
    m = _PLAIN.fullmatch(url)
    return url[: url.index("/", m.end(1) + 3)] if m else None


def is_homepage(url: str) -> bool:
    """:func:`~migrationaudit.web.urls.is_homepage`."""
    m = _PLAIN.fullmatch(url)
    if m is None:
        return urls.is_homepage(url)
    path, _, query = url[url.index("/", m.end(1) + 3) :].partition("?")
    return path.lower() in urls.HOME_PATHS and urls.tracking_only(query)


def split_url(url: str) -> SplitResult:
    """``urlsplit(url)``, read off the string for a plain URL."""
    m = _PLAIN.fullmatch(url)
    if m is None:
        return urlsplit(url)
    host, path, query = _parts(url, m.group(1))
    return SplitResult(m.group(1), host, path, query, "")


def _parts(url: str, scheme: str) -> tuple[str, str, str]:
    """``(host, path, query)`` of a plain URL: what ``urlsplit`` gives for it."""
    rest = url[len(scheme) + 3 :]
    slash = rest.index("/")
    path, _, query = rest[slash:].partition("?")
    return rest[:slash], path, query


def _without_slash(path: str) -> str:
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


def _strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def difference(a: str, b: str) -> str | None:
    """:func:`~migrationaudit.web.urls.difference`: the same comparison, step by step, on the
    parts of two plain URLs (no user info, so that step always agrees)."""
    ma, mb = _PLAIN.fullmatch(a), _PLAIN.fullmatch(b)
    if ma is None or mb is None:
        return urls.difference(a, b)
    if a == b:
        return None
    sa, sb = ma.group(1), mb.group(1)
    ha, pa, qa = _parts(a, sa)
    hb, pb, qb = _parts(b, sb)
    aspects: set[str] = set()
    if sa != sb:
        aspects.add(urls.SCHEME)  # both are http or https
    if ha != hb:
        if _strip_www(ha) != _strip_www(hb):
            return urls.DIFFERENT_PAGE
        aspects.add(urls.HOST_WWW)
    if pa != pb:
        if _without_slash(pa) == _without_slash(pb):
            aspects.add(urls.SLASH)
        elif pa.lower() == pb.lower():
            aspects.add(urls.CASE)
        elif _without_slash(pa).lower() == _without_slash(pb).lower():
            aspects.update((urls.SLASH, urls.CASE))
        else:
            return urls.DIFFERENT_PAGE
    if qa != qb:
        aspects.add(urls.CASE if qa.lower() == qb.lower() else urls.QUERY)
    return "only " + " and ".join(x for x in _ASPECT_ORDER if x in aspects)


def may_differ_only_by(na: str, nb: str, label: str) -> bool:
    """False when :func:`~migrationaudit.web.urls.difference` of two URLs whose normal forms are
    ``na`` and ``nb`` cannot be ``label`` (one of ``only trailing slash``, ``only case``,
    ``only host www/non-www``, ``only scheme``); True means "maybe: ask ``difference``".

    The tests are necessary conditions on the normal forms, cheap string comparisons that spare
    ``difference`` (two parses) for the many redirects that change the page: a slash-only
    difference vanishes when every ``/`` is removed from both, a www-only one when every
    ``www.`` is (in a normal form the host follows ``//`` or ``@``, neither part of ``www.``),
    a scheme-only one leaves everything after the scheme equal, and a case-only one vanishes
    when both are lower-cased (scheme and host already are)."""
    if na == nb:
        return False
    if label == urls.ONLY_SLASH:
        return na.replace("/", "") == nb.replace("/", "")
    if label == urls.ONLY_HOST_WWW:
        return na.replace("www.", "") == nb.replace("www.", "")
    if label == urls.ONLY_SCHEME:
        return na.partition(":")[2] == nb.partition(":")[2]
    if label == urls.ONLY_CASE:
        return na.lower() == nb.lower()
    return True

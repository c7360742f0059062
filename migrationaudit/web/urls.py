"""URL helpers the rules need: comparison-normalisation, how two URLs differ, home pages.

Everything here is pure string work (no DNS, no requests). :func:`normalize` only applies
rewrites that never change which resource a server is asked for (RFC 3986 §6.2.2 plus the
defaults of http and https), so two URLs equal after it are the same request on the wire.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}

# Labels returned by difference(); one aspect reads "only <aspect>", several are joined with
# "and" ("only scheme and host www/non-www"). DIFFERENT_PAGE when path, host or port differ.
SLASH = "trailing slash"
CASE = "case"
HOST_WWW = "host www/non-www"
SCHEME = "scheme"
QUERY = "query"
DIFFERENT_PAGE = "different page"
ONLY_SLASH = f"only {SLASH}"
ONLY_CASE = f"only {CASE}"
ONLY_HOST_WWW = f"only {HOST_WWW}"
ONLY_SCHEME = f"only {SCHEME}"
ONLY_QUERY = f"only {QUERY}"
_ASPECT_ORDER = (SCHEME, HOST_WWW, SLASH, CASE, QUERY)

# Paths that serve a site's home page (compared lower-case).
HOME_PATHS = frozenset(
    {
        "/",
        "/index.html",
        "/index.htm",
        "/index.shtml",
        "/index.php",
        "/index.asp",
        "/index.aspx",
        "/default.asp",
        "/default.aspx",
    }
)

# Query parameters that say how a visitor came (campaign tags, ad-click and analytics ids) or
# carry a session, never which page is shown: a home path whose query holds only these is still
# the home page (``/?utm_source=news``), any other parameter names a page (WordPress ``/?p=123``,
# Joomla ``/index.php?option=com_content&id=7``, DotNetNuke ``/default.aspx?tabid=5``).
# Compared lower-case; every name starting with one of TRACKING_PREFIXES counts too.
TRACKING_PARAMS = frozenset(
    # ad clicks: Google, Meta, Microsoft, Yandex, X, TikTok, LinkedIn, Instagram
    "gclid gclsrc dclid gbraid wbraid gad_source fbclid msclkid yclid twclid ttclid li_fat_id "
    "igshid "
    # mail and marketing tools: Mailchimp, HubSpot, Marketo, Vero, Outbrain
    "mc_cid mc_eid _hsenc _hsmi mkt_tok vero_id oly_anon_id oly_enc_id "
    # Google Analytics cross-domain linking, a referral tag (?ref=producthunt), URL sessions
    "_ga _gl ref phpsessid jsessionid".split()
)
TRACKING_PREFIXES = ("utm_",)

_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are when re-quoting: RFC 3986 reserved characters (decoding or
# encoding them could change the meaning), "%" (existing escapes) and "[]" (seen raw in
# real query strings; browsers send them as is).
_SAFE = "!$&'()*+,;=:@/?%[]"


def _pct_fix(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    # An escaped unreserved character means the same as the character itself (RFC 3986 §2.3).
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def _norm_component(text: str) -> str:
    """Upper-case percent-escapes, decode unreserved ones, escape what must be escaped
    (spaces, non-ASCII as UTF-8) the way browsers and Scrapy send them."""
    if "%" in text:
        text = _PCT.sub(_pct_fix, text)
    return quote(text, safe=_SAFE)


def _norm_host(host: str) -> str:
    host = host.lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass  # not a valid IDN: compare it as typed (lower-case)
    return host


def normalize(url: str) -> str:
    """A URL in the form used for comparison.

    Lower-case scheme and host (IDN hosts in punycode), default port
    dropped, empty path → ``/``, fragment dropped, percent-escapes upper-cased, escaped
    unreserved characters decoded, unsafe characters (space, non-ASCII) escaped. Path and query
    case are kept: servers may treat them as significant. A string that is not a hierarchical
    URL (``mailto:``, junk) is returned with only its scheme lower-cased and fragment dropped.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if not parts.netloc:
        return urlunsplit((scheme, "", parts.path, parts.query, ""))
    try:
        port = parts.port
    except ValueError:
        port = None
        host_port = parts.netloc.rpartition("@")[2].lower()
    else:
        host = _norm_host(parts.hostname or "")
        if ":" in host:  # IPv6 literal: urlsplit removed the brackets
            host = f"[{host}]"
        host_port = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host_port}" if "@" in parts.netloc else host_port
    path = _norm_component(parts.path) or "/"
    query = _norm_component(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def _strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def _without_slash(path: str) -> str:
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


def difference(a: str, b: str) -> str | None:
    """How URL ``b`` differs from URL ``a``; None when they are equal after :func:`normalize`.

    Returns ``"only trailing slash"``, ``"only case"`` (path or query letters),
    ``"only host www/non-www"``, ``"only scheme"`` (http vs https), ``"only query"``, several of
    those joined with "and" (``"only scheme and trailing slash"``), or ``"different page"`` when
    the path, the host (beyond a ``www.`` prefix), the port or the user info differ.
    """
    na, nb = normalize(a), normalize(b)
    if na == nb:
        return None
    pa, pb = urlsplit(na), urlsplit(nb)
    aspects: set[str] = set()
    if pa.scheme != pb.scheme:
        if {pa.scheme, pb.scheme} != {"http", "https"}:
            return DIFFERENT_PAGE
        aspects.add(SCHEME)
    ua, _, ha = pa.netloc.rpartition("@")
    ub, _, hb = pb.netloc.rpartition("@")
    if ua != ub:
        return DIFFERENT_PAGE
    if ha != hb:
        if _strip_www(ha) != _strip_www(hb):
            return DIFFERENT_PAGE
        aspects.add(HOST_WWW)
    if pa.path != pb.path:
        if _without_slash(pa.path) == _without_slash(pb.path):
            aspects.add(SLASH)
        elif pa.path.lower() == pb.path.lower():
            aspects.add(CASE)
        elif _without_slash(pa.path).lower() == _without_slash(pb.path).lower():
            aspects.update((SLASH, CASE))
        else:
            return DIFFERENT_PAGE
    if pa.query != pb.query:
        aspects.add(CASE if pa.query.lower() == pb.query.lower() else QUERY)
    return "only " + " and ".join(x for x in _ASPECT_ORDER if x in aspects)


def tracking_only(query: str) -> bool:
    """True when a query string names no page: empty, or only :data:`TRACKING_PARAMS` and
    ``utm_*`` parameters (names compared lower-case, after percent-decoding)."""
    if not query:
        return True
    for name, _ in parse_qsl(query, keep_blank_values=True):
        name = name.lower()
        if name not in TRACKING_PARAMS and not name.startswith(TRACKING_PREFIXES):
            return False
    return True


def is_homepage(url: str) -> bool:
    """True when the URL is a site's home page: its path is a site root (``/`` or an index file
    such as ``/index.html``) and its query names no page (:func:`tracking_only`).

    ``/?utm_source=news`` and ``/?ref=old`` are the home page; ``/?p=123``,
    ``/index.php?id=4204`` and ``/default.aspx?tabid=5`` are pages that old CMSs address through
    their front script.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    path = parts.path
    if "%" in path:  # an escaped character may hide "/index.html": compare the normal form
        path = urlsplit(normalize(url)).path
    return (path or "/").lower() in HOME_PATHS and tracking_only(parts.query)


def is_http(url: str) -> bool:
    """True for an absolute http or https URL."""
    return url[:8].lower().startswith(("http://", "https://"))


def scheme_of(url: str) -> str:
    """The lower-case scheme of a URL (``""`` when it has none)."""
    try:
        return urlsplit(url).scheme.lower()
    except ValueError:
        return ""


def host_of(url: str) -> str:
    """The normalised host of a URL (without port; ``""`` when it has none)."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return _norm_host(host)


def www_variant(host: str) -> tuple[str, bool]:
    """``("example.com", True)`` for ``www.example.com``; ``("example.com", False)`` for the bare
    host: the site a host belongs to and whether it is the www variant."""
    return _strip_www(host), host.startswith("www.")

"""Where a redirect's ``Location`` header sends a client, read as browsers read it.

Browsers (and Googlebot, which renders with Chrome) parse ``Location`` with the WHATWG URL
Standard; RFC 3986 (what many HTTP libraries, proxies and WAF rules implement) reads some values
differently. The audit follows the browsers, because that is where users and search engines
land, and says so when the two readings disagree (:attr:`LocationResult.ambiguity`, rule
``ambiguous-location``): a redirect that means two things depending on who reads it is a defect
on its own, and the classic open-redirect bypasses live in that gap (``/\\evil.test/`` is a path
on the same host for RFC 3986 and ``http://evil.test/`` for a browser).

The WHATWG reading comes from ``ada-url`` (a complete implementation of the standard). The RFC
3986 reading is §5.2 strict resolution with the characters RFC 3986 does not allow
percent-encoded first (what lenient RFC clients do). Both are compared in WHATWG's canonical
form, so that mere spelling (percent-encoding, IDN, case) is not reported as a disagreement.

Deterministic decisions, case by case:

- no Location / an empty one: not a redirect ("invalid redirect: ..."), as before;
- several Location headers: equal values (after trimming) are one; different values make the
  hop an invalid redirect, because Chrome refuses such a response
  (``ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION``) while other clients pick one; ``ambiguity`` says
  which values were sent;
- longer than 64 KiB: never reaches this function (the download handler refuses header lines
  over ``MAX_HEADER_LINE``: a protocol-error hop);
- tab, CR and LF anywhere, and leading/trailing C0 controls and spaces, are removed (WHATWG);
  other controls, spaces and non-ASCII are percent-encoded, IDN hosts become punycode;
- backslashes count as slashes in http(s) URLs (WHATWG), ``http:evil.test`` is relative to an
  http base and absolute (``http://evil.test/``) for an https one, ``///host/p`` is ``host``;
- userinfo (``http://user:pass@host/``) is removed from the target: it is never sent (the
  download client would turn it into an Authorization header); ``ambiguity`` flags it and
  :func:`mask_userinfo` hides the password wherever the raw value is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

import ada_url

SPECIAL_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp", "file"})
MAX_SHOWN = 120  # characters of a URL shown in an ambiguity line (a Location may be 64 KiB)

# RFC 3986 Appendix B: the generic split of a URI reference.
_RFC_SPLIT = re.compile(r"^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?$", re.DOTALL)
_RFC_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*$")
# Characters a URI may contain (unreserved, reserved and "%"); anything else gets escaped.
_RFC_ALLOWED = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_C0_OR_SPACE = "".join(chr(i) for i in range(0x21))
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*:[\\/]*)([^@/\\?#]*)@", re.DOTALL)


@dataclass(frozen=True)
class LocationResult:
    """How one answer's Location header(s) resolve.

    ``target``: the absolute URL browsers go to (fragment and userinfo removed), None when the
    answer is not a usable redirect; ``error`` then says why (``"invalid redirect: ..."``).
    ``ambiguity``: one line saying how browsers and RFC 3986 (or several headers) disagree,
    None when they agree. ``browser`` / ``rfc``: the two readings (for evidence).
    """

    target: str | None
    ambiguity: str | None = None
    error: str | None = None
    browser: str | None = None
    rfc: str | None = None


def resolve_location(base: str, values: Sequence[str]) -> LocationResult:
    """Resolve the Location header ``values`` of an answer for ``base`` (see the module doc)."""
    distinct = list(dict.fromkeys(v.strip(" \t") for v in values))
    if not distinct:
        return LocationResult(None, error="invalid redirect: no Location header")
    if len(distinct) > 1:
        shown = " | ".join(display(v) for v in distinct[:3])
        more = f" (+{len(distinct) - 3} more)" if len(distinct) > 3 else ""
        return LocationResult(
            None,
            ambiguity=f"{len(distinct)} different Location headers ({shown}{more}): browsers "
            "refuse the redirect, other clients follow one of them",
            error=f"invalid redirect: {len(distinct)} different Location headers",
        )
    value = distinct[0]
    if not value.strip(_C0_OR_SPACE):
        return LocationResult(None, error="invalid redirect: empty Location header")
    browser = browser_reading(base, value)
    rfc = rfc3986_reading(base, value)
    if browser is None:
        # Not a redirect for browsers; the error says so (what lenient RFC 3986 clients make
        # of a broken host is no second reading worth a finding of its own).
        return LocationResult(None, error="invalid redirect: unparsable Location header", rfc=rfc)
    notes: list[str] = []
    if not _same(browser, rfc):
        shown_rfc = "nothing usable" if rfc is None else display(rfc)
        if rfc is not None and not _has_host(rfc):
            shown_rfc += " (no host)"
        notes.append(
            f"{_cause(value)}: browsers go to {display(browser)}, RFC 3986 reads {shown_rfc}"
        )
    target, user = _without_userinfo(browser)
    if user is not None:
        notes.append(
            f"userinfo {user}@ in the Location: removed from the target, never sent "
            "(browsers would send it as credentials)"
        )
    return LocationResult(
        _without_fragment(target),
        ambiguity="; ".join(notes) or None,
        browser=browser,
        rfc=rfc,
    )


def browser_reading(base: str, value: str) -> str | None:
    """``value`` resolved against ``base`` by the WHATWG URL Standard; None when browsers
    refuse it (or the base itself is not a URL)."""
    try:
        return str(ada_url.join_url(base, value))
    except ValueError:
        return None


def rfc3986_reading(base: str, value: str) -> str | None:
    """``value`` resolved against ``base`` by RFC 3986 §5.2 (strict), after percent-encoding
    the characters RFC 3986 does not allow (UTF-8 for non-ASCII); None when the base has no
    scheme."""
    ref = _rfc_escape(value)
    m_base = _RFC_SPLIT.match(_rfc_escape(base))
    m_ref = _RFC_SPLIT.match(ref)
    if m_base is None or m_ref is None or not m_base.group(2):
        return None
    b_scheme, b_auth, b_path, b_query = (
        m_base.group(2),
        m_base.group(4) if m_base.group(3) else None,
        m_base.group(5),
        m_base.group(7) if m_base.group(6) else None,
    )
    r_scheme = m_ref.group(2) if m_ref.group(1) and _RFC_SCHEME.match(m_ref.group(2)) else None
    if r_scheme is None and m_ref.group(1):
        # "1a:b" has no valid scheme: it is a relative path whose first segment has a colon.
        m_ref = _RFC_SPLIT.match("./" + ref)
        assert m_ref is not None  # the pattern matches any string
    r_auth = m_ref.group(4) if m_ref.group(3) else None
    r_path = m_ref.group(5)
    r_query = m_ref.group(7) if m_ref.group(6) else None
    r_frag = m_ref.group(9) if m_ref.group(8) else None
    if r_scheme is not None:
        scheme, auth, path, query = r_scheme, r_auth, _remove_dots(r_path), r_query
    else:
        scheme = b_scheme
        if r_auth is not None:
            auth, path, query = r_auth, _remove_dots(r_path), r_query
        else:
            auth = b_auth
            if r_path == "":
                path = b_path
                query = r_query if r_query is not None else b_query
            else:
                if r_path.startswith("/"):
                    path = _remove_dots(r_path)
                else:
                    path = _remove_dots(_merge(b_auth, b_path, r_path))
                query = r_query
    out = f"{scheme}:"
    if auth is not None:
        out += f"//{auth}"
    out += path
    if query is not None:
        out += f"?{query}"
    if r_frag is not None:
        out += f"#{r_frag}"
    return out


def mask_userinfo(value: str) -> str:
    """``value`` with the password of a userinfo part replaced by ``***`` (for records and
    reports: a Location's credentials are not ours to publish)."""
    m = _USERINFO.match(value.strip(_C0_OR_SPACE))
    if m is None or ":" not in m.group(2):
        return value
    user = m.group(2).split(":", 1)[0]
    return value.replace(m.group(0), f"{m.group(1)}{user}:***@", 1)


# -- internals --


def _rfc_escape(text: str) -> str:
    return "".join(c if c in _RFC_ALLOWED else _pct(c) for c in text)


def _pct(char: str) -> str:
    return "".join(f"%{b:02X}" for b in char.encode("utf-8", "surrogatepass"))


def _merge(base_auth: str | None, base_path: str, ref_path: str) -> str:
    """RFC 3986 §5.2.3."""
    if base_auth is not None and base_path == "":
        return "/" + ref_path
    return base_path[: base_path.rfind("/") + 1] + ref_path


def _remove_dots(path: str) -> str:
    """RFC 3986 §5.2.4 remove_dot_segments."""
    out: list[str] = []
    while path:
        if path.startswith("../"):
            path = path[3:]
        elif path.startswith("./"):
            path = path[2:]
        elif path.startswith("/./"):
            path = path[2:]
        elif path == "/.":
            path = "/"
        elif path.startswith("/../"):
            path = path[3:]
            if out:
                out.pop()
        elif path == "/..":
            path = "/"
            if out:
                out.pop()
        elif path in (".", ".."):
            path = ""
        else:
            start = 1 if path.startswith("/") else 0
            end = path.find("/", start)
            end = len(path) if end < 0 else end
            out.append(path[:end])
            path = path[end:]
    return "".join(out)


def _scheme(url: str) -> str:
    return url.split(":", 1)[0].lower() if ":" in url else ""


def _has_host(url: str) -> bool:
    """An RFC 3986 reading names a host (or is of a scheme that needs none)."""
    if _scheme(url) not in SPECIAL_SCHEMES - {"file"}:
        return True
    m = _RFC_SPLIT.match(url)
    return bool(m and m.group(3) and m.group(4) and m.group(4).rpartition("@")[2])


def _canonical(url: str) -> str | None:
    """A URL in WHATWG's canonical form without fragment (None when it is not one)."""
    try:
        return _without_fragment(str(ada_url.URL(url).href))
    except ValueError:
        return None


def _same(browser: str, rfc: str | None) -> bool:
    # An http(s) reading without a host is not a URL anyone can fetch; WHATWG would "repair"
    # it ("http:evil.test" → "http://evil.test/"), which must not hide the disagreement.
    if rfc is None or not _has_host(rfc):
        return False
    if _scheme(browser) not in SPECIAL_SCHEMES:
        # Opaque URLs (data:, mailto:, javascript:): WHATWG keeps most characters as they
        # are, RFC 3986 escapes them; only a difference once decoded is one.
        b_rest = _without_fragment(browser).partition(":")[2]
        r_rest = _without_fragment(rfc).partition(":")[2]
        return _scheme(browser) == _scheme(rfc) and unquote(b_rest) == unquote(r_rest)
    return _canonical(rfc) == _without_fragment(browser)


def _cause(value: str) -> str:
    """What in the raw value makes the readings differ (the first that applies)."""
    if "\\" in value:
        return "backslash"
    if _TAB_NEWLINE.search(value):
        return "tab/CR/LF inside (browsers remove them)"
    if value != value.strip(_C0_OR_SPACE) or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "control characters"
    scheme, sep, rest = value.partition(":")
    if sep and _RFC_SCHEME.match(scheme) and not rest.startswith("//"):
        if scheme.lower() in SPECIAL_SCHEMES:
            return f"{scheme}: without //"
    if value.startswith("///") or re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:///", value):
        return "extra slashes"
    return "browsers and RFC 3986 differ"


def _without_fragment(url: str) -> str:
    # In a WHATWG serialisation "#" appears only where the fragment starts.
    return url.split("#", 1)[0]


def _without_userinfo(url: str) -> tuple[str, str | None]:
    """(url without userinfo, the userinfo with its password hidden, or None when none)."""
    try:
        parsed = ada_url.URL(url)
    except ValueError:
        return url, None
    if not parsed.username and not parsed.password:
        return url, None
    shown = parsed.username + (":***" if parsed.password else "")
    parsed.username = ""
    parsed.password = ""
    return str(parsed.href), shown


def display(text: str) -> str:
    """``text`` for one line of a report: control characters escaped, at most ``MAX_SHOWN``
    characters (an ellipsis marks the cut)."""
    # Controls shown escaped: the line goes into reports and one-line terminal output.
    text = _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"

"""What a response says, read without Scrapy's help: the target of a redirect or a meta refresh,
the kept headers, and a page's facts (title, canonical, robots, hreflang, links) from its head."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from scrapy.http import HtmlResponse, Response, TextResponse

from migrationaudit.models.hops import PageFacts
from migrationaudit.parity.text import read_body
from migrationaudit.settings import (
    KEPT_HEADERS,
    MAX_LINKS_PER_PAGE,
)

# A request meta key: read the page's body facts too (spiders.middlewares.PageTextMiddleware
# sets it when the crawl asks for page text: a snapshot, an audit --snapshot).
PAGE_TEXT_META = "page_text"
_HEAD_END = re.compile(r"</head\s*>|<body[\s>]", re.IGNORECASE)



_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")



_LINK_VALUE = re.compile(r"<([^>]*)>([^<]*)")



_REL_PARAM = re.compile(r'\brel\s*=\s*(?:"([^"]*)"|([^\s;,]+))', re.IGNORECASE)



_HREFLANG_PARAM = re.compile(r'\bhreflang\s*=\s*(?:"([^"]*)"|([^\s;,]+))', re.IGNORECASE)



_REFRESH_TIME = re.compile(r"\s*(\d*)(\.[\d.]*)?")



_REFRESH_URL = re.compile(r"url\s*=\s*", re.IGNORECASE)



def strip_fragment(url: str) -> str:
    """The URL without its ``#fragment`` (never sent to a server; one URL, one fetch)."""
    return urldefrag(url.strip()).url if "#" in url else url.strip()



def resolve_target(base: str, ref: str | None) -> str | None:
    """``ref`` (a Location or refresh URL) made absolute against ``base``, fragment dropped;
    None when it is empty or cannot be parsed."""
    if ref is None:
        return None
    # Browsers drop tabs and newlines inside URLs and trim surrounding whitespace.
    ref = ref.replace("\t", "").replace("\n", "").replace("\r", "").strip()
    if not ref:
        return None
    try:
        joined = urljoin(base, ref)
        urlsplit(joined)  # raises ValueError on e.g. a broken IPv6 literal
    except ValueError:
        return None
    return strip_fragment(joined) or None



def parse_refresh(content: str | None) -> tuple[float, str | None] | None:
    """Parse a refresh value (``"0; url=/b"``, ``"5;URL='x'"``, ``"3"``) like browsers do:
    (delay, url or None); None when the value is not a refresh at all."""
    if content is None:
        return None
    m = _REFRESH_TIME.match(content)
    assert m is not None  # the pattern matches the empty string
    digits, fraction = m.group(1), m.group(2)
    if not digits and not fraction:
        return None
    # As in the HTML spec: the integer part is the delay, a fractional part is skipped.
    delay = float(int(digits)) if digits else 0.0
    rest = content[m.end() :].lstrip()
    if rest[:1] in (";", ","):
        rest = rest[1:].lstrip()
    if not rest:
        return delay, None
    url_kw = _REFRESH_URL.match(rest)
    if url_kw:
        rest = rest[url_kw.end() :]
    if rest[:1] in ("'", '"'):
        quote, rest = rest[0], rest[1:]
        end = rest.find(quote)
        if end >= 0:
            rest = rest[:end]
    url = rest.strip()
    return delay, url or None



def decode_header(value: bytes) -> str:
    """Header bytes as text: UTF-8 when valid (what browsers assume for Location), else latin-1."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")



def header_values(response: Response, name: str) -> list[str]:
    return [decode_header(v) for v in response.headers.getlist(name)]



def kept_headers(response: Response, names: Iterable[str] = KEPT_HEADERS) -> dict[str, str]:
    """The audit's headers (lower-case names), multiple values joined with ", "."""
    out: dict[str, str] = {}
    for name in names:
        values = header_values(response, name)
        if values:
            out[name] = ", ".join(values)
    return out



def link_canonical(values: Iterable[str], base: str) -> str | None:
    """The first ``<url>; rel="canonical"`` of Link header values, resolved against base."""
    for value in values:
        for m in _LINK_VALUE.finditer(value):
            rel = _REL_PARAM.search(m.group(2))
            if rel and "canonical" in (rel.group(1) or rel.group(2) or "").lower().split():
                return _absolute(base, m.group(1))
    return None



def link_alternates(values: Iterable[str], base: str) -> list[tuple[str, str]]:
    """``<url>; rel="alternate"; hreflang="de"`` entries of Link header values, as
    (language, absolute URL)."""
    out: list[tuple[str, str]] = []
    for value in values:
        for m in _LINK_VALUE.finditer(value):
            params = m.group(2)
            rel = _REL_PARAM.search(params)
            lang = _HREFLANG_PARAM.search(params)
            if not (rel and lang):
                continue
            if "alternate" not in (rel.group(1) or rel.group(2) or "").lower().split():
                continue
            href = _absolute(base, m.group(1))
            if href:
                out.append(((lang.group(1) or lang.group(2) or "").strip(), strip_fragment(href)))
    return out



def _absolute(base: str, ref: str) -> str | None:
    ref = ref.strip()
    if not ref:
        return None
    try:
        return urljoin(base, ref)
    except ValueError:
        return None



def _joined(values: list[str]) -> str | None:
    return ", ".join(values) if values else None



def page_facts(response: Response, url: str, *, links: bool = False) -> PageFacts:
    """What a non-redirecting answer says about itself: content type, title, canonicals,
    robots directives, meta refresh, hreflang alternates (head and Link header) and, with
    ``links``, the page's links (:func:`page_links`); when the request asks for page text
    (:data:`PAGE_TEXT_META`), its body facts (:func:`~migrationaudit.parity.text.read_body`).
    Non-HTML answers get the header facts only."""
    content_type = _joined(header_values(response, "Content-Type")[:1])
    x_robots = _joined(header_values(response, "X-Robots-Tag"))
    link_values = header_values(response, "Link")
    canonical_header = link_canonical(link_values, url)
    header_alternates = link_alternates(link_values, url)
    base = PageFacts(
        content_type=content_type,
        x_robots_tag=x_robots,
        canonical_header=canonical_header,
        hreflang=tuple(dict.fromkeys(header_alternates)),
    )
    if not isinstance(response, HtmlResponse):
        return base
    try:
        head = _parse_head(response)
    except Exception:
        return base
    if head is None:
        return base
    title, base_href, canonical, robots, refresh, alternates = head
    doc_base = _absolute(url, base_href) if base_href else url
    resolved = [
        (lang, strip_fragment(href))
        for lang, ref in alternates
        if (href := _absolute(doc_base or url, ref))
    ]
    text = read_body(response.text) if meta_content(response).get(PAGE_TEXT_META) else {}
    return PageFacts(
        **text,
        content_type=content_type,
        title=title,
        canonical=_absolute(doc_base or url, canonical) if canonical else None,
        canonical_header=canonical_header,
        meta_robots=_joined(robots),
        x_robots_tag=x_robots,
        meta_refresh=refresh,
        hreflang=tuple(dict.fromkeys([*resolved, *header_alternates])),
        links=page_links(response, url) if links else None,
    )



def page_links(
    response: TextResponse, url: str, limit: int = MAX_LINKS_PER_PAGE
) -> tuple[str, ...]:
    """The http(s) targets of a page's ``<a href>`` and ``<area href>``, made absolute (the
    document's ``<base href>`` honoured), fragment dropped, deduplicated, in page order, at
    most ``limit``. Junk HTML gives what could be read (possibly nothing), never an error."""
    try:
        text = _XML_DECL.sub("", response.text, count=1)
        if not text.strip():
            return ()
        doc = lxml.html.document_fromstring(text)
    except Exception:
        return ()
    base = url
    for el in doc.iter("base"):
        href = el.get("href")
        if href:
            base = _absolute(url, href) or url
            break
    out: dict[str, None] = {}
    for el in doc.iter("a", "area"):
        href = el.get("href")
        if not href:
            continue
        target = resolve_target(base, href)
        if target is None or unfetchable_reason(target) is not None:
            continue  # mailto:, tel:, javascript: are not pages
        out.setdefault(target, None)
        if len(out) >= limit:
            break
    return tuple(out)



_Head = tuple[str | None, str | None, str | None, list[str], str | None, list[tuple[str, str]]]



def _parse_head(response: TextResponse) -> _Head | None:
    text = response.text
    # Head facts only count in the head (Google ignores a canonical in the body), and
    # parsing only the head keeps a 5 MB page cheap.
    end = _HEAD_END.search(text)
    if end:
        text = text[: end.start()]
    text = _XML_DECL.sub("", text, count=1)  # lxml refuses str input with an encoding decl
    if not text.strip():
        return None
    doc = lxml.html.document_fromstring(text)
    title: str | None = None
    base_href: str | None = None
    canonical: str | None = None
    robots: list[str] = []
    refresh: str | None = None
    alternates: list[tuple[str, str]] = []
    for el in doc.iter("title", "base", "link", "meta"):
        tag = el.tag
        if tag == "title" and title is None:
            title = " ".join(el.text_content().split())
        elif tag == "base" and base_href is None and el.get("href"):
            base_href = el.get("href")
        elif tag == "link":
            rels = (el.get("rel") or "").lower().split()
            href = el.get("href")
            if "canonical" in rels and href and canonical is None:
                canonical = href
            elif "alternate" in rels and href and el.get("hreflang"):
                alternates.append((str(el.get("hreflang")).strip(), href))
        elif tag == "meta":
            name = (el.get("name") or "").strip().lower()
            equiv = (el.get("http-equiv") or "").strip().lower()
            content = el.get("content")
            if content is None:
                continue
            if name in ("robots", "googlebot"):
                robots.append(content.strip())
            elif equiv == "refresh" and refresh is None:
                refresh = content.strip()
    return title, base_href, canonical, robots, refresh, alternates



def meta_content(response: Response) -> Mapping[str, Any]:
    # A hand-built Response has no request; Response.meta raises then.
    return response.request.meta if response.request is not None else {}



BODY_FLAGS = ("dataloss", "truncated", "undecodable")  # response flags that Hop.body keeps


def unfetchable_reason(url: str) -> str | None:
    """Why ``url`` cannot be requested, or None when it can."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"invalid URL: {exc}"
    scheme = parts.scheme.lower()
    if not scheme:
        return "invalid URL: no scheme"
    if scheme not in ("http", "https"):
        return f"unsupported scheme: {scheme}"
    if not parts.hostname:
        return "invalid URL: no host"
    return None

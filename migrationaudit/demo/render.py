"""The demo site's pages, sitemaps and bodies rendered from its routes."""

from __future__ import annotations

import gzip
import html
from http import HTTPStatus

from migrationaudit.demo.site import SITEMAP_NS, XHTML_NS, Route


def render_page(route: Route, status: int) -> str:
    """The generated HTML page of a route without an explicit ``body``."""
    esc = html.escape
    title = route.title
    if title is None:
        phrase = _phrase(status)
        title = f"{status} {phrase}".strip()
    head = [f"<meta charset=utf-8><title>{esc(title)}</title>"]
    if route.canonical is not None:
        head.append(f'<link rel="canonical" href="{esc(route.canonical)}">')
    if route.robots is not None:
        head.append(f'<meta name="robots" content="{esc(route.robots)}">')
    if route.refresh is not None:
        head.append(f'<meta http-equiv="refresh" content="{esc(route.refresh)}">')
    for lang, href in route.hreflang:
        head.append(f'<link rel="alternate" hreflang="{esc(lang)}" href="{esc(href)}">')
    body = f"<h1>{esc(title)}</h1>"
    if route.location is not None:
        body += f'<p><a href="{esc(route.location)}">moved here</a></p>'
    if route.links:
        items = "".join(f'<li><a href="{esc(h)}">{esc(h)}</a></li>' for h in route.links)
        body += f"<nav><ul>{items}</ul></nav>"
    return f"<!doctype html>\n<html><head>{''.join(head)}</head><body>{body}</body></html>\n"



def render_sitemap(entries: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]) -> str:
    """A ``<urlset>`` of the entries (with ``xhtml:link`` hreflang alternates)."""
    esc = html.escape
    rows = []
    for loc, alternates in entries:
        alts = "".join(
            f'<xhtml:link rel="alternate" hreflang="{esc(lang)}" href="{esc(href)}"/>'
            for lang, href in alternates
        )
        rows.append(f"<url><loc>{esc(loc)}</loc>{alts}</url>")
    body = "\n".join(rows)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}" '
        f'xmlns:xhtml="{XHTML_NS}">\n{body}\n</urlset>\n'
    )



def render_sitemap_index(locs: tuple[str, ...]) -> str:
    """A ``<sitemapindex>`` of the given sitemap URLs."""
    rows = "\n".join(f"<sitemap><loc>{html.escape(loc)}</loc></sitemap>" for loc in locs)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
        f"{rows}\n</sitemapindex>\n"
    )



def route_body(route: Route, status: int) -> tuple[bytes, list[tuple[str, str]], str | None]:
    """The body bytes of a route's answer, extra headers (Content-Encoding) and the content
    type it implies (None: the route's own or the default)."""
    content_type = route.content_type
    if route.zeros_mb:
        key = (route.zeros_mb, route.gzip is not None)
        data = _ZEROS.get(key)
        if data is None:
            raw = b"\0" * (route.zeros_mb * 1024 * 1024)
            data = _ZEROS[key] = gzip.compress(raw, 9) if route.gzip else raw
        return data, _encoding_header(route), content_type or "application/octet-stream"
    if route.body is not None:
        text = route.body
    elif route.sitemap is not None:
        text = render_sitemap(route.sitemap)
        content_type = content_type or "application/xml"
    elif route.sitemap_index is not None:
        text = render_sitemap_index(route.sitemap_index)
        content_type = content_type or "application/xml"
    else:
        text = render_page(route, status)
    data = text.encode("utf-8")
    if route.gzip is not None:
        data = gzip.compress(data)
        if route.gzip == "file":
            content_type = route.content_type or "application/x-gzip"
    return data, _encoding_header(route), content_type



def _encoding_header(route: Route) -> list[tuple[str, str]]:
    return [("Content-Encoding", "gzip")] if route.gzip == "encoding" else []



def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


_ZEROS: dict[tuple[int, bool], bytes] = {}

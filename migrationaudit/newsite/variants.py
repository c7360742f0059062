"""URL variants of the new site's side: the site of a host, the slash / case / index / www and
scheme variants of a legacy URL or a page, and where a sitemap is looked for."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from migrationaudit.web.urls import host_of, normalize, www_variant


def site_of(url_or_host: str) -> str:
    """The site a URL or host belongs to: its host without a leading ``www.``."""
    host = host_of(url_or_host) if "/" in url_or_host else url_or_host.lower()
    return www_variant(host)[0]



def _is_name(host: str) -> bool:
    """A DNS name with a dot, not an IP literal (only those have www twins)."""
    return "." in host and not host.replace(".", "").isdigit() and ":" not in host



def _toggle_slash(path: str) -> str | None:
    """``/a`` ↔ ``/a/``; None for the root and for file-like last segments (``/a.pdf``)."""
    if path in ("", "/"):
        return None
    if path.endswith("/"):
        return path[:-1]
    if "." in path.rsplit("/", 1)[-1]:
        return None
    return path + "/"



def legacy_variants(url: str) -> list[str]:
    """The scheme × www × trailing-slash variants of a legacy URL (the URL itself excluded),
    as links and bookmarks may spell it: http/https, ``www.`` or not, with or without the
    final slash. Scheme variants only without an explicit port; host variants only for names."""
    try:
        p = urlsplit(normalize(url))
        port = p.port
    except ValueError:
        return []
    if p.scheme not in ("http", "https") or not p.hostname:
        return []
    host = p.hostname
    schemes = [p.scheme] if port is not None else ["http", "https"]
    hosts = [host]
    if _is_name(host):
        site, is_www = www_variant(host)
        hosts.append(site if is_www else f"www.{site}")
    paths = [p.path]
    toggled = _toggle_slash(p.path)
    if toggled is not None:
        paths.append(toggled)
    out: list[str] = []
    me = normalize(url)
    for scheme in schemes:
        for h in hosts:
            netloc = h if port is None else f"{h}:{port}"
            for path in paths:
                v = urlunsplit((scheme, netloc, path, p.query, ""))
                if v != me and v not in out:
                    out.append(v)
    return out



def page_variants(url: str) -> list[str]:
    """Variants of a new-site page a server may also answer: trailing slash toggled, path case
    changed (lower-cased, or upper-cased when already lower-case), ``index.html`` appended to a
    directory URL or removed from an index URL."""
    try:
        p = urlsplit(normalize(url))
    except ValueError:
        return []
    if p.scheme not in ("http", "https"):
        return []
    paths: list[str] = []
    toggled = _toggle_slash(p.path)
    if toggled is not None:
        paths.append(toggled)
    if p.path != "/":
        lower = p.path.lower()
        paths.append(lower if lower != p.path else p.path.upper())
    if p.path.endswith("/"):
        paths.append(p.path + "index.html")
    elif p.path.lower().endswith("/index.html"):
        paths.append(p.path[: -len("index.html")])
    out: list[str] = []
    for path in paths:
        v = urlunsplit((p.scheme, p.netloc, path, p.query, ""))
        if v != normalize(url) and v not in out:
            out.append(v)
    return out



def sitemap_probe_url(robots: str) -> str:
    """``/sitemap.xml`` next to a robots.txt URL."""
    return robots[: -len("/robots.txt")] + "/sitemap.xml"

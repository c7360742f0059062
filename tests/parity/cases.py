"""The planted parity pairs: each old page (before cutover) and the new page its URL is
redirected to, with the one rule that must fire on it (None: a near-miss, nothing may)."""

from __future__ import annotations

from dataclasses import replace

from .site import Host, Page, text

OLD = "old.test"
NEW = "new.test"

BASE = Page(
    title="Blue Ceramic Table Lamp",
    h1=("Blue Ceramic Table Lamp",),
    description="A hand-glazed blue ceramic lamp with a linen shade.",
    body=text(1, 400),
    jsonld=("Product",),
)


def _page(seed: int, **kw: object) -> Page:
    """BASE with its own text (each pair its own page) and the given changes."""
    return replace(BASE, **{"body": text(seed, 400), **kw})  # type: ignore[arg-type]


# path: (old page, new page, the rule that must fire or None)
CASES: dict[str, tuple[Page, Page, str | None]] = {
    "/clean": (_page(10), _page(10), None),
    "/title-changed": (_page(11), _page(11, title="Garden Furniture Clearance"), "parity-title"),
    # near-miss: the same title reworded, with the new site's name
    "/title-reworded": (
        _page(12, title="Blue Ceramic Table Lamp | Old Shop"),
        _page(12, title="Table Lamp, Blue Ceramic - New Shop"),
        None,
    ),
    "/h1-gone": (_page(13), _page(13, h1=()), "parity-h1"),
    "/description-gone": (_page(14), _page(14, description=None), "parity-description"),
    "/content-replaced": (_page(15), _page(15, body=text(99, 400)), "parity-content"),
    "/content-shrunk": (_page(16), _page(16, body=text(16, 120)), "parity-content"),
    # near-miss: the same text and half as much again
    "/content-longer": (_page(17), _page(17, body=text(17, 400) + " " + text(170, 200)), None),
    "/jsonld-lost": (_page(18), _page(18, jsonld=()), "parity-structured-data"),
    # near-miss: a type added
    "/jsonld-added": (_page(19), _page(19, jsonld=("Product", "BreadcrumbList")), None),
    "/german": (_page(20, lang="de"), _page(20, lang="en"), "parity-language"),
    "/noindexed": (_page(21), _page(21, robots="noindex"), "parity-indexability"),
    "/brochure.pdf": (
        Page(content_type="application/pdf", raw=b"%PDF-1.4\n% a brochure\n"),
        _page(22),
        "parity-media-type",
    ),
}
PARITY_RULES = {
    "parity-title",
    "parity-h1",
    "parity-description",
    "parity-content",
    "parity-structured-data",
    "parity-media-type",
    "parity-language",
    "parity-indexability",
}


def new_path(path: str) -> str:
    return "/new" + path.replace(".pdf", "")


def before() -> dict[str, Host]:
    """Before cutover: the old host serves its pages."""
    return {OLD: Host(pages={p: old for p, (old, _, _) in CASES.items()}), NEW: Host()}


def after(port: int) -> dict[str, Host]:
    """After cutover: the old host redirects each page to its new one."""
    redirects = {p: f"http://{NEW}:{port}{new_path(p)}" for p in CASES}
    return {
        OLD: Host(redirects=redirects),
        NEW: Host(pages={new_path(p): new for p, (_, new, _) in CASES.items()}),
    }

"""Suggested targets on real loopback servers: legacy URLs that end broken, on the home page
or without a map row get the best live new page (never the home page, never a noindex or
non-canonical page, nothing when no page matches), in fixes/suggested-map.csv, merged into
the corrected map only above --accept-suggestions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from .site import Host, LoopbackSites, Page
from .test_parity_e2e import cli

pytestmark = pytest.mark.timeout(180)


def _page(title: str, **kw: object) -> Page:
    return Page(title=title, h1=(title,), body=f"{title}. Made in a small workshop.", **kw)  # type: ignore[arg-type]


def _sites(port: int) -> dict[str, Host]:
    new = {
        "/lighting/brass-floor-lamp/": _page("Brass Floor Lamp"),
        # decoys: they match better, but cannot be offered
        "/lighting/brass-floor-lamp-classic/": _page("Brass Floor Lamp Classic Brass Floor Lamp",
                                                     robots="noindex"),
        "/lighting/brass-floor-lamp-copy/": _page(
            "Brass Floor Lamp Brass Floor", canonical=f"http://new.test:{port}/lighting/"
        ),
        "/decor/walnut-wall-clock/": _page("Walnut Wall Clock"),
        "/about/": _page("About the workshop"),
    }
    links = "".join(f'<a href="{p}">x</a>' for p in new)
    home = Page(title="Home", raw=f"<html><title>Home</title><body>{links}</body></html>".encode())
    return {
        "old.test": Host(redirects={"/products/walnut-clock": f"http://new.test:{port}/"}),
        "new.test": Host(pages={"/": home, **new}),
    }


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    tmp = tmp_path_factory.mktemp("suggest")
    with LoopbackSites({}) as sites:
        port = sites.port
        sites.hosts.update(_sites(port))
        old = f"http://old.test:{port}"
        (tmp / "map.csv").write_text(
            f"old_url,new_url\n{old}/products/walnut-clock,http://new.test:{port}/\n",
            encoding="utf-8",
        )
        (tmp / "urls.txt").write_text(
            f"{old}/lamps/brass-floor-lamp\n{old}/zzqx-qwv\n", encoding="utf-8"
        )
        out = tmp / "out"
        got = cli("audit", "--map", str(tmp / "map.csv"), "--urls", str(tmp / "urls.txt"),
                  "--crawl", f"http://new.test:{port}/", "--no-robots",
                  "--no-sitemap-discovery", "--fixes", "--accept-suggestions", "0.5",
                  "--out", str(out), "--format", "json", "-q", *sites.resolve_args())
        assert got.returncode in (0, 1), got.stderr
        return out, port


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_suggestions_are_the_right_live_pages(audited: tuple[Path, int]) -> None:
    out, port = audited
    rows = {r["old_url"]: r for r in _rows(out / "fixes" / "suggested-map.csv")}
    old, new = f"http://old.test:{port}", f"http://new.test:{port}"
    assert {u: r["suggested_url"] for u, r in rows.items()} == {
        f"{old}/lamps/brass-floor-lamp": f"{new}/lighting/brass-floor-lamp/",  # ends broken
        f"{old}/products/walnut-clock": f"{new}/decor/walnut-wall-clock/",  # lands on home
    }  # /zzqx-qwv matches nothing: no suggestion, and never the home page as a fallback
    lamp = rows[f"{old}/lamps/brass-floor-lamp"]
    assert 0.5 <= float(lamp["score"]) <= 1.0
    assert "brass" in lamp["why"] and "floor" in lamp["why"]
    assert "home page" in rows[f"{old}/products/walnut-clock"]["why"]


def test_accepted_suggestions_are_merged_into_the_corrected_map(audited: tuple[Path, int]) -> None:
    out, port = audited
    suggested = {r["old_url"]: r for r in _rows(out / "fixes" / "suggested-map.csv")}
    fixes = {r["old_url"]: r["new_url"] for r in _rows(out / "fixes" / "redirects.csv")}
    for url, row in suggested.items():
        if float(row["score"]) >= 0.5:
            assert fixes[url] == row["suggested_url"]
        else:
            assert fixes.get(url) != row["suggested_url"]
    assert f"http://old.test:{port}/lamps/brass-floor-lamp" in fixes
    review = _rows(out / "fixes" / "needs-review.csv")
    assert f"http://old.test:{port}/lamps/brass-floor-lamp" not in {r["url"] for r in review}

"""``audit --catch-all-probes`` on real loopback hosts: one that redirects every unknown URL to
its home page, one that answers 200 for them (soft 404), one that answers 404 properly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrationaudit.rundir.layout import PROBES_FILE, RUN_SUBDIR

from .site import Answer, Host, LoopbackSites, Page
from .test_parity_e2e import cli

pytestmark = pytest.mark.timeout(180)
PAGE = Page(title="A page", h1=("A page",), body="Some text here.")


def _sites() -> dict[str, Host]:
    sites: dict[str, Host] = {}

    def home(path: str) -> Answer:
        port = sites["catchall.test"].pages["/"].title  # the port rides in the home's title
        return 301, {"Location": f"http://catchall.test:{port}/"}, b""

    def soft(path: str) -> Answer:
        return 200, {"Content-Type": "text/html"}, b"<html><title>Oops</title>Not here</html>"

    sites["catchall.test"] = Host(pages={"/kept": PAGE}, fallback=home)
    sites["soft.test"] = Host(pages={"/kept": PAGE}, fallback=soft)
    sites["proper.test"] = Host(pages={"/kept": PAGE, "/blog/kept": PAGE})
    return sites


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, str]], Path, int]:
    tmp = tmp_path_factory.mktemp("probes")
    with LoopbackSites(_sites()) as sites:
        sites.hosts["catchall.test"].pages["/"] = Page(title=str(sites.port))
        urls = [
            sites.url("catchall.test", "/kept"),
            sites.url("catchall.test", "/old-product"),  # gone: the catch-all sends it home
            sites.url("soft.test", "/kept"),
            sites.url("proper.test", "/kept"),
            sites.url("proper.test", "/blog/kept"),
        ]
        (tmp / "urls.txt").write_text("\n".join(urls) + "\n", encoding="utf-8")
        out = tmp / "out"
        got = cli("audit", "--urls", str(tmp / "urls.txt"), "--catch-all-probes", "--out",
                  str(out), "--format", "json", "-q", "--no-robots", "--no-sitemap-discovery",
                  *sites.resolve_args())
        assert got.returncode in (0, 1), got.stderr
        findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]
        return findings, out, sites.port


def test_catch_all_and_soft_404_hosts_are_found_and_the_proper_one_is_not(
    probed: tuple[list[dict[str, str]], Path, int],
) -> None:
    findings, _, port = probed
    got = {(f["rule"], f["url"]) for f in findings if f["rule"] in ("catch-all-redirect",
                                                                      "soft-404")}
    assert got == {
        ("catch-all-redirect", f"http://catchall.test:{port}/"),
        # the legacy URL that lands where the probes land is flagged, not healthy
        ("catch-all-redirect", f"http://catchall.test:{port}/old-product"),
        ("soft-404", f"http://soft.test:{port}/"),
    }


def test_probes_are_logged_in_the_run_folder(
    probed: tuple[list[dict[str, str]], Path, int],
) -> None:
    _, out, port = probed
    lines = (out / RUN_SUBDIR / PROBES_FILE).read_text(encoding="utf-8").splitlines()
    probes = [json.loads(line) for line in lines]
    scopes = {p["scope"] for p in probes}
    # each host, and the top-level directory of /blog/kept
    assert scopes == {
        f"http://catchall.test:{port}/",
        f"http://soft.test:{port}/",
        f"http://proper.test:{port}/",
        f"http://proper.test:{port}/blog/",
    }
    assert len(probes) == 2 * len(scopes) and len({p["url"] for p in probes}) == len(probes)
    proper = [p for p in probes if p["scope"].startswith(f"http://proper.test:{port}")]
    assert {p["status"] for p in proper} == {404}


def test_a_re_rendered_run_judges_its_logged_probes_again(
    probed: tuple[list[dict[str, str]], Path, int], tmp_path: Path
) -> None:
    findings, out, _ = probed
    got = cli("report", str(out), "--out", str(tmp_path), "--format", "json")
    assert got.returncode in (0, 1), got.stderr
    again = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))["findings"]
    rules = ("catch-all-redirect", "soft-404")
    assert {(f["rule"], f["url"]) for f in again if f["rule"] in rules} == {
        (f["rule"], f["url"]) for f in findings if f["rule"] in rules
    }

"""The sitemap parser: formats, gzip, alternates, limits, and hostile files (entity expansion,
external entities, decompression bombs, junk) that must give an error, never hang, never
exhaust memory, never read a local file."""

from __future__ import annotations

import gzip
import time
import tracemalloc
from pathlib import Path

import pytest

from migrationaudit.errors import InputError
from migrationaudit.inputs.sitemaps import inflate, parse_sitemap, read_sitemap_file

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
XHTML = 'xmlns:xhtml="http://www.w3.org/1999/xhtml"'


def urlset(*locs: str, extra: str = "") -> bytes:
    rows = "\n".join(f"<url><loc>{loc}</loc>{extra}</url>" for loc in locs)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {NS} {XHTML}>\n{rows}\n</urlset>'.encode()
    )


def test_urlset_entries_lines_and_entities() -> None:
    doc = parse_sitemap(urlset("https://a.test/x?a=1&amp;b=2", "  https://a.test/y  "), "s")
    assert doc.format == "urlset" and not doc.is_index
    assert [(e.loc, e.line) for e in doc.entries] == [
        ("https://a.test/x?a=1&b=2", 3),
        ("https://a.test/y", 4),
    ]
    assert doc.count == 2 and doc.errors == () and doc.over_limit == ()


def test_index_and_alternates() -> None:
    idx = f"<sitemapindex {NS}><sitemap><loc>https://a.test/s1.xml.gz</loc></sitemap>"
    idx += "</sitemapindex>"
    doc = parse_sitemap(idx.encode(), "i")
    assert doc.is_index and [e.loc for e in doc.entries] == ["https://a.test/s1.xml.gz"]
    alt = '<xhtml:link rel="alternate" hreflang="de" href="https://a.test/de/"/>'
    alt += '<xhtml:link rel="stylesheet" hreflang="fr" href="https://a.test/x.css"/>'
    doc = parse_sitemap(urlset("https://a.test/", extra=alt), "s")
    assert doc.entries[0].alternates == (("de", "https://a.test/de/"),)


def test_namespaceless_and_text_sitemaps() -> None:
    doc = parse_sitemap(b"<urlset><url><loc>https://a.test/</loc></url></urlset>", "s")
    assert [e.loc for e in doc.entries] == ["https://a.test/"]
    text = "\ufeffhttps://a.test/1\r\n\r\nhttps://a.test/2\nnot a url\n".encode()
    doc = parse_sitemap(text, "t.txt")
    assert doc.format == "text"
    assert [(e.loc, e.line) for e in doc.entries] == [
        ("https://a.test/1", 1),
        ("https://a.test/2", 3),
    ]
    assert doc.error_count == 1 and "line 4" in doc.errors[0]


def test_gzip_file_and_multi_member_gzip() -> None:
    data = gzip.compress(urlset("https://a.test/1")) + gzip.compress(b"")
    doc = parse_sitemap(data, "s.xml.gz")
    assert doc.compressed and [e.loc for e in doc.entries] == ["https://a.test/1"]
    out, stopped, error = inflate(gzip.compress(b"ab") + gzip.compress(b"cd"), 100)
    assert (out, stopped, error) == (b"abcd", False, None)


def test_truncated_and_corrupt_gzip_are_errors() -> None:
    data = gzip.compress(urlset("https://a.test/1"))
    doc = parse_sitemap(data[: len(data) // 2], "s.xml.gz")
    assert any("ends early" in e for e in doc.errors)
    doc = parse_sitemap(b"\x1f\x8b" + b"garbage" * 10, "s.xml.gz")
    assert doc.format is None and any("gzip" in e for e in doc.errors)


def test_not_a_sitemap() -> None:
    doc = parse_sitemap(b"<!doctype html><html><body>hi</body></html>", "s")
    assert doc.format is None and "DOCTYPE" in doc.errors[0]
    doc = parse_sitemap(b"<html><body>hi</body></html>", "s")
    assert doc.format is None and "root element is <html>" in doc.errors[0]
    doc = parse_sitemap(b"\x00\x01binary", "s")
    assert doc.format is None and doc.errors == ("binary data, not a sitemap",)
    assert parse_sitemap(b"", "s").format is None


def test_malformed_xml_keeps_the_entries_before_the_error() -> None:
    data = b"<urlset><url><loc>https://a.test/1</loc></url><url><loc>https://a.te"
    doc = parse_sitemap(data, "s")
    assert [e.loc for e in doc.entries] == ["https://a.test/1"]
    assert "malformed XML" in doc.errors[0]


def test_invalid_entries_are_counted_and_named() -> None:
    doc = parse_sitemap(urlset("/relative", "ftp://a.test/x", "", *["x"] * 10), "s")
    assert doc.entries == () and doc.error_count == 13 and len(doc.errors) == 5
    assert "'/relative' is not an absolute http(s) URL" in doc.errors[0]


def test_protocol_limits_are_recorded_not_enforced_by_failing() -> None:
    doc = parse_sitemap(urlset(*[f"https://a.test/{i}" for i in range(12)]), "s", max_urls=10)
    assert doc.count == 12 and len(doc.entries) == 10
    assert doc.over_limit == ("12 URLs (more than 10)",)
    big = urlset("https://a.test/", extra=" " * 3 * 1024 * 1024)
    doc = parse_sitemap(big, "s", max_bytes=2 * 1024 * 1024)
    assert doc.over_limit == ("more than 2 MB uncompressed",)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<urlset><url><loc>https://a.test/&lol9;</loc></url></urlset>"""


@pytest.mark.parametrize(
    "payload",
    [
        BILLION_LAUGHS,
        b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<urlset><url><loc>https://a.test/&x;</loc></url></urlset>",
        b'<?xml version="1.0"?><!DOCTYPE u SYSTEM "http://127.0.0.1:9/evil.dtd">'
        b"<urlset><url><loc>https://a.test/</loc></url></urlset>",
        b'<?xml version="1.0"?>\n<!-- a comment -->\n<!doctype\turlset [<!entity x "y">]><urlset/>',
    ],
    ids=["billion-laughs", "xxe-file", "external-dtd", "lower-case-doctype"],
)
def test_doctype_is_refused(payload: bytes) -> None:
    started = time.monotonic()
    doc = parse_sitemap(payload, "hostile")
    assert time.monotonic() - started < 1
    assert doc.format is None and doc.entries == ()
    assert doc.errors == ("DOCTYPE or ENTITY declaration refused (sitemaps have none)",)
    # and gzipped the same
    assert parse_sitemap(gzip.compress(payload), "hostile.gz").format is None


def test_gzip_bomb_stops_at_the_ceiling_in_bounded_memory() -> None:
    bomb = gzip.compress(b"\0" * (120 * 1024 * 1024), 9)  # ~120 KB on the wire
    assert len(bomb) < 200 * 1024
    tracemalloc.start()
    started = time.monotonic()
    try:
        doc = parse_sitemap(bomb, "bomb.xml.gz", max_bytes=8 * 1024 * 1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 5
    assert peak < 40 * 1024 * 1024  # a few times the 8 MB ceiling, never the 120 MB inflated
    assert doc.over_limit == ("more than 8 MB uncompressed (read stopped)",)
    assert doc.format is None and doc.size == 8 * 1024 * 1024


def test_a_bomb_of_valid_xml_keeps_what_fits() -> None:
    body = urlset(*[f"https://a.test/{i}" for i in range(200_000)])
    doc = parse_sitemap(gzip.compress(body), "s.xml.gz", max_bytes=1024 * 1024)
    assert doc.over_limit and 10_000 < doc.count < 200_000  # read up to the ceiling
    assert any("malformed XML" in e for e in doc.errors)  # cut mid-document


def test_read_sitemap_file(tmp_path: Path) -> None:
    path = tmp_path / "s.xml.gz"
    path.write_bytes(gzip.compress(urlset("https://a.test/")))
    doc = read_sitemap_file(path)
    assert doc.source == str(path) and [e.loc for e in doc.entries] == ["https://a.test/"]
    with pytest.raises(InputError, match="cannot read sitemap"):
        read_sitemap_file(tmp_path / "missing.xml")


HEAD = urlset("https://a.test/ok").rsplit(b"</urlset>", 1)[0]


@pytest.mark.parametrize(
    ("tail", "locs"),
    [
        (bytes(1_000_000), ["https://a.test/ok"]),  # a capped bomb: zeros after the cut
        (b"<url><loc>https://a.test/cut-mid-ur", ["https://a.test/ok"]),
        (b"<url><loc>https://a.test/b</loc></u", ["https://a.test/ok"]),
        (b"<url><loc>https://a.test/b</loc></url>\n<u", ["https://a.test/ok", "https://a.test/b"]),
    ],
)
def test_a_cut_file_keeps_every_entry_before_the_cut_and_no_entry_after(
    tail: bytes, locs: list[str]
) -> None:
    doc = parse_sitemap(HEAD + tail, "s")
    assert [e.loc for e in doc.entries] == locs
    assert doc.format == "urlset" and doc.errors and "malformed XML" in doc.errors[0]


CUT_PROBE = """
import json, sys
import lxml
from migrationaudit.inputs.sitemaps import parse_sitemap
head = sys.stdin.buffer.read()
out = {}
for name, tail in [("zeros", bytes(100_000)), ("mid", b"<url><loc>https://a.test/b</loc></u")]:
    out[name] = [e.loc for e in parse_sitemap(head + tail, "s").entries]
print(json.dumps({"lxml": lxml.__version__, "entries": out}))
"""


@pytest.mark.parametrize("version", ["6.1.0", None])
def test_a_cut_file_reads_the_same_under_the_oldest_and_newest_lxml(
    tmp_path: Path, version: str | None
) -> None:
    # pyproject allows lxml>=6.1.0; 6.2 changed what iterparse hands out before an error. The
    # oldest allowed release is installed into a folder of its own (from pip's cache or PyPI)
    # and put first on the child's path; None is the version this venv runs.
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    if version is not None:
        target = tmp_path / "lxml"
        got = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary",
             ":all:", "--target", str(target), f"lxml=={version}"],
            capture_output=True, text=True, timeout=240,
        )  # fmt: skip
        if got.returncode != 0:
            pytest.skip(f"lxml {version} could not be installed here: {got.stderr[-300:]}")
        env["PYTHONPATH"] = os.pathsep.join([str(target), env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", CUT_PROBE], input=HEAD, capture_output=True, env=env, timeout=60,
        check=True,
    )  # fmt: skip
    result = json.loads(out.stdout)
    if version is not None:
        assert result["lxml"] == version
    assert result["entries"] == {"zeros": ["https://a.test/ok"], "mid": ["https://a.test/ok"]}

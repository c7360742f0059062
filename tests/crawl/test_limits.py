"""Explicit limits (issue 6): body caps per kind of fetch, decompression bombs, slow-loris,
Retry-After caps, the run deadline (``--max-runtime``, exit 3) and the hop limit's ceiling.

Everything is real HTTP on 127.0.0.1 (tests/rawserver.py); the CLI runs in a subprocess, wrapped
so that the peak RSS of the CLI and its crawl process is measured (as tests/newsite/test_newsite.py
does). Host names reach the raw server through ``--connect-to``.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest
from rawserver import Conn, RawRequest, RawServer, head_bytes, page, redirect, respond

from migrationaudit.crawl import run_crawl
from migrationaudit.rundir.records import read_hops
from migrationaudit.settings import CrawlOptions
from migrationaudit.spiders.compression import STEP, decode_body

if sys.version_info >= (3, 14):  # pragma: no cover
    from compression import zstd
else:
    from backports import zstd

OLD, NEW = "http://old.test", "http://new.test"
MB = 1024 * 1024
GB = 1024 * MB
PAGE_CAP, SITEMAP_CAP, ROBOTS_CAP, REDIRECT_CAP = 5 * MB, 50 * MB, 500 * 1024, 64 * 1024
# The CLI and its crawl process together. Measured: ~180 MB with one 60 MB sitemap, ~340 MB
# with five 1 GB sitemap bombs fetched at once (each decoded body is up to 50 MB).
MAX_RSS_MB = 450
ENCODINGS = ("gzip", "deflate", "br", "zstd")


# -- helpers ---------------------------------------------------------------------------------


def connect_args(server: RawServer) -> list[str]:
    return [arg for host in ("old.test", "new.test")
            for arg in ("--connect-to", f"{host}:80:127.0.0.1:{server.port}")]  # fmt: skip


def run_cli(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, int, float]:
    """``migrationaudit audit ARGS`` in a wrapper process: (exit code, stderr, peak RSS in MB
    of the CLI and its crawl process, wall seconds)."""
    cmd = [sys.executable, "-m", "migrationaudit.cli", "audit", *args]
    wrapper = (
        "import json, os, resource, subprocess, sys, time\n"
        "t = time.monotonic()\n"
        "env = {**os.environ, **json.loads(sys.argv[2])}\n"
        "p = subprocess.run(json.loads(sys.argv[1]), capture_output=True, text=True, env=env)\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
        "print(json.dumps([p.returncode, p.stderr, rss, time.monotonic() - t]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", wrapper, json.dumps(cmd), json.dumps(env or {})],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    code, stderr, rss, wall = json.loads(proc.stdout)
    return int(code), str(stderr), int(rss), float(wall)


def findings(out: Path) -> dict[str, Any]:
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


def hops(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / "run" / "hops.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["url"]: r for r in map(json.loads, lines)}


def site_records(out: Path, kind: str) -> dict[str, dict[str, Any]]:
    lines = (out / "run" / "site.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["url"]: r for r in map(json.loads, lines) if r["t"] == kind}


def write_map(folder: Path, rows: list[tuple[str, str]]) -> Path:
    path = folder / "map.csv"
    path.write_text("old_url,new_url\n" + "".join(f"{a},{b}\n" for a, b in rows))
    return path


class Sent:
    """Bytes each big handler managed to send before the client hung up."""

    def __init__(self) -> None:
        self.bytes: dict[str, int] = {}
        self.lock = threading.Lock()

    def handler(self, head: bytes, body: Callable[[], Iterator[bytes]]) -> Any:
        def handle(req: RawRequest, conn: Conn) -> None:
            sent = 0
            try:
                conn.sock.sendall(head)
                for piece in body():
                    conn.sock.sendall(piece)
                    sent += len(piece)
            except OSError:
                pass
            with self.lock:
                self.bytes[req.path] = sent

        return handle


def filler(
    total: int, first: bytes = b"", last: bytes = b"", unit: bytes = b" "
) -> Callable[[], Iterator[bytes]]:
    """A body of ``total`` bytes made of ``first``, ``unit`` repeated, ``last``, in pieces."""

    def pieces() -> Iterator[bytes]:
        yield first
        left = total - len(first) - len(last)
        block = unit * (256 * 1024 // len(unit))
        while left > 0:
            piece = block[:left]
            yield piece
            left -= len(piece)
        yield last

    return pieces


def bomb(encoding: str, prefix: bytes, size: int = GB) -> bytes:
    """``prefix`` and zeros up to ``size`` bytes, compressed with ``encoding`` (a valid stream:
    checksums and sizes right), in well under a second: deflate blocks after a full flush are
    byte-identical, so one megabyte block is compressed once and repeated."""
    zero = bytes(MB)
    count = (size - len(prefix)) // MB
    if encoding in ("gzip", "deflate"):
        c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
        block = c.compress(zero) + c.flush(zlib.Z_FULL_FLUSH)
        assert c.compress(zero) + c.flush(zlib.Z_FULL_FLUSH) == block
        raw = head + block * count + c.flush()
        if encoding == "gzip":
            crc = zlib.crc32(prefix)
            for _ in range(count):
                crc = zlib.crc32(zero, crc)
            length = (len(prefix) + count * MB) & 0xFFFFFFFF
            return (
                b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + raw + struct.pack("<II", crc, length)
            )
        adler = zlib.adler32(prefix)
        for _ in range(count):
            adler = zlib.adler32(zero, adler)
        return b"\x78\xda" + raw + struct.pack(">I", adler)
    if encoding == "br":
        b = brotli.Compressor(quality=1)
        out = [b.process(prefix), *(b.process(zero) for _ in range(count)), b.finish()]
        return b"".join(out)
    z = zstd.ZstdCompressor(level=1)
    out = [z.compress(prefix), *(z.compress(zero) for _ in range(count)), z.flush()]
    return b"".join(out)


# -- decoding, unit level (1 GB bombs stop at the cap, within 1.1x) ---------------------------


@pytest.fixture(scope="module")
def page_bombs() -> dict[str, bytes]:
    prefix = b"<html><head><title>Bomb</title></head><body>"
    return {enc: bomb(enc, prefix) for enc in ENCODINGS}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("cap", [PAGE_CAP, SITEMAP_CAP])
def test_a_bomb_stops_at_the_cap(page_bombs: dict[str, bytes], encoding: str, cap: int) -> None:
    decoded = decode_body(page_bombs[encoding], [encoding.encode()], cap)
    assert decoded.truncated and decoded.error is None
    assert len(decoded.body) == cap  # never more than the cap, and 1.1x is the bound asked
    assert decoded.body.startswith(b"<html><head><title>Bomb</title>")


def test_bombs_are_real(page_bombs: dict[str, bytes]) -> None:
    # The bombs really are about 1 GB inflated (the gzip one read in full with zlib itself),
    # so the cap is what stopped them; a bomb cut short is an error, with what was decoded.
    gz = page_bombs["gzip"]
    assert len(gz) < 2 * MB and struct.unpack("<I", gz[-4:])[0] > 1000 * MB  # gzip's ISIZE
    for enc, data in page_bombs.items():
        assert len(data) < 2 * MB and decode_body(data, [enc], 64 * MB).truncated, enc
    decoded = decode_body(page_bombs["zstd"][: 4 * 1024], ["zstd"], GB)
    assert decoded.error == "zstd data ends early" and len(decoded.body) > 0


def test_decoding_memory_is_bounded_per_step() -> None:
    # Each decoder hands out at most about STEP bytes at a time: what the cap is checked against.
    from migrationaudit.spiders.compression import DECODERS

    zeros = bytes(8 * MB)
    data = {
        "gzip": zlib.compress(zeros, wbits=31),
        "br": brotli.compress(zeros),
        "deflate": zlib.compress(zeros),
        "zstd": zstd.compress(zeros),
    }
    for name, blob in data.items():
        sizes = [len(p) for p in DECODERS[name](blob)]
        assert sum(sizes) == 8 * MB and max(sizes) <= 2 * STEP, (name, max(sizes))


def test_stacked_and_unknown_encodings() -> None:
    html = b"<html><head><title>t</title></head></html>"
    twice = zlib.compress(zlib.compress(html, wbits=31), wbits=31)
    assert decode_body(twice, [b"gzip, gzip"], MB).body == html
    assert decode_body(twice, [b"gzip", b"gzip"], MB).body == html
    # only the outer layer is a Content-Encoding: the inner gzip file stays (a .gz sitemap)
    once = decode_body(twice, [b"gzip"], MB)
    assert once.body[:2] == b"\x1f\x8b" and once.remaining == ()
    # an unknown outer encoding: nothing can be undone, the header keeps it all
    kept = decode_body(twice, [b"gzip, compress"], MB)
    assert kept.body == twice and kept.remaining == ("gzip", "compress")
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    assert decode_body(raw.compress(html) + raw.flush(), ["deflate"], MB).body == html
    assert decode_body(b"not gzip", ["gzip"], MB).error is not None


# -- huge bodies for each kind of fetch --------------------------------------------------------


ROBOTS_HEAD = b"User-agent: *\nDisallow: /early\n"
XML_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    + f"<url><loc>{NEW}/ok</loc></url>\n".encode()
)


def head(status: int, content_type: str, length: int) -> bytes:
    return head_bytes(status, [("Content-Type", content_type), ("Content-Length", str(length))])


ROBOTS_TAIL = b"\nDisallow: /late\n"


@pytest.fixture(scope="module")
def huge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Sent, list[Any]]]:
    folder = tmp_path_factory.mktemp("huge")
    sent = Sent()
    with RawServer() as server:
        html = b"<html><head><title>Huge</title></head><body>"
        big = sent.handler
        server.route(
            "/huge-page",
            big(head(200, "text/html", 20 * MB), filler(20 * MB, html, unit=b"<p>x</p>\n")),
            host="old.test",
        )
        redirect_head = head_bytes(
            301, [("Location", f"{NEW}/ok"), ("Content-Length", str(10 * MB))]
        )
        server.route("/huge-redirect", big(redirect_head, filler(10 * MB)), host="old.test")
        robots_body = filler(2 * MB, ROBOTS_HEAD, ROBOTS_TAIL, unit=b"# padding\n")
        server.route(
            "/robots.txt", big(head(200, "text/plain", 2 * MB), robots_body), host="old.test"
        )
        sitemap_head = XML_HEAD + b"<!-- "
        sitemap_body = filler(60 * MB, sitemap_head, b" -->\n</urlset>\n", unit=b"padding ")
        server.route(
            "/sitemap.xml",
            big(head(200, "application/xml", 60 * MB), sitemap_body),
            host="new.test",
        )
        # 6 MB, behind a redirect: more than a page's cap, within a sitemap's; the redirect
        # target must be fetched as a sitemap too
        moved = filler(6 * MB, sitemap_head, b" -->\n</urlset>\n", unit=b"padding ")
        server.route("/sm-moved.xml", redirect(f"{NEW}/sm-6mb.xml"), host="new.test")
        server.route(
            "/sm-6mb.xml", big(head(200, "application/xml", 6 * MB), moved), host="new.test"
        )
        server.route("/ok", page(), host="new.test")
        rows = [(f"{OLD}/huge-page", f"{NEW}/ok"), (f"{OLD}/huge-redirect", f"{NEW}/ok")]
        out = folder / "out"
        args = ["--map", str(write_map(folder, rows)), "--out", str(out), "--timeout", "10",
                "--retries", "0", "-q", "--sitemap", f"{NEW}/sitemap.xml",
                "--sitemap", f"{NEW}/sm-moved.xml", *connect_args(server)]  # fmt: skip
        result = run_cli(args)
    yield out, sent, list(result)


def test_huge_bodies_are_cut_to_their_caps_and_recorded(
    huge: tuple[Path, Sent, list[Any]],
) -> None:
    out, sent, (code, stderr, rss, _) = huge
    assert code in (0, 1), stderr
    assert rss < MAX_RSS_MB, rss
    recorded = hops(out)
    # the page: recorded with its head facts; the client hung up long before 20 MB
    page_hop = recorded[f"{OLD}/huge-page"]
    assert page_hop["status"] == 200 and page_hop["error"] is None
    assert page_hop["page"]["title"] == "Huge"
    assert sent.bytes["/huge-page"] < 16 * MB, sent.bytes  # 5 MB read + socket buffers
    # the redirect with a 10 MB body: followed; the client read 64 KiB of it
    assert recorded[f"{OLD}/huge-redirect"]["target"] == f"{NEW}/ok"
    assert sent.bytes["/huge-redirect"] < 8 * MB, sent.bytes
    # 60 MB sitemap: cut at 50 MB, said as too large and not read in full
    got = {(f["rule"], f["url"]): f["message"] for f in findings(out)["findings"]}
    assert ("sitemap-too-large", f"{NEW}/sitemap.xml") in got, got
    invalid = got[("sitemap-invalid", f"{NEW}/sitemap.xml")]
    assert "larger than 50 MB: only the first 50 MB were read" in invalid, invalid
    record = site_records(out, "sitemap")[f"{NEW}/sitemap.xml"]
    assert record["truncated"] is True and record["count"] == 1
    assert record["size"] == SITEMAP_CAP  # read up to the sitemap cap, not a page's 5 MB
    moved = site_records(out, "sitemap")[f"{NEW}/sm-6mb.xml"]
    assert moved["truncated"] is False and moved["size"] == 6 * MB and moved["count"] == 1
    assert not [k for k in got if k[1] == f"{NEW}/sm-6mb.xml"], got


def test_robots_txt_is_read_to_500_kib_like_google(huge: tuple[Path, Sent, list[Any]]) -> None:
    out, _, _ = huge
    robots = site_records(out, "robots")[f"{OLD}/robots.txt"]
    assert robots["status"] == 200 and robots["truncated"] is True
    text = robots["text"]
    assert text.startswith(ROBOTS_HEAD.decode()) and len(text.encode()) == ROBOTS_CAP
    assert "Disallow: /late" not in text  # beyond 500 KiB: ignored, as Google does


# -- decompression bombs through the crawl -----------------------------------------------------


@pytest.fixture(scope="module")
def bombed(
    tmp_path_factory: pytest.TempPathFactory, page_bombs: dict[str, bytes]
) -> tuple[Path, list[Any]]:
    folder = tmp_path_factory.mktemp("bombed")
    xml = XML_HEAD
    with RawServer() as server:
        rows, sitemaps = [], []
        for enc in ENCODINGS:
            server.route(f"/bomb-{enc}", respond(200, [("Content-Type", "text/html"),
                         ("Content-Encoding", enc)], page_bombs[enc]), host="old.test")  # fmt: skip
            server.route(f"/sm-{enc}.xml", respond(200, [("Content-Type", "application/xml"),
                         ("Content-Encoding", enc)], bomb(enc, xml)), host="new.test")  # fmt: skip
            rows.append((f"{OLD}/bomb-{enc}", f"{NEW}/ok"))
            sitemaps += ["--sitemap", f"{NEW}/sm-{enc}.xml"]
        # stacked: gzip, gzip (a 1 GB page), and a gzip bomb .gz file served gzip-encoded
        twice = zlib.compress(page_bombs["gzip"], wbits=31)
        server.route("/bomb-stacked", respond(200, [("Content-Type", "text/html"),
                     ("Content-Encoding", "gzip, gzip")], twice), host="old.test")  # fmt: skip
        rows.append((f"{OLD}/bomb-stacked", f"{NEW}/ok"))
        gz_file = zlib.compress(bomb("gzip", xml), wbits=31)
        server.route("/sm.xml.gz", respond(200, [("Content-Type", "application/gzip"),
                     ("Content-Encoding", "gzip")], gz_file), host="new.test")  # fmt: skip
        sitemaps += ["--sitemap", f"{NEW}/sm.xml.gz"]
        server.route("/ok", page(), host="new.test")
        out = folder / "out"
        args = ["--map", str(write_map(folder, rows)), "--out", str(out), "--timeout", "10",
                "--retries", "0", "-q", *sitemaps, *connect_args(server)]  # fmt: skip
        result = run_cli(args)
    return out, list(result)


def test_page_bombs_keep_their_head_and_memory_stays_bounded(
    bombed: tuple[Path, list[Any]],
) -> None:
    out, (code, stderr, rss, _) = bombed
    assert code in (0, 1), stderr
    assert rss < MAX_RSS_MB, rss
    recorded = hops(out)
    for name in [*ENCODINGS, "stacked"]:
        hop = recorded[f"{OLD}/bomb-{name}"]
        # decoded up to the 5 MB cap: the head is there, the rest of the gigabyte never was
        assert hop["status"] == 200 and hop["page"]["title"] == "Bomb", (name, hop)


def test_sitemap_bombs_stop_at_50_mb_and_are_findings(bombed: tuple[Path, list[Any]]) -> None:
    out, _ = bombed
    got = {(f["rule"], f["url"]): f["message"] for f in findings(out)["findings"]}
    sitemaps = site_records(out, "sitemap")
    for url in [*(f"{NEW}/sm-{enc}.xml" for enc in ENCODINGS), f"{NEW}/sm.xml.gz"]:
        assert ("sitemap-too-large", url) in got, url
        assert ("sitemap-invalid", url) in got, url
        record = sitemaps[url]
        assert record["size"] <= SITEMAP_CAP and record["entries"][0]["loc"] == f"{NEW}/ok", url
    for enc in ENCODINGS:
        assert "could not be decoded in full" in got[("sitemap-invalid", f"{NEW}/sm-{enc}.xml")]
    # the .gz file inside the encoding: the file's own inflation stopped at 50 MB
    assert sitemaps[f"{NEW}/sm.xml.gz"]["compressed"] is True


# -- slow-loris at every stage -----------------------------------------------------------------


def drip_head(req: RawRequest, conn: Conn) -> None:
    conn.send(b"HTTP/1.1 200 OK\r\n")
    conn.drip(b"X-Slow: " + b"a" * 200 + b"\r\n\r\n", interval=0.1)


def drip_body(content_type: str) -> Callable[[RawRequest, Conn], None]:
    def handle(req: RawRequest, conn: Conn) -> None:
        conn.send(head_bytes(200, [("Content-Type", content_type), ("Content-Length", "400")]))
        conn.drip(b"x" * 400, interval=0.1)

    return handle


def test_slow_loris_at_every_stage_times_out_and_the_run_ends(tmp_path: Path) -> None:
    with RawServer() as server:
        server.route("/drip-head", drip_head, host="old.test")
        server.route("/drip-body", drip_body("text/html"), host="old.test")
        server.route("/robots.txt", drip_body("text/plain"), host="old.test")
        server.route("/sitemap.xml", drip_body("application/xml"), host="new.test")
        server.route("/fast", redirect(f"{NEW}/ok"), host="old.test")
        server.route("/ok", page(), host="new.test")
        rows = [(f"{OLD}/{p}", f"{NEW}/ok") for p in ("drip-head", "drip-body", "fast")]
        out = tmp_path / "out"
        args = ["--map", str(write_map(tmp_path, rows)), "--out", str(out), "--timeout", "2",
                "--retries", "0", "-q", "--sitemap", f"{NEW}/sitemap.xml",
                *connect_args(server)]  # fmt: skip
        code, stderr, _, wall = run_cli(args)
    assert code in (0, 1), stderr
    assert wall < 20, wall  # every drip would last 20-40 s: the 2 s deadline cut them all
    recorded = hops(out)
    for url in (f"{OLD}/drip-head", f"{OLD}/drip-body", f"{OLD}/robots.txt", f"{NEW}/sitemap.xml"):
        assert recorded[url]["kind"] == "network-error", url
        assert recorded[url]["error"] == "timeout after 2s", (url, recorded[url])
    assert recorded[f"{NEW}/ok"]["status"] == 200
    robots = site_records(out, "robots")[f"{OLD}/robots.txt"]
    assert robots["error"] == "timeout after 2s" and robots.get("text") is None


# -- Retry-After absurdly large ---------------------------------------------------------------


@pytest.mark.parametrize("value", [str(10**12), "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_an_absurd_retry_after_is_capped(tmp_path: Path, value: str) -> None:
    answers = iter([respond(503, [("Retry-After", value)], b"busy"), page()])

    def handle(req: RawRequest, conn: Conn) -> None:
        next(answers, page())(req, conn)

    with RawServer() as server:
        server.route("/busy", handle)
        started = time.monotonic()
        options = CrawlOptions(timeout=2.0, retries=1, retry_after_max=1.0)
        summary = run_crawl([server.url("/busy")], tmp_path / "run", options)
        elapsed = time.monotonic() - started
        asked = len(server.hits("/busy"))
    assert summary.complete and asked == 2
    [hop] = list(read_hops(tmp_path / "run"))
    assert hop.status == 200  # retried once the (capped) pause was over
    assert elapsed < 15, elapsed


# -- the run deadline: --max-runtime, exit 3, --resume -----------------------------------------


def slow_page(req: RawRequest, conn: Conn) -> None:
    if conn.sleep(0.4):
        page()(req, conn)


def test_max_runtime_stops_cleanly_exits_3_and_resume_completes(tmp_path: Path) -> None:
    with RawServer() as server:
        rows = []
        for i in range(16):
            server.route(f"/p{i}", redirect(f"{NEW}/n{i}"), host="old.test")
            server.route(f"/n{i}", slow_page, host="new.test")
            rows.append((f"{OLD}/p{i}", f"{NEW}/n{i}"))
        server.route("/n3", respond(404, [], b"gone"), host="new.test")  # one broken verdict
        base = ["--map", str(write_map(tmp_path, rows)), "--timeout", "5", "--retries", "0",
                "--concurrency", "2", "--per-host-concurrency", "2", "--no-robots",
                "--no-sitemap-discovery", *connect_args(server)]  # fmt: skip
        stopped = tmp_path / "stopped"
        # the deadline from the environment (MIGRATIONAUDIT_MAX_RUNTIME), like the config key
        code, stderr, _, _ = run_cli(
            [*base, "--out", str(stopped)], env={"MIGRATIONAUDIT_MAX_RUNTIME": "2s"}
        )
        assert code == 3, stderr
        assert "stopped: --max-runtime 2s reached" in stderr, stderr
        assert f"--resume {stopped}" in stderr
        partial = findings(stopped)
        assert partial["summary"]["partial"] is True
        assert partial["run"]["stopped"] == "--max-runtime 2s reached"
        assert partial["summary"]["verdicts"]["incomplete"] > 0
        # The report's banner says why the run stopped and how to finish it.
        html = (stopped / "report.html").read_text(encoding="utf-8")
        assert "stopped: --max-runtime 2s reached; the crawl did not finish" in html
        assert "complete it with --resume" in html
        kept = len(hops(stopped))
        assert 0 < kept < 32
        code, stderr, _, _ = run_cli([*base, "--resume", str(stopped), "-q"])
        assert code in (0, 1), stderr
        whole = tmp_path / "whole"
        code2, stderr2, _, _ = run_cli([*base, "--out", str(whole), "-q"])
        assert code2 == code, stderr2
    resumed = findings(stopped)
    assert resumed["summary"]["partial"] is False and "stopped" not in resumed["run"]
    assert len(hops(stopped)) == 32

    def verdicts(doc: dict[str, Any]) -> dict[str, str]:
        return {v["url"]: v["verdict"] for v in doc["verdicts"]}

    assert verdicts(resumed) == verdicts(findings(whole))
    assert resumed["summary"]["verdicts"]["incomplete"] == 0


def test_max_runtime_is_validated(tmp_path: Path) -> None:
    for bad in ("0", "soon", "-5m"):
        code, stderr, _, _ = run_cli(["--urls", str(tmp_path / "none.txt"), "--max-runtime", bad])
        assert code == 2 and "max-runtime" in stderr, (bad, stderr)


# -- the hop limit's ceiling -------------------------------------------------------------------


def test_max_hops_over_the_hard_maximum_is_a_usage_error(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{OLD}/\n")
    code, stderr, _, _ = run_cli(["--urls", str(urls), "--max-hops", "50", "--out",
                                  str(tmp_path / "out")])  # fmt: skip
    assert code == 2, stderr
    assert "--max-hops" in stderr and "20" in stderr
    assert not (tmp_path / "out").exists()  # refused before anything ran


def test_hop_limit_default_and_ceiling() -> None:
    from migrationaudit import settings

    assert (settings.MAX_HOPS, settings.HARD_MAX_HOPS) == (10, 20)
    assert CrawlOptions().max_hops == 10

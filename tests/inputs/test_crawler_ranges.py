"""Crawler address ranges (--crawler-ranges): the client address of every log format, the
published JSON shape read (and refused when malformed), and crawler hits that only count from
inside the ranges."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from pathlib import Path

import pytest

from migrationaudit.errors import InputError
from migrationaudit.inputs.accesslog import read_access_logs
from migrationaudit.inputs.crawlerranges import read_crawler_ranges
from migrationaudit.inputs.logformats import (
    parse_cloudfront,
    parse_combined,
    parse_field,
    parse_json,
)

BASE = "https://old.example"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BINGBOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
GOOGLE_IP = "66.249.64.5"  # inside 66.249.64.0/27, a Googlebot range
SPOOFER = "203.0.113.9"  # TEST-NET-3: no search engine
# The shape Google's googlebot.json and Bing's bingbot.json have.
PUBLISHED = {
    "creationTime": "2026-12-01T00:00:00.000000",
    "prefixes": [
        {"ipv6Prefix": "2001:4860:4801:10::/64"},
        {"ipv4Prefix": "66.249.64.0/27"},
        {"ipv4Prefix": "66.249.64.32/27"},  # adjacent: merged with the one before
    ],
}


def combined(path: str, client: str, agent: str = BROWSER) -> str:
    return (
        f'{client} - - [07/Dec/2026:10:00:00 +0000] "GET {path} HTTP/1.1" 404 153 "-" "{agent}"\n'
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def ranges_file(tmp_path: Path, data: object, name: str = "googlebot.json") -> Path:
    return write(tmp_path, name, json.dumps(data))


# -- the client address of every format ---------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "client"),
    [
        (combined("/a", "192.0.2.1"), "192.0.2.1"),
        (combined("/a", "2001:db8::1"), "2001:db8::1"),
        (combined("/a", "::1"), "::1"),
        ("old.example:443 " + combined("/a", "192.0.2.7"), "192.0.2.7"),  # vhost_combined
        ('- - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200 2326', ""),  # common, none
        ('192.0.2.3 - frank [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200 2326', "192.0.2.3"),
    ],
)
def test_combined_and_common_client_is_the_first_field(line: str, client: str) -> None:
    req = parse_combined(line.rstrip("\n"))
    assert (req.target, req.client) == ("/a", client)


@pytest.mark.parametrize(
    ("record", "fields", "client"),
    [
        ({"request_uri": "/a", "remote_addr": "192.0.2.1"}, {}, "192.0.2.1"),  # nginx
        ({"uri": "/a", "client_ip": "2001:db8::2"}, {}, "2001:db8::2"),
        ({"uri": "/a", "peer": "192.0.2.9"}, {"client": "peer"}, "192.0.2.9"),  # named
        ({"uri": "/a", "remote_addr": "-"}, {}, ""),
        ({"uri": "/a"}, {}, ""),
        (  # Cloudflare Logpush
            {"ClientRequestURI": "/a", "ClientRequestHost": "old.example", "ClientIP": GOOGLE_IP},
            {},
            GOOGLE_IP,
        ),
        ({"reqPath": "/a", "reqHost": "old.example", "cliIP": "192.0.2.4"}, {}, "192.0.2.4"),
    ],
)
def test_json_client_field(record: dict[str, str], fields: dict[str, str], client: str) -> None:
    req = parse_json(json.dumps(record), fields)
    assert (req.target, req.client) == ("/a", client)


def test_client_is_a_field_name_of_access_log_field() -> None:
    assert parse_field("client=remote_ip") == ("client", "remote_ip")


def test_cloudfront_client_is_c_ip() -> None:
    columns = ["date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status", "x-host-header"]
    row = ["2026-12-07", "10:00:00", "2001:4860:4801:10::9", "GET", "/a", "200", "old.example"]
    req = parse_cloudfront("\t".join(row) + "\n", columns)
    assert (req.target, req.client) == ("/a", "2001:4860:4801:10::9")
    row[2] = "-"
    assert parse_cloudfront("\t".join(row), columns).client == ""


# -- the ranges file -------------------------------------------------------------------------


def test_published_shape_is_read_both_families(tmp_path: Path) -> None:
    ranges = read_crawler_ranges([ranges_file(tmp_path, PUBLISHED)])
    assert ranges is not None and ranges.prefixes == 3
    assert ranges.spans[4] == ((int_of("66.249.64.0"), int_of("66.249.64.63")),)  # merged
    inside = [
        "66.249.64.0",
        GOOGLE_IP,
        "66.249.64.63",
        "2001:4860:4801:10::1",
        "::ffff:66.249.64.9",
    ]
    outside = ["66.249.64.64", "66.249.63.255", SPOOFER, "2001:4860:4801:11::1", "", "-", "x"]
    assert [ranges.contains(a) for a in inside] == [True] * len(inside)
    assert [ranges.contains(a) for a in outside] == [False] * len(outside)


def int_of(address: str) -> int:
    return int(ipaddress.ip_address(address))


def test_several_files_add_up(tmp_path: Path) -> None:
    bing = {"creationTime": "x", "prefixes": [{"ipv4Prefix": "157.55.39.0/24"}]}
    ranges = read_crawler_ranges(
        [ranges_file(tmp_path, PUBLISHED), ranges_file(tmp_path, bing, "bingbot.json")]
    )
    assert ranges is not None and ranges.prefixes == 4
    assert ranges.contains("157.55.39.200") and ranges.contains(GOOGLE_IP)
    assert read_crawler_ranges([]) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "crawler ranges are not valid JSON"),
        ('["66.249.64.0/27"]', 'expected {"prefixes"'),
        ('{"creationTime": "x", "prefixes": []}', "at least one prefix"),
        ('{"prefixes": [{"ipv4Prefix": "66.249.64.0/27"}, {"cidr": "1.2.3.0/24"}]}', "prefix 2"),
        ('{"prefixes": [{"ipv4Prefix": "66.249.64.0/33"}]}', "prefix 1 '66.249.64.0/33'"),
        ('{"prefixes": [{"ipv4Prefix": "googlebot"}]}', "prefix 1 'googlebot'"),
        ('{"prefixes": [{"ipv4Prefix": 5}]}', "prefix 1 5: not a string"),
        ('{"prefixes": [{"ipv4Prefix": "2001:db8::/32"}]}', "is not an IPv4 prefix"),
        ('{"prefixes": [{"ipv6Prefix": "10.0.0.0/8"}]}', "is not an IPv6 prefix"),
    ],
)
def test_malformed_ranges_file_is_an_input_error_naming_it(
    tmp_path: Path, content: str, message: str
) -> None:
    path = write(tmp_path, "ranges.json", content)
    with pytest.raises(InputError) as err:
        read_crawler_ranges([path])
    assert err.value.file == str(path)
    assert message in str(err.value)


def test_missing_ranges_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read crawler ranges"):
        read_crawler_ranges([tmp_path / "googlebot.json"])


# -- crawler hits with and without ranges ------------------------------------------------------


def spoofed_log(tmp_path: Path) -> Path:
    """/spoofed: three "Googlebot" requests from a non-Google address; /real: one from
    Google's range and two browsers; /bing: a bingbot from outside Google's ranges."""
    return write(
        tmp_path,
        "access.log",
        combined("/spoofed", SPOOFER, GOOGLEBOT) * 3
        + combined("/real", GOOGLE_IP, GOOGLEBOT)
        + combined("/real", SPOOFER) * 2
        + combined("/bing", "157.55.39.1", BINGBOT),
    )


def test_a_spoofed_agent_no_longer_ranks_first(tmp_path: Path) -> None:
    log = spoofed_log(tmp_path)
    plain = read_access_logs([log], BASE)
    ranked = [(t.url, t.crawler_hits, t.hits) for t in plain.ranked()]
    assert ranked == [(f"{BASE}/spoofed", 3, 3), (f"{BASE}/real", 1, 3), (f"{BASE}/bing", 1, 1)]
    ranges = read_crawler_ranges([ranges_file(tmp_path, PUBLISHED)])
    checked = read_access_logs([log], BASE, ranges=ranges)
    ranked = [(t.url, t.crawler_hits, t.hits) for t in checked.ranked()]
    assert ranked == [(f"{BASE}/real", 1, 3), (f"{BASE}/spoofed", 0, 3), (f"{BASE}/bing", 0, 1)]
    notes = checked.notes()
    assert notes["crawler_requests"] == 1 and notes["unverified_crawler_requests"] == 4
    assert notes["crawler_ranges"] == [str(tmp_path / "googlebot.json")]
    assert notes["crawler_prefixes"] == 3
    assert notes["requests"] == plain.notes()["requests"] == 7


def test_without_ranges_nothing_changes(tmp_path: Path) -> None:
    log = spoofed_log(tmp_path)
    notes = read_access_logs([log], BASE).notes()
    assert notes["crawler_requests"] == 5
    assert not {"unverified_crawler_requests", "crawler_ranges", "crawler_prefixes"} & set(notes)


def test_cli_malformed_ranges_exit_2_before_any_request(tmp_path: Path) -> None:
    spoofed_log(tmp_path)
    write(tmp_path, "googlebot.json", '{"prefixes": [{"ipv4Prefix": "66.249.64.0/99"}]}')
    args = [
        "audit",
        "--access-log",
        "access.log",
        "--base-url",
        "http://127.0.0.1:9",
        "--out",
        "out",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "migrationaudit.cli", *args, "--crawler-ranges", "googlebot.json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert "googlebot.json: crawler ranges: prefix 1 '66.249.64.0/99'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "run" / "hops.jsonl").exists()

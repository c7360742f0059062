"""Access logs (--access-log): every format, gzip, named fields, malformed lines, bounded memory."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from migrationaudit import settings
from migrationaudit.errors import InputError
from migrationaudit.inputs.accesslog import read_access_logs
from migrationaudit.inputs.logformats import parse_field
from migrationaudit.inputs.traffic import logged_legacy
from migrationaudit.models.inputs import LegacyURL, Origin

BASE = "https://old.example"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BINGBOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


def combined(path: str, status: int = 404, agent: str = BROWSER, method: str = "GET") -> str:
    return (
        f'203.0.113.9 - - [07/Dec/2026:10:00:00 +0000] "{method} {path} HTTP/1.1" {status} 153 '
        f'"-" "{agent}"\n'
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_combined_counts_hits_and_crawler_hits_per_url(tmp_path: Path) -> None:
    log = write(
        tmp_path,
        "access.log",
        combined("/old?id=1", agent=GOOGLEBOT)
        + combined("/old?id=1")
        + combined("/old/", agent=BINGBOT)  # the same page: trailing slash ignored
        + combined("/form", method="POST")
        + combined("/fine", status=200)
        + combined("/fine", status=200),
    )
    index = read_access_logs([log], BASE)
    old = index.get(f"{BASE}/old?id=1")
    assert old is not None and (old.hits, old.crawler_hits, old.error_hits) == (2, 1, 2)
    slash = index.get(f"{BASE}/old")
    assert slash is not None and (slash.hits, slash.crawler_hits) == (1, 1)
    assert index.other_methods == 1 and index.requests == 5 and index.malformed == 0
    # ranked by crawler hits, then hits: /old?id=1 (1, 2), /old/ (1, 1), /fine (0, 2)
    assert [t.url for t in index.ranked()] == [f"{BASE}/old?id=1", f"{BASE}/old/", f"{BASE}/fine"]
    assert old.origin == Origin(str(log), 1)


def test_common_format_and_vhost_prefix_and_escapes(tmp_path: Path) -> None:
    log = write(
        tmp_path,
        "common.log",
        '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326\n'
        'old.example:443 127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /v HTTP/1.1" 301 0 '
        '"-" "curl/8"\n'
        '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /caf\\xC3\\xA9 HTTP/1.1" 404 0 '
        '"-" "a \\"quoted\\" agent"\n',
    )
    index = read_access_logs([log], BASE)
    assert index.malformed == 0, index.examples
    assert index.get(f"{BASE}/apache_pb.gif") is not None
    assert index.get(f"{BASE}/v") is not None
    assert len(index.totals) == 3


def test_malformed_lines_are_counted_and_named_never_fatal(tmp_path: Path) -> None:
    log = write(
        tmp_path,
        "mixed.log",
        combined("/ok")
        + "this is not a log line\n"
        + '127.0.0.1 - - [07/Dec/2026:10:00:00 +0000] "\\x16\\x03\\x01" 400 150 "-" "-"\n'
        + combined("/x", status=999)
        + "\n"
        + combined("/also-ok"),
    )
    index = read_access_logs([log], BASE)
    assert index.requests == 2
    assert index.malformed == 3
    assert [e.split(": ", 1)[0] for e in index.examples] == [
        f"{log}:2",
        f"{log}:3",
        f"{log}:4",
    ]
    assert "not a combined/common log line" in index.examples[0]
    assert "not an HTTP status" in index.examples[2]
    notes = index.notes()
    assert notes["malformed_lines"] == 3 and notes["urls"] == 2


def test_paths_without_base_url_say_so(tmp_path: Path) -> None:
    log = write(tmp_path, "access.log", combined("/a") + combined("/b"))
    with pytest.raises(InputError, match="need --base-url"):
        read_access_logs([log])


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read access log"):
        read_access_logs([tmp_path / "nope.log"], BASE)


def test_gzip_is_read_by_its_magic(tmp_path: Path) -> None:
    path = tmp_path / "access.log.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(combined("/zipped", agent=GOOGLEBOT) * 3)
    index = read_access_logs([path], BASE)
    t = index.get(f"{BASE}/zipped")
    assert t is not None and (t.hits, t.crawler_hits) == (3, 3)


def test_json_lines_nginx_escape_json_usual_names(tmp_path: Path) -> None:
    rows = [
        {
            "host": "old.example",
            "request_uri": "/a?b=1",
            "status": "404",
            "http_user_agent": GOOGLEBOT,
            "request_method": "GET",
            "scheme": "http",
        },
        {
            "host": "old.example",
            "request": "GET /b HTTP/1.1",
            "status": 200,
            "http_user_agent": BROWSER,
        },
    ]
    log = write(
        tmp_path, "access.json", "".join(json.dumps(r) + "\n" for r in rows) + "[1]\n{bad\n"
    )
    index = read_access_logs([log])
    a = index.get("http://old.example/a?b=1")
    assert a is not None and a.url == "http://old.example/a?b=1" and a.crawler_hits == 1
    assert index.get("https://old.example/b") is not None  # no scheme field: https
    assert index.malformed == 2
    assert "not a JSON object" in index.examples[0] and "not valid JSON" in index.examples[1]


def test_json_lines_with_named_fields(tmp_path: Path) -> None:
    rows = [{"vhost": "shop.example", "path": "/x", "code": 410, "ua": BINGBOT, "verb": "HEAD"}]
    log = write(tmp_path, "custom.json", "".join(json.dumps(r) + "\n" for r in rows))
    fields = dict(parse_field(v) for v in ("host=vhost", "url=path", "status=code", "method=verb"))
    index = read_access_logs([log], "http://fallback.example", fields)
    t = index.get("http://shop.example/x")
    assert t is not None and (t.hits, t.crawler_hits, t.last_status) == (1, 1, 410)
    with pytest.raises(ValueError, match="FIELD one of"):
        parse_field("colour=red")


def test_cloudflare_logpush(tmp_path: Path) -> None:
    rows = [
        {
            "ClientRequestHost": "www.old.example",
            "ClientRequestURI": "/p?q=1",
            "EdgeResponseStatus": 404,
            "ClientRequestUserAgent": GOOGLEBOT,
            "ClientRequestMethod": "GET",
            "ClientRequestScheme": "https",
            "EdgeStartTimestamp": "2026-12-07T10:00:00Z",
        },
        {
            "ClientRequestHost": "www.old.example",
            "ClientRequestURI": "/p?q=1",
            "EdgeResponseStatus": 404,
            "ClientRequestUserAgent": BROWSER,
            "ClientRequestMethod": "GET",
            "ClientRequestScheme": "https",
        },
    ]
    log = write(tmp_path, "logpush.json", "".join(json.dumps(r) + "\n" for r in rows))
    index = read_access_logs([log])
    t = index.get("https://www.old.example/p?q=1")
    assert t is not None and (t.hits, t.crawler_hits, t.error_hits) == (2, 1, 2)


def test_cloudfront_standard_log(tmp_path: Path) -> None:
    fields = (
        "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "
        "cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type "
        "x-edge-request-id x-host-header cs-protocol"
    )
    agent = GOOGLEBOT.replace(" ", "%20")
    row = [
        "2026-12-07",
        "10:00:00",
        "FRA2",
        "512",
        "203.0.113.9",
        "GET",
        "d111.cloudfront.net",
        "/old/page",
        "301",
        "-",
        agent,
        "a=1",
        "-",
        "Hit",
        "abc==",
        "www.old.example",
        "https",
    ]
    text = "#Version: 1.0\n#Fields: " + fields + "\n" + "\t".join(row) + "\n"
    text += "\t".join(row[:5]) + "\n"  # a cut line
    log = write(tmp_path, "E2ABC.2026-12-07-10.log", text)
    index = read_access_logs([log])
    t = index.get("https://www.old.example/old/page?a=1")
    assert t is not None and (t.hits, t.crawler_hits, t.last_status) == (1, 1, 301)
    assert index.malformed == 1 and f"{log}:4: 5 fields" in index.examples[0]


def test_memory_is_bounded_by_distinct_urls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "ACCESS_LOG_MAX_URLS", 3)
    log = write(tmp_path, "many.log", "".join(combined(f"/p{i}") for i in range(10)) * 2)
    index = read_access_logs([log], BASE)
    assert len(index.totals) == 3
    assert index.get(f"{BASE}/p0") is not None and index.get(f"{BASE}/p0").hits == 2  # type: ignore[union-attr]
    assert index.dropped_requests == 14 and index.requests == 20


def test_logged_legacy_skips_urls_already_covered(tmp_path: Path) -> None:
    log = write(tmp_path, "a.log", combined("/mapped") + combined("/new", agent=GOOGLEBOT))
    index = read_access_logs([log], BASE)
    mapped = [LegacyURL("http://old.example/mapped/", Origin("map.csv", 2))]
    _, logged = logged_legacy(index, mapped)
    assert [i.url for i in logged] == [f"{BASE}/new"]


def test_logged_urls_on_other_hosts_are_not_audited(tmp_path: Path) -> None:
    # A Host header and a proxy-style request line are the client's to choose.
    rows = [
        {"host": "www.old.example", "request_uri": "/twin"},
        {"host": "169.254.169.254", "request_uri": "/latest/meta-data/"},
        {"host": "0x7f000001", "request_uri": "/admin"},
        {"host": "old.example", "request": "GET http://evil.example/x HTTP/1.1"},
        {"host": "extra.example:8080", "request_uri": "/allowed"},
    ]
    log = write(tmp_path, "h.json", "".join(json.dumps(r) + "\n" for r in rows))
    index = read_access_logs([log])
    index, logged = logged_legacy(index, [], (BASE, "extra.example:8080"))
    assert sorted(i.url for i in logged) == [
        "https://extra.example:8080/allowed",
        "https://www.old.example/twin",
    ]
    assert index.other_hosts == {"169.254.169.254": 1, "127.0.0.1": 1, "evil.example": 1}
    assert index.notes()["urls_on_other_hosts"] == 3
    # without a base URL or allowed host, only the map's and lists' hosts count
    mapped = [LegacyURL("https://extra.example:8080/x", Origin("map.csv", 2))]
    _, logged = logged_legacy(read_access_logs([log]), mapped)
    assert [i.url for i in logged] == ["https://extra.example:8080/allowed"]


LAUNCH = datetime(2026, 11, 2, tzinfo=UTC)


def test_launch_date_splits_requests_by_their_own_time(tmp_path: Path) -> None:
    text = (
        '1.2.3.4 - - [01/Nov/2026:23:59:59 +0000] "GET /a HTTP/1.1" 404 0 "-" "x"\n'
        '1.2.3.4 - - [02/Nov/2026:01:00:00 +0200] "GET /a HTTP/1.1" 404 0 "-" "x"\n'  # 23:00 UTC
        f'1.2.3.4 - - [02/Nov/2026:00:00:00 +0000] "GET /a HTTP/1.1" 404 0 "-" "{GOOGLEBOT}"\n'
    )
    index = read_access_logs([write(tmp_path, "a.log", text)], BASE, since=LAUNCH)
    a = index.get(f"{BASE}/a")
    assert a is not None and (a.hits, a.hits_since, a.crawler_hits_since) == (3, 1, 1)
    assert index.demand(a) == (1, 1)
    assert index.notes()["requests_since"] == 1
    unlaunched = read_access_logs([write(tmp_path, "b.log", text)], BASE)
    b = unlaunched.get(f"{BASE}/a")
    assert b is not None and unlaunched.demand(b) == (3, 1)


def test_launch_date_reads_every_format_s_time(tmp_path: Path) -> None:
    rows = [
        {"host": "o.example", "request_uri": "/iso", "time_iso8601": "2026-11-03T10:00:00+01:00"},
        {"host": "o.example", "request_uri": "/msec", "msec": "1793613600.123"},  # 2026-11-03
        {"host": "o.example", "request_uri": "/old", "time_iso8601": "2026-10-01T10:00:00Z"},
        {"host": "o.example", "request_uri": "/undated"},
        {"ClientRequestHost": "c.example", "ClientRequestURI": "/ns",
         "EdgeStartTimestamp": 1793613600000000000},
    ]  # fmt: skip
    log = write(tmp_path, "t.json", "".join(json.dumps(r) + "\n" for r in rows))
    index = read_access_logs([log], since=LAUNCH)
    since = {t.url: t.hits_since for t in index.totals.values()}
    assert since == {
        "https://o.example/iso": 1,
        "https://o.example/msec": 1,
        "https://o.example/old": 0,
        "https://o.example/undated": 0,
        "https://c.example/ns": 1,
    }
    assert index.undated == 1


def test_akamai_datastream2_json(tmp_path: Path) -> None:
    row = {
        "version": 1, "cp": "123456", "reqTimeSec": "1793613600", "statusCode": "404",
        "proto": "HTTPS", "reqHost": "www.old.example", "reqMethod": "GET",
        "reqPath": "/old/page", "queryStr": "a=1", "cliIP": "203.0.113.9",
        "UA": "Mozilla%2F5.0+%28compatible%3B+Googlebot%2F2.1%29",
    }  # fmt: skip
    log = write(tmp_path, "ds2.json", json.dumps(row) + "\n")
    index = read_access_logs([log], since=LAUNCH)
    t = index.get("https://www.old.example/old/page?a=1")
    assert t is not None and (t.hits, t.crawler_hits, t.hits_since, t.last_status) == (1, 1, 1, 404)

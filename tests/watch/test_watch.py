"""The watch after launch: --compare-to leads the report and the summary with what changed,
--notify posts it to a webhook (a receiver on 127.0.0.1 records it), and a failing webhook
never changes the exit code. Two runs on a site changed in between, the CLI in a subprocess."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from rawserver import NOT_FOUND, RawServer, page, redirect, respond

from migrationaudit.diff import Side, VerdictRow
from migrationaudit.notify import check_webhook, mask_url, message, payload, send
from migrationaudit.watch import watch

SECRET = "T000/B000/s3cr3tXYZ"


# --- units -----------------------------------------------------------------------------------


def side(**verdicts: str) -> Side:
    return Side(
        "before",
        {},
        {f"/{u}": VerdictRow(f"/{u}", v, None, None, "") for u, v in verdicts.items()},
    )


def doc(**verdicts: str) -> dict[str, object]:
    return {
        "findings": [
            {"rule": "r", "url": f"/{u}", "severity": v}
            for u, v in verdicts.items()
            if v in ("error", "warning")
        ],
        "verdicts": [{"url": f"/{u}", "verdict": v} for u, v in verdicts.items()],
    }


def test_summary_sorts_urls_into_the_four_lists() -> None:
    s = watch(
        side(a="ok", b="error", c="ok", d="error"),
        doc(a="error", b="ok", c="ok", d="error", e="warning", f="ok"),
    )
    assert [c.url for c in s.regressed] == ["/a"]
    assert [c.url for c in s.fixed] == ["/b"]
    assert [c.url for c in s.new] == ["/e"]  # /f is new but fine
    assert [c.url for c in s.still_failing] == ["/d"]
    assert s.regression
    assert s.headline().startswith("since before: 1 regressed, 1 fixed, 1 new, 1 still failing")
    assert "  regressed: /a (ok → error)" in s.lines()
    assert not watch(side(a="error"), doc(a="ok")).regression


def test_webhook_url_is_masked_everywhere() -> None:
    url = f"https://user:pw@hooks.example:8443/services/{SECRET}?token=abc"
    assert mask_url(url) == "https://hooks.example:8443/***"
    with pytest.raises(ValueError) as err:
        check_webhook(f"ftp://hooks.example/{SECRET}")
    assert SECRET not in str(err.value)


def test_bodies_slack_and_json() -> None:
    s = watch(side(a="ok"), doc(a="error"))
    body = message(s, {"status": "fail", "findings": 1}, "/tmp/out/report.html")
    slack = json.loads(payload(body, "slack"))
    assert list(slack) == ["text"]
    assert "regression since before: 1 regressed" in slack["text"]
    assert "• regressed: /a (ok → error)" in slack["text"]
    generic = json.loads(payload(body, "json"))
    assert generic["event"] == "regression" and generic["counts"]["regressed"] == 1
    assert generic["regressed"] == [{"url": "/a", "before": "ok", "after": "error"}]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_send_retries_then_gives_up_without_raising() -> None:
    waits: list[float] = []
    with RawServer(default=respond(503)) as hook:
        got = send(
            hook.url(f"/{SECRET}"), b"{}", timeout=2, attempts=3, backoff=0.5, sleep=waits.append
        )
        assert len(hook.hits()) == 3
    assert (got.ok, got.attempts, waits) == (False, 3, [0.5, 1.0])
    assert SECRET not in got.detail and "answered 503" in got.detail
    refused = send(
        f"http://127.0.0.1:{closed_port()}/{SECRET}", b"{}", attempts=2, sleep=waits.append
    )
    assert not refused.ok and SECRET not in refused.detail and "refused" in refused.detail
    with RawServer(default=respond(404)) as hook:  # a 4xx is not retried
        assert send(hook.url("/x"), b"{}", attempts=3, sleep=waits.append).attempts == 1


# --- two runs on a site changed in between ---------------------------------------------------


def audit(out: Path, urls: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    args = [
        sys.executable,
        "-m",
        "migrationaudit.cli",
        "audit",
        "--urls",
        str(urls),
        "--out",
        str(out),
        "--timeout",
        "3",
        "--retries",
        "0",
        "--format",
        "json",
        "--format",
        "html",
        *extra,
    ]
    return subprocess.run(args, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("watch")
    with RawServer(default=NOT_FOUND) as site, RawServer(default=respond(200)) as hook:
        for path in ("/a-new", "/b-new", "/c-new"):
            site.route(path, page())
        site.route("/a", redirect(site.url("/a-new")))
        site.route("/b", NOT_FOUND)
        site.route("/c", redirect(site.url("/c-new")))
        urls = tmp / "urls.txt"
        urls.write_text("".join(site.url(p) + "\n" for p in ("/a", "/b", "/c", "/d")))
        first = audit(tmp / "run1", urls)
        # The site changes: /a breaks, /b gets its redirect; /e joins the list, broken.
        site.route("/a", NOT_FOUND)
        site.route("/b", redirect(site.url("/b-new")))
        urls.write_text(urls.read_text() + site.url("/e") + "\n")
        second = audit(
            tmp / "run2",
            urls,
            "--compare-to",
            str(tmp / "run1"),
            "--notify",
            hook.url(f"/hook/{SECRET}"),
        )
        posts = [r for r in hook.hits() if r.method == "POST"]
        with RawServer(default=respond(500)) as failing:
            third = audit(
                tmp / "run3",
                urls,
                "--compare-to",
                str(tmp / "run1"),
                "--notify",
                failing.url(f"/hook/{SECRET}"),
                "--notify-format",
                "json",
            )
            failing_posts = len(failing.hits())
        fourth = audit(
            tmp / "run4",
            urls,
            "--compare-to",
            str(tmp / "run1"),
            "--notify",
            f"http://127.0.0.1:{closed_port()}/hook/{SECRET}",
        )
        base = site.base()
    return tmp, base, first, second, posts, third, failing_posts, fourth


def test_second_run_leads_with_what_changed(two_runs) -> None:  # type: ignore[no-untyped-def]
    tmp, base, first, second, *_ = two_runs
    assert first.returncode in (0, 1), first.stderr
    assert second.returncode in (0, 1), second.stderr
    lines = second.stderr.splitlines()
    head = [ln for ln in lines if ln.startswith("watch: since")]
    assert head and "1 regressed, 1 fixed, 1 new, 1 still failing" in head[0], second.stderr
    summary = [i for i, ln in enumerate(lines) if not ln.startswith(("watch:", "progress:"))]
    assert lines.index(head[0]) < min(summary)  # the changes lead the summary
    assert f"watch:   regressed: {base}/a (ok → error)" in lines
    assert f"watch:   fixed: {base}/b (error → ok)" in lines
    assert f"watch:   new: {base}/e (not audited → error)" in lines
    info = json.loads((tmp / "run2" / "findings.json").read_text())["run"]["watch"]
    assert json.loads((tmp / "run2" / "run" / "run.json").read_text())["watch"] == info
    assert [r["url"] for r in info["regressed"]] == [f"{base}/a"]
    assert [r["url"] for r in info["fixed"]] == [f"{base}/b"]
    assert [r["url"] for r in info["still_failing"]] == [f"{base}/d"]
    html = (tmp / "run2" / "report.html").read_text()
    assert 'id="watch"' in html and html.index('id="watch"') < html.index('id="summary"')
    assert (tmp / "run2" / "diff.html").is_file() and (tmp / "run2" / "diff.md").is_file()


def test_the_receiver_records_one_slack_message(two_runs) -> None:  # type: ignore[no-untyped-def]
    _, base, _, second, posts, *_ = two_runs
    assert len(posts) == 1
    body = json.loads(posts[0].body)
    assert list(body) == ["text"]
    assert f"• regressed: {base}/a (ok → error)" in body["text"]
    assert "notify: sent (" in second.stderr
    assert SECRET not in second.stderr


def test_a_failing_webhook_never_changes_the_exit_code(two_runs) -> None:  # type: ignore[no-untyped-def]
    _, _, _, second, _, third, failing_posts, fourth = two_runs
    assert failing_posts == 3  # retried
    for run in (third, fourth):
        assert run.returncode == second.returncode, run.stderr
        assert "notify: not sent after" in run.stderr
        assert SECRET not in run.stderr
    assert "answered 500" in third.stderr


def test_redirects_stay_a_year_after_launch() -> None:
    from datetime import UTC, date, datetime

    from migrationaudit.launch import keep_until, launch_info

    assert keep_until(date(2028, 2, 29)) == date(2029, 2, 28)
    assert launch_info(datetime(2026, 11, 2, tzinfo=UTC)) == {
        "date": "2026-11-02",
        "keep_redirects_until": "2027-11-02",
    }


def test_slack_text_cannot_ping_or_hide_text() -> None:
    s = watch(side(**{"x": "ok"}), doc(**{"x": "error"}))
    body = message(s, {}, "r.html")
    body["regressed"] = [
        {"url": "/<!channel>&\u202eexe.pdf\x1b[31m", "before": "ok", "after": "error"}
    ]
    text = json.loads(payload(body, "slack"))["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt;&amp;" in text
    assert "\u202e" not in text and "\\u202E" in text and "\x1b" not in text

"""report.html as markup: self-contained, escaped, every section there (parsed with lxml).

The same page is opened in headless Chromium in test_browser.py (tables, filters, 100,000 rows)."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import replace
from typing import Any

import pytest
from audit_fixture import (
    BIDI_URL,
    FORMULA_TITLE,
    FORMULA_URL,
    HOSTILE_MESSAGE,
    NEW,
    OLD,
    SCRIPT_URL,
)
from jinja2 import nodes
from lxml import html as lxml_html

from migrationaudit.models.hops import Hop, HopKind
from migrationaudit.models.inputs import LinkValue
from migrationaudit.models.result import AuditResult
from migrationaudit.models.runinfo import RunInfo
from migrationaudit.reports import html
from migrationaudit.reports.common import safe_href
from migrationaudit.reports.htmldata import value_label
from migrationaudit.reports.htmlpaths import curl_command

REL = "noopener noreferrer nofollow"


@pytest.fixture
def page(audit_result: AuditResult) -> str:
    return html.render(audit_result)


def tree(text: str) -> Any:
    return lxml_html.document_fromstring(text)


def cells(row: Any) -> list[str]:
    return [" ".join(c.text_content().split()) for c in row.xpath("th|td")]


def embedded(page_text: str) -> dict[str, Any]:
    (node,) = tree(page_text).xpath('//script[@id="report-data"]')
    data: dict[str, Any] = json.loads(node.text)
    return data


def test_autoescape_is_on_for_the_template() -> None:
    env = html.environment()
    assert callable(env.autoescape)
    assert env.autoescape("report.html.j2") is True
    assert env.get_template(html.TEMPLATE).render  # loads through PackageLoader


def test_static_includes_hold_no_template_syntax() -> None:
    env = html.environment()
    for name in ("report.css", "report.js"):
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        body = env.parse(source).body
        # nothing but literal text: Jinja passes the file through unchanged
        assert all(isinstance(n, nodes.Output) for n in body)
        assert all(isinstance(c, nodes.TemplateData) for n in body for c in n.nodes)
        assert "</script" not in source.lower() and "</style" not in source.lower()
    js = env.loader.get_source(env, "report.js")[0]  # type: ignore[union-attr]
    # data reaches the DOM as text only
    assert "innerHTML" not in js and "eval(" not in js and "insertAdjacentHTML" not in js
    assert "fetch(" not in js and "XMLHttpRequest" not in js


def test_self_contained_with_csp(page: str) -> None:
    doc = tree(page)
    (csp,) = doc.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    for part in (
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "script-src 'unsafe-inline'",
        "img-src data:",
    ):
        assert part in csp
    assert doc.xpath("//link | //img | //iframe | //object | //embed | //base | //form") == []
    assert doc.xpath("//@src") == []
    scripts = doc.xpath("//script")
    assert [s.get("type") for s in scripts] == ["application/json", None]
    assert "@import" not in page and "url(" not in page and "fetch(" not in page


def test_data_is_embedded_once_and_cannot_close_its_element(page: str) -> None:
    (raw,) = re.findall(
        r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S
    )
    assert "<" not in raw and ">" not in raw and "&" not in raw
    data = json.loads(raw)
    assert SCRIPT_URL in data["s"]  # the hostile URL is data, escaped as \u003c
    assert len(data["V"]) == 14 and len(data["F"]) == 15
    assert data["fields"]["V"][0] == "url" and data["fields"]["F"][0] == "rule"
    # a string is flagged as an href only when it is a vetted http(s) URL shown as is
    for text, flag in zip(data["s"], data["h"], strict=True):
        assert flag == ("1" if safe_href(text) == text else "0"), text
    assert page.count(f"{OLD}/partial --301") == 0  # paths are drawn, never pre-joined text


def test_links_are_only_safe_http_and_anchors(page: str) -> None:
    doc = tree(page)
    for a in doc.xpath("//a"):
        href = a.get("href")
        assert href is not None
        if href.startswith("#"):
            assert doc.xpath(f'//*[@id="{href[1:]}"]'), href
            continue
        assert safe_href(href) == href
        assert a.get("rel") == REL
    assert not [h for h in doc.xpath("//@href") if "javascript" in h.lower()]
    # on* handlers never appear as attributes
    assert not [el for el in doc.iter() if any(k.lower().startswith("on") for k in el.attrib)]


def test_hostile_strings_are_text(page: str) -> None:
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "<b>of</b>" not in page and "<b>really</b>" not in page
    doc = tree(page)
    text = doc.text_content()
    assert SCRIPT_URL in text
    assert HOSTILE_MESSAGE in text
    assert FORMULA_URL in text
    assert "<script>alert(5)</script> remove the script URL" in text
    assert "urls<script>.txt" in text
    assert "Search engines drop the signals <b>of</b> the old URL" in text
    assert "disabled by configuration <b>really</b>" in text
    # the javascript: URL shows as plain text, never as a link
    assert "javascript:alert(1)" in text
    assert not doc.xpath('//a[contains(., "javascript:")]')
    assert FORMULA_TITLE not in text  # page titles are not part of the report tables


def test_controls_stripped_and_bidi_made_visible(page: str) -> None:
    assert "\u202e" not in page
    assert "\x00" not in page and "\x1b" not in page
    text = tree(page).text_content()
    assert BIDI_URL.replace("\u202e", "\\u202E") in text


def test_gate_and_summary_numbers(page: str) -> None:
    doc = tree(page)
    gate = doc.get_element_by_id("gate")
    assert "gate-fail" in gate.get("class")
    assert " ".join(gate.text_content().split()) == "FAIL — 8 findings at or above error."
    assert doc.get_element_by_id("total-urls").text_content() == "14"
    assert doc.get_element_by_id("total-findings").text_content() == "15"
    verdicts = {
        td.get("data-verdict-count"): int(td.text_content())
        for td in doc.xpath("//td[@data-verdict-count]")
    }
    assert verdicts == {"ok": 2, "notice": 1, "warning": 2, "error": 8, "incomplete": 1}
    severities = {
        td.get("data-severity-count"): int(td.text_content())
        for td in doc.xpath("//td[@data-severity-count]")
    }
    assert severities == {"error": 8, "warning": 6, "notice": 1}
    assert "Partial run" in doc.text_content()


def test_charts_are_inline_svg_with_the_numbers(page: str) -> None:
    doc = tree(page)
    figures = {f.get("id"): f for f in doc.xpath("//figure[@class='chart']")}
    assert list(figures) == ["chart-rules", "chart-hops", "chart-status", "chart-funnels"]
    rules = figures["chart-rules"]
    labels = [t.text_content() for t in rules.xpath(".//a/*[local-name()='text']")]
    assert labels[0].startswith("broken-target")  # most findings first
    assert len(labels) == 14
    assert rules.xpath(".//a/@href")[0] == "#rule-broken-target"
    desc = rules.xpath(".//*[local-name()='desc']")[0].text_content()
    assert "broken-target: 2" in desc and "query-dropped: 1" in desc
    hops = figures["chart-hops"].xpath(".//*[local-name()='desc']")[0].text_content()
    # /ok, /q (1 hop), /meta (1), /chain (3), loop, hop limit; /missing and the bidi URL 0 hops
    assert hops == "0: 2; 1: 7; 2: 0; 3: 1; 4: 0; 5+: 0; loop: 1; limit: 1"
    status = figures["chart-status"].xpath(".//*[local-name()='desc']")[0].text_content()
    assert "200: 7" in status and "404: 1" in status and "loop: 1" in status
    assert "network-error: 2" in status and "not-fetched: 2" in status
    # no page gets two or more legacy URLs in the fixture: the funnel chart says so
    assert "No page receives two or more" in figures["chart-funnels"].text_content()
    for svg in doc.xpath("//*[local-name()='svg']"):
        assert svg.get("role") == "img" and svg.get("aria-labelledby")


def test_failures_first_ranked_by_severity_without_priority(page: str) -> None:
    doc = tree(page)
    assert doc.get_element_by_id("failures-h").text_content().startswith("Failures to fix first")
    rows = doc.xpath('//table[@id="failure-table"]/tbody/tr')
    assert [r.get("data-verdict") for r in rows] == ["error"] * 8 + ["warning"] * 2
    assert cells(rows[0])[:2] == ["1", f"{OLD}/loop"]  # errors in input order
    curl = rows[0].xpath('.//code[@class="cmd"]')[0].text_content()
    assert shlex.split(curl)[-1] == f"{OLD}/loop"


def test_one_section_per_fired_rule_with_triage(page: str, audit_result: AuditResult) -> None:
    doc = tree(page)
    sections = doc.xpath("//section[@data-section]")
    fired = audit_result.counts_by_rule()
    assert {s.get("id") for s in sections} == {f"rule-{r}" for r in fired}
    # errors before warnings before notices
    ids = [s.get("id") for s in sections]
    assert ids.index("rule-redirect-loop") < ids.index("rule-meta-refresh")
    assert ids[-1] == "rule-query-dropped"
    loop = doc.get_element_by_id("rule-redirect-loop")
    heading = " ".join(loop.xpath("h3")[0].text_content().split())
    assert heading == "error Redirects that end broken redirect-loop (1 finding)".replace(
        "Redirects that end broken", "Redirect loops"
    )
    triage = loop.xpath('div[contains(@class, "triage")]')[0]
    assert triage.xpath("p/strong")[0].text_content() == "Migration plumbing → one hop"
    assert [dt.text_content() for dt in triage.xpath(".//dt")] == [
        "Symptom",
        "What it costs",
        "Action",
    ]
    assert "301/308" in triage.text_content()
    broken = doc.get_element_by_id("rule-broken-target").xpath('div[contains(@class,"triage")]')
    assert "Rot → replace" in broken[0].text_content()
    docs = [p.text_content() for p in loop.xpath('p[@class="doc"]')]
    assert docs[0] == (
        "Detects redirect-loop (symptom) via <link rel=canonical>. Search engines drop the "
        "signals <b>of</b> the old URL: rankings and links are lost."
    )
    assert docs[1].startswith("Fix: ")
    (example,) = loop.xpath(".//ul[@class='examples']/li")
    text = " ".join(example.text_content().split())
    assert f"{OLD}/loop --301--> {OLD}/loop-b --302--> {OLD}/loop [loop]" in text
    assert "the chain returns to http://old.example/loop" in text
    button = loop.xpath(".//button[@class='show-rule']")[0]
    assert button.get("hidden") is not None  # only report.js can make it work


def test_chain_badges_and_host_changes(page: str) -> None:
    doc = tree(page)
    section = doc.get_element_by_id("rule-redirect-chain")
    path = section.xpath('.//span[@class="path"]')[0]
    badges = [(b.get("class"), b.text_content()) for b in path.xpath(".//b")]
    assert badges == [
        ("badge s3", "301"),
        ("badge s3", "302"),
        ("badge hostchg", "new host"),
        ("badge s3", "301"),
        ("badge end s2", "[200]"),
    ]
    text = " ".join(path.text_content().split())
    assert text == (
        f"{OLD}/chain --301--> https://old.example/chain --302new host--> {NEW}/chain "
        f"--301--> {NEW}/chain/ [200]"
    )
    meta = doc.get_element_by_id("rule-meta-refresh").xpath('.//span[@class="path"]')[0]
    assert "--metanew host-->" in " ".join(meta.text_content().split())
    dead = doc.get_element_by_id("rule-broken-target").xpath('.//b[contains(@class, "serr")]')
    assert [b.text_content() for b in dead] == [
        "[unsupported URL scheme 'javascript']",
        "[ConnectionRefusedError: Connection refused]",
    ]


def test_findings_table_first_page(page: str, audit_result: AuditResult) -> None:
    doc = tree(page)
    rows = doc.xpath('//table[@id="findings-table"]/tbody/tr')
    assert len(rows) == 15
    assert [r.get("data-severity") for r in rows] == [
        f.severity.label for f in audit_result.findings
    ]
    loop = next(r for r in rows if f"{OLD}/loop" == cells(r)[2])
    got = cells(loop)
    assert got[:3] == ["error", "redirect-loop", f"{OLD}/loop"]
    assert got[3] == f"{OLD}/loop --301--> {OLD}/loop-b --302--> {OLD}/loop [loop]"
    assert got[4] == "the chain returns to http://old.example/loop"
    assert got[6] == "map.csv:4"
    assert loop.xpath("th")[0].get("scope") == "row"
    headers = doc.xpath('//table[@id="findings-table"]/thead//th')
    assert all(h.get("scope") == "col" for h in headers)
    assert doc.xpath('//table[@id="findings-table"]/caption')


def test_skipped_rules_and_verdict_table(page: str, audit_result: AuditResult) -> None:
    doc = tree(page)
    skipped = doc.xpath('//table[@id="skipped-rules"]/tbody/tr')
    assert [" | ".join(td.text_content() for td in tr.xpath("td")) for tr in skipped] == [
        "status-mismatch | First hop status differs from the map "
        "| no expected_status column in the map",
        "many-to-one | Many legacy URLs funnelled into one page "
        "| disabled by configuration <b>really</b>",
    ]
    rows = doc.xpath('//table[@id="verdict-table"]/tbody/tr')
    assert len(rows) == len(audit_result.verdicts)
    assert [r.get("data-verdict") for r in rows] == [v.verdict for v in audit_result.verdicts]
    partial = cells(rows[8])
    assert partial[0] == f"{OLD}/partial"
    assert partial[2] == f"{OLD}/partial --301new host--> {NEW}/partial [not fetched]"
    map_only = cells(rows[-1])
    assert map_only[1] == "error" and map_only[2] == "incomplete"
    assert rows[-1].xpath('.//a[@href="#rule-map-self"]')


def test_new_site_columns_follow_indexable(audit_result: AuditResult) -> None:
    first, second, *rest = audit_result.verdicts
    result = replace(
        audit_result,
        verdicts=(
            replace(first, self_canonical=True, in_sitemap=False, robots_allowed=None),
            replace(second, self_canonical=False, in_sitemap=None, robots_allowed=True),
            *rest,
        ),
    )
    text = html.render(result)
    doc = tree(text)
    heads = doc.xpath('//table[@id="verdict-table"]/thead//th')
    names = [h.text_content() for h in heads]
    at = names.index("Indexable")
    assert names[at + 1 : at + 4] == ["Self-canonical", "In new sitemap", "Robots allowed"]
    assert [h.get("data-col") for h in heads[at + 1 : at + 4]] == [
        "self_canonical",
        "in_sitemap",
        "robots_allowed",
    ]
    rows = doc.xpath('//table[@id="verdict-table"]/tbody/tr')
    assert cells(rows[0])[at + 1 : at + 4] == ["yes", "no", ""]
    assert cells(rows[1])[at + 1 : at + 4] == ["no", "", "yes"]
    assert cells(rows[2])[at + 1 : at + 4] == ["", "", ""]  # unknown stays blank
    # the embedded rows carry the same tri-states (1 yes, 0 no, -1 unknown) for report.js
    data = embedded(text)
    fields = data["fields"]["V"]
    assert fields[fields.index("indexable") + 1 : fields.index("indexable") + 4] == [
        "self_canonical",
        "in_sitemap",
        "robots_allowed",
    ]
    pick = [fields.index(n) for n in ("self_canonical", "in_sitemap", "robots_allowed")]
    assert [[row[i] for i in pick] for row in data["V"][:3]] == [[1, 0, -1], [0, -1, 1], [-1] * 3]


def test_plain_data_context(audit_result: AuditResult) -> None:
    def check(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                assert type(k) is str
                check(v)
        elif isinstance(value, list):
            for v in value:
                check(v)
        else:
            assert value is None or type(value) in (str, int, float, bool), repr(value)

    data = html.context(audit_result)
    data.pop("data_json")  # Markup: already-escaped JSON text
    check(data)


def test_deterministic(audit_result: AuditResult) -> None:
    assert html.render(audit_result) == html.render(audit_result)


def test_passing_and_empty_pages(clean_result: AuditResult, empty_result: AuditResult) -> None:
    clean = tree(html.render(clean_result))
    assert "gate-pass" in clean.get_element_by_id("gate").get("class")
    assert "Partial run" not in clean.text_content()
    assert "No legacy URL has an error or a warning" in clean.text_content()
    empty = tree(html.render(empty_result)).text_content()
    assert "No findings" in empty and "No legacy URL was audited" in empty
    assert "Every rule ran." in empty and "Nothing was audited." in empty


def test_controls_are_hidden_without_js(page: str) -> None:
    doc = tree(page)
    for node in doc.xpath("//*[@data-toolbar] | //*[@data-pager]"):
        assert node.get("hidden") is not None


def test_anchor_ids_are_safe() -> None:
    assert html.anchor('x"><script>') == "rule-x___script_"
    assert re.fullmatch(r"rule-[a-z0-9-]+", html.anchor("redirect-loop"))


def test_doc_view_code_and_labels() -> None:
    assert html.doc_view("Fix: use ``<link rel=canonical>`` or `x`.") == {
        "label": "Fix",
        "parts": [
            {"text": "use ", "code": False},
            {"text": "<link rel=canonical>", "code": True},
            {"text": " or ", "code": False},
            {"text": "x", "code": True},
            {"text": ".", "code": False},
        ],
    }
    assert html.doc_view("plain") == {"label": None, "parts": [{"text": "plain", "code": False}]}


def test_run_details_list_other_keys(page: str) -> None:
    doc = tree(page)
    rows = {
        tr.xpath("th")[0].text_content(): tr.xpath("td")[0].text_content()
        for tr in doc.xpath('//details[@class="options"]//tr')
    }
    assert rows["max_hops"] == "10"
    assert rows["user_agent"] == "migrationaudit/0.1.0"
    assert rows["crawl"] == '{"complete": false, "fetched": 20}'
    assert rows["python"] == "3.11.7"
    assert "inputs" not in rows and "partial" not in rows


def test_big_tables_render_one_page_and_point_to_the_files(audit_result: AuditResult) -> None:
    data = html.context(audit_result, page_size=3)
    doc = tree(html.environment().get_template(html.TEMPLATE).render(data))
    assert len(doc.xpath('//table[@id="verdict-table"]/tbody/tr')) == 3
    assert len(doc.xpath('//table[@id="findings-table"]/tbody/tr')) == 3
    notes = [
        " ".join(n.text_content().split()) for n in doc.xpath('//p[contains(@class, "nojs-note")]')
    ]
    assert "Showing the first 3 of 14 legacy URLs; all of them are in verdicts.csv" in " ".join(
        notes
    )
    assert "Showing the first 3 of 15 findings" in " ".join(notes)
    # the summary and the embedded data still hold everything
    assert doc.get_element_by_id("total-urls").text_content() == "14"
    assert len(embedded(html.environment().get_template(html.TEMPLATE).render(data))["V"]) == 14


def test_the_corrected_map_section(audit_result: AuditResult) -> None:
    doc = tree(html.render(audit_result))
    text = " ".join(doc.get_element_by_id("fixes").text_content().split())
    # /ok (1 hop) and /chain (3 hops) get a fix; /meta lands well too; /q, /noindex, /wrong...
    assert re.search(r"\d+ legacy URLs get one 301", text)
    review = doc.xpath('//table[@id="review-table"]/tbody/tr')
    reasons = {cells(r)[0]: cells(r)[1] for r in review}
    assert reasons[f"{OLD}/loop"] == "loop"
    assert reasons[f"{OLD}/far"] == "hop-limit"
    assert reasons[f"{OLD}/dead"] == "broken"


def test_priority_ranks_the_failures_and_shows_the_value(audit_result: AuditResult) -> None:
    worth = {
        f"{OLD}/missing": LinkValue(referring_domains=40, clicks=1200),
        f"{OLD}/chain": LinkValue(referring_domains=3, traffic=9),
        f"{OLD}/ok": LinkValue(backlinks=1),
    }
    ranked = sorted(
        audit_result.verdicts,
        key=lambda v: worth[v.url].rank_key if v.url in worth else (0,),
        reverse=True,
    )
    result = replace(
        audit_result, verdicts=tuple(replace(v, value=worth.get(v.url)) for v in ranked)
    )
    doc = tree(html.render(result))
    assert (
        doc.get_element_by_id("failures-h")
        .text_content()
        .startswith("The failures that cost the most")
    )
    rows = doc.xpath('//table[@id="failure-table"]/tbody/tr')
    assert cells(rows[0])[:4] == ["1", f"{OLD}/missing", "40 ref. domains · 1,200 clicks", "error"]
    assert cells(rows[1])[:4] == ["2", f"{OLD}/chain", "3 ref. domains · 9 visits", "warning"]
    headers = [h.text_content() for h in doc.xpath('//table[@id="verdict-table"]/thead//th')]
    assert headers[:3] == ["Legacy URL", "Links and clicks", "Verdict"]
    assert value_label([None, 1, None, None, None]) == "1 backlink"
    assert value_label([1, None, 1, None, None]) == "1 ref. domain · 1 click"


def test_curl_command_reproduces_with_connect_to() -> None:
    hops = (Hop(f"{OLD}/a b", 301, HopKind.HTTP_REDIRECT, "x", "https://new.example/x"),)
    run = RunInfo.from_dict(
        {
            "options": {"max_hops": 7, "user_agent": "ua 'quoted' $(x)"},
            "connect_to": [
                "old.example:80:127.0.0.1:8080",
                "new.example:443:10.0.0.1",
                "other.example:443:127.0.0.1",
                "v6.example:443:::1",
            ],
        }
    )
    cmd = curl_command(f"{OLD}/a b;$(rm -rf /)", hops, run)
    args = shlex.split(cmd)
    assert args[:9] == ["curl", "-sS", "-o", "/dev/null", "-D", "-", "-L", "--max-redirs", "7"]
    assert args[9:11] == ["-A", "ua 'quoted' $(x)"]
    assert args[11:15] == [
        "--connect-to",
        "old.example:80:127.0.0.1:8080",
        "--resolve",
        "new.example:443:10.0.0.1",
    ]
    assert args[-1] == f"{OLD}/a%20b;$(rm%20-rf%20/)"  # the wire form, one quoted argument
    assert "other.example" not in cmd  # only hosts on the chain
    v6 = curl_command("https://v6.example/", (), run)
    assert shlex.split(v6)[-3:-1] == ["--resolve", "v6.example:443:::1"]

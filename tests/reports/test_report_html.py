"""report.html as markup: self-contained, escaped, every section there (parsed with lxml).

The same page is opened in headless Chromium in test_browser.py."""

from __future__ import annotations

import re
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
from migrationaudit.reports import html
from migrationaudit.reports.common import safe_href

from migrationaudit.models import AuditResult

REL = "noopener noreferrer nofollow"


@pytest.fixture
def page(audit_result: AuditResult) -> str:
    return html.render(audit_result)


def tree(text: str) -> Any:
    return lxml_html.document_fromstring(text)


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
    assert len(scripts) == 1 and scripts[0].get("type") is None
    assert "@import" not in page and "url(" not in page and "fetch(" not in page


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
    assert FORMULA_TITLE not in text  # page titles are not part of the report table


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
    rules = doc.xpath('//table[@id="rule-counts"]//th/a')
    assert rules[0].text_content() == "broken-target"  # most findings first
    assert len(rules) == 14
    assert "Partial run" in doc.text_content()


def test_one_section_per_fired_rule(page: str, audit_result: AuditResult) -> None:
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
    assert heading == "error Redirect loops redirect-loop (1 finding)"
    docs = [p.text_content() for p in loop.xpath('p[@class="doc"]')]
    expected = (
        "Detects redirect-loop (symptom) via <link rel=canonical>. "
        "Search engines drop the signals <b>of</b> "
        "the old URL: rankings and links are lost."
    )
    assert docs[0] == expected
    assert docs[1].startswith("Fix: ")
    assert [c.text_content() for c in loop.xpath('p[@class="doc"]/code')] == [
        "<link rel=canonical>"
    ]
    assert [b.text_content() for b in loop.xpath('p[@class="doc"]/strong')] == ["Fix:"]
    (row,) = loop.xpath(".//tbody/tr")
    cells = [" ".join(td.text_content().split()) for td in row.xpath("td")]
    assert cells[0] == f"{OLD}/loop"
    assert cells[1] == f"{OLD}/loop --301--> {OLD}/loop-b --302--> {OLD}/loop [loop]"
    assert cells[4] == "the chain returns to http://old.example/loop"
    assert cells[6] == "map.csv:4"
    assert len(doc.get_element_by_id("rule-broken-target").xpath(".//tbody/tr")) == 2


def test_chain_badges(page: str) -> None:
    doc = tree(page)
    section = doc.get_element_by_id("rule-redirect-chain")
    path = section.xpath('.//span[@class="path"]')[0]
    badges = [(b.get("class"), b.text_content()) for b in path.xpath(".//b")]
    assert badges == [
        ("badge s3", "301"),
        ("badge s3", "302"),
        ("badge s3", "301"),
        ("badge end s2", "[200]"),
    ]
    text = " ".join(path.text_content().split())
    assert text == (
        f"{OLD}/chain --301--> https://old.example/chain --302--> {NEW}/chain "
        f"--301--> {NEW}/chain/ [200]"
    )
    meta = doc.get_element_by_id("rule-meta-refresh").xpath('.//span[@class="path"]')[0]
    assert "--meta-->" in " ".join(meta.text_content().split())
    dead = doc.get_element_by_id("rule-broken-target").xpath('.//b[contains(@class, "serr")]')
    assert [b.text_content() for b in dead] == [
        "[unsupported URL scheme 'javascript']",
        "[ConnectionRefusedError: Connection refused]",
    ]


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
    partial = rows[8]
    cells = [" ".join(td.text_content().split()) for td in partial.xpath("td")]
    assert cells[0] == f"{OLD}/partial"
    assert cells[2] == f"{OLD}/partial --301--> {NEW}/partial [not fetched]"
    map_only = [" ".join(td.text_content().split()) for td in rows[-1].xpath("td")]
    assert map_only[1] == "error" and map_only[2] == "incomplete"
    assert rows[-1].xpath('.//a[@href="#rule-map-self"]')


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

    check(html.context(audit_result))


def test_deterministic(audit_result: AuditResult) -> None:
    assert html.render(audit_result) == html.render(audit_result)


def test_passing_and_empty_pages(clean_result: AuditResult, empty_result: AuditResult) -> None:
    clean = tree(html.render(clean_result))
    assert "gate-pass" in clean.get_element_by_id("gate").get("class")
    assert "Partial run" not in clean.text_content()
    empty = tree(html.render(empty_result)).text_content()
    assert "No findings" in empty and "No legacy URL was audited" in empty
    assert "Every rule ran." in empty


def test_controls_are_hidden_without_js(page: str) -> None:
    controls = tree(page).get_element_by_id("controls")
    assert controls.get("hidden") is not None


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


def test_big_tables_are_cut_with_a_pointer_to_the_files(audit_result: AuditResult) -> None:
    from migrationaudit.reports.html import environment

    data = html.context(audit_result, max_rule_rows=1, max_verdict_rows=3)
    doc = tree(environment().get_template(html.TEMPLATE).render(data))
    broken = doc.get_element_by_id("rule-broken-target")
    assert len(broken.xpath(".//tbody/tr")) == 1
    note = " ".join(broken.xpath('p[@class="truncated"]')[0].text_content().split())
    assert note.startswith("Showing the first 1 of 2 findings of this rule;")
    rows = doc.xpath('//table[@id="verdict-table"]/tbody/tr')
    # flagged URLs first (the first one, /ok, is ok and left out), in input order
    assert [r.get("data-verdict") for r in rows] == ["warning", "error", "error"]
    assert f"{OLD}/chain" in rows[0].text_content()
    (note,) = doc.xpath('//section[@id="verdicts"]/p[@class="truncated"]')
    assert "Showing 3 of 14 legacy URLs" in note.text_content()
    assert "11 more" in note.text_content()
    # the summary still counts everything
    assert doc.get_element_by_id("total-urls").text_content() == "14"


def test_no_cut_note_under_the_limits(page: str) -> None:
    assert 'class="truncated"' not in page

"""Page text facts and their similarities, on hand-built pages and texts."""

from __future__ import annotations

from scrapy.http import HtmlResponse, Request

from migrationaudit.models.hops import PageFacts
from migrationaudit.models.inputs import LegacyURL
from migrationaudit.parity.probes import MAX_PROBE_DIRS, probe_scopes, probe_urls
from migrationaudit.parity.text import read_body, string_similarity, text_similarity
from migrationaudit.settings import SiteOptions
from migrationaudit.spiders.extract import PAGE_TEXT_META, page_facts

from .site import text

HTML = """<!doctype html><html lang="de-AT"><head><title>Lampe</title>
<meta name="Description" content="  Eine   Lampe. ">
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
 {"@type": "https://schema.org/Product", "offers": {"@type": "Offer"}},
 {"@type": ["BreadcrumbList", "Thing"]}]}</script>
<script type="application/ld+json">{not json</script></head>
<body><h1>Messing <em>Lampe</em></h1><h1></h1><p>Eins zwei drei vier.</p>
<script>var hidden = "words in a script are no text";</script>
<a href="/a">a</a><a href="#top">top</a><a href="mailto:x@y">m</a><a href="https://x/">x</a>
</body></html>"""


def test_body_facts_are_read_from_the_whole_page() -> None:
    facts = read_body(HTML)
    assert facts["h1"] == ("Messing Lampe",)
    assert facts["description"] == "Eine Lampe."
    assert facts["lang"] == "de-AT"
    assert facts["jsonld_types"] == ("Product", "Offer", "BreadcrumbList", "Thing")
    assert facts["word_count"] == 2 + 4  # the H1 and the paragraph; not the script
    assert facts["link_count"] == 2  # not the fragment, not the mailto:
    assert len(facts["fingerprint"]) == 32


def test_junk_is_a_page_without_facts() -> None:
    assert read_body("") == {}
    assert read_body("<html><body></body></html>")["word_count"] == 0


def test_page_facts_read_the_body_only_when_the_request_asks() -> None:
    def facts(meta: dict[str, object]) -> PageFacts:
        response = HtmlResponse(
            "http://o.test/", body=HTML.encode(), headers={"Content-Type": "text/html"},
            request=Request("http://o.test/", meta=meta),
        )
        return page_facts(response, "http://o.test/")

    plain, full = facts({}), facts({PAGE_TEXT_META: True})
    assert plain.h1 == () and plain.fingerprint is None and plain.title == "Lampe"
    assert "h1" not in plain.to_dict()  # a plain audit's records keep their shape
    assert full.h1 == ("Messing Lampe",) and full.word_count == 6
    assert PageFacts.from_dict(full.to_dict()) == full


def test_text_similarity_tells_the_same_text_from_another() -> None:
    base = read_body(f"<p>{text(1, 400)}</p>")["fingerprint"]
    same = read_body(f"<p>{text(1, 400)}</p>")["fingerprint"]
    other = read_body(f"<p>{text(2, 400)}</p>")["fingerprint"]
    longer = read_body(f"<p>{text(1, 400)} {text(3, 200)}</p>")["fingerprint"]
    assert text_similarity(base, same) == 1.0
    assert text_similarity(base, other) < 0.65  # unrelated texts: about 0.5
    assert text_similarity(base, longer) > 0.7  # half as much again: about 0.8
    assert text_similarity(base, None) is None


def test_string_similarity_forgives_order_and_a_site_name() -> None:
    assert string_similarity("Blue Lamp | Old Shop", "Lamp, Blue - New Shop") > 0.6
    assert string_similarity("Blue Lamp", "Garden Benches") < 0.4
    assert string_similarity("Blue Lamp", None) == 0.0


def test_probe_scopes_are_hosts_then_the_busiest_directories() -> None:
    legacy = [LegacyURL(url=f"http://o.test/d{i % 30}/p{i}", origin=None) for i in range(300)]
    legacy.append(LegacyURL(url="http://o.test/d0/more", origin=None))
    scopes = probe_scopes(legacy, (), SiteOptions(crawl=("https://n.test/start",)))
    assert scopes[:2] == ["http://o.test/", "https://n.test/"]
    assert scopes[2] == "http://o.test/d0/"  # the most URLs first
    assert len(scopes) == 2 + MAX_PROBE_DIRS
    urls = probe_urls(scopes[:1])
    assert len(urls) == 2 and urls[0][1] != urls[1][1]
    assert all(u.startswith("http://o.test/migrationaudit-probe-") for _, u in urls)

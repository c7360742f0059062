"""A page's body facts (H1s, meta description, ``lang``, JSON-LD ``@type``s, word and link
counts) and a compact fingerprint of its text, with the similarities the parity rules use.

The fingerprint is a 128-bit simhash (Charikar) of the page's word 3-shingles: 32 hex digits
per page whatever its size, and ``1 - hamming / 128`` estimates ``1 - angle / pi`` between the
two pages' shingle vectors (about 0.5 for unrelated texts, 0.8 for a page with half as much
text again, 1.0 for the same text). String similarity is rapidfuzz's (MIT, C++).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import lxml.html
import numpy as np
from rapidfuzz import fuzz

FINGERPRINT_BITS = 128
MAX_SHINGLES = 20_000  # a longer text is fingerprinted on its first 20,000 shingles
MAX_H1 = 5  # H1s kept per page
MAX_TEXT = 300  # characters kept of a description or an H1
MAX_TYPES = 20  # JSON-LD @types kept per page
_WORD = re.compile(r"\w+", re.UNICODE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
_SKIPPED = ("script", "style", "noscript", "template")


def _short(text: str | None, limit: int = MAX_TEXT) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text[:limit] if text else None


def fingerprint(words: list[str]) -> str | None:
    """The 128-bit simhash of ``words``' 3-shingles (single words for a shorter text), as
    32 hex digits; None for no words."""
    if not words:
        return None
    n = 3 if len(words) >= 3 else 1
    shingles = [" ".join(words[i : i + n]) for i in range(min(len(words) - n + 1, MAX_SHINGLES))]
    digests = b"".join(
        hashlib.blake2b(s.encode("utf-8"), digest_size=FINGERPRINT_BITS // 8).digest()
        for s in shingles
    )
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(len(shingles), -1), axis=1)
    votes = bits.sum(axis=0, dtype=np.int64) * 2 - len(shingles)
    return bytes(np.packbits(votes > 0)).hex()


def text_similarity(a: str | None, b: str | None) -> float | None:
    """How alike two fingerprints' texts are, 0..1 (None when one is missing)."""
    if not a or not b:
        return None
    try:
        distance = (int(a, 16) ^ int(b, 16)).bit_count()
    except ValueError:
        return None
    return 1.0 - distance / FINGERPRINT_BITS


def string_similarity(a: str | None, b: str | None) -> float:
    """How alike two short texts (titles, H1s, descriptions) are, 0..1: rapidfuzz's token set
    ratio on lower-cased text, so a reordered title or an added site name stays close."""
    if not a or not b:
        return 0.0
    return float(fuzz.token_set_ratio(a.lower(), b.lower())) / 100.0


def _jsonld_types(value: Any, out: dict[str, None], depth: int = 0) -> None:
    if depth > 6 or len(out) >= MAX_TYPES:
        return
    if isinstance(value, list):
        for item in value[:200]:
            _jsonld_types(item, out, depth + 1)
    elif isinstance(value, dict):
        kind = value.get("@type")
        for t in kind if isinstance(kind, list) else [kind]:
            if isinstance(t, str) and t.strip():
                # "https://schema.org/Product" and "Product" are one type
                out.setdefault(t.strip().rsplit("/", 1)[-1], None)
        for key, item in value.items():
            if key != "@type" and isinstance(item, dict | list):
                _jsonld_types(item, out, depth + 1)


def read_body(html: str) -> dict[str, Any]:
    """The body facts of an HTML document, as PageFacts keyword arguments ({} when it cannot
    be read: junk HTML is a page without facts, never an error)."""
    try:
        text = _XML_DECL.sub("", html, count=1)
        if not text.strip():
            return {}
        doc = lxml.html.document_fromstring(text)
    except Exception:
        return {}
    types: dict[str, None] = {}
    description: str | None = None
    for el in doc.iter("script", "meta"):
        if el.tag == "meta":
            if description is None and (el.get("name") or "").strip().lower() == "description":
                description = _short(el.get("content"))
        elif (el.get("type") or "").strip().lower() == "application/ld+json":
            try:
                _jsonld_types(json.loads(el.text or ""), types)
            except ValueError:
                continue
    h1 = [t for el in doc.iter("h1") if (t := _short(el.text_content()))][:MAX_H1]
    links = sum(
        1
        for el in doc.iter("a", "area")
        if (href := (el.get("href") or "").strip())
        and not href.startswith(("#", "mailto:", "tel:", "javascript:"))
    )
    for el in list(doc.iter(*_SKIPPED)):
        el.drop_tree()
    body = doc.find("body")
    words = _WORD.findall((body if body is not None else doc).text_content().lower())
    return {
        "h1": tuple(h1),
        "description": description,
        "lang": _short(doc.get("lang"), 35),
        "jsonld_types": tuple(types),
        "word_count": len(words),
        "link_count": links,
        "fingerprint": fingerprint(words),
    }

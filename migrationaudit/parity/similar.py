"""Nearest pages by what they say about themselves: a TF-IDF model (scikit-learn) over each
page's URL words, title, H1s and description, cosine nearest neighbours (brute force over the
sparse matrix, chunked, so memory stays bounded at 100,000 x 100,000), then the text
fingerprints (when both pages have one) to break near ties.

Why TF-IDF + NearestNeighbors rather than rapidfuzz over every pair: a fuzzy ratio of every
legacy URL against every new page is 10^10 comparisons at 100k x 100k; the sparse product
only touches the pairs that share a word and weighs rare words (a product's name) above
common ones (``products``, ``html``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from migrationaudit.parity.text import text_similarity

# scikit-learn's chunk of the dense distance matrix: each chunk is rows of every candidate,
# and its temporaries double it. 32 MB kept the peak of 40,000 queries against 100,000 pages
# 310 MB lower than 256 MB did, for the same CPU time (BENCHMARKS.md); the answers do not
# depend on it (each query's row is computed on its own).
WORKING_MEMORY_MB = 32
_SPLIT = re.compile(r"[^\w]+|_", re.UNICODE)
TEXT_WEIGHT = 0.25  # the fingerprint's share of a score when both pages have one


@dataclass(frozen=True, slots=True)
class Doc:
    """A page as the ranking sees it."""

    url: str
    text: str  # URL words, title, H1s, description
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    index: int  # into the candidates
    score: float  # 0..1
    words: tuple[str, ...]  # the rarest words both share (why)


def url_words(url: str) -> str:
    """The words of a URL's path and query (``/lamps/brass-floor_lamp.html`` → ``lamps brass
    floor lamp html``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return " ".join(w for w in _SPLIT.split(unquote(f"{parts.path} {parts.query}")) if w)


def doc_text(url: str, *texts: str | None) -> str:
    """The text of a :class:`Doc`: URL words, then each text given (None skipped)."""
    return " ".join([url_words(url), *(t for t in texts if t)])


def nearest(queries: Sequence[Doc], candidates: Sequence[Doc], k: int = 3) -> list[list[Match]]:
    """The ``k`` best candidates of each query, best first (an empty list for a query that
    shares no word with any candidate)."""
    if not queries or not candidates:
        return [[] for _ in queries]
    import numpy as np
    from sklearn import config_context
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.neighbors import NearestNeighbors

    vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32, lowercase=True)
    try:
        matrix = vectorizer.fit_transform([c.text for c in candidates])
    except ValueError:  # no word at all in the candidates
        return [[] for _ in queries]
    asked = vectorizer.transform([q.text for q in queries])
    wide = min(len(candidates), k * 2)  # a few more, re-ranked with the fingerprints
    with config_context(working_memory=WORKING_MEMORY_MB):
        index = NearestNeighbors(n_neighbors=wide, metric="cosine", algorithm="brute")
        distances, neighbours = index.fit(matrix).kneighbors(asked)
    analyzer = vectorizer.build_analyzer()
    vocabulary = vectorizer.vocabulary_
    idf = vectorizer.idf_
    out: list[list[Match]] = []
    for qi, query in enumerate(queries):
        words = set(analyzer(query.text))
        ranked: list[Match] = []
        for dist, ci in zip(distances[qi], neighbours[qi], strict=True):
            cosine = 1.0 - float(dist)
            if cosine <= 0.0:
                continue
            score = cosine
            fp = text_similarity(query.fingerprint, candidates[ci].fingerprint)
            if fp is not None:
                score = (1 - TEXT_WEIGHT) * cosine + TEXT_WEIGHT * max(0.0, (fp - 0.5) * 2)
            shared = words & set(analyzer(candidates[ci].text))
            why = sorted(shared, key=lambda w: (-idf[vocabulary[w]] if w in vocabulary else 0, w))
            ranked.append(Match(int(ci), round(score, 3), tuple(why[:5])))
        ranked.sort(key=lambda m: (-m.score, m.index))
        out.append(ranked[:k])
    return out

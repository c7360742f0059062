"""The nearest pages of :mod:`migrationaudit.parity.similar`: its tie rule on hand-built pages,
and its answers against a brute-force ranking (every distance of scikit-learn's dense cosine
matrix, sorted) on random small corpora full of ties."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_distances

from migrationaudit.parity import similar
from migrationaudit.parity.similar import TEXT_WEIGHT, Doc, Match, nearest
from migrationaudit.parity.text import fingerprint, text_similarity

FP = fingerprint("a body of plain words that the old and the new page share".split())


def test_equal_distances_go_to_the_lower_candidate_index() -> None:
    # 40 pages at the same distance from the query; the last one's text fingerprint is the
    # query's and would rank it first, but only the 6 (2 x k) lowest indices are re-ranked.
    pages = [Doc(f"/p/{i}", "brass floor lamp oak") for i in range(39)]
    pages.append(Doc("/p/39", "brass floor lamp oak", FP))
    query = Doc("/old/brass-floor-lamp", "brass floor lamp", FP)
    assert [m.index for m in nearest([query], pages)[0]] == [0, 1, 2]
    # among 6, the fingerprint is weighed and wins
    assert [m.index for m in nearest([query], [*pages[:5], pages[39]])[0]] == [5, 0, 1]


def _brute(queries: list[Doc], pages: list[Doc], k: int) -> list[list[Match]]:
    """Every distance, sorted by (distance, candidate index): the rule nearest() keeps."""
    vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32, lowercase=True)
    try:
        matrix = vectorizer.fit_transform([p.text for p in pages])
    except ValueError:
        return [[] for _ in queries]
    distances = cosine_distances(vectorizer.transform([q.text for q in queries]), matrix)
    analyzer = vectorizer.build_analyzer()
    idf = vectorizer.idf_
    vocabulary = vectorizer.vocabulary_
    wide = min(len(pages), 2 * k)
    out = []
    for qi, query in enumerate(queries):
        row = distances[qi]
        ranked = []
        for ci in sorted(range(len(pages)), key=lambda c: (row[c], c))[:wide]:
            cosine = 1.0 - float(row[ci])
            if cosine <= 0.0:
                continue
            score = cosine
            fp = text_similarity(query.fingerprint, pages[ci].fingerprint)
            if fp is not None:
                score = (1 - TEXT_WEIGHT) * cosine + TEXT_WEIGHT * max(0.0, (fp - 0.5) * 2)
            shared = set(analyzer(query.text)) & set(analyzer(pages[ci].text))
            why = sorted(shared, key=lambda w: (-idf[vocabulary[w]], w))
            ranked.append(Match(ci, round(score, 3), tuple(why[:5])))
        ranked.sort(key=lambda m: (-m.score, m.index))
        out.append(ranked[:k])
    return out


def _corpus(rng: random.Random, count: int, words: list[str]) -> list[Doc]:
    docs = []
    for i in range(count):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 6)))
        fp = fingerprint(rng.choices(words, k=5)) if rng.random() < 0.5 else None
        docs.append(Doc(f"/d/{i}", text, fp))
    return docs


@pytest.mark.parametrize("seed", range(12))
def test_answers_are_the_brute_force_ones(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    # few words, so that many pages tie; some query words no page has
    words = [f"w{i}" for i in range(rng.randint(3, 12))]
    pages = _corpus(rng, rng.randint(1, 60), words)
    queries = _corpus(rng, rng.randint(1, 40), [*words, "unheard", "unseen"])
    # small chunks, so that the queries are cut into many
    monkeypatch.setattr(similar, "CHUNK_PAIRS", rng.choice([1, 7, 50, 1_000_000]))
    for k in (1, 3, 40):
        assert nearest(queries, pages, k) == _brute(queries, pages, k)


def test_no_shared_word_is_no_match() -> None:
    pages = [Doc("/a", "brass lamp"), Doc("/b", "oak table")]
    got = nearest([Doc("/x", "walnut clock"), Doc("/y", ""), Doc("/z", "oak")], pages)
    assert got[0] == [] and got[1] == []
    assert [(m.index, m.words) for m in got[2]] == [(1, ("oak",))]
    assert nearest([Doc("/x", "oak")], [Doc("/a", "!"), Doc("/b", "?")]) == [[]]


@pytest.mark.parametrize("seed", range(40))
def test_tfidf_is_scikit_learns_float_for_float(seed: int) -> None:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(rng.randint(1, 30))]
    words += ["Été", "ÉTÉ", "straße", "x", "a_b", "12", "ünï-côdé"]
    pages = [" ".join(rng.choices(words, k=rng.randint(0, 40))) for _ in range(rng.randint(1, 50))]
    asked = [" ".join(rng.choices([*words, "zz"], k=rng.randint(0, 40))) for _ in range(9)]
    vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32, lowercase=True)
    try:
        want = vectorizer.fit_transform(pages)
    except ValueError:  # no word at all
        assert similar.tfidf(pages, asked) is None
        return
    got = similar.tfidf(pages, asked)
    assert got is not None
    matrix, queries, idf, names = got
    assert names == vectorizer.get_feature_names_out().tolist()
    assert idf.dtype == vectorizer.idf_.dtype and np.array_equal(idf, vectorizer.idf_)
    for mine, theirs in ((matrix, want), (queries, vectorizer.transform(asked))):
        assert mine.data.dtype == theirs.data.dtype
        for part in ("data", "indices", "indptr"):  # same floats, same order in a row
            assert np.array_equal(getattr(mine, part), getattr(theirs, part))

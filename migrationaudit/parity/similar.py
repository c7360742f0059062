"""Nearest pages by what they say about themselves: a TF-IDF model (scikit-learn's, computed
here float for float) over each page's URL words, title, H1s and description, cosine
similarity by a sparse product of the queries' rows against every candidate (chunked, so
memory stays bounded at 100,000 x 100,000), then the text fingerprints (when both pages have
one) to break near ties.

Why TF-IDF rather than rapidfuzz over every pair: a fuzzy ratio of every legacy URL against
every new page is 10^10 comparisons at 100k x 100k; the sparse product only touches the pairs
that share a word and weighs rare words (a product's name) above common ones (``products``,
``html``). Only those pairs are ever looked at: a query sharing no word with any candidate
costs nothing, and the best few of a query are picked among its pairs, never among a dense
row of every candidate."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from migrationaudit.parity.text import text_similarity

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# A chunk of query rows holds at most this many (query, candidate) pairs sharing a word
# (an upper bound counted before the product: the sum of the candidates holding each of the
# query's words). About 50 bytes a pair of temporaries: ~50 MB a chunk, whatever the number of
# queries or candidates (one query sharing a word with more candidates is a chunk of its own).
CHUNK_PAIRS = 1_000_000
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
_SPLIT = re.compile(r"[^\w]+|_", re.UNICODE)
TEXT_WEIGHT = 0.25  # the fingerprint's share of a score when both pages have one
# A cosine distance (float32 ``1 - cosine``, clipped to 0..2, as scikit-learn computes it) is
# a multiple of 2**-24 in [0, 1): scaled by 2**24 it is an exact 24-bit integer, which makes
# one int64 sort key of (query row, distance, candidate index).
_DIST_BITS = 24


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
    shares no word with any candidate).

    The ``2 * k`` candidates nearest a query by cosine distance are re-ranked with the
    fingerprints. The distance is scikit-learn's cosine distance of the TF-IDF rows (float32
    ``1 - cosine`` of the rows normalised again, clipped to 0..2), so scores are those of
    ``NearestNeighbors(metric="cosine")``. Ties are broken by the lower candidate index: among
    candidates at the same distance the lower indices are the ``2 * k`` re-ranked, and the
    final order is the higher score, then the lower index."""
    wide = min(len(candidates), k * 2)  # a few more, re-ranked with the fingerprints
    if not queries or wide <= 0:
        return [[] for _ in queries]
    import numpy as np

    model = tfidf([c.text for c in candidates], [q.text for q in queries])
    if model is None:  # no word at all in the candidates
        return [[] for _ in queries]
    matrix, asked, idf_array, names = model
    # Normalised again, as scikit-learn's cosine_similarity does, for the very same floats.
    by_word = _normalized(matrix).T.tocsr()
    rows, picks, dists = _closest(_normalized(asked), by_word, wide)
    idf: list[float] = idf_array.tolist()
    words_of: dict[int, set[int]] = {}  # a candidate's words (vocabulary indices)

    def words(ci: int) -> set[int]:
        got = words_of.get(ci)
        if got is None:
            got = words_of[ci] = set(
                matrix.indices[matrix.indptr[ci] : matrix.indptr[ci + 1]].tolist()
            )
        return got

    out: list[list[Match]] = [[] for _ in queries]
    bounds = np.flatnonzero(np.diff(rows)) + 1
    for start, end in zip([0, *bounds.tolist()], [*bounds.tolist(), len(rows)], strict=True):
        if start == end:
            continue
        qi = int(rows[start])
        query = queries[qi]
        asked_words = set(asked.indices[asked.indptr[qi] : asked.indptr[qi + 1]].tolist())
        ranked: list[Match] = []
        for ci, dist in zip(picks[start:end].tolist(), dists[start:end].tolist(), strict=True):
            cosine = 1.0 - dist
            score = cosine
            fp = text_similarity(query.fingerprint, candidates[ci].fingerprint)
            if fp is not None:
                score = (1 - TEXT_WEIGHT) * cosine + TEXT_WEIGHT * max(0.0, (fp - 0.5) * 2)
            shared = asked_words & words(ci)
            why = sorted(shared, key=lambda w: (-idf[w], names[w]))[:5]  # the rarest first
            ranked.append(Match(ci, round(score, 3), tuple(names[w] for w in why)))
        ranked.sort(key=lambda m: (-m.score, m.index))
        out[qi] = ranked[:k]
    return out


def _closest(
    asked: Any, by_word: Any, wide: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """(query row, candidate index, cosine distance) of the ``wide`` nearest candidates of
    each query sharing a word with one, sorted by query row, then distance, then candidate
    index; ``asked`` is queries x words, ``by_word`` words x candidates, rows L2-normalised.

    Each chunk of query rows is multiplied by ``by_word`` (scipy's sparse product: only pairs
    sharing a word are stored), and its pairs sorted by one int64 key (row, distance, candidate
    index); the first ``wide`` of each row are kept. Pairs at distance 1 (no shared weight)
    are never kept, as they score 0."""
    import numpy as np

    n = by_word.shape[1]
    cand_bits = max(1, (n - 1).bit_length())
    row_bits = 63 - _DIST_BITS - cand_bits  # what is left of an int64 key for the row
    if row_bits < 1:
        raise ValueError(f"{n} candidates are too many for one sort key")
    holders = np.diff(by_word.indptr).astype(np.int64)  # candidates holding each word
    sums = np.concatenate(([0], np.cumsum(holders[asked.indices])))
    pairs = np.minimum(sums[asked.indptr[1:]] - sums[asked.indptr[:-1]], n)  # upper bound
    todo = np.flatnonzero(pairs)  # a query sharing no word with any candidate is skipped
    reach = np.cumsum(pairs[todo])
    max_rows = min(1 << row_bits, 1 << 16)
    rows: list[npt.NDArray[np.int64]] = []
    picks: list[npt.NDArray[np.int64]] = []
    scaled: list[npt.NDArray[np.int64]] = []
    start = 0
    while start < len(todo):
        before = int(reach[start - 1]) if start else 0
        end = int(np.searchsorted(reach, before + CHUNK_PAIRS, side="right"))
        end = min(max(end, start + 1), start + max_rows)
        block = todo[start:end]
        product = asked[block] @ by_word
        dist = -product.data  # 1 - cosine, clipped, in float32: scikit-learn's own steps
        dist += 1
        np.clip(dist, 0, 2, out=dist)
        near = dist < 1
        kept = np.zeros(len(near) + 1, dtype=np.int64)
        np.cumsum(near, out=kept[1:])
        counts = np.diff(kept[product.indptr])
        # (distance, candidate index) as one int64, unique within a query's row
        pair = (dist[near].astype(np.float64) * (1 << _DIST_BITS)).astype(np.int64) << cand_bits
        pair |= product.indices[near]
        local = np.repeat(np.arange(len(block), dtype=np.int64), counts)
        for _ in range(2):  # twice: the second bound is much tighter where distances tie
            chosen = pair <= np.repeat(_bounds(pair, counts, wide), counts)
            pair, local = pair[chosen], local[chosen]
            counts = np.bincount(local, minlength=len(block))
        key = (local << (_DIST_BITS + cand_bits)) | pair
        key.sort()
        first = np.repeat(np.cumsum(counts) - counts, counts)  # where each key's row begins
        key = key[np.arange(len(key)) - first < wide]
        rows.append(block[key >> (_DIST_BITS + cand_bits)])
        picks.append(key & ((1 << cand_bits) - 1))
        scaled.append((key >> cand_bits) & ((1 << _DIST_BITS) - 1))
        start = end
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    dist = np.concatenate(scaled).astype(np.float32) / np.float32(1 << _DIST_BITS)
    return np.concatenate(rows), np.concatenate(picks), dist


def _bounds(
    pair: npt.NDArray[np.int64], counts: npt.NDArray[np.int64], wide: int
) -> npt.NDArray[np.int64]:
    """For each run of ``counts`` values of ``pair`` (one query's row), a value at least its
    ``wide``-th smallest, so that only a few values of a long row need sorting: a row longer
    than ``wide`` is cut into ``wide`` pieces, and the largest of their minima is such a bound
    (``wide`` distinct values are at most that large). A shorter row keeps every value."""
    import numpy as np

    limit = np.full(len(counts), np.iinfo(np.int64).max, dtype=np.int64)
    busy = np.flatnonzero(counts > wide)
    if not len(busy):
        return limit
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    filled = np.flatnonzero(counts)  # reduceat needs a boundary at every row holding a value
    pieces = np.where(counts[filled] > wide, wide, 1)
    offset = np.concatenate(([0], np.cumsum(pieces)[:-1]))
    step = np.arange(int(pieces.sum()), dtype=np.int64) - np.repeat(offset, pieces)
    cut = np.repeat(starts[filled], pieces) + step * np.repeat(counts[filled], pieces) // wide
    lowest = np.minimum.reduceat(pair, cut)
    bound = np.maximum.reduceat(lowest, offset)
    limit[filled] = np.where(pieces > 1, bound, limit[filled])
    return limit


def tfidf(texts: Sequence[str], asked: Sequence[str]) -> tuple[Any, Any, Any, list[str]] | None:
    """(``texts`` x words, ``asked`` x words, idf, words): scikit-learn's
    ``TfidfVectorizer(sublinear_tf=True, dtype=np.float32)`` fitted on ``texts`` then applied
    to ``asked``, float for float and in its order of a row's words (which the sums of the
    normalisation follow), without importing scikit-learn (over a second); None when
    ``texts`` have no word."""
    import numpy as np
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

    vocabulary: dict[str, int] = {}  # first seen order, then sorted as scikit-learn does
    fitted = _counts(texts, vocabulary, grow=True)
    if not vocabulary:
        return None
    words = sorted(vocabulary)
    place = np.empty(len(words), dtype=np.int32)
    for index, word in enumerate(words):
        place[vocabulary[word]] = index
        vocabulary[word] = index
    shape = (len(texts), len(words))
    matrix = csr_matrix(fitted, shape=shape, dtype=np.float32)
    matrix.sort_indices()  # by first seen order: then renumbered, not sorted again
    matrix.indices = place[matrix.indices]
    df = np.bincount(matrix.indices, minlength=len(words)).astype(np.float32)
    df += 1.0
    idf = np.full_like(df, fill_value=len(texts) + 1, dtype=np.float32)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    queries = csr_matrix(
        _counts(asked, vocabulary, grow=False), shape=(len(asked), len(words)), dtype=np.float32
    )
    queries.sort_indices()
    for tf in (matrix, queries):
        np.log(tf.data, out=tf.data)
        tf.data += 1.0
        tf.data *= idf[tf.indices]
        tf.data = _normalized(tf).data
    return matrix, queries, idf, words


def _counts(
    texts: Sequence[str], vocabulary: dict[str, int], *, grow: bool
) -> tuple[Any, Any, Any]:
    """(counts, word indices, row starts) of each text's words, as CSR arrays."""
    import numpy as np

    indices: list[int] = []
    counts: list[int] = []
    starts = [0]
    for text in texts:
        counter: dict[int, int] = {}
        for word in _TOKEN.findall(text.lower()):
            index = vocabulary.get(word)
            if index is None:
                if not grow:
                    continue
                index = vocabulary[word] = len(vocabulary)
            counter[index] = counter.get(index, 0) + 1
        indices.extend(counter)
        counts.extend(counter.values())
        starts.append(len(indices))
    return (
        np.asarray(counts, dtype=np.float32),
        np.asarray(indices, dtype=np.int32),
        np.asarray(starts, dtype=np.int32),
    )


def _normalized(rows: Any) -> Any:
    """``rows`` (CSR, float32) scaled to unit L2 norms as scikit-learn's ``normalize`` does:
    each row's float32 squares summed in float64 in stored order, the division in float64
    rounded to float32; an all-zero row left as it is."""
    import numpy as np

    data = rows.data
    starts = rows.indptr[:-1].astype(np.int64)
    lengths = np.diff(rows.indptr)
    squares = (data * data).astype(np.float64)
    total = np.zeros(len(lengths))
    longest = np.argsort(-lengths, kind="stable")
    descending = lengths[longest]
    for position in range(int(descending[0]) if len(descending) else 0):
        longer = longest[: int(np.count_nonzero(descending > position))]
        total[longer] += squares[starts[longer] + position]  # one term at a time, in order
    norm = np.sqrt(total)
    norm[total == 0.0] = 1.0
    scaled = (data.astype(np.float64) / np.repeat(norm, lengths)).astype(np.float32)
    out = rows.copy()
    out.data = scaled
    return out

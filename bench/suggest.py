"""Suggested targets: accuracy on moved pages whose right target is known, and the cost at
scale (time and peak memory of the ranking for N legacy URLs against N new pages).

A shop catalogue is generated here (nothing is downloaded): N new pages, each a product with a
name (colour, adjective, material, item: "Amber Rustic Brass Floor Lamp"), a category path, a
title, an H1, a description and a body of plain sentences from a fixed vocabulary. Each new
page had a legacy page: another URL scheme (``/shop/cat-7/item-1234-...html``), a slug that
often uses a synonym or drops a word, a title reworded with the old shop's name, and a body of
which a fifth of the sentences were rewritten. A fifth of the legacy pages have no snapshot
facts at all (they must be matched by their URL words alone). Distractors come free: many
products share three of their four name words.

The ranking is the audit's own (:func:`migrationaudit.parity.similar.nearest` over the same
documents :mod:`migrationaudit.parity.suggest` builds); top-1 / top-3 accuracy = the right
new page is the first / among the first three.

Prints one JSON object: {"n", "queries", "top1", "top3", "rank_s", "rank_cpu_s",
"peak_rss_mb", "rss_before_mb", "build_s"}.

    python bench/suggest.py --n 100000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from migrationaudit.parity.similar import Doc, doc_text, nearest
from migrationaudit.parity.text import fingerprint

COLOURS = (
    "amber azure coral ivory jade olive pearl ruby sage slate teal umber ochre plum moss "
    "rust sand smoke"
).split()
ADJECTIVES = (
    "rustic modern classic nordic vintage compact grand slim curved round square tall low "
    "woven carved polished brushed hammered painted folding stacking"
).split()
MATERIALS = "brass oak walnut linen cotton wool copper glass ceramic marble rattan iron".split()
ITEMS = (
    "floor-lamp desk-lamp pendant-light wall-clock side-table coffee-table armchair sofa rug "
    "cushion throw mirror vase bowl mug teapot shelf bookcase stool bench lantern candle "
    "planter basket tray bed-frame wardrobe dresser headboard curtain"
).split()
SYNONYMS = {"lamp": "light", "sofa": "couch", "rug": "carpet", "mug": "cup", "throw": "blanket",
            "shelf": "rack", "stool": "seat", "vase": "pot"}
WORDS = (
    "light warm bright soft tall round room home hall porch window evening morning winter "
    "summer river market village craft maker workshop timber stone wool clay iron silver "
    "golden quiet simple sturdy narrow wide heavy gentle careful patient honest handmade "
    "finish grain colour shade glow corner table chair garden kitchen study everyday gift"
).split()


def sentences(rng: random.Random, count: int) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(7, 13))) for _ in range(count)]


def catalogue(n: int, seed: int = 7) -> tuple[list[Doc], list[Doc]]:
    """(new pages, legacy pages): legacy page i moved to new page i."""
    rng = random.Random(seed)
    new: list[Doc] = []
    old: list[Doc] = []
    seen: set[tuple[str, ...]] = set()
    if n > len(COLOURS) * len(ADJECTIVES) * len(MATERIALS) * len(ITEMS) * 4 // 5:
        raise SystemExit(f"--n {n}: more products than the vocabulary names well")
    while len(new) < n:
        name = (rng.choice(COLOURS), rng.choice(ADJECTIVES), rng.choice(MATERIALS),
                rng.choice(ITEMS))
        if name in seen:
            continue
        seen.add(name)
        i = len(new)
        words = " ".join(name).replace("-", " ").split()
        title = " ".join(w.capitalize() for w in words)
        category = name[3].split("-")[-1]
        url = f"https://www.new.example/{category}s/{'-'.join(words)}/"
        body = sentences(rng, 12)
        new_fp = fingerprint(" ".join(body).split())
        new.append(Doc(url, doc_text(url, title, title, f"The {title.lower()}."), new_fp))
        slug = [SYNONYMS.get(w, w) if rng.random() < 0.3 else w for w in words]
        if rng.random() < 0.3:
            slug.pop(rng.randrange(len(slug)))  # a word dropped from the old slug
        shelf = rng.randint(1, 60)
        old_url = f"http://www.old.example/shop/cat-{shelf}/item-{i}-{'-'.join(slug)}.html"
        if rng.random() < 0.2:
            old.append(Doc(old_url, doc_text(old_url)))  # no snapshot facts: URL words only
            continue
        reworded = list(words)
        rng.shuffle(reworded)
        old_title = " ".join(w.capitalize() for w in reworded) + " | Old Shop"
        old_body = [s if rng.random() < 0.8 else sentences(rng, 1)[0] for s in body]
        old_fp = fingerprint(" ".join(old_body).split())
        old.append(Doc(old_url, doc_text(old_url, old_title, None), old_fp))
    return new, old


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=100_000, help="new pages (and legacy URLs)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    new, old = catalogue(args.n, args.seed)
    built = time.perf_counter() - started
    before = rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    ranked = nearest(old, new, k=3)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    top1 = sum(1 for i, m in enumerate(ranked) if m and m[0].index == i)
    top3 = sum(1 for i, m in enumerate(ranked) if any(x.index == i for x in m))
    print(json.dumps({
        "n": args.n,
        "queries": len(old),
        "top1": round(top1 / len(old), 4),
        "top3": round(top3 / len(old), 4),
        "rank_s": round(wall, 1),
        "rank_cpu_s": round(cpu, 1),
        "peak_rss_mb": round(rss_mb(), 1),
        "rss_before_mb": round(before, 1),
        "build_s": round(built, 1),
    }))


if __name__ == "__main__":
    main()

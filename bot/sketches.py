"""Near-duplicates without reading the library: word-trigram sketches of stories and texts.

A submission keeps its bottom-k sketch; a library story keeps only a few anchors (see
:data:`STORY_SKETCH_KEPT`), so a candidate is found by a lookup, then measured exactly.
"""

from __future__ import annotations

import hashlib

from bot.themes import normalise

SKETCH_SIZE = 64
# A library story keeps only a few hashes, to be found by: the smallest of each sixth of its
# word trigrams, in reading order. A text copying a third of the story or more in one run
# holds a whole sixth, so shares that sixth's hash for certain; a near-duplicate of the
# whole keeps most of them. Six rows a story keeps the index small for a million-story
# library; submissions, few and short-lived, keep their whole bottom-k sketch.
STORY_SKETCH_KEPT = 6
SHINGLE_WORDS = 3
# Jaccard similarity of word trigrams; one changed word in thirty keeps ~0.8.
NEAR_DUPLICATE = 0.6
# Trigrams shared, out of the shorter text's: a copy of half a story with as much new text
# beside it shares ~0.5, while the bundled stories share at most 0.03 with one another.
COPIED = 0.4


def _hash(shingle: str) -> int:
    digest = hashlib.blake2b(shingle.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1  # 63 bits: fits SQLite's signed INTEGER


def trigram_hashes(text: str) -> list[int]:
    """The hashes of the text's word trigrams, in reading order."""
    words = normalise(text).split()
    if len(words) < SHINGLE_WORDS:
        return [_hash(" ".join(words))] if words else []
    return [
        _hash(" ".join(words[i : i + SHINGLE_WORDS])) for i in range(len(words) - SHINGLE_WORDS + 1)
    ]


def sketch(text: str) -> list[int]:
    """The smallest :data:`SKETCH_SIZE` hashes of the text's word trigrams (bottom-k)."""
    return sorted(set(trigram_hashes(text)))[:SKETCH_SIZE]


def anchors(text: str) -> list[int]:
    """The hashes a library story is found by: the smallest in each of its
    :data:`STORY_SKETCH_KEPT` runs of trigrams."""
    hashed = trigram_hashes(text)
    parts = min(STORY_SKETCH_KEPT, len(hashed))
    cuts = [len(hashed) * p // parts for p in range(parts + 1)]
    return sorted({min(hashed[cuts[p] : cuts[p + 1]]) for p in range(parts)})


def likeness(a: str, b: str) -> tuple[float, float]:
    """(Jaccard similarity, share of the shorter text found in the other) of two texts'
    word trigrams, counted exactly: both texts are at hand once a candidate is found."""
    mine, theirs = set(trigram_hashes(a)), set(trigram_hashes(b))
    if not mine or not theirs:
        return 0.0, 0.0
    shared = len(mine & theirs)
    return shared / len(mine | theirs), shared / min(len(mine), len(theirs))


def copy_of(a: str, b: str) -> str | None:
    """How the sentence names what ``a`` repeats of ``b``, or None if it does not."""
    whole, part = likeness(a, b)
    if whole >= NEAR_DUPLICATE:
        return "nearly the same as"
    return "largely copied from" if part >= COPIED else None


def body_digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()

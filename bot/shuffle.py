"""A keyed permutation of ``range(size)``: the k-th draw of a shuffled round in O(1).

Storing a shuffled list per channel would cost memory that grows with the library; a
small Feistel network over the next power of two, walked until it lands inside
``range(size)``, gives the same "every story once, in a random order" with only a seed.
"""

from __future__ import annotations

import hashlib

_ROUNDS = 4


def _round_key(seed: int, round_no: int, value: int, bits: int) -> int:
    digest = hashlib.blake2b(f"{seed}:{round_no}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & ((1 << bits) - 1)


def _feistel(value: int, seed: int, half_bits: int) -> int:
    mask = (1 << half_bits) - 1
    left, right = value >> half_bits, value & mask
    for round_no in range(_ROUNDS):
        left, right = right, left ^ _round_key(seed, round_no, right, half_bits)
    return (left << half_bits) | right


def permute(index: int, size: int, seed: int) -> int:
    """Where draw ``index`` of a round over ``size`` items lands, for this ``seed``."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a round of {size}")
    if size == 1:
        return 0
    half_bits = max(1, ((size - 1).bit_length() + 1) // 2)
    value = index
    # The domain is at most 4x the size, so the walk takes a few steps on average.
    while True:
        value = _feistel(value, seed, half_bits)
        if value < size:
            return value

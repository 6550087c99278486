"""A keyed permutation of ``range(size)``: the k-th draw of a shuffled round in O(1).

Storing a shuffled list per channel would cost memory that grows with the library; a
small Feistel network over the next power of two, walked until it lands inside
``range(size)``, gives the same "every story once, in a random order" with only a seed.
"""

from __future__ import annotations

_MASK = (1 << 64) - 1
# One constant per Feistel round, so the rounds' functions differ under one key.
_ROUND_CONSTANTS = (
    0x9E3779B97F4A7C15,
    0xBF58476D1CE4E5B9,
    0x94D049BB133111EB,
    0xD6E8FEB86659FD93,
)


def _mix(value: int) -> int:
    """splitmix64's finaliser: every input bit reaches every output bit."""
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def permute(index: int, size: int, seed: int) -> int:
    """Where draw ``index`` of a round over ``size`` items lands, for this ``seed``.

    Every draw runs it on the event loop, once the take has said which position it got
    (bot.storage.rounds), so it does integer arithmetic rather than a hash library call:
    about 2.7 microseconds, most of it the 64-bit multiplications (written out with no
    calls it was no faster). The halves may differ by a bit, so the domain is the next
    power of two (under twice the size) and the walk takes under two steps on average.
    """
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a round of {size}")
    if size == 1:
        return 0
    bits = (size - 1).bit_length()
    high_bits = bits // 2
    low_bits = bits - high_bits
    key = _mix(seed & _MASK)
    value = index
    while True:
        left, right = value >> low_bits, value & ((1 << low_bits) - 1)
        left_bits, right_bits = high_bits, low_bits
        for constant in _ROUND_CONSTANTS:
            # The round's function: the top left_bits of a keyed hash of the right half.
            mixed = _mix(right ^ key ^ constant) >> (64 - left_bits)
            left, right = right, left ^ mixed
            left_bits, right_bits = right_bits, left_bits
        value = (left << right_bits) | right
        if value < size:
            return value

"""Which entry of a data file first used each key, held small enough for a million keys."""

from __future__ import annotations

import hashlib
from array import array


class FirstUse:
    """Which entry first used each key of a file, in 12 bytes a key.

    A dict of the keys took 130 MB for a million-story file, most of what the bot held
    while importing it. Keys are held as 64-bit hashes in an open-addressed table: two keys
    sharing one are about one chance in 10^7 for a file of a million, and would be named
    as a key used twice.
    """

    def __init__(self) -> None:
        self._hashes = array("Q", [0]) * 1024
        self._entries = array("I", [0]) * 1024
        self._count = 0

    @staticmethod
    def _hash(key: str) -> int:
        digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
        return int.from_bytes(digest) or 1  # 0 marks an empty slot

    def _slot(self, hashed: int) -> int:
        mask = len(self._hashes) - 1
        slot = hashed & mask
        while self._hashes[slot] not in (0, hashed):
            slot = (slot + 1) & mask
        return slot

    def get(self, key: str) -> int | None:
        hashed = self._hash(key)
        slot = self._slot(hashed)
        return self._entries[slot] if self._hashes[slot] == hashed else None

    def add(self, key: str, entry: int) -> None:
        if (self._count + 1) * 2 > len(self._hashes):
            self._grow()
        hashed = self._hash(key)
        slot = self._slot(hashed)
        if self._hashes[slot] == 0:
            self._count += 1
        self._hashes[slot], self._entries[slot] = hashed, entry

    def _grow(self) -> None:
        old = zip(self._hashes, self._entries, strict=True)
        size = len(self._hashes) * 2
        self._hashes, self._entries = array("Q", [0]) * size, array("I", [0]) * size
        for hashed, entry in old:
            if hashed:
                slot = self._slot(hashed)
                self._hashes[slot], self._entries[slot] = hashed, entry

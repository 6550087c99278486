"""Which shard serves a server, and the slice of shards one process runs.

Discord sends a server's events to shard ``(guild_id >> 22) % shard_count``: the top bits
of a snowflake are its creation time, so servers spread evenly over the shards.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends ``guild_id``'s events to."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class ShardSlice:
    """The shards one process serves: ``ids`` out of ``count``."""

    count: int
    ids: tuple[int, ...]

    @classmethod
    def everything(cls) -> ShardSlice:
        """One process, one shard: every server."""
        return cls(1, (0,))

    @classmethod
    def of(cls, count: int, ids: Iterable[int] | None) -> ShardSlice:
        """``ids`` of ``count``, or all of them when ``ids`` is None."""
        return cls(count, tuple(sorted(ids)) if ids is not None else tuple(range(count)))

    def serves(self, guild_id: int) -> bool:
        return shard_of(guild_id, self.count) in self.ids


def parse_shard_ids(text: str) -> list[int]:
    """``"0-3,7"`` as ``[0, 1, 2, 3, 7]``, in the order written; ValueError if malformed."""
    found: list[int] = []
    for part in text.replace(" ", "").split(","):
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(part)
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(part)
        found += range(first, last + 1)
    return found


# A server's id in a log line, as the bot writes them: "guild 1300...", "guild=1300...".
_GUILD_IN_LINE = re.compile(r"\bguild(?:_id)?[ =:]+(\d{15,21})\b")


class ShardTag(logging.Filter):
    """Adds ``shard`` to every log record: `` shard=N`` when the line is about a server
    (a ``guild_id`` given in ``extra``, or "guild <id>" in the text), else nothing.

    With several processes each running some shards, an operator reading one server's
    trouble needs to know which process to look at. ``count`` is learnt at the first
    identify when Discord chose it; until then lines carry no shard.
    """

    def __init__(self) -> None:
        super().__init__()
        self.count: int | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        record.shard = ""
        if self.count is None:
            return True
        guild_id = getattr(record, "guild_id", None)
        if guild_id is None:
            found = _GUILD_IN_LINE.search(record.getMessage())
            guild_id = int(found.group(1)) if found else None
        if guild_id is not None:
            record.shard = f" shard={shard_of(int(guild_id), self.count)}"
        return True


# One per process: the logging handlers carry it and the bot tells it the shard count.
SHARD_TAG = ShardTag()

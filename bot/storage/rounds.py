"""What every engine's draw shares: where a taken slot points, and passing over retired ones.

A channel's round for a theme is a shuffled order of the theme's pools (the bundled one,
then the server's own), stored as (seed, size, bundled size, position). Each engine takes
the next position in one write of its own; turning that position into a story's slot is
the same arithmetic everywhere, and so is stepping past a slot whose story was retired
or has a note the ask skips.

A new round never opens with the slot that ended the round before (a two-story theme would
otherwise give the same story twice in a row half the time). When a round restarts, the
take keeps the finished round's (seed, size, bundled size) beside the new one, and
:func:`taken` swaps the new round's first two positions when its first slot is the one
that ended the last. Why this way:

- Positions 1 and 2 are both worked out from the row alone, so every process agrees on
  them and the round stays a permutation: each slot is still served once.
- Slots are compared, not shuffled indexes: a pool that grew between rounds moves the
  server's own stories along (the bundled pool comes first), and a slot is what names a
  story. Pools only grow (ordinals are never reused), so the finished round's slots are
  all in the new one.
- Swapping with position 2 rather than the last keeps a round of three or more ending
  where its shuffle says, so the slot that ended it is its seed's last. A round of two
  that was swapped ends on the slot that ended the round before it, which is why the take
  keeps the earlier round's (seed, size, bundled size) again when a round of two ends with
  one kept (:func:`keep_ended_sql`): those always name the slot actually served last.
- What it cannot see: a retired story is only found by reading. If the new round's second
  slot is retired, the draw steps over it onto the story just read; and when the finished
  round's last slot was retired, the story read last was an earlier one. Both need a
  retired story in just that place, and a theme with one live story repeats whatever we do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.records import DrawAsk, Story
from bot.shuffle import permute


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a slot taken points: the k-th story of one pool (bundled: guild 0)."""

    theme_id: int
    guild_id: int
    ordinal: int


@dataclass(frozen=True, slots=True)
class Taken:
    """A slot taken, and the round's state after taking it."""

    seed: int
    size: int
    bundled_size: int
    position: int
    slot: Slot


@dataclass(frozen=True, slots=True)
class Drawn:
    """The slot a draw took and the story in it: None if that story has been retired."""

    size: int
    story: Story | None


def keep_ended_sql(old: str) -> str:
    """The SET assignments of a take that keep what ended the round when it restarts.

    ``old`` names the row before the take (``rounds.`` in PostgreSQL, nothing in SQLite):
    in an upsert's SET both engines read bare columns as the old values. A round that ends
    keeps its own (seed, size, bundled size), unless it was a round of two with earlier
    ones kept, whose last slot is the one those name (see above).
    """
    restart = f"{old}position >= {old}size"
    carried = f"{old}size = 2 AND {old}prev_seed IS NOT NULL"
    return ", ".join(
        f"prev_{column} = CASE WHEN NOT ({restart}) THEN {old}prev_{column} "
        f"WHEN {carried} THEN {old}prev_{column} ELSE {old}{column} END"
        for column in ("seed", "size", "bundled_size")
    )


def _slot(theme_id: int, guild_id: int, index: int, bundled_size: int) -> Slot:
    if index < bundled_size:
        return Slot(theme_id, 0, index)
    return Slot(theme_id, guild_id, index - bundled_size)


def taken(
    theme_id: int,
    guild_id: int,
    seed: int,
    size: int,
    bundled_size: int,
    position: int,
    ended: tuple[int | None, int | None, int | None] = (None, None, None),
) -> Taken:
    """The slot at 1-based ``position`` of a round, as the take returned it.

    ``ended`` is the (seed, size, bundled size) whose last slot ended the previous round,
    all None before a channel's first round has ended.
    """
    # The shuffle runs in Python rather than inside the statement: as an SQL function it
    # would take the GIL from the event loop once for every row.
    index = permute(position - 1, size, seed)
    ended_seed, ended_size, ended_bundled = ended
    if position <= 2 and size >= 2 and ended_seed is not None and ended_size:
        last = permute(ended_size - 1, ended_size, ended_seed)
        first = permute(0, size, seed)
        if _slot(theme_id, guild_id, first, bundled_size) == _slot(
            theme_id, guild_id, last, ended_bundled or 0
        ):
            index = permute(2 - position, size, seed)
    return Taken(seed, size, bundled_size, position, _slot(theme_id, guild_id, index, bundled_size))


DrawOnce = Callable[[Sequence[DrawAsk]], Awaitable[Sequence[Drawn | None]]]
Keep = Callable[[DrawAsk, Story], bool]


def unskipped(ask: DrawAsk, story: Story) -> bool:
    """A story the ask may have: none of its notes is one the ask skips."""
    return ask.skip.isdisjoint(story.notes)


async def draw_live(
    draw_once: DrawOnce, asks: Sequence[DrawAsk], keep: Keep = unskipped
) -> list[Story | None]:
    """Draw for every ask, taking the next slot again where a slot's story was retired,
    or is one that ``keep`` turns down for that ask.

    A round keeps its size while it lasts, so a retired story leaves a hole that the draw
    steps over; a whole round of holes is the most one ask can meet before the next round
    starts from the live stories. A story turned down is a hole for that ask alone (its
    round is its own, see bot.selection.own_round). None where a pool has no live story,
    or none that ``keep`` takes.
    """
    found: list[Story | None] = [None] * len(asks)
    waiting = list(range(len(asks)))
    steps: dict[int, int] = {}
    while waiting:
        drawn = await draw_once([asks[i] for i in waiting])
        again: list[int] = []
        for i, one in zip(waiting, drawn, strict=True):
            if one is None:
                continue
            if one.story is not None and keep(asks[i], one.story):
                found[i] = one.story
                continue
            steps[i] = steps.get(i, 0) + 1
            # Past two rounds of holes the pool's counts and its stories disagree.
            if steps[i] <= 2 * one.size + 1:
                again.append(i)
        waiting = again
    return found

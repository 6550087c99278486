"""What every engine's draw shares: where a taken slot points, and passing over retired ones.

A channel's round for a theme is a shuffled order of the theme's pools (the bundled one,
then the server's own), stored as (seed, size, bundled size, position). Each engine takes
the next position in one write of its own; turning that position into a story's slot is
the same arithmetic everywhere, and so is stepping past a slot whose story was retired
or has a note the ask skips.
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


def taken(
    theme_id: int, guild_id: int, seed: int, size: int, bundled_size: int, position: int
) -> Taken:
    """The slot at 1-based ``position`` of a round, as the take returned it."""
    # The shuffle runs in Python rather than inside the statement: as an SQL function it
    # would take the GIL from the event loop once for every row.
    index = permute(position - 1, size, seed)
    if index < bundled_size:
        slot = Slot(theme_id, 0, index)
    else:
        slot = Slot(theme_id, guild_id, index - bundled_size)
    return Taken(seed, size, bundled_size, position, slot)


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

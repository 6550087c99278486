"""Which story comes next in a channel: every story of a theme once, shuffled, then again."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence

from bot.library import Library, Story
from bot.shuffle import permute
from bot.storage.draws import Ask
from bot.storage.library import ANY_THEME, BUNDLED, RoundRow

log = logging.getLogger(__name__)

# Draws that lose a race for the same channel try again; more than this means a bug.
MAX_ATTEMPTS = 20
# Retired slots passed over one draw at a time before walking the round in Python.
QUICK_DRAWS = 3
# Draws in one batch when many are asked for at once.
DRAW_CHUNK = 128


class Selector:
    def __init__(self, library: Library, rng: random.Random | None = None) -> None:
        self.library = library
        # A round's seed only has to differ from channel to channel, not be secret; the
        # system's generator costs a system call on every draw.
        self._rng = rng or random.Random()

    async def next_story(
        self, *, channel_id: int, guild_id: int | None, theme_id: int | None
    ) -> Story | None:
        """The next story of the channel's round for ``theme_id`` (None: any theme).

        The round lives in the database, so a restart carries on where it stopped. A draw
        takes the round's next slot in one write, then reads the story in it. A
        slot whose story was retired is passed over; after a few in a row the rest of the
        round is walked here instead, so a library with many retired stories stays cheap.
        """
        store = self.library.store
        theme = theme_id or ANY_THEME
        guild = guild_id or BUNDLED
        for _ in range(QUICK_DRAWS):
            drawn = await store.draw(theme, guild, channel_id, self._rng.getrandbits(62))
            if drawn is None:
                return None
            if drawn.story is not None:
                return Story.from_row(drawn.story)
        return await self._walk(channel_id, guild, theme)

    async def next_stories(
        self, asks: Sequence[tuple[int, int | None, int | None]]
    ) -> list[Story | None]:
        """:meth:`next_story` for many (channel, guild, theme) at once, as one write and a
        few reads per batch (see bot.storage.draws): the daily scheduler draws a pass so."""
        store = self.library.store
        keyed = [(channel, guild or BUNDLED, theme or ANY_THEME) for channel, guild, theme in asks]
        found: list[Story | None] = []
        for start in range(0, len(keyed), DRAW_CHUNK):
            chunk = keyed[start : start + DRAW_CHUNK]
            drawn = await store.draw_many(
                [
                    Ask(theme, guild, channel, self._rng.getrandbits(62))
                    for channel, guild, theme in chunk
                ]
            )
            for (channel, guild, theme), one in zip(chunk, drawn, strict=True):
                if one is None:
                    found.append(None)
                elif one.story is not None:
                    found.append(Story.from_row(one.story))
                else:  # a retired story's slot: the single draw steps over it
                    found.append(
                        await self.next_story(channel_id=channel, guild_id=guild, theme_id=theme)
                    )
        return found

    async def _walk(self, channel_id: int, guild: int, theme: int) -> Story | None:
        """Walk the round to its next live story, moving it on by compare-and-set."""
        store = self.library.store
        for _ in range(MAX_ATTEMPTS):
            bundled_size, bundled_live, own_size, own_live, seen = await store.draw_state(
                theme, guild, channel_id
            )
            if bundled_live + own_live == 0:
                return None
            state = seen
            if state is None or state.position >= state.size:
                state = RoundRow(
                    seed=self._rng.getrandbits(62),
                    size=bundled_size + own_size,
                    bundled_size=bundled_size,
                    position=0,
                )
            position = state.position
            row = None
            while row is None and position < state.size:
                index = permute(position, state.size, state.seed)
                position += 1
                if index < state.bundled_size:
                    row = await store.story_at(theme, BUNDLED, index)
                else:
                    row = await store.story_at(theme, guild, index - state.bundled_size)
            # Past the last live story of a round: the next attempt starts a new round.
            moved = RoundRow(state.seed, state.size, state.bundled_size, position)
            if await store.move_round(channel_id, theme, seen, moved) and row is not None:
                return Story.from_row(row)
        log.error(
            "channel %s theme %s: no draw succeeded in %s attempts", channel_id, theme, MAX_ATTEMPTS
        )
        return None

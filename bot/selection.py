"""Which story comes next in a channel: every story of a theme once, shuffled, then again."""

from __future__ import annotations

import logging
import random

from bot.library import Library, Story
from bot.shuffle import permute
from bot.storage.library import ANY_THEME, BUNDLED, RoundRow

log = logging.getLogger(__name__)


class Selector:
    def __init__(self, library: Library, rng: random.Random | None = None) -> None:
        self.library = library
        self._rng = rng or random.SystemRandom()

    async def next_story(
        self, *, channel_id: int, guild_id: int | None, theme_id: int | None
    ) -> Story | None:
        """The next story of the channel's round for ``theme_id`` (None: any theme).

        The round lives in the database, so a restart carries on where it stopped; the
        draw and the step forward are one transaction, so two members asking at once
        never get the same story.
        """
        store = self.library.store
        theme = theme_id or ANY_THEME
        guild = guild_id or BUNDLED
        async with store.db.transaction():
            bundled_size, bundled_live = await store.pool_extent(theme, BUNDLED)
            own_size, own_live = (
                await store.pool_extent(theme, guild) if guild != BUNDLED else (0, 0)
            )
            if bundled_live + own_live == 0:
                return None
            state = await store.get_round(channel_id, theme)
            for _ in range(2):
                if state is None or state.position >= state.size:
                    state = RoundRow(
                        seed=self._rng.getrandbits(62),
                        size=bundled_size + own_size,
                        bundled_size=bundled_size,
                        position=0,
                    )
                position = state.position
                while position < state.size:
                    index = permute(position, state.size, state.seed)
                    position += 1
                    if index < state.bundled_size:
                        row = await store.story_at(theme, BUNDLED, index)
                    else:
                        row = await store.story_at(theme, guild, index - state.bundled_size)
                    if row is not None:
                        await store.save_round(
                            channel_id,
                            theme,
                            RoundRow(state.seed, state.size, state.bundled_size, position),
                        )
                        return Story.from_row(row)
                state = None
            log.warning(
                "channel %s theme %s: live stories counted but none found", channel_id, theme
            )
            return None

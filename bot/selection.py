"""Which story comes next in a channel: every story of a theme once, shuffled, then again."""

from __future__ import annotations

import random
from collections.abc import Sequence

from bot.library import Library
from bot.records import ANY_THEME, BUNDLED, DrawAsk, Story


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

        The round lives in the database, so a restart carries on where it stopped, and two
        members asking at once never share a story.
        """
        [story] = await self.next_stories([(channel_id, guild_id, theme_id)])
        return story

    async def next_stories(
        self, asks: Sequence[tuple[int, int | None, int | None]]
    ) -> list[Story | None]:
        """:meth:`next_story` for many (channel, guild, theme) at once: the daily scheduler
        draws a pass so, in as few statements as the engine needs."""
        return await self.library.store.draw(
            [
                DrawAsk(theme or ANY_THEME, guild or BUNDLED, channel, self._rng.getrandbits(62))
                for channel, guild, theme in asks
            ]
        )

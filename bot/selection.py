"""Which story comes next in a channel: every story of a theme once, shuffled, then again."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

from bot.library import Library
from bot.records import ANY_THEME, BUNDLED, DrawAsk, MemberPreferences, Story


def own_round(member_id: int, channel_id: int) -> int:
    """The round key of one member's draws in one channel: negative, so no channel has it.

    A member who skips notes cannot draw from the channel's round: stepping past the
    stories they skip would use those slots up, and the rest of the channel would never
    get them this round. So their draws keep a round of their own, in the same table and
    with the same no-repeat promise, and the channel's round goes on untouched for others.
    Per channel rather than per member, because a channel fixes the server whose stories
    a round counts (a round keeps its size while it lasts).
    """
    digest = hashlib.blake2b(f"{member_id}:{channel_id}".encode(), digest_size=8).digest()
    return -1 - (int.from_bytes(digest, "big") >> 2)


class Selector:
    def __init__(self, library: Library, rng: random.Random | None = None) -> None:
        self.library = library
        # A round's seed only has to differ from channel to channel, not be secret; the
        # system's generator costs a system call on every draw.
        self._rng = rng or random.Random()

    async def next_story(
        self,
        *,
        channel_id: int,
        guild_id: int | None,
        theme_id: int | None,
        reader: MemberPreferences | None = None,
    ) -> Story | None:
        """The next story of the channel's round for ``theme_id`` (None: any theme).

        The round lives in the database, so a restart carries on where it stopped, and two
        members asking at once never share a story. A ``reader`` who skips notes draws from
        a round of their own (see :func:`own_round`) and never gets a story with one.
        """
        ask = self._ask(channel_id, guild_id, theme_id)
        if reader is not None and reader.skipped:
            ask = DrawAsk(
                ask.theme_id,
                ask.guild_id,
                own_round(reader.member_id, channel_id),
                ask.fresh_seed,
                reader.skipped,
            )
        [story] = await self.library.store.draw([ask])
        return story

    async def next_stories(
        self, asks: Sequence[tuple[int, int | None, int | None]]
    ) -> list[Story | None]:
        """:meth:`next_story` for many (channel, guild, theme) at once: the daily scheduler
        draws a pass so, in as few statements as the engine needs."""
        return await self.library.store.draw(
            [self._ask(channel, guild, theme) for channel, guild, theme in asks]
        )

    def _ask(self, channel_id: int, guild_id: int | None, theme_id: int | None) -> DrawAsk:
        return DrawAsk(
            theme_id or ANY_THEME, guild_id or BUNDLED, channel_id, self._rng.getrandbits(62)
        )

"""Messages the bot must send once, crash or not: the daily post and the moderator card.

Each carries a key of the bot's own at the end of its embed's footer, and every try of one
message sends the same nonce with ``enforce_nonce``. Discord drops a repeat only for a few
minutes, so nothing rests on the nonce: before trying again a message whose earlier try is
uncertain, the bot reads the channel and records its own message with that key if it is
there (:func:`find_own`).
"""

from __future__ import annotations

from datetime import datetime

import discord
from discord.http import handle_message_parameters

from bot.client import StoryBot
from cogs.channel_access import look


class CannotLook(Exception):
    """Discord says the bot lacks ``permission`` in the channel: a reader without Read
    Message History gets no messages, not a refusal, so a look would find nothing and the
    message would go out twice."""

    def __init__(self, permission: str) -> None:
        super().__init__(permission)
        self.permission = permission


async def send_once(
    bot: StoryBot,
    channel_id: int,
    nonce: str,
    *,
    embed: discord.Embed,
    view: discord.ui.View | None = None,
) -> int:
    """Send one embed (with its buttons) that may not ping; the new message's id."""
    # discord.py's send has no enforce_nonce; without it Discord ignores the nonce.
    extra = {"view": view} if view is not None else {}
    with handle_message_parameters(
        embed=embed,
        nonce=nonce,
        allowed_mentions=discord.AllowedMentions.none(),
        **extra,
    ) as params:
        assert params.payload is not None
        params.payload["enforce_nonce"] = True
        data = await bot.http.send_message(channel_id, params=params)
    return int(data["id"])


async def find_own(
    bot: StoryBot,
    channel_id: int,
    key: str,
    since: datetime,
    limit: int,
    *,
    dm: bool = False,
) -> int | None:
    """The id of the bot's own message in the channel whose footer ends with ``key``, among
    the first ``limit`` sent from ``since`` on, or None. In a server's channel (not a
    ``dm``, where the bot always reads its own) Discord is asked first whether the bot may
    read there: raises :class:`CannotLook` if not, :class:`cogs.channel_access.LookupFailed`
    if Discord does not answer, and discord.py's errors as they come."""
    me = bot.user
    if me is None:
        raise RuntimeError("not logged in yet")
    if not dm:
        access = await look(bot, channel_id)
        # A deleted channel is left to the read below, which Discord refuses as deleted.
        if not access.deleted and access.missing is not None:
            raise CannotLook(access.missing)
    target = bot.get_partial_messageable(channel_id)
    after = discord.Object(discord.utils.time_snowflake(since))
    async for message in target.history(limit=limit, after=after, oldest_first=True):
        if message.author.id == me.id and any(
            (embed.footer.text or "").endswith(key) for embed in message.embeds
        ):
            return message.id
    return None

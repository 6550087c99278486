"""What the bot keeps of each server the gateway sends it: the server itself, nothing in it.

Every GUILD_CREATE would become discord.py's cache of the server, its channels, roles,
threads, emojis, stickers and the bot's own member; at 20,000 servers of 20 channels and
10 roles (bench/shards.py) that cache was most of the bot's memory. The bot reads none of
it: interactions carry the member, their roles and permissions, and the bot's permissions
where the command was typed; sends go to a channel by its id; and the rare command that
must know the bot's permissions in another channel (``/daily set``, ``/settings
moderation``, a paused daily post) asks Discord then (cogs/channel_access.py). So each
server is kept as a bare :class:`discord.Guild`, which discord.py's interactions and its
bookkeeping (shards' readiness, ``guild_join``/``guild_remove``) need: its id, its name (a
member's DM about a submission names the server) and its owner (who has every permission,
cogs/channel_access.py). Measured with
tracemalloc through discord.py's own parser, that is about 1.2 KB a server, against 23 KB
for discord.py's full cache of the benchmark's servers (bench/shards.py's ``guild_payload``).
discord.py adds a bare member for the bot at a server's first interaction, a few hundred
bytes more, and nothing reads it.

The events that would fill the cache again later (a channel or role made or changed, a
thread, new emojis) are dropped before discord.py sees them, and a GUILD_UPDATE is slimmed
as a GUILD_CREATE is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord

# What a GUILD_CREATE or GUILD_UPDATE brings that the bot never reads.
UNUSED = (
    "channels",
    "threads",
    "roles",
    "members",
    "voice_states",
    "presences",
    "emojis",
    "stickers",
    "soundboard_sounds",
    "stage_instances",
    "guild_scheduled_events",
    # A few strings per server, and discord.py keeps a list of them each.
    "features",
)
# Events that would only add to or change what is not kept. Deletions and updates of
# what is not there cost discord.py a dictionary miss and a debug line; these would add.
DROPPED = (
    "CHANNEL_CREATE",
    "CHANNEL_UPDATE",
    "CHANNEL_DELETE",
    "CHANNEL_PINS_UPDATE",
    "THREAD_CREATE",
    "THREAD_UPDATE",
    "THREAD_DELETE",
    "THREAD_LIST_SYNC",
    "THREAD_MEMBER_UPDATE",
    "THREAD_MEMBERS_UPDATE",
    "GUILD_ROLE_CREATE",
    "GUILD_ROLE_UPDATE",
    "GUILD_ROLE_DELETE",
    "GUILD_EMOJIS_UPDATE",
    "GUILD_STICKERS_UPDATE",
    "GUILD_SOUNDBOARD_SOUND_CREATE",
    "GUILD_SOUNDBOARD_SOUND_UPDATE",
    "GUILD_SOUNDBOARD_SOUND_DELETE",
    "GUILD_SOUNDBOARD_SOUNDS_UPDATE",
    "STAGE_INSTANCE_CREATE",
    "STAGE_INSTANCE_UPDATE",
    "STAGE_INSTANCE_DELETE",
    "GUILD_SCHEDULED_EVENT_CREATE",
    "GUILD_SCHEDULED_EVENT_UPDATE",
    "GUILD_SCHEDULED_EVENT_DELETE",
)

Parser = Callable[[dict[str, Any]], None]


def slim_guild(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a GUILD_CREATE or GUILD_UPDATE) without what the bot never reads."""
    for key in UNUSED:
        if key in data:
            data[key] = []
    return data


def _ignore(data: dict[str, Any]) -> None:
    return None


def install(client: discord.Client) -> None:
    """Keep only the bare server of everything the gateway sends ``client`` from now on.

    discord.py hands each gateway event to ``parsers[EVENT]``; these wrap or replace its own."""
    parsers: dict[str, Parser] = client._connection.parsers

    def slimmed(parse: Parser) -> Parser:
        def parsed(data: dict[str, Any]) -> None:
            parse(slim_guild(data))

        return parsed

    parsers["GUILD_CREATE"] = slimmed(parsers["GUILD_CREATE"])
    parsers["GUILD_UPDATE"] = slimmed(parsers["GUILD_UPDATE"])
    for event in DROPPED:
        if event in parsers:
            parsers[event] = _ignore

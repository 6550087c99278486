"""What the bot keeps of each server the gateway sends it, and what it leaves out.

Every GUILD_CREATE becomes discord.py's cache of the server: measured at 20,000 servers of
20 channels and 10 roles (bench/shards.py), that cache is most of the bot's memory. The bot
needs, per server, its text and announcement channels with their permission overwrites,
the roles, and its own member: enough to tell which permission it lacks where it posts
(``/daily set``, a paused daily post). It never reads voice channels, categories, stage
channels, threads, emojis, stickers, sounds or channel topics, so they are dropped before
discord.py builds them. And channels mostly repeat the same overwrites (a category's
channels share its overwrites): discord.py never changes an overwrite in place, so equal
ones are kept once per server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord

# Text and announcement channels: where daily posts go, what /daily set accepts.
KEPT_CHANNEL_TYPES = frozenset({0, 5})
UNUSED = ("threads", "emojis", "stickers", "soundboard_sounds", "stage_instances")

Parser = Callable[[dict[str, Any]], None]


def slim_guild(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a GUILD_CREATE) without what the bot never reads."""
    channels = data.get("channels") or []
    data["channels"] = [c for c in channels if c.get("type") in KEPT_CHANNEL_TYPES]
    for channel in data["channels"]:
        # A channel's topic is a few hundred characters the bot never shows.
        channel["topic"] = None
    for key in UNUSED:
        if key in data:
            data[key] = []
    return data


def share_overwrites(guild: discord.Guild) -> None:
    """Keep each distinct permission overwrite of ``guild`` once, whichever channels have it."""
    kept: dict[tuple[int, int, int, int], Any] = {}
    for channel in guild.channels:
        overwrites = getattr(channel, "_overwrites", None)
        if overwrites:
            channel._overwrites = [  # type: ignore[union-attr]
                kept.setdefault((o.id, o.allow, o.deny, o.type), o) for o in overwrites
            ]


def install(client: discord.Client) -> None:
    """Slim every server and channel the gateway sends ``client`` from now on.

    discord.py hands each gateway event to ``parsers[EVENT]``; these wrap its own."""
    state = client._connection
    parsers: dict[str, Parser] = state.parsers
    guild_create, channel_create = parsers["GUILD_CREATE"], parsers["CHANNEL_CREATE"]
    channel_update = parsers["CHANNEL_UPDATE"]

    def on_guild_create(data: dict[str, Any]) -> None:
        guild_create(slim_guild(data))
        guild = state._get_guild(int(data["id"]))
        if guild is not None:
            share_overwrites(guild)

    def on_channel(parse: Parser) -> Parser:
        def parsed(data: dict[str, Any]) -> None:
            if data.get("type") in KEPT_CHANNEL_TYPES:
                parse(data)

        return parsed

    parsers["GUILD_CREATE"] = on_guild_create
    parsers["CHANNEL_CREATE"] = on_channel(channel_create)
    parsers["CHANNEL_UPDATE"] = on_channel(channel_update)

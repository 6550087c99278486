"""The bot's permissions in one channel, asked of Discord when a command needs them.

The bot keeps no channels nor roles (bot/guild_cache.py): an interaction tells the bot its
permissions only where the command was typed, and a daily post goes to a channel chosen
long ago. So the few questions about another channel (``/daily set``, ``/settings
moderation``, ``/daily show`` and ``/daily test``, why a post was refused, whether the bot
may read a channel before looking for its own message there) read it from Discord then:
the channel (its overwrites; 404 means deleted, 403 that the bot cannot see it), the
server's roles, and the bot's own member there, and work out the permissions the way
Discord documents it ("Permissions", computing permissions).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import discord

from bot.client import StoryBot
from bot.errors import DomainError

# What the bot needs in a channel it posts in, in the order a member should fix it.
NEEDED = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    # To find its own post again before retrying one a crash may have sent already.
    ("read_message_history", "Read Message History"),
)
UNKNOWN_CHANNEL = 10003
# A command has 3 s for its first answer: the looks must leave time to give it. discord.py
# would otherwise wait out a 429 or retry a 502 for many seconds.
LOOKUP_SECONDS = 2.0
ALL = discord.Permissions.all().value
ADMINISTRATOR = discord.Permissions(administrator=True).value
# What a timed-out member keeps of their permissions in a channel.
TIMED_OUT_KEEPS = discord.Permissions(view_channel=True, read_message_history=True).value
ROLE, MEMBER = 0, 1


class LookupFailed(Exception):
    """Discord did not answer a look (a 5xx, a time-out, the network): nothing is known."""


@dataclass(frozen=True)
class Access:
    """What the bot may do in a channel, as Discord said just now."""

    deleted: bool = False
    # The first permission of NEEDED the bot lacks there, by its name in Discord's settings.
    missing: str | None = None


def permissions_in(
    channel: Mapping[str, Any],
    roles: Sequence[Mapping[str, Any]],
    member: Mapping[str, Any],
    *,
    owner_id: int | None,
    now: datetime,
) -> int:
    """The permissions ``member`` has in ``channel`` (payloads as Discord's REST API gives
    them), in Discord's order: the owner has all; else @everyone and the member's roles,
    where Administrator means all; then the @everyone overwrite, the member's role
    overwrites (deny, then allow), and the member's own overwrite; a time-out last."""
    user_id = int(member["user"]["id"])
    if user_id == owner_id:
        return ALL
    guild_id = int(channel["guild_id"])
    of_role = {int(role["id"]): int(role["permissions"]) for role in roles}
    held = {int(role_id) for role_id in member.get("roles") or ()}
    permissions = of_role.get(guild_id, 0)
    for role_id in held:
        permissions |= of_role.get(role_id, 0)
    if permissions & ADMINISTRATOR:
        return ALL
    overwrites = {
        (int(o["type"]), int(o["id"])): (int(o["allow"]), int(o["deny"]))
        for o in channel.get("permission_overwrites") or ()
    }
    allow, deny = overwrites.get((ROLE, guild_id), (0, 0))
    permissions = (permissions & ~deny) | allow
    allow = deny = 0
    for role_id in held - {guild_id}:
        role_allow, role_deny = overwrites.get((ROLE, role_id), (0, 0))
        allow, deny = allow | role_allow, deny | role_deny
    permissions = (permissions & ~deny) | allow
    allow, deny = overwrites.get((MEMBER, user_id), (0, 0))
    permissions = (permissions & ~deny) | allow
    until = member.get("communication_disabled_until")
    if until and datetime.fromisoformat(until) > now:
        permissions &= TIMED_OUT_KEEPS
    return permissions


def first_missing(permissions: int) -> str | None:
    """The first permission of NEEDED that ``permissions`` lack, by its name, or None."""
    have = discord.Permissions(permissions)
    return next((name for attribute, name in NEEDED if not getattr(have, attribute)), None)


async def look(bot: StoryBot, channel_id: int) -> Access:
    """What the bot may do in ``channel_id`` now, from Discord. Raises
    :class:`LookupFailed` when Discord does not answer."""
    try:
        async with asyncio.timeout(LOOKUP_SECONDS):
            return await _look(bot, channel_id)
    except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as error:
        # NotFound and Forbidden are answers, and _look takes them as such: what is left
        # (a 5xx, a 429 past the wait, a dropped connection) says nothing of the channel.
        raise LookupFailed(type(error).__name__) from error


async def _look(bot: StoryBot, channel_id: int) -> Access:
    http = bot.http
    try:
        channel = await http.get_channel(channel_id)
    except discord.NotFound as error:
        if error.code == UNKNOWN_CHANNEL:
            return Access(deleted=True)
        raise
    except discord.Forbidden:
        return Access(missing="View Channel")
    if channel.get("guild_id") is None:
        return Access()  # a DM: nothing there is a server's to refuse
    guild_id = int(channel["guild_id"])
    assert bot.user is not None  # logged in: it answers interactions
    roles, member = await asyncio.gather(
        http.get_roles(guild_id), http.get_member(guild_id, bot.user.id), return_exceptions=True
    )
    for answer in (roles, member):
        if isinstance(answer, discord.NotFound | discord.Forbidden):
            # The bot left or was removed between the looks: it sees nothing there.
            return Access(missing="View Channel")
    if isinstance(roles, BaseException):
        raise roles
    if isinstance(member, BaseException):
        raise member
    # The server's owner comes with the server, which the bot keeps (bot/guild_cache.py).
    guild = bot.get_guild(guild_id)
    permissions = permissions_in(
        channel,
        roles,
        member,
        owner_id=guild.owner_id if guild is not None else None,
        now=discord.utils.utcnow(),
    )
    return Access(missing=first_missing(permissions))


def lookup_failed(channel_id: int) -> str:
    return (
        f"Discord didn't answer when I checked my permissions in <#{channel_id}>; "
        "please try again in a minute."
    )


async def asked(bot: StoryBot, channel_id: int) -> Access:
    """:func:`look`, for a command: Discord's silence becomes the sentence a member sees."""
    try:
        return await look(bot, channel_id)
    except LookupFailed as error:
        raise DomainError(lookup_failed(channel_id)) from error

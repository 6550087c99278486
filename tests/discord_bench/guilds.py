"""GUILD_CREATE and CHANNEL_UPDATE payloads that agree with FakeDiscord's channels.

A bot with the guilds intent learns its servers from the gateway: each GUILD_CREATE brings
the guild's roles, its channels with their permission overwrites, and the bot's own member.
discord.py builds its cache from that, and ``channel.permissions_for(guild.me)`` answers
from the cache. These payloads describe FakeDiscord's world, so the permissions the bot
computes are exactly the ones FakeDiscord enforces on REST:

- ``@everyone`` (the role whose id is the guild's) grants ordinary member permissions;
- the bot's own role grants ``BOT_DEFAULT_PERMISSIONS``;
- each channel carries a member overwrite for the bot that allows the channel's
  ``bot_permissions`` and denies the bot permissions it lacks there.
"""

from __future__ import annotations

from typing import Any

from tests.discord_bench.server import (
    BOT_DEFAULT_PERMISSIONS,
    BOT_USER_ID,
    Channel,
    FakeDiscord,
    bot_user,
)

MEMBER_BASE = (1 << 10) | (1 << 11) | (1 << 16)
JOINED_AT = "2024-01-01T00:00:00+00:00"


def bot_role_id(guild_id: int) -> int:
    return guild_id + 7


def own_member(role_id: int) -> dict[str, Any]:
    """The bot's own member of a server, holding ``role_id``: with the guilds intent, the
    one member GUILD_CREATE brings."""
    return {
        "user": bot_user(),
        "roles": [str(role_id)],
        "joined_at": JOINED_AT,
        "deaf": False,
        "mute": False,
        "flags": 0,
    }


def channel_json(channel: Channel, position: int = 0) -> dict[str, Any]:
    denied = BOT_DEFAULT_PERMISSIONS & ~channel.bot_permissions
    return {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "position": position,
        "parent_id": None,
        "nsfw": False,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "permission_overwrites": [
            {
                "id": str(BOT_USER_ID),
                "type": 1,
                "allow": str(channel.bot_permissions),
                "deny": str(denied),
            }
        ],
    }


def guild_create(world: FakeDiscord, guild_id: int, name: str = "Bench Ward") -> dict[str, Any]:
    """A GUILD_CREATE event for ``guild_id`` holding every FakeDiscord channel of it."""
    channels = [c for c in world.channels.values() if c.guild_id == guild_id and c.type != 1]
    role = bot_role_id(guild_id)
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "owner_id": "1400000000000000099",
        "unavailable": False,
        "member_count": 3,
        "large": False,
        "features": [],
        "verification_level": 0,
        "explicit_content_filter": 0,
        "default_message_notifications": 0,
        "mfa_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-GB",
        "joined_at": JOINED_AT,
        "emojis": [],
        "stickers": [],
        "roles": [
            _role(guild_id, "@everyone", MEMBER_BASE, 0),
            _role(role, "Bedside Stories", BOT_DEFAULT_PERMISSIONS, 1, managed=True),
        ],
        "channels": [channel_json(c, i) for i, c in enumerate(channels)],
        "threads": [],
        "members": [own_member(role)],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def _role(role_id: int, name: str, permissions: int, position: int, **extra: Any) -> dict:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "hoist": False,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
        **extra,
    }

"""A server as Discord describes it, from FakeDiscord's world: its channels, roles and the
bot's own member, as GUILD_CREATE brings them and as the REST API answers for them
(access.py).

The permissions the bot computes from these are exactly the ones FakeDiscord enforces on
its sends:

- ``@everyone`` (the role whose id is the guild's) grants ordinary member permissions;
- the bot's own role grants ``BOT_DEFAULT_PERMISSIONS``;
- each channel carries a member overwrite for the bot that allows the channel's
  ``bot_permissions`` and denies the bot permissions it lacks there.

A test may describe the same permissions another way (``FakeDiscord.roles`` and
``bot_member``, ``Channel.overwrites``: a role denied Embed Links, an Administrator role),
and then keeps ``bot_permissions`` agreeing with it.
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
OWNER_ID = 1400000000000000099


def bot_role_id(guild_id: int) -> int:
    return guild_id + 7


def own_member(*role_ids: int, **extra: Any) -> dict[str, Any]:
    """The bot's own member of a server, holding ``role_ids``: with the guilds intent, the
    one member GUILD_CREATE brings."""
    return {
        "user": bot_user(),
        "roles": [str(role_id) for role_id in role_ids],
        "joined_at": JOINED_AT,
        "deaf": False,
        "mute": False,
        "flags": 0,
        **extra,
    }


def bot_member(world: FakeDiscord, guild_id: int) -> dict[str, Any]:
    """The bot's member of ``guild_id`` in ``world``: its own role, and what a test gave it."""
    extra = dict(world.bot_member.get(guild_id, {}))
    more = extra.pop("roles", [])
    return own_member(bot_role_id(guild_id), *more, **extra)


def role(role_id: int, name: str, permissions: int, position: int, **extra: Any) -> dict:
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


def roles_json(world: FakeDiscord, guild_id: int) -> list[dict[str, Any]]:
    return [
        role(guild_id, "@everyone", MEMBER_BASE, 0),
        role(bot_role_id(guild_id), "Bedside Stories", BOT_DEFAULT_PERMISSIONS, 1, managed=True),
        *world.roles.get(guild_id, []),
    ]


def channel_json(channel: Channel, position: int = 0) -> dict[str, Any]:
    denied = BOT_DEFAULT_PERMISSIONS & ~channel.bot_permissions
    overwrites = channel.overwrites
    if overwrites is None:
        overwrites = [
            {
                "id": str(BOT_USER_ID),
                "type": 1,
                "allow": str(channel.bot_permissions),
                "deny": str(denied),
            }
        ]
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
        "permission_overwrites": overwrites,
    }


def guild_create(world: FakeDiscord, guild_id: int, name: str = "Bench Ward") -> dict[str, Any]:
    """A GUILD_CREATE event for ``guild_id`` holding every FakeDiscord channel of it."""
    channels = [c for c in world.channels.values() if c.guild_id == guild_id and c.type != 1]
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "owner_id": str(world.owners.get(guild_id, OWNER_ID)),
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
        "roles": roles_json(world, guild_id),
        "channels": [channel_json(c, i) for i, c in enumerate(channels)],
        "threads": [],
        "members": [bot_member(world, guild_id)],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }

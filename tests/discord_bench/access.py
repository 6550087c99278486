"""What the stand-in Discord (server.py) answers when the bot asks about a server: a
channel, the server's roles, the bot's own member there.

The answers are the world's, built as guilds.py builds GUILD_CREATE, so the permissions
the bot works out from them are the ones the stand-in enforces on sends. Refusals are
Discord's: a channel that is gone is 404 10003, one the bot cannot see 403 50001, a
server the world does not hold 404 10004, a member other than the bot (the stand-in knows
no other) 404 10007.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.discord_bench.guilds import bot_member, channel_json, roles_json
from tests.discord_bench.server import BOT_USER_ID, VIEW_CHANNEL, _json

if TYPE_CHECKING:
    from tests.discord_bench.server import FakeDiscord

UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007


async def get_channel(
    world: FakeDiscord, request: web.Request, parts: list[str], body: Any
) -> web.Response:
    channel = world._channel_or_error(request, int(parts[1]), body, VIEW_CHANNEL)
    if isinstance(channel, web.Response):
        return channel
    if channel.guild_id is None:
        return _json(world._channel_json(channel))
    return _json(channel_json(channel))


def _known(world: FakeDiscord, guild_id: int) -> bool:
    return guild_id in world.roles or any(c.guild_id == guild_id for c in world.channels.values())


async def get_roles(
    world: FakeDiscord, request: web.Request, parts: list[str], body: Any
) -> web.Response:
    guild_id = int(parts[1])
    if not _known(world, guild_id):
        return world._error(request, body, 404, UNKNOWN_GUILD, [])
    return _json(roles_json(world, guild_id))


async def get_member(
    world: FakeDiscord, request: web.Request, parts: list[str], body: Any
) -> web.Response:
    guild_id, user_id = int(parts[1]), int(parts[3])
    if not _known(world, guild_id):
        return world._error(request, body, 404, UNKNOWN_GUILD, [])
    if user_id != BOT_USER_ID:
        return world._error(request, body, 404, UNKNOWN_MEMBER, [])
    return _json(bot_member(world, guild_id))

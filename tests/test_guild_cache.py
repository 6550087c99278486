"""The bot keeps less of each server than discord.py would, and still knows its permissions.

Channels of one server mostly repeat the same overwrites, and the bot keeps each once; a
change to one channel must still leave the others as they were."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.sharding import shard_of
from tests.discord_bench.guilds import bot_role_id, channel_json, guild_create
from tests.discord_bench.payloads import ADMIN, GUILD_ID, ChannelRef, Where
from tests.discord_bench.server import (
    BOT_DEFAULT_PERMISSIONS,
    BOT_USER_ID,
    EMBED_LINKS,
    Channel,
    FakeDiscord,
)
from tests.discord_bench.sharded import ShardedBench

WARDS = (GUILD_ID + 1, GUILD_ID + 2)
VOICE = GUILD_ID + 3
# A role of the bot's that the server denies Embed Links in both wards.
QUIET = GUILD_ID + 8


def ward(channel: Channel, *, quiet: bool) -> dict[str, Any]:
    """The channel as the gateway sends it: the bot's own overwrite allows it to see and
    send there; with ``quiet``, its Quiet role is denied Embed Links there."""
    data = channel_json(channel)
    allowed = BOT_DEFAULT_PERMISSIONS & ~EMBED_LINKS
    data["permission_overwrites"] = [
        {"id": str(BOT_USER_ID), "type": 1, "allow": str(allowed), "deny": "0"}
    ]
    if quiet:
        data["permission_overwrites"].append(
            {"id": str(QUIET), "type": 0, "allow": "0", "deny": str(EMBED_LINKS)}
        )
    return data


def with_quiet_role(world: FakeDiscord) -> Callable[[int], dict[str, Any]]:
    def payload(guild_id: int) -> dict[str, Any]:
        data = guild_create(world, guild_id)
        data["roles"].append({**data["roles"][0], "id": str(QUIET), "name": "Quiet"})
        data["members"][0]["roles"].append(str(QUIET))
        data["channels"] = [ward(world.channels[w], quiet=True) for w in WARDS]
        voice = {**data["channels"][0], "id": str(VOICE), "type": 2, "name": "break room"}
        voice.update(bitrate=64000, user_limit=0)
        data["channels"].append(voice)
        return data

    return payload


async def daily_set(bench: ShardedBench, channel_id: int) -> str:
    options = {"channel": ChannelRef(channel_id), "time": "9am", "timezone": "UTC"}
    where = Where(guild_id=GUILD_ID, channel_id=channel_id)
    return (await bench.slash("daily set", user=ADMIN, where=where, **options)).text


async def test_a_change_to_one_channel_leaves_the_shared_overwrites_of_others(tmp_path, database):
    bench = ShardedBench(tmp_path, env={**database, "SHARD_COUNT": "1"}, guilds=[GUILD_ID])
    bench.discord.add_channel(WARDS[1], GUILD_ID)
    for channel_id in WARDS:
        bench.discord.channels[channel_id].bot_permissions &= ~EMBED_LINKS
    bench.gateway.guild_payload = with_quiet_role(bench.discord)
    async with bench:
        assert bench.bot is not None
        guild = bench.bot.get_guild(GUILD_ID)
        assert guild is not None and bot_role_id(GUILD_ID) in [r.id for r in guild.me.roles]
        # Nothing the bot reads: not kept.
        assert guild.get_channel(VOICE) is None
        for channel_id in WARDS:
            assert "I need the Embed Links permission there" in await daily_set(bench, channel_id)
        # The server lets the bot embed in the first ward only.
        first = bench.discord.channels[WARDS[0]]
        first.bot_permissions |= EMBED_LINKS
        await bench.gateway.deliver("CHANNEL_UPDATE", ward(first, quiet=False))
        await bench.gateway.synced(bench.gateway.session_of(shard_of(GUILD_ID, 1)))
        assert "09:00 (UTC)" in await daily_set(bench, WARDS[0])
        assert "I need the Embed Links permission there" in await daily_set(bench, WARDS[1])

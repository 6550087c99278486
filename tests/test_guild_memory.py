"""What a server costs the bot's memory: the bare server, whatever the gateway sends of it.

discord.py's own cache of a server of 20 channels and 10 roles is about 23 KB; the bot
keeps about 1.2 KB (bot/guild_cache.py), so a thousand servers must stay under 2 MB.
"""

from __future__ import annotations

import gc
import json
import tracemalloc

from tests.discord_bench.guilds import guild_create, role
from tests.discord_bench.harness import Bench
from tests.discord_bench.payloads import GUILD_ID

SERVERS = 1000
PER_SERVER_LIMIT = 2048


async def test_a_thousand_servers_of_twenty_channels_cost_under_two_kilobytes_each(
    bench: Bench,
):
    world = bench.discord
    sent = []
    for n in range(1, SERVERS + 1):
        guild_id = GUILD_ID + (n << 22)
        for c in range(20):
            world.add_channel(guild_id + 1 + c, guild_id, name=f"ward-{c}")
        world.roles[guild_id] = [role(guild_id + 100 + r, f"Team {r}", 0, r + 2) for r in range(8)]
        sent.append(json.dumps(guild_create(world, guild_id)))
    assert bench.bot is not None
    parse = bench.bot._connection.parsers["GUILD_CREATE"]

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for raw in sent:
            parse(json.loads(raw))
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert len(bench.bot.guilds) == SERVERS
    assert kept / SERVERS < PER_SERVER_LIMIT, f"{kept / SERVERS:.0f} bytes a server"

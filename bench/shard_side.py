"""One side of the sharded benchmark, alone in its process so its memory is its own.

Run by bench/shards.py as ``python -m bench.shard_side SIDE REST_URL GATEWAY_URL DB``:
SIDE ``bot`` is the real StoryBot with its services on the SQLite file DB; SIDE
``baseline`` is a plain discord.py AutoShardedBot with the ``guilds`` intent and default
caches whose ``/story`` answers a fixed card. Both connect every shard to the gateway
stand-in and serve until standard input closes, then print one JSON line: peak memory.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
from pathlib import Path

import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands
from discord.ext import commands

from bench.serve import FIXED_STORY
from bot.client import StoryBot
from bot.services import open_services
from bot.settings import load_settings
from cogs.cards import story_embed
from cogs.stories import story_controls
from tests.discord_bench.harness import FAKE_TOKEN

SHARDS = 20


def baseline() -> commands.AutoShardedBot:
    bot = commands.AutoShardedBot(
        command_prefix=commands.when_mentioned,
        intents=discord.Intents(guilds=True),
        shard_count=SHARDS,
    )

    @bot.tree.command(name="story", description="Benchmark baseline: a fixed card")
    @app_commands.describe(theme="ignored")
    async def story(interaction: discord.Interaction, theme: str | None = None) -> None:
        await interaction.response.send_message(
            embed=story_embed(FIXED_STORY, None, hidden=False),
            view=story_controls(0, FIXED_STORY.id),
        )

    return bot


async def serve(bot: commands.AutoShardedBot) -> None:
    async with bot:
        await bot.login(FAKE_TOKEN)
        connecting = asyncio.create_task(bot.connect())
        # The runner closes standard input when it has measured what it came for.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await bot.close()
        connecting.cancel()


async def main(side: str, rest: str, gateway: str, db: Path) -> dict[str, float]:
    discord.http.Route.BASE = rest
    # With a shard count given, discord.py dials this address without asking /gateway/bot.
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    if side == "baseline":
        await serve(baseline())
    else:
        env = {
            "DISCORD_TOKEN": FAKE_TOKEN,
            "DATABASE_PATH": str(db),
            "SHARD_COUNT": str(SHARDS),
            "LOG_LEVEL": "WARNING",
        }
        async with open_services(load_settings(env)) as services:
            await serve(StoryBot(services))
    return {"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


if __name__ == "__main__":
    side_name, rest_url, gateway_url, db_path = sys.argv[1:5]
    print(json.dumps(asyncio.run(main(side_name, rest_url, gateway_url, Path(db_path)))))

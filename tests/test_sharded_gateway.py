"""The bot as an AutoShardedBot on a stand-in gateway: the right shard answers, a dropped
shard resumes, and a shard Discord refuses stops start-up in one sentence."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from bot.sharding import SHARD_TAG, shard_of
from tests.discord_bench.gateway import FakeGateway
from tests.discord_bench.guilds import channel_json
from tests.discord_bench.harness import FAKE_TOKEN
from tests.discord_bench.payloads import ADMIN, GUILD_ID, ChannelRef, Where
from tests.discord_bench.server import EMBED_LINKS, FakeDiscord
from tests.discord_bench.sharded import ShardedBench
from tests.test_command_line import SETTING_NAMES

# Three servers made at consecutive moments: one on each of three shards.
GUILDS = [GUILD_ID + (n << 22) for n in range(3)]


def where(guild_id: int) -> Where:
    return Where(guild_id=guild_id, channel_id=guild_id + 1)


async def test_three_shards_in_one_process_answer_story_on_each_shard(tmp_path, database):
    env = {**database, "SHARD_COUNT": "3"}
    async with ShardedBench(tmp_path, env=env, guilds=GUILDS) as bench:
        assert sorted(bench.gateway.identified) == [(0, 3), (1, 3), (2, 3)]
        # discord.py asked for a compressed stream, and got one.
        assert {q.get("compress") for q in bench.gateway.queries} == {"zlib-stream"}
        assert bench.bot is not None
        for guild_id in GUILDS:
            # Each shard was sent its own server only, and the bot knows it is there.
            shard = shard_of(guild_id, 3)
            assert bench.gateway.session_of(shard).guild_ids == [guild_id]
            guild = bench.bot.get_guild(guild_id)
            assert guild is not None and guild.shard_id == shard
            reply = await bench.slash("story", theme="nicu", where=where(guild_id))
            assert bench.last_shard == shard
            assert reply.embeds[0]["author"]["name"].endswith("Neonatal intensive care")
            assert not reply.ephemeral


async def test_a_shard_whose_connection_drops_resumes_and_keeps_answering(tmp_path, database):
    env = {**database, "SHARD_COUNT": "3"}
    async with ShardedBench(tmp_path, env=env, guilds=GUILDS) as bench:
        before = bench.gateway.session_of(1)
        dropped = GUILDS[[shard_of(g, 3) for g in GUILDS].index(1)]
        await bench.gateway.drop(1)
        # Sent while the shard is away: Discord keeps it for the session's RESUME.
        reply = await bench.slash("story", theme="nicu", where=where(dropped))
        assert reply.embeds, "the resumed shard did not answer"
        assert bench.gateway.session_of(1) is before
        assert before.resumes == 1
        # A resume, not a new session: no second IDENTIFY, so no 5-second wait either.
        assert len(bench.gateway.identified) == 3
        other = await bench.slash("story", theme="nicu", where=where(GUILDS[0]))
        assert other.embeds


async def test_discord_recommends_the_shard_count_when_it_is_unset(tmp_path, database):
    async with ShardedBench(tmp_path, env=database, guilds=GUILDS) as bench:
        # /gateway/bot recommends one shard for three servers.
        assert bench.gateway.identified == [(0, 1)]
        reply = await bench.slash("story", theme="nicu", where=where(GUILDS[2]))
        assert reply.embeds


async def test_log_lines_about_a_server_name_its_shard(tmp_path, database):
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    keep = Keep()
    keep.setFormatter(logging.Formatter("%(name)s%(shard)s: %(message)s"))
    keep.addFilter(SHARD_TAG)
    logger = logging.getLogger("bot.scheduler")
    logger.addHandler(keep)
    try:
        env = {**database, "SHARD_COUNT": "3"}
        async with ShardedBench(tmp_path, env=env, guilds=GUILDS):
            logger.warning("guild %s: daily story paused at channel %s", GUILDS[1], 5)
            logger.warning("pruned %s old daily post claims", 3)
    finally:
        logger.removeHandler(keep)
    assert lines == [
        f"bot.scheduler shard={shard_of(GUILDS[1], 3)}: guild {GUILDS[1]}: daily story "
        "paused at channel 5",
        "bot.scheduler: pruned 3 old daily post claims",
    ]


# `python -m bot` as it starts, pointed at the stand-ins as the bench points discord.py.
START = """
import sys, discord.gateway, discord.http, yarl
discord.http.Route.BASE = sys.argv[1]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
from bot.__main__ import main
sys.exit(main([]))
"""


async def test_a_shard_holding_too_many_servers_stops_start_up_in_one_sentence(tmp_path):
    world = FakeDiscord()
    gateway = FakeGateway(world, FAKE_TOKEN)
    # 2,501 servers on the one shard SHARD_COUNT=1 gives: Discord closes it with 4011.
    gateway.add_guilds([GUILD_ID + (n << 22) for n in range(2501)])
    await world.start()
    await gateway.start()
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(
        DISCORD_TOKEN=FAKE_TOKEN,
        DATABASE_PATH=str(tmp_path / "shards.sqlite3"),
        SHARD_COUNT="1",
        PYTHONIOENCODING="utf-8",
    )
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            START,
            world.base_url,
            gateway.url,
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        await gateway.stop()
        await world.stop()
    stderr = err.decode()
    assert gateway.closes == [(0, 4011)]
    assert process.returncode == 2, stderr
    assert "Traceback" not in stderr
    told = [line for line in stderr.splitlines() if "2,500 servers" in line]
    assert told == [
        "Discord closed shard 0 because it holds more than 2,500 servers: raise SHARD_COUNT "
        "(about one shard per 1,000 servers), or leave it empty to use Discord's "
        "recommendation."
    ]


async def test_daily_set_asks_discord_though_the_bot_keeps_nothing_of_its_servers(
    tmp_path, database
):
    # The shard was sent every server with its channels and roles; the bot keeps the bare
    # server, and a channel's change on the gateway costs it nothing. /daily set asks.
    env = {**database, "SHARD_COUNT": "3"}
    async with ShardedBench(tmp_path, env=env, guilds=GUILDS) as bench:
        guild_id = GUILDS[2]
        channel = bench.discord.channels[guild_id + 1]
        options = {"channel": ChannelRef(channel.id), "time": "9am", "timezone": "UTC"}
        reply = await bench.slash("daily set", user=ADMIN, where=where(guild_id), **options)
        assert "09:00 (UTC)" in reply.text
        channel.bot_permissions &= ~EMBED_LINKS
        await bench.gateway.deliver("CHANNEL_UPDATE", channel_json(channel))
        await bench.gateway.synced(bench.gateway.session_of(shard_of(guild_id, 3)))
        guild = bench.bot.get_guild(guild_id) if bench.bot else None
        assert guild is not None and list(guild.channels) == list(guild.roles) == []
        refused = await bench.slash("daily set", user=ADMIN, where=where(guild_id), **options)
        assert refused.ephemeral
        assert "I need the Embed Links permission there" in refused.text

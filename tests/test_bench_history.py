"""The bench keeps a channel's past as Discord does: pages of history, and nonces for a
while; the crash tests lean on both (test_daily_crash.py)."""

from __future__ import annotations

import discord
import pytest
from discord.http import handle_message_parameters

from tests.discord_bench.harness import Bench
from tests.discord_bench.payloads import CHANNEL_ID


async def say(bench: Bench, text: str, nonce: str | None = None) -> int:
    assert bench.bot is not None
    with handle_message_parameters(content=text, nonce=nonce) as params:
        assert params.payload is not None
        params.payload["enforce_nonce"] = nonce is not None
        data = await bench.bot.http.send_message(CHANNEL_ID, params=params)
    bench.clock.advance(seconds=10)
    return int(data["id"])


async def test_history_pages_newest_first_between_before_and_after(bench: Bench):
    assert bench.bot is not None
    ids = [await say(bench, f"message {n}") for n in range(5)]
    channel = bench.bot.get_partial_messageable(CHANNEL_ID)
    newest = [m.id async for m in channel.history(limit=2)]
    assert newest == [ids[4], ids[3]]
    after = [m.id async for m in channel.history(after=discord.Object(ids[1]), oldest_first=True)]
    assert after == ids[2:]
    before = [m.id async for m in channel.history(before=discord.Object(ids[2]))]
    assert before == [ids[1], ids[0]]
    # A message's id tells when it was sent, as Discord's snowflakes do.
    since = discord.utils.time_snowflake(bench.clock.now)
    assert [m.id async for m in channel.history(after=discord.Object(since))] == []
    with pytest.raises(discord.HTTPException):
        await bench.bot.http.logs_from(CHANNEL_ID, 101)
    assert bench.expect_rejection().code == 50035


async def test_a_nonce_drops_a_repeat_only_inside_its_window(bench: Bench):
    bench.discord.nonces.window = 60
    first = await say(bench, "once", nonce="n1")
    assert await say(bench, "once", nonce="n1") == first
    bench.clock.advance(minutes=1)
    assert await say(bench, "once", nonce="n1") != first
    assert [m["content"] for m in bench.channel_messages()] == ["once", "once"]

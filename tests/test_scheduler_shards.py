"""Daily posts are sent by the process that holds the server's shard, and only once."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import UTC, datetime

from bot.schedules import DailySchedules
from bot.services import Services
from bot.sharding import ShardSlice, shard_of
from bot.timeparse import parse_time
from tests.discord_bench.harness import BenchClock
from tests.test_schedules_scheduler import (
    ADMIN,
    CHANNEL,
    GUILD,
    LONDON,
    Channel,
    clock,
    open_at,
    scheduler,
)

__all__ = ["clock"]  # the fixture, shared with the scheduler's own tests

SHARDS = 4
# Eight servers created at different moments: two on each of four shards.
GUILDS = [GUILD + (n << 22) for n in range(8)]


def channel_of(guild_id: int) -> int:
    return CHANNEL + GUILDS.index(guild_id)


async def nine_am_everywhere(services: Services) -> None:
    for guild_id in GUILDS:
        await DailySchedules(services.storage.schedules, services.clock).set(
            guild_id=guild_id,
            channel_id=channel_of(guild_id),
            minute=parse_time("9am"),
            zone=LONDON,
            theme_id=None,
            by=ADMIN,
        )


def posted_guilds(channel: Channel) -> list[int]:
    return sorted(GUILDS[channel_id - CHANNEL] for channel_id, _, _ in channel.posts)


async def test_each_process_posts_only_for_the_servers_on_its_shards(
    database: dict[str, str], clock: BenchClock
):
    assert sorted({shard_of(g, SHARDS) for g in GUILDS}) == [0, 1, 2, 3]
    async with AsyncExitStack() as stack:
        first = await open_at(database, clock, stack)
        second = await open_at(database, clock, stack)
        await nine_am_everywhere(first)
        low, high = Channel(), Channel()
        low_run = scheduler(first, low, shards=ShardSlice.of(SHARDS, [0, 1]))
        high_run = scheduler(second, high, shards=ShardSlice.of(SHARDS, [2, 3]))
        clock.advance(hours=1)
        await low_run.run_due()
        assert posted_guilds(low) == [g for g in GUILDS if shard_of(g, SHARDS) in (0, 1)]
        # The other half is still due, yet this process sleeps until its own next post
        # rather than waking at once, again and again, for posts it will never send.
        tomorrow = int(datetime(2026, 3, 3, 9, tzinfo=UTC).timestamp())
        assert await low_run.store.next_wake(low_run.shards) == tomorrow
        await high_run.run_due()
        assert posted_guilds(high) == [g for g in GUILDS if shard_of(g, SHARDS) in (2, 3)]
        assert await high_run.store.next_wake(high_run.shards) == tomorrow


async def test_processes_with_overlapping_shards_never_post_twice(
    database: dict[str, str], clock: BenchClock
):
    async with AsyncExitStack() as stack:
        first = await open_at(database, clock, stack)
        second = await open_at(database, clock, stack)
        await nine_am_everywhere(first)
        channel = Channel()
        racers = [
            scheduler(first, channel, shards=ShardSlice.of(SHARDS, [0, 1, 2])),
            scheduler(second, channel, shards=ShardSlice.of(SHARDS, [1, 2, 3])),
        ]
        clock.advance(hours=1)
        for _ in range(3):
            await asyncio.gather(*(r.run_due() for r in racers))
        assert posted_guilds(channel) == GUILDS
        clock.advance(days=1)
        await asyncio.gather(*(r.run_due() for r in reversed(racers)))
        assert posted_guilds(channel) == sorted(GUILDS * 2)

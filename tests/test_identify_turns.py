"""Processes started at the same moment identify no faster than Discord allows: one
identify per bucket (shard id % max_concurrency) every 5 seconds, counted across every
process on the database, so a fleet restart does not get the token rate-limited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from bot.client import IDENTIFY_SPACING, IdentifyGate
from bot.services import Services, open_services
from tests.discord_bench.harness import BenchClock
from tests.services_at import settings_at

STARTED = 1_800_000_000.0


class Process:
    """One process's identify gate, on its own services, with a clock of its own that
    moves only when the gate sleeps: both processes start at the same moment."""

    def __init__(self, services: Services, max_concurrency: int) -> None:
        self.now = STARTED
        self.gate = IdentifyGate(services.storage.gateway, clock=self.clock, sleep=self.sleep)
        self.gate.max_concurrency = max_concurrency
        # (shard, moment it identified)
        self.identified: list[tuple[int, float]] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)  # the other process runs meanwhile, as it would

    async def start(self, shards: list[int]) -> None:
        # discord.py identifies a process's shards one after another.
        for shard in shards:
            await self.gate.wait(shard)
            self.identified.append((shard, self.now))


@pytest.fixture
async def two(database: dict[str, str]) -> AsyncIterator[tuple[Services, Services]]:
    async with AsyncExitStack() as stack:
        opened = [
            await stack.enter_async_context(open_services(settings_at(database), BenchClock()))
            for _ in range(2)
        ]
        yield opened[0], opened[1]


async def start_together(two: tuple[Services, Services], max_concurrency: int) -> dict[int, float]:
    low, high = (Process(services, max_concurrency) for services in two)
    await asyncio.gather(low.start([0, 1]), high.start([2, 3]))
    return dict(low.identified + high.identified)


async def test_with_one_bucket_two_processes_identify_five_seconds_apart(two):
    moments = sorted((await start_together(two, max_concurrency=1)).values())
    assert moments == [STARTED + n * IDENTIFY_SPACING for n in range(4)]


async def test_each_bucket_keeps_its_own_turns_across_processes(two):
    moments = await start_together(two, max_concurrency=2)
    for bucket in (0, 1):
        first, second = sorted(at for shard, at in moments.items() if shard % 2 == bucket)
        # Whichever process comes second in a bucket waits its turn there.
        assert second - first >= IDENTIFY_SPACING, (bucket, moments)
    # ... and only there: two buckets take turns side by side, not one after the other
    # (four identifies in one bucket take until STARTED + 15).
    assert min(moments.values()) == STARTED
    assert max(moments.values()) <= STARTED + 2 * IDENTIFY_SPACING, moments


async def test_a_process_started_later_identifies_at_once(two):
    first, later = (Process(services, 1) for services in two)
    await first.start([0, 1])
    later.now = first.now + 60
    await later.start([2])
    assert later.identified == [(2, first.now + 60)]

"""The scheduler on a real SQLite file: claims, races, grace, retries and pauses.

Discord is played by a recording poster (the core's Poster protocol), so each test says
what a channel would have received.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.delivery import PauseDelivery, RetryDelivery
from bot.posting import BACKOFF_FIRST
from bot.records import Story
from bot.scheduler import Scheduler
from bot.schedules import DailySchedules
from bot.services import Services, open_services
from bot.themes import Theme
from bot.timeparse import parse_time
from tests.discord_bench.harness import BenchClock
from tests.services_at import settings_at, sql_rows

GUILD = 1300000000000000001
CHANNEL = 1300000000000000011
MOD_CHANNEL = 1300000000000000099
ADMIN = 1400000000000000003
LONDON = ZoneInfo("Europe/London")


class Channel:
    """What Discord would hold: posts per channel; failures a test lines up."""

    def __init__(self) -> None:
        self.posts: list[tuple[int, Story, str]] = []
        self.notes: list[tuple[int, str]] = []
        self.failures: list[Exception] = []
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()
        self.attempted: list[Story] = []
        self.keys: list[str] = []
        self.looked: list[str] = []

    async def post(
        self,
        channel_id: int,
        story: Story,
        theme: Theme | None,
        nonce: str,
        key: str,
        *,
        hidden: bool,
    ) -> int:
        self.entered.set()
        self.attempted.append(story)
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            raise self.failures.pop(0)
        self.posts.append((channel_id, story, nonce))
        self.keys.append(key)
        return len(self.posts)

    async def find(self, channel_id: int, key: str, since: int) -> int | None:
        self.looked.append(key)
        return self.keys.index(key) + 1 if key in self.keys else None

    async def notify(self, guild_id: int, channel_id: int, text: str) -> None:
        self.notes.append((channel_id, text))


async def open_at(database: dict[str, str], clock: BenchClock, stack: AsyncExitStack) -> Services:
    settings = settings_at(database)
    return await stack.enter_async_context(open_services(settings, clock))


def scheduler(
    services: Services, channel: Channel, mod: int | None = None, **options: Any
) -> Scheduler:
    async def mod_channel(guild_id: int) -> int | None:
        return mod

    return Scheduler(
        services.storage.schedules,
        services.selector,
        services.clock,
        poster=channel,
        grace=timedelta(minutes=services.settings.daily_grace_minutes),
        mod_channel=mod_channel,
        **options,
    )


@pytest.fixture
def clock() -> BenchClock:
    return BenchClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))


@pytest.fixture
async def services(database: dict[str, str], clock: BenchClock) -> AsyncIterator[Services]:
    async with AsyncExitStack() as stack:
        yield await open_at(database, clock, stack)


async def set_nine_am(services: Services, n: int = 0) -> None:
    """Server ``n`` (0: GUILD) posts at 9am London time in its own channel."""
    await DailySchedules(services.storage.schedules, services.clock).set(
        guild_id=GUILD + n,
        channel_id=CHANNEL + n,
        minute=parse_time("9am"),
        zone=LONDON,
        theme_id=None,
        by=ADMIN,
    )


async def test_nothing_is_posted_before_the_time_and_one_story_at_it(services, clock):
    await set_nine_am(services)
    channel = Channel()
    run = scheduler(services, channel)
    clock.advance(minutes=59)
    assert (await run.run_due()).sent == []
    clock.advance(minutes=1)
    assert len((await run.run_due()).sent) == 1
    await run.run_due()
    assert len(channel.posts) == 1
    assert await run.store.next_wake(run.shards) == int(
        datetime(2026, 3, 3, 9, tzinfo=UTC).timestamp()
    )


async def test_two_schedulers_racing_on_one_database_post_once(database: dict[str, str], clock):
    async with AsyncExitStack() as stack:
        first = await open_at(database, clock, stack)
        second = await open_at(database, clock, stack)
        await set_nine_am(first)
        channel = Channel()
        racers = [scheduler(first, channel), scheduler(second, channel)]
        clock.advance(hours=1)
        for _ in range(3):
            await asyncio.gather(*(r.run_due() for r in racers))
        assert len(channel.posts) == 1
        # The next day too, with the racers in the other order.
        clock.advance(days=1)
        await asyncio.gather(*(r.run_due() for r in reversed(racers)))
        assert len(channel.posts) == 2
        assert channel.posts[0][1].id != channel.posts[1][1].id


async def test_a_post_in_flight_is_not_taken_by_a_second_scheduler(database: dict[str, str], clock):
    async with AsyncExitStack() as stack:
        first = await open_at(database, clock, stack)
        second = await open_at(database, clock, stack)
        await set_nine_am(first)
        channel = Channel()
        channel.gate = asyncio.Event()
        clock.advance(hours=1)
        slow = asyncio.create_task(scheduler(first, channel).run_due())
        await channel.entered.wait()  # the first has claimed and is waiting on Discord
        assert (await scheduler(second, channel).run_due()).sent == []
        channel.gate.set()
        await slow
        assert len(channel.posts) == 1


async def test_a_post_claimed_before_is_not_sent_while_the_rest_of_the_pass_is(services, clock):
    # A database restored from a backup, or a hand edit, can hold a claim the schedule
    # does not know of: the promise is still one post per server and day.
    await set_nine_am(services)
    await set_nine_am(services, 1)
    await sql_rows(
        services,
        "INSERT INTO daily_posts (guild_id, local_date, due_at, status, claimed_at, "
        "finished_at) VALUES (?, '2026-03-02', 0, 'sent', 0, 0)",
        GUILD,
    )
    channel = Channel()
    clock.advance(hours=1)
    await scheduler(services, channel).run_due()
    assert [channel_id for channel_id, _, _ in channel.posts] == [CHANNEL + 1]


async def test_a_restarted_scheduler_does_not_post_again(database: dict[str, str], clock):
    channel = Channel()
    async with AsyncExitStack() as stack:
        services = await open_at(database, clock, stack)
        await set_nine_am(services)
        clock.advance(hours=1, minutes=5)
        await scheduler(services, channel).run_due()
    async with AsyncExitStack() as stack:
        services = await open_at(database, clock, stack)
        clock.advance(minutes=30)
        await scheduler(services, channel).run_due()
    assert len(channel.posts) == 1


async def test_a_post_missed_by_downtime_within_grace_is_sent_late(services, clock):
    await set_nine_am(services)
    channel = Channel()
    clock.advance(hours=2, minutes=59)  # 10:59: 1 h 59 min late, within two hours
    await scheduler(services, channel).run_due()
    assert len(channel.posts) == 1


async def test_a_post_missed_by_more_than_the_grace_period_is_skipped(services, clock):
    await set_nine_am(services)
    channel = Channel()
    run = scheduler(services, channel)
    clock.advance(hours=3, minutes=1)  # 11:01
    report = await run.run_due()
    assert (report.skipped, channel.posts) == (1, [])
    clock.advance(hours=23)  # 10:01 tomorrow: tomorrow's 09:00 is within grace
    await run.run_due()
    assert len(channel.posts) == 1
    posts = await run.store.posts(GUILD)
    assert [(p.local_date, p.status) for p in posts] == [
        ("2026-03-02", "skipped"),
        ("2026-03-03", "sent"),
    ]


async def test_passing_errors_are_retried_with_back_off_and_the_same_story(services, clock):
    await set_nine_am(services)
    channel = Channel()
    channel.failures = [RetryDelivery("503"), RetryDelivery("503")]
    run = scheduler(services, channel)
    clock.advance(hours=1)
    assert (await run.run_due()).retried == 1
    assert (await run.run_due()).retried == 0  # not yet: backing off
    clock.advance(seconds=BACKOFF_FIRST)
    assert (await run.run_due()).retried == 1
    clock.advance(seconds=BACKOFF_FIRST)
    assert (await run.run_due()).sent == []  # the second back-off is twice as long
    clock.advance(seconds=BACKOFF_FIRST)
    assert len((await run.run_due()).sent) == 1
    assert len(channel.posts) == 1
    assert len({nonce for _, _, nonce in channel.posts}) == 1


async def test_a_send_that_hangs_past_the_deadline_is_retried_with_the_same_story(services, clock):
    await set_nine_am(services)
    channel = Channel()
    channel.gate = asyncio.Event()  # Discord never answers the first attempt
    run = scheduler(services, channel, send_deadline=0.05)
    clock.advance(hours=1)
    report = await run.run_due()
    assert (report.retried, report.sent, channel.posts) == (1, [], [])
    channel.gate = None
    clock.advance(seconds=BACKOFF_FIRST)
    assert len((await run.run_due()).sent) == 1
    assert [story.id for _, story, _ in channel.posts] == [channel.attempted[0].id]
    last = await run.store.last_post(GUILD)
    assert last is not None and (last.status, last.attempts) == ("sent", 2)


async def test_three_hundred_servers_due_at_one_minute_each_get_one_post(services, clock):
    for n in range(300):
        await set_nine_am(services, n)
    channel = Channel()
    run = scheduler(services, channel)
    clock.advance(hours=1)
    assert len((await run.run_due()).sent) == 300
    await run.run_due()
    assert sorted(channel_id for channel_id, _, _ in channel.posts) == [
        CHANNEL + n for n in range(300)
    ]
    for n in (0, 255, 256, 299):  # either side of a statement's worth of records
        last = await run.store.last_post(GUILD + n)
        assert last is not None and (last.status, last.channel_id) == ("sent", CHANNEL + n)


async def test_passing_errors_that_outlast_the_grace_period_give_up(services, clock):
    await set_nine_am(services)
    channel = Channel()
    channel.failures = [RetryDelivery("503")] * 100
    run = scheduler(services, channel)
    clock.advance(hours=1)
    missed = 0
    for _ in range(200):
        report = await run.run_due()
        missed += report.missed
        clock.advance(minutes=1)
        if clock() > datetime(2026, 3, 2, 11, 30, tzinfo=UTC):
            break
    assert missed == 1
    assert channel.posts == []
    assert (await run.store.last_post(GUILD)).status == "missed"  # type: ignore[union-attr]


async def test_a_gone_channel_pauses_once_tells_the_moderators_and_is_not_retried(services, clock):
    await set_nine_am(services)
    channel = Channel()
    channel.failures = [PauseDelivery("The channel <#1> was deleted.")]
    run = scheduler(services, channel, mod=MOD_CHANNEL)
    clock.advance(hours=1)
    assert (await run.run_due()).paused == 1
    for _ in range(3):
        clock.advance(days=1)
        await run.run_due()
    assert channel.posts == []
    assert len(channel.notes) == 1
    assert channel.notes[0][0] == MOD_CHANNEL
    assert "was deleted" in channel.notes[0][1]
    assert await run.store.next_wake(run.shards) is None
    schedule = await run.store.get(GUILD)
    assert schedule is not None and schedule.paused_reason == "The channel <#1> was deleted."


async def test_setting_it_again_resumes_a_paused_schedule(services, clock):
    await set_nine_am(services)
    channel = Channel()
    channel.failures = [PauseDelivery("I lost the Send Messages permission in <#1>.")]
    run = scheduler(services, channel)
    clock.advance(hours=1)
    await run.run_due()
    await set_nine_am(services)
    clock.advance(days=1)
    await run.run_due()
    assert len(channel.posts) == 1


async def test_moving_the_time_later_on_a_day_already_posted_waits_for_tomorrow(services, clock):
    await set_nine_am(services)
    channel = Channel()
    run = scheduler(services, channel)
    clock.advance(hours=1)
    await run.run_due()
    view = await DailySchedules(services.storage.schedules, clock).set(
        guild_id=GUILD,
        channel_id=CHANNEL,
        minute=parse_time("17:00"),
        zone=LONDON,
        theme_id=None,
        by=ADMIN,
    )
    assert view.next_post == datetime(2026, 3, 3, 17, tzinfo=UTC)
    clock.advance(hours=8)
    await run.run_due()
    assert len(channel.posts) == 1


async def test_the_background_task_sleeps_until_the_earliest_post(services, clock):
    await set_nine_am(services)
    naps: list[float] = []
    done = asyncio.Event()

    async def nap(seconds: float, wake: asyncio.Event) -> None:
        naps.append(seconds)
        clock.advance(seconds=seconds)  # a simulated clock: the nap is instant
        if len(naps) >= 3:
            done.set()
            await asyncio.Event().wait()

    channel = Channel()
    run = Scheduler(
        services.storage.schedules,
        services.selector,
        clock,
        poster=channel,
        grace=timedelta(hours=2),
        nap=nap,
    )
    run.start()
    await asyncio.wait_for(done.wait(), 5)
    await run.stop()
    # 08:00 -> 09:00, then tomorrow's post is a day away: naps of an hour at most, never a
    # wake-up every minute.
    assert naps == [3600.0, 3600.0, 3600.0]
    assert len(channel.posts) == 1

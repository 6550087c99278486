"""Two bot processes, each with its own shards, on one database and one Discord.

Each process is a real StoryBot with its own services and SHARD_IDS, connected to the one
gateway stand-in: daily posts go out once, from the process holding the server's shard,
however the shards are split and even when a process is killed in the middle of a pass;
a submission sent through one process is decided on its card through the other, once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bot.schedules import DailySchedules
from bot.sharding import shard_of
from bot.timeparse import parse_time
from tests.discord_bench.fleet import Fleet
from tests.discord_bench.payloads import GUILD_ID
from tests.discord_bench.sharded import ShardedBench
from tests.services_at import sql_rows
from tests.test_schedules_scheduler import ADMIN, LONDON
from tests.test_submissions_steps import (
    MOD_CHANNEL,
    MODERATOR,
    SECOND_MODERATOR,
    STORIES,
    card_of,
    dms,
    submit,
    turn_on,
)

SHARDS = 4
# Servers created at 200 consecutive moments: 50 on each of four shards.
GUILDS = [GUILD_ID + (n << 22) for n in range(200)]
# Posting 200 stories over loopback takes a second or two; this only stops a hang.
LIMIT = 60.0


async def nine_am_everywhere(process: ShardedBench) -> None:
    assert process.services is not None
    schedules = DailySchedules(process.services.storage.schedules, process.services.clock)
    for guild_id in GUILDS:
        await schedules.set(
            guild_id=guild_id,
            channel_id=guild_id + 1,
            minute=parse_time("9am"),
            zone=LONDON,
            theme_id=None,
            by=ADMIN,
        )


def nine_oclock(fleet: Fleet, *processes: ShardedBench) -> None:
    """The clock reaches 9am; the schedulers, asleep until then, are woken."""
    fleet.clock.advance(hours=1)
    for process in processes:
        assert process.services is not None
        process.services.scheduler.wake()


async def until(what: str, condition: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + LIMIT
    while not await condition():
        assert time.monotonic() < deadline, f"still waiting after {LIMIT}s: {what}"
        await asyncio.sleep(0.02)


async def all_sent(process: ShardedBench) -> None:
    """Every post is recorded as sent: after that no pass anywhere sends one again."""
    assert process.services is not None
    services = process.services

    async def done() -> bool:
        rows = await sql_rows(services, "SELECT count(*) FROM daily_posts WHERE status = 'sent'")
        return rows[0][0] == len(GUILDS)

    await until("every post recorded as sent", done)


def posts_per_server(fleet: Fleet) -> list[int]:
    return [len(fleet.discord.messages[g + 1]) for g in GUILDS]


def holders(guild_id: int, **processes: tuple[int, ...]) -> set[str]:
    return {name for name, ids in processes.items() if shard_of(guild_id, SHARDS) in ids}


async def the_day(fleet: Fleet, **shard_ids: str) -> None:
    """Processes named with their SHARD_IDS start, every server's 9am comes, and every
    post is sent: once each, counted in what Discord received."""
    processes = [await fleet.start(name, ids) for name, ids in shard_ids.items()]
    await nine_am_everywhere(processes[0])
    nine_oclock(fleet, *processes)
    await all_sent(processes[-1])
    assert posts_per_server(fleet) == [1] * len(GUILDS)


async def test_two_processes_post_each_server_once_from_the_process_holding_its_shard(
    tmp_path, database
):
    async with Fleet(tmp_path, database, GUILDS, shard_count=SHARDS) as fleet:
        await the_day(fleet, low="0-1", high="2-3")
        for guild_id in GUILDS:
            expected = holders(guild_id, low=(0, 1), high=(2, 3))
            assert fleet.posters(guild_id + 1) == expected, guild_id


async def test_overlapping_shard_sets_still_post_each_server_once(tmp_path, database):
    async with Fleet(tmp_path, database, GUILDS, shard_count=SHARDS) as fleet:
        await the_day(fleet, first="0-2", second="1-3")
        for guild_id in GUILDS:
            allowed = holders(guild_id, first=(0, 1, 2), second=(1, 2, 3))
            assert len(fleet.posters(guild_id + 1)) == 1
            assert fleet.posters(guild_id + 1) <= allowed, guild_id


async def test_a_process_killed_mid_pass_and_started_again_posts_each_server_once(
    tmp_path, database
):
    async with Fleet(tmp_path, database, GUILDS, shard_count=SHARDS) as fleet:
        low = await fleet.start("low", "0-1")
        high = await fleet.start("high", "2-3")
        await nine_am_everywhere(low)
        # Discord takes the first ten posts and then stops answering: the low process's
        # next sends have arrived (Discord made the messages) but it never hears so.
        fleet.discord.hold = asyncio.Event()
        fleet.discord.hold_after = 10
        nine_oclock(fleet, low)

        async def sends_hanging() -> bool:
            return fleet.discord.held >= 4

        await until("the low process's sends to hang", sends_hanging)
        await low.kill()
        fleet.discord.hold.set()
        posted = sum(posts_per_server(fleet))
        assert 10 < posted < len(GUILDS) // 2, "the kill came after the pass, not in it"

        again = await fleet.start("low-again", "0-1")
        # What the killed process held is its own until its lease runs out.
        fleet.clock.advance(minutes=3)
        for process in (again, high):
            assert process.services is not None
            process.services.scheduler.wake()
        await all_sent(again)
        # The posts that arrived before the kill were sent again with the same nonce,
        # which Discord answers with the message it already made.
        assert posts_per_server(fleet) == [1] * len(GUILDS)
        for guild_id in GUILDS:
            expected = holders(guild_id, low=(0, 1), high=(2, 3))
            if expected == {"low"}:
                assert fleet.posters(guild_id + 1) <= {"low", "low-again"}, guild_id
            else:
                assert fleet.posters(guild_id + 1) == {"high"}, guild_id


async def test_a_submission_sent_through_one_process_is_decided_through_the_other_once(
    tmp_path, database
):
    # GUILD_ID is on shard 0, which both processes hold (a rolling move of shard 0).
    assert shard_of(GUILD_ID, SHARDS) == 0
    async with Fleet(tmp_path, database, GUILDS, shard_count=SHARDS) as fleet:
        first = await fleet.start("first", "0-1")
        second = await fleet.start("second", "0,2-3")
        await turn_on(first)
        sent = await submit(first, STORIES[0])
        assert "submission #1" in sent.content
        card = card_of(first, 1)
        assert fleet.posters(MOD_CHANNEL) == {"first"}

        # Each moderator opens the approval form in a different process, and both send it.
        forms = [
            await second.press(card, "bs:mod:approve:1", user=MODERATOR),
            await first.press(card, "bs:mod:approve:1", user=SECOND_MODERATOR),
        ]
        answers = await asyncio.gather(
            second.submit(forms[0], {"title": "From the second"}, user=MODERATOR),
            first.submit(forms[1], {"title": "From the first"}, user=SECOND_MODERATOR),
        )

        said = sorted((a.content for a in answers), key=lambda c: "already" in c)
        assert said[0].startswith("Submission #1 is approved as"), said
        assert "already approved by" in said[1], said
        assert all(a.ephemeral for a in answers)
        assert card_of(second, 1)["embeds"][0]["title"] == "Submission #1 · approved"
        assert second.services is not None
        mine = await sql_rows(
            second.services, "SELECT count(*) FROM stories WHERE guild_id = ?", GUILD_ID
        )
        assert mine == [(1,)]
        [dm] = dms(second)
        assert dm["embeds"][0]["title"] == "Your story was approved"

"""A daily post through a crash of the bot: exactly one post, within seconds of the restart.

The bot is stopped while its own scheduler pass waits on Discord, at the two points a
crash makes a post uncertain: the post claimed and not yet at Discord, and the post at
Discord with the answer not yet back. Discord's nonce window is set to nothing, so the
bot cannot lean on Discord to drop a repeat.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.services import open_services
from tests.discord_bench.harness import Bench
from tests.discord_bench.payloads import ADMIN, CHANNEL_ID
from tests.discord_bench.server import READ_MESSAGE_HISTORY
from tests.services_at import sql_rows
from tests.test_daily import scheduler, set_daily, story_posts

# What the bench allows between the restart and the post: far inside the 120-second lease
# a crashed post used to wait out.
FEW_SECONDS = timedelta(seconds=5)


async def crash_mid_send(bench: Bench, *, kept: bool) -> None:
    """Let the bot's scheduler send the 09:00 post and stop the bot while Discord holds it:
    before keeping it, or after. Cancelled where it waits, the pass records nothing, as a
    killed process would not; the check at the end holds the test to that."""
    hold = bench.discord.holds.add(CHANNEL_ID, kept=kept)
    bench.clock.advance(hours=1)  # 09:00 London
    scheduler(bench).wake()
    await asyncio.wait_for(hold.reached.wait(), timeout=10)
    await bench.stop_bot()
    bench.discord.holds.release()
    async with open_services(bench.settings, bench.clock) as services:
        left = await sql_rows(services, "SELECT status, attempts, message_id FROM daily_posts")
    assert [tuple(row) for row in left] == [("pending", 1, None)]


@pytest.mark.parametrize("kept", [False, True], ids=["before-discord", "after-discord"])
async def test_a_crash_mid_send_posts_once_within_seconds_of_the_restart(bench: Bench, kept):
    bench.discord.nonces.window = 0
    bench.join_guild()
    await set_daily(bench)
    await crash_mid_send(bench, kept=kept)
    assert len(story_posts(bench)) == (1 if kept else 0)

    bench.clock.advance(seconds=3)  # the process is started again
    restarted = bench.clock.now
    await bench.start_bot()
    await asyncio.wait_for(scheduler(bench).settled.wait(), timeout=10)

    posts = story_posts(bench)
    assert len(posts) == 1
    assert datetime.fromisoformat(posts[0]["timestamp"]) <= restarted + FEW_SECONDS
    assert posts[0]["embeds"][0]["footer"]["text"].endswith("\nDaily story · 2026-03-02")
    assert bench.services is not None
    recorded = await sql_rows(bench.services, "SELECT status, message_id FROM daily_posts")
    assert [tuple(row) for row in recorded] == [("sent", int(posts[0]["id"]))]
    show = await bench.slash("daily show", user=ADMIN)
    assert "**Last story:** posted on Monday 2 March 2026." in show.text
    # Every try of the post asked Discord to drop a repeat, with one nonce.
    tries = [
        r.body
        for r in bench.discord.requests
        if (r.method, r.path) == ("POST", f"/channels/{CHANNEL_ID}/messages")
    ]
    assert len(tries) == (1 if kept else 2)
    assert {(t["nonce"], t["enforce_nonce"]) for t in tries} == {(tries[0]["nonce"], True)}

    # Nothing more comes of it: not when the lease would have run out, nor the day after
    # but that day's own post.
    bench.clock.advance(minutes=5)
    await scheduler(bench).run_due()
    assert len(story_posts(bench)) == 1
    bench.clock.advance(days=1)
    await scheduler(bench).run_due()
    assert len(story_posts(bench)) == 2


async def lose_the_answer(bench: Bench) -> list[dict[str, Any]]:
    """The 09:00 post sent, and recorded as a pending retry as if its answer had been lost;
    the post in the channel. Discord's nonce window is set to nothing."""
    bench.discord.nonces.window = 0
    bench.join_guild()
    await set_daily(bench)
    bench.clock.advance(hours=1)
    await scheduler(bench).run_due()
    first = story_posts(bench)
    assert len(first) == 1
    assert bench.services is not None
    await sql_rows(
        bench.services,
        "UPDATE daily_posts SET status = 'pending', message_id = NULL, retry_at = 0",
    )
    return first


async def test_a_retry_after_a_lost_answer_finds_the_post_and_sends_no_second(bench: Bench):
    # Discord kept the post but its answer was lost (a 502 from a proxy, say): the retry,
    # long after any nonce window, looks first.
    first = await lose_the_answer(bench)
    assert bench.services is not None
    drawn = await sql_rows(bench.services, "SELECT story_id FROM daily_posts")
    bench.clock.advance(minutes=30)
    await scheduler(bench).run_due()
    assert story_posts(bench) == first
    recorded = await sql_rows(
        bench.services, "SELECT status, message_id, story_id FROM daily_posts"
    )
    # Recorded as the card in the channel: its message, and the story on it.
    assert [tuple(row) for row in recorded] == [("sent", int(first[0]["id"]), drawn[0][0])]


async def test_set_refuses_a_channel_where_the_bot_cannot_read_its_own_posts(bench: Bench):
    bench.discord.channels[CHANNEL_ID].bot_permissions &= ~READ_MESSAGE_HISTORY
    bench.join_guild()
    reply = await set_daily(bench)
    assert reply.ephemeral
    assert "I need the Read Message History permission" in reply.text

"""`/daily` end to end: the real bot on the bench, the scheduler driven by the bench clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.scheduler import Scheduler
from tests.discord_bench.harness import Bench
from tests.discord_bench.payloads import (
    ADMIN,
    CHANNEL_ID,
    GUILD_ID,
    MEMBER,
    ChannelRef,
)
from tests.discord_bench.server import EMBED_LINKS, SEND_MESSAGES, VIEW_CHANNEL

MOD_CHANNEL_ID = 1300000000000000012


def scheduler(bench: Bench) -> Scheduler:
    assert bench.bot is not None
    cog = bench.bot.get_cog("Daily")
    assert cog is not None
    return cog.scheduler  # type: ignore[attr-defined]


def story_posts(bench: Bench, channel_id: int = CHANNEL_ID) -> list[dict]:
    return [m for m in bench.channel_messages(channel_id) if m.get("embeds")]


async def set_daily(bench: Bench, **options: object):
    options = {
        "channel": ChannelRef(CHANNEL_ID),
        "time": "9am",
        "timezone": "Europe/London",
        **options,
    }
    return await bench.slash("daily set", user=ADMIN, **options)


async def test_a_daily_story_appears_once_at_the_local_time(bench: Bench):
    bench.join_guild()
    reply = await set_daily(bench, time="9:30 am", timezone="america/new_york")
    assert reply.ephemeral
    assert "09:30 (America/New_York)" in reply.text
    # 2 March 2026 09:30 in New York (EST, -5) is 14:30 UTC.
    stamp = int(datetime(2026, 3, 2, 14, 30, tzinfo=UTC).timestamp())
    assert f"<t:{stamp}:F>" in reply.text
    assert "Monday 2 March 2026, 09:30 EST" in reply.text

    bench.clock.advance(hours=6, minutes=29)  # 14:29 UTC
    await scheduler(bench).run_due()
    assert story_posts(bench) == []
    bench.clock.advance(minutes=1)
    await scheduler(bench).run_due()
    bench.clock.advance(hours=3)
    await scheduler(bench).run_due()

    posts = story_posts(bench)
    assert len(posts) == 1
    assert posts[0]["pings"] == []
    assert posts[0]["components"], "the card carries the Another story button"
    # The next post is tomorrow.
    show = await bench.slash("daily show", user=ADMIN)
    assert "Tuesday 3 March 2026, 09:30 EST" in show.text
    assert "**Last story:** posted on Monday 2 March 2026." in show.text


async def test_restarts_in_the_middle_of_the_day_and_after_the_post_still_post_once(bench: Bench):
    bench.join_guild()
    await set_daily(bench)
    bench.clock.advance(minutes=30)  # 08:30, before the post
    await bench.restart()
    await scheduler(bench).run_due()
    assert story_posts(bench) == []
    bench.clock.advance(minutes=31)  # 09:01
    await scheduler(bench).run_due()
    assert len(story_posts(bench)) == 1
    await bench.restart()  # after the post
    bench.clock.advance(hours=1)
    await scheduler(bench).run_due()
    await bench.restart()
    await scheduler(bench).run_due()
    assert len(story_posts(bench)) == 1
    bench.clock.advance(days=1)
    await scheduler(bench).run_due()
    assert len(story_posts(bench)) == 2


async def test_the_scheduler_stops_when_asked_just_after_a_schedule_changed(bench: Bench):
    """A stop that came just after a wake-up used to be swallowed (Python 3.11's
    asyncio.wait_for), and the bot's shutdown, or a restart, then waited forever."""
    bench.join_guild()
    await set_daily(bench)
    await asyncio.sleep(0.5)  # the pass the change started is done: the scheduler naps
    daily = scheduler(bench)
    daily.wake()
    await asyncio.sleep(0)  # the nap has heard the wake-up; the scheduler has not run on
    stopping = asyncio.create_task(daily.stop())
    await asyncio.wait({stopping}, timeout=5)  # not cancelled at the end, unlike wait_for
    if not stopping.done():
        stopping.cancel()  # a second stop gets through; the test has failed already
        raise AssertionError("the scheduler did not stop when asked")


async def test_a_shutdown_cancelled_while_the_scheduler_stops_is_not_swallowed(bench: Bench):
    """A second Ctrl-C, or a time limit around closing, cancels the shutdown itself. Waiting
    for the scheduler's task used to swallow that cancellation, and the shutdown went on
    as if it had been asked only once."""
    bench.join_guild()
    await set_daily(bench)
    await asyncio.sleep(0.5)  # the pass the change started is done: the scheduler naps
    stopping = asyncio.create_task(scheduler(bench).stop())
    await asyncio.sleep(0)  # stop() has cancelled the scheduler's task and waits for it
    stopping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopping


async def test_downtime_past_the_post_sends_it_late_after_restart(bench: Bench):
    bench.join_guild()
    await set_daily(bench)
    await bench.stop_bot()
    bench.clock.advance(hours=2, minutes=30)  # down from 08:00 to 10:30
    await bench.start_bot()
    await scheduler(bench).run_due()
    assert len(story_posts(bench)) == 1


async def test_a_deleted_channel_pauses_the_schedule_and_show_says_why(bench: Bench):
    bench.discord.add_channel(MOD_CHANNEL_ID, GUILD_ID, name="mods")
    bench.join_guild()
    assert bench.services is not None
    await bench.services.server_settings.set_moderation(GUILD_ID, MOD_CHANNEL_ID, None)
    await set_daily(bench)
    bench.discord.delete_channel(CHANNEL_ID)
    bench.clock.advance(hours=1)
    report = await scheduler(bench).run_due()
    assert report.paused == 1
    assert bench.expect_rejection().code == 10003

    show = await bench.slash("daily show", user=ADMIN)
    assert bench.expect_rejection().code == 10003  # show looked: still gone
    assert "paused" in show.text
    assert "was deleted" in show.text
    assert "`/daily set`" in show.text
    notes = bench.channel_messages(MOD_CHANNEL_ID)
    assert len(notes) == 1
    assert "paused" in notes[0]["content"] and notes[0]["pings"] == []

    # Never retried: days pass and Discord hears nothing more about that channel.
    asked = len(bench.discord.requests)
    for _ in range(3):
        bench.clock.advance(days=1)
        await scheduler(bench).run_due()
    assert len(bench.discord.requests) == asked


async def test_a_lost_permission_pauses_naming_it_and_set_again_resumes(bench: Bench):
    bench.join_guild()
    await set_daily(bench)
    bench.discord.channels[CHANNEL_ID].bot_permissions &= ~SEND_MESSAGES
    bench.clock.advance(hours=1)
    await scheduler(bench).run_due()
    assert bench.expect_rejection().code == 50013
    show = await bench.slash("daily show", user=ADMIN)
    assert "I lost the Send Messages permission" in show.text

    refused = await set_daily(bench)
    assert "I need the Send Messages permission" in refused.text
    bench.discord.channels[CHANNEL_ID].bot_permissions |= SEND_MESSAGES
    resumed = await set_daily(bench)
    assert "**Status:** paused" not in resumed.text
    assert "**Next story:** Tuesday 3 March 2026, 09:00" in resumed.text
    bench.clock.advance(days=1)
    await scheduler(bench).run_due()
    assert len(story_posts(bench)) == 1


async def test_a_passing_discord_error_is_retried_later(bench: Bench):
    bench.join_guild()
    await set_daily(bench)
    bench.discord.fail_next("POST", f"/channels/{CHANNEL_ID}/messages", 503)
    bench.clock.advance(hours=1)
    assert (await scheduler(bench).run_due()).retried == 1
    bench.expect_rejection()
    bench.clock.advance(minutes=1)
    await scheduler(bench).run_due()
    assert len(story_posts(bench)) == 1


async def test_a_member_without_manage_server_cannot_change_it(bench: Bench):
    bench.join_guild()
    reply = await bench.slash(
        "daily set", user=MEMBER, channel=ChannelRef(CHANNEL_ID), time="9am", timezone="UTC"
    )
    assert reply.ephemeral
    assert reply.text == "You need the Manage Server permission to do that."
    off = await bench.slash("daily off", user=MEMBER)
    assert off.text == "You need the Manage Server permission to do that."
    show = await bench.slash("daily show", user=ADMIN)
    assert "no daily story yet" in show.text
    # Hidden from members by default too.
    daily = next(c for c in bench.discord.commands["global"] if c["name"] == "daily")
    assert int(daily["default_member_permissions"]) == 32  # Manage Server
    assert daily["contexts"] == [0]


async def test_set_refuses_a_channel_the_bot_cannot_post_a_card_in(bench: Bench):
    bench.discord.channels[CHANNEL_ID].bot_permissions &= ~EMBED_LINKS
    bench.join_guild()
    reply = await set_daily(bench)
    assert reply.ephemeral
    assert "I need the Embed Links permission" in reply.text
    bench.discord.channels[CHANNEL_ID].bot_permissions &= ~VIEW_CHANNEL
    reply = await set_daily(bench)
    assert bench.expect_rejection().code == 50001  # Discord won't show the bot the channel
    assert "I need the View Channel permission" in reply.text
    show = await bench.slash("daily show", user=ADMIN)
    assert "no daily story yet" in show.text


async def test_bad_time_and_unknown_zone_get_one_kind_sentence(bench: Bench):
    bench.join_guild()
    bad_time = await set_daily(bench, time="nine-ish")
    assert bad_time.ephemeral and "`09:00`, `9am`" in bad_time.text
    bad_zone = await set_daily(bench, timezone="Europe/Londn")
    assert bad_zone.ephemeral and "Did you mean `Europe/London`" in bad_zone.text
    unknown_theme = await set_daily(bench, theme="zzzzzz")
    assert unknown_theme.ephemeral and "theme" in unknown_theme.text


async def test_an_abbreviation_becomes_its_region_and_the_answer_says_which(bench: Bench):
    bench.join_guild()
    reply = await set_daily(bench, timezone="EST")
    assert reply.content == (
        f"Done: a story every day at 09:00 (America/New_York) in <#{CHANNEL_ID}>. "
        "I took “EST” to mean America/New_York, North American Eastern time, which moves "
        "between EST and EDT with daylight saving."
    )
    show = await bench.slash("daily show", user=ADMIN)
    assert "**Time:** 09:00 every day, North American Eastern time (America/New_York)" in (
        show.text
    )
    # 2 March is before the US change to summer time; 9 March is after it.
    assert "**Next story:** Monday 2 March 2026, 09:00 EST;" in show.text
    bench.clock.advance(days=7)
    await scheduler(bench).run_due()
    assert "09:00 EDT;" in (await bench.slash("daily show", user=ADMIN)).text


async def test_show_names_the_zone_once_in_plain_words(bench: Bench):
    bench.join_guild()
    await set_daily(bench, timezone="UTC")
    show = await bench.slash("daily show", user=ADMIN)
    assert "**Time:** 09:00 every day, UTC\n" in show.text
    assert "**Next story:** Monday 2 March 2026, 09:00 UTC; your time: <t:" in show.text
    assert "(UTC)" not in show.text
    await set_daily(bench, timezone="Europe/London")
    show = await bench.slash("daily show", user=ADMIN)
    assert "**Time:** 09:00 every day, UK time (Europe/London)\n" in show.text
    assert "09:00 GMT; your time" in show.text


async def test_an_abbreviation_of_several_zones_is_refused_with_them(bench: Bench):
    bench.join_guild()
    reply = await set_daily(bench, timezone="CST")
    assert reply.ephemeral
    assert reply.text == (
        "“CST” is used for more than one time zone. Did you mean `America/Chicago` (North "
        "American Central time), `Asia/Shanghai` (China time) or `America/Havana` (Cuba time)?"
    )
    show = await bench.slash("daily show", user=ADMIN)
    assert "no daily story yet" in show.text


async def test_timezone_autocomplete_finds_cities_and_common_names_most_used_first(
    bench: Bench,
):
    london = await bench.autocomplete("daily set", "timezone", user=ADMIN, timezone="lon")
    assert [c["value"] for c in london.choices] == ["Europe/London", "Arctic/Longyearbyen"]
    assert london.choices[0]["name"] == "Europe/London · UK time"
    pacific = await bench.autocomplete("daily set", "timezone", user=ADMIN, timezone="pacific")
    assert pacific.choices[0] == {
        "name": "America/Los_Angeles · North American Pacific time",
        "value": "America/Los_Angeles",
    }
    assert len(pacific.choices) == 25


async def test_timezone_and_theme_autocomplete(bench: Bench):
    zones = await bench.autocomplete("daily set", "timezone", user=ADMIN, timezone="new")
    assert 0 < len(zones.choices) <= 25
    assert "America/New_York" in [c["value"] for c in zones.choices]
    themes = await bench.autocomplete("daily set", "theme", user=ADMIN, theme="ni")
    assert themes.choices[0]["value"] == "nicu"


async def test_daily_test_posts_one_story_now_and_off_stops_it(bench: Bench):
    bench.join_guild()
    no_schedule = await bench.slash("daily test", user=ADMIN)
    assert "/daily set" in no_schedule.text
    await set_daily(bench, theme="nicu")
    tested = await bench.slash("daily test", user=ADMIN)
    assert tested.ephemeral
    assert f"Posted a test story in <#{CHANNEL_ID}>" in tested.followups[0]["content"]
    posts = story_posts(bench)
    assert len(posts) == 1 and "Neonatal" in posts[0]["embeds"][0]["author"]["name"]

    off = await bench.slash("daily off", user=ADMIN)
    assert "off" in off.text
    bench.clock.advance(days=2)
    await scheduler(bench).run_due()
    assert len(story_posts(bench)) == 1
    show = await bench.slash("daily show", user=ADMIN)
    assert "off" in show.text


async def test_show_sees_a_deleted_channel_and_pauses_as_the_scheduler_would(bench: Bench):
    bench.join_guild()
    await set_daily(bench)
    bench.delete_channel(CHANNEL_ID)

    show = await bench.slash("daily show", user=ADMIN)

    assert bench.expect_rejection().code == 10003  # the look that found it gone
    assert "**Status:** paused. The channel" in show.text and "was deleted" in show.text
    assert "**Next story:**" not in show.text
    asked = len(bench.discord.requests)
    bench.clock.advance(days=1)
    assert (await scheduler(bench).run_due()).claimed == 0
    assert len(bench.discord.requests) == asked  # nothing was sent to the deleted channel
    tested = await bench.slash("daily test", user=ADMIN)
    assert bench.expect_rejection().code == 10003
    assert tested.ephemeral and "was deleted" in tested.text


async def test_a_failed_test_post_pauses_the_daily_story_and_says_why(bench: Bench):
    bench.join_guild()
    await set_daily(bench)
    # Taken away between the bot's look and its post: Discord refuses the post.
    bench.discord.fail_next("POST", f"/channels/{CHANNEL_ID}/messages", 403, 50013)

    tested = await bench.slash("daily test", user=ADMIN)

    assert bench.expect_rejection().code == 50013
    assert tested.followups[0]["content"].startswith("I couldn't post the test story.")
    assert "The daily story is paused until you fix it" in tested.followups[0]["content"]
    show = await bench.slash("daily show", user=ADMIN)
    assert "**Status:** paused." in show.text and "**Next story:**" not in show.text
    bench.clock.advance(days=1)
    assert (await scheduler(bench).run_due()).claimed == 0


async def test_show_sees_a_lost_permission_before_the_post_fails(bench: Bench):
    bench.join_guild()
    await set_daily(bench)
    bench.discord.channels[CHANNEL_ID].bot_permissions &= ~SEND_MESSAGES

    show = await bench.slash("daily show", user=ADMIN)

    assert "I lost the Send Messages permission" in show.text
    assert "**Next story:**" not in show.text
    refused = await bench.slash("daily show", user=MEMBER)
    assert refused.text == "You need the Manage Server permission to do that."

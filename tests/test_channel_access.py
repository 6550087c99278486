"""The bot's permissions in a channel, asked of Discord when a command needs them.

The bot keeps no channels nor roles of its servers (bot/guild_cache.py), so what a
moderator is told comes from what Discord answers at that moment: the channel's
overwrites, the server's roles and the bot's own member, worked out in Discord's order.
Each test describes the bot's permissions in the stand-in's world some other way than the
bot's own overwrite, and keeps what the stand-in enforces (``bot_permissions``) agreeing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.discord_bench.guilds import bot_role_id, channel_json, guild_create, role
from tests.discord_bench.harness import Bench
from tests.discord_bench.payloads import ADMIN, CHANNEL_ID, GUILD_ID, ChannelRef
from tests.discord_bench.server import (
    ADMINISTRATOR,
    BOT_DEFAULT_PERMISSIONS,
    BOT_USER_ID,
    EMBED_LINKS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
)
from tests.services_at import sql_rows
from tests.test_daily import scheduler, set_daily, story_posts
from tests.test_daily_crash import lose_the_answer

QUIET = GUILD_ID + 8
STAFF = GUILD_ID + 9


def overwrite(target: int, kind: int, allow: int = 0, deny: int = 0) -> dict[str, Any]:
    return {"id": str(target), "type": kind, "allow": str(allow), "deny": str(deny)}


def give_role(bench: Bench, role_id: int, name: str, permissions: int = 0) -> None:
    """A role of the server's, which the bot holds besides its own."""
    bench.discord.roles.setdefault(GUILD_ID, []).append(role(role_id, name, permissions, 2))
    bench.discord.bot_member.setdefault(GUILD_ID, {}).setdefault("roles", []).append(role_id)


async def test_a_role_denied_embed_links_is_named_and_lifting_it_is_seen_at_once(bench: Bench):
    give_role(bench, QUIET, "Quiet")
    channel = bench.discord.channels[CHANNEL_ID]
    # The bot's own overwrite says nothing of Embed Links; its Quiet role is denied it.
    mine = overwrite(BOT_USER_ID, 1, BOT_DEFAULT_PERMISSIONS & ~EMBED_LINKS)
    channel.overwrites = [mine, overwrite(QUIET, 0, deny=EMBED_LINKS)]
    channel.bot_permissions &= ~EMBED_LINKS
    bench.join_guild()

    refused = await set_daily(bench)
    assert refused.ephemeral
    assert "I need the Embed Links permission there" in refused.text

    # The server lifts it; no gateway event reaches the bot, and none is needed.
    channel.overwrites = [mine]
    channel.bot_permissions |= EMBED_LINKS
    accepted = await set_daily(bench)
    assert "Done: a story every day at 09:00 (Europe/London)" in accepted.text


async def test_an_administrator_role_outweighs_every_overwrite(bench: Bench):
    give_role(bench, STAFF, "Staff", ADMINISTRATOR)
    bench.discord.channels[CHANNEL_ID].overwrites = [
        overwrite(GUILD_ID, 0, deny=VIEW_CHANNEL),
        overwrite(BOT_USER_ID, 1, deny=SEND_MESSAGES | EMBED_LINKS),
    ]
    bench.join_guild()
    accepted = await set_daily(bench)
    assert "Done: a story every day at 09:00" in accepted.text


async def test_everyone_then_roles_then_the_bots_own_overwrite_decide(bench: Bench):
    channel = bench.discord.channels[CHANNEL_ID]
    # A private channel: @everyone may not see it, the bot's role may.
    hidden = overwrite(GUILD_ID, 0, deny=VIEW_CHANNEL | SEND_MESSAGES)
    allowed = overwrite(bot_role_id(GUILD_ID), 0, allow=VIEW_CHANNEL | SEND_MESSAGES)
    channel.overwrites = [hidden, allowed]
    bench.join_guild()
    accepted = await set_daily(bench)
    assert "Done: a story every day at 09:00" in accepted.text

    # The bot's own overwrite comes last: its deny beats its role's allow.
    channel.overwrites = [hidden, allowed, overwrite(BOT_USER_ID, 1, deny=SEND_MESSAGES)]
    channel.bot_permissions &= ~SEND_MESSAGES
    refused = await set_daily(bench)
    assert "I need the Send Messages permission there" in refused.text


async def test_a_timed_out_bot_is_told_it_cannot_send(bench: Bench):
    until = datetime.now(UTC) + timedelta(hours=1)
    bench.discord.bot_member[GUILD_ID] = {"communication_disabled_until": until.isoformat()}
    channel = bench.discord.channels[CHANNEL_ID]
    channel.overwrites = []  # its roles would let it post
    channel.bot_permissions = VIEW_CHANNEL | READ_MESSAGE_HISTORY
    bench.join_guild()
    refused = await set_daily(bench)
    assert "I need the Send Messages permission there" in refused.text


async def test_the_servers_owner_has_every_permission(bench: Bench):
    bench.discord.owners[GUILD_ID] = BOT_USER_ID
    bench.discord.channels[CHANNEL_ID].overwrites = [
        overwrite(BOT_USER_ID, 1, deny=EMBED_LINKS | READ_MESSAGE_HISTORY)
    ]
    bench.join_guild()
    accepted = await set_daily(bench)
    assert "Done: a story every day at 09:00" in accepted.text


async def test_discord_not_answering_the_look_gets_one_sentence_and_changes_nothing(
    bench: Bench,
):
    bench.join_guild()
    sorry = (
        f"Discord didn't answer when I checked my permissions in <#{CHANNEL_ID}>; "
        "please try again in a minute."
    )
    for path in (f"/channels/{CHANNEL_ID}", f"/guilds/{GUILD_ID}/roles"):
        bench.discord.fail_next("GET", path, 503)
        refused = await set_daily(bench)
        assert bench.expect_rejection().status == 503
        assert refused.ephemeral and refused.text == sorry
    show = await bench.slash("daily show", user=ADMIN)
    assert "no daily story yet" in show.text


async def test_show_that_cannot_look_apologises_and_pauses_nothing(bench: Bench):
    bench.join_guild()
    await set_daily(bench)
    bench.discord.fail_next("GET", f"/guilds/{GUILD_ID}/members/{BOT_USER_ID}", 503)
    sorry = await bench.slash("daily show", user=ADMIN)
    assert bench.expect_rejection().status == 503
    assert sorry.ephemeral and sorry.text.startswith("Discord didn't answer when I checked")
    show = await bench.slash("daily show", user=ADMIN)
    assert "**Status:** paused" not in show.text and "**Next story:**" in show.text


async def test_a_retry_that_cannot_look_first_waits_and_is_not_paused(bench: Bench):
    # The post's answer was lost, so the retry must look for it first; Discord does not
    # answer the question whether the bot may read there: try again later, not pause.
    first = await lose_the_answer(bench)
    assert bench.services is not None
    bench.discord.fail_next("GET", f"/channels/{CHANNEL_ID}", 503)
    bench.clock.advance(minutes=1)
    await scheduler(bench).run_due()
    assert bench.expect_rejection().status == 503
    waiting = await sql_rows(bench.services, "SELECT status FROM daily_posts")
    assert [tuple(row) for row in waiting] == [("pending",)]
    show = await bench.slash("daily show", user=ADMIN)
    assert "**Status:** paused" not in show.text

    bench.clock.advance(minutes=30)
    await scheduler(bench).run_due()
    assert story_posts(bench) == first  # found, recorded, not sent again
    recorded = await sql_rows(bench.services, "SELECT status FROM daily_posts")
    assert [tuple(row) for row in recorded] == [("sent",)]


async def test_the_bot_keeps_only_the_bare_server_whatever_the_gateway_sends(bench: Bench):
    bench.join_guild()
    assert bench.bot is not None
    connection = bench.bot._connection
    more = channel_json(bench.discord.add_channel(GUILD_ID + 30, GUILD_ID, name="new-ward"))
    connection.parsers["CHANNEL_CREATE"](more)
    connection.parsers["GUILD_ROLE_CREATE"](
        {"guild_id": str(GUILD_ID), "role": role(QUIET, "Quiet", 0, 2)}
    )
    connection.parsers["GUILD_UPDATE"](guild_create(bench.discord, GUILD_ID, "Renamed Ward"))
    guild = bench.bot.get_guild(GUILD_ID)
    assert guild is not None and guild.name == "Renamed Ward"
    assert (len(guild.channels), len(guild.roles)) == (0, 0)
    assert guild.get_member(BOT_USER_ID) is None
    # The new channel is still one the bot may post in: Discord says so when asked.
    accepted = await set_daily(bench, channel=ChannelRef(GUILD_ID + 30))
    assert f"in <#{GUILD_ID + 30}>" in accepted.text

"""Submissions through a crash of the bot: one card, one story, one DM, a decided card.

The bot is stopped (``Bench.crash``: its work in flight ends where it waits, as in a killed
process) while Discord holds one of its requests, at each point where a crash leaves a step
done and the next not recorded; then it is started again. Discord's nonce window is set to
nothing, so the bot cannot lean on Discord to drop a repeat.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.sharding import shard_of
from tests.discord_bench import payloads
from tests.discord_bench.harness import Bench
from tests.discord_bench.history import Hold
from tests.discord_bench.payloads import MEMBER, Where
from tests.discord_bench.server import READ_MESSAGE_HISTORY
from tests.services_at import sql_rows
from tests.test_submissions_steps import (
    MOD_CHANNEL,
    MODERATOR,
    STORIES,
    card_of,
    cards,
    dms,
    field,
    form_values,
    prefilled,
    submit,
    turn_on,
)


async def crash_at(bench: Bench, hold: Hold) -> None:
    """Stop the bot once its request reaches the hold; then start it again, a few seconds
    later, and let it finish what it starts with."""
    await asyncio.wait_for(hold.reached.wait(), timeout=10)
    await bench.crash()
    bench.discord.holds.release()
    bench.clock.advance(seconds=3)
    await bench.start_bot()
    await bench.settle()


def posts_to(bench: Bench, channel_id: int) -> list[dict[str, Any]]:
    return [
        r.body
        for r in bench.discord.requests
        if (r.method, r.path) == ("POST", f"/channels/{channel_id}/messages")
    ]


@pytest.mark.parametrize("kept", [False, True], ids=["before-discord", "after-discord"])
async def test_a_crash_while_a_card_is_posted_leaves_one_card_recorded(bench: Bench, kept):
    bench.discord.nonces.window = 0
    await turn_on(bench)
    hold = bench.discord.holds.add(MOD_CHANNEL, kept=kept)
    opened = await bench.slash("submit")
    values = form_values(bench, STORIES[0])
    await bench.send(payloads.modal_submit(opened.data, values, MEMBER, Where()), wait=False)

    await crash_at(bench, hold)

    [card] = cards(bench)
    assert card["embeds"][0]["footer"]["text"].endswith(" · Submission #1")
    pending = await bench.slash("submissions pending", user=MODERATOR)
    assert f"/{MOD_CHANNEL}/{card['id']})" in pending.text
    tries = [t for t in posts_to(bench, MOD_CHANNEL) if t.get("embeds")]
    assert len(tries) == (1 if kept else 2)
    assert {(t["nonce"], t["enforce_nonce"]) for t in tries} == {("card1", True)}
    # The card found is the card that works.
    approved = await approve_card(bench)
    assert approved.content.startswith("Submission #1 is approved")


async def approve_card(bench: Bench, step: str | None = None) -> Any:
    """Press Approve on submission #1's card and send the form as proposed; with ``step``,
    hold that step of the approval once the form is open, and do not wait for the answer."""
    modal = await bench.press(card_of(bench, 1), "bs:mod:approve:1", user=MODERATOR)
    values = {"title": prefilled(modal)["title"].get("value")}
    if step is None:
        return await bench.submit(modal, values, user=MODERATOR)
    hold = hold_step(bench, step)
    await bench.send(payloads.modal_submit(modal.data, values, MODERATOR, Where()), wait=False)
    return hold


def hold_step(bench: Bench, step: str) -> Hold:
    if step == "story-then-crash":
        # The answer to the moderator comes right after the story joins the library.
        return bench.discord.holds.add_request("POST", "/interactions/")
    if step == "dm-before-discord":
        return bench.discord.holds.add(bench.discord.dm_channel(MEMBER.id), kept=False)
    if step == "dm-after-discord":
        return bench.discord.holds.add(bench.discord.dm_channel(MEMBER.id), kept=True)
    assert step == "card-edit"
    return bench.discord.holds.add(MOD_CHANNEL, kept=False, method="PATCH")


async def assert_finished_once(bench: Bench) -> None:
    assert bench.services is not None
    stories = await sql_rows(
        bench.services, "SELECT COUNT(*) FROM stories WHERE bundle_key = ?", "submission:1"
    )
    assert stories[0][0] == 1
    [dm] = dms(bench)
    assert dm["embeds"][0]["title"] == "Your story was approved"
    card = card_of(bench, 1)
    assert card["embeds"][0]["title"] == "Submission #1 · approved"
    assert card["components"] == []
    decision = field(card, "Decision")
    assert "In this server's library as story #" in decision
    assert "couldn't tell the member" not in decision
    # Nothing more comes of it at the next start.
    await bench.restart()
    await bench.settle()
    assert len(dms(bench)) == 1
    assert len(cards(bench)) == 1


@pytest.mark.parametrize(
    "step", ["story-then-crash", "dm-before-discord", "dm-after-discord", "card-edit"]
)
async def test_an_approval_cut_short_is_finished_whole_at_the_next_start(bench: Bench, step):
    bench.discord.nonces.window = 0
    await turn_on(bench)
    await submit(bench, STORIES[0])
    hold = await approve_card(bench, step)

    await crash_at(bench, hold)

    await assert_finished_once(bench)
    dm_tries = posts_to(bench, bench.discord.dm_channel(MEMBER.id))
    assert len(dm_tries) == (2 if step == "dm-before-discord" else 1)
    assert {(t["nonce"], t["enforce_nonce"]) for t in dm_tries} == {("dm1", True)}


async def test_an_approval_stopped_before_its_story_is_finished_whole(bench: Bench):
    # No request goes to Discord between recording the decision and writing the story, so
    # the crash is made there by recording the decision alone, as the store would have.
    bench.discord.nonces.window = 0
    await turn_on(bench)
    await submit(bench, STORIES[0])
    assert bench.services is not None
    nicu = bench.services.library.catalogue.by_slug("nicu")
    assert nicu is not None
    await bench.services.desk.store.approve(
        1,
        title="A tiny hand",
        theme_id=nicu.id,
        by=MODERATOR.id,
        by_name="Moderator",
        at=bench.clock.now.isoformat(),
    )
    await bench.crash()
    await bench.start_bot()
    await bench.settle()

    await assert_finished_once(bench)


async def test_an_approval_cut_short_is_finished_by_the_process_serving_its_server_only(
    bench: Bench,
):
    """Shard processes on one database start together after a crash: a process of the other
    shard leaves the member's DM and the card alone, so the member is told once."""
    bench.discord.nonces.window = 0
    await turn_on(bench)
    await submit(bench, STORIES[0])
    hold = await approve_card(bench, "story-then-crash")
    await asyncio.wait_for(hold.reached.wait(), timeout=10)
    await bench.crash()
    bench.discord.holds.release()
    ours = shard_of(payloads.GUILD_ID, 2)

    bench.env.update(SHARD_COUNT="2", SHARD_IDS=str(1 - ours))
    await bench.start_bot()
    await bench.settle()
    assert dms(bench) == []
    assert card_of(bench, 1)["embeds"][0]["title"] != "Submission #1 · approved"

    bench.env.update(SHARD_IDS=str(ours))
    await bench.restart()
    await bench.settle()
    await assert_finished_once(bench)


async def test_the_moderator_channel_needs_read_message_history(bench: Bench):
    bench.discord.add_channel(
        MOD_CHANNEL,
        payloads.GUILD_ID,
        name="mod-queue",
        bot_permissions=payloads.BOT_DEFAULT_PERMISSIONS & ~READ_MESSAGE_HISTORY,
    )
    reply = await turn_on(bench)
    assert reply.ephemeral
    assert "I need the Read Message History permission there" in reply.content
    assert (await bench.slash("submit")).content.startswith("This server has not turned")

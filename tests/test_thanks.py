""" "This helped me": once per reader, and a weekly note to the member who shared the story."""

from __future__ import annotations

from typing import Any

from tests.discord_bench.harness import Bench, Reply
from tests.discord_bench.payloads import ADMIN, MEMBER, OTHER_MEMBER, User
from tests.report_steps import story_id_of
from tests.services_at import sql_rows
from tests.test_submissions_steps import STORIES, approve, dms, submit, turn_on


async def shared_story_card(bench: Bench) -> Reply:
    """MEMBER shares a NICU story, a moderator approves it, and its card is served."""
    await turn_on(bench)
    await submit(bench, STORIES[0], theme="nicu")
    await approve(bench, 1)
    [(story_id,)] = await sql_rows(bench.services, "SELECT story_id FROM submissions WHERE id = 1")
    for _ in range(10):
        reply = await bench.slash("story", theme="nicu")
        if story_id_of(reply) == story_id:
            return reply
    raise AssertionError("the shared story never came")


async def helped(bench: Bench, card: Reply, user: User) -> Reply:
    return await bench.press(card.message, f"bs:story:helped:{story_id_of(card)}", user=user)


async def send_notes(bench: Bench) -> int:
    """A pass of the weekly notes, as the background task runs it."""
    cog: Any = bench.bot.get_cog("Reports")
    return await bench.services.thanks.send_due(cog.send_letter)


def notes(bench: Bench) -> list[str]:
    return [m["content"] for m in dms(bench, MEMBER) if "helped them" in (m["content"] or "")]


async def test_this_helped_me_counts_once_and_the_weekly_note_carries_the_number(bench: Bench):
    card = await shared_story_card(bench)

    first = await helped(bench, card, OTHER_MEMBER)
    again = await helped(bench, card, OTHER_MEMBER)
    await helped(bench, card, ADMIN)
    await helped(bench, card, MEMBER)  # the author's own thanks is no news to them

    assert first.ephemeral and first.content.startswith("Thank you for saying so")
    assert again.ephemeral and "already" in again.content
    assert await sql_rows(bench.services, "SELECT COUNT(*) FROM story_thanks") == [(3,)]
    # No counts on the card, ever.
    assert "helped" not in str(card.embeds)

    assert await send_notes(bench) == 1
    [note] = notes(bench)
    assert "2 people said a story you shared helped them" in note
    for reader in (OTHER_MEMBER, ADMIN):
        assert reader.name not in note and str(reader.id) not in note

    # At most one a week: a new reader's thanks waits for the week to end.
    await helped(bench, card, User(1400000000000000200, "reader"))
    assert await send_notes(bench) == 0
    bench.clock.advance(days=6, hours=23)
    assert await send_notes(bench) == 0
    bench.clock.advance(hours=1)
    assert await send_notes(bench) == 1
    assert "1 person said a story you shared helped them" in notes(bench)[-1]
    assert len(notes(bench)) == 2


async def test_the_weekly_note_respects_the_opt_out_and_closed_dms(bench: Bench):
    card = await shared_story_card(bench)
    shown = await bench.slash("preferences")
    assert shown.ephemeral and "a note saying how many people they helped" in shown.content
    off = await bench.press(shown.message, "bs:prefs:thanks:0")
    assert "helped them:** No notes." in off.message["content"]

    await helped(bench, card, OTHER_MEMBER)
    assert await send_notes(bench) == 0
    bench.clock.advance(days=8)
    assert await send_notes(bench) == 0
    assert notes(bench) == []

    on = await bench.press(off.message, "bs:prefs:thanks:1")
    assert "a note saying how many people they helped" in on.message["content"]
    bench.discord.closed_dms.add(MEMBER.id)
    assert await send_notes(bench) == 0
    assert bench.expect_rejection().code == 50007
    assert await sql_rows(
        bench.services, "SELECT dm_status FROM thanks_letters WHERE member_id = ?", MEMBER.id
    ) == [("closed",)]
    # Recorded, not retried: the next pass does not knock again.
    assert await send_notes(bench) == 0
    assert notes(bench) == []

"""Submissions end to end: a member's form, the moderator card, the decision, the library."""

from __future__ import annotations

import asyncio
import copy

from tests.discord_bench.harness import Bench
from tests.discord_bench.payloads import (
    ADMIN,
    MEMBER,
    OTHER_GUILD_ID,
    OTHER_MEMBER,
    Where,
)
from tests.test_submissions_steps import (
    MOD_CHANNEL,
    MODERATOR,
    SECOND_MODERATOR,
    STORIES,
    approve,
    card_of,
    dms,
    field,
    prefilled,
    served_titles,
    submit,
    turn_on,
)

OTHER_CHANNEL = 1300000000000000099
# Two bundled NICU stories and the one approved here make a round of three.
NICU_ROUND = 3


async def test_submit_approve_and_story_serves_it_here_only(bench: Bench):
    await turn_on(bench)
    sent = await submit(bench, STORIES[0], theme="nicu")

    assert sent.ephemeral
    assert "submission #1" in sent.content
    card = card_of(bench, 1)
    assert STORIES[0] in card["embeds"][0]["description"]
    assert field(card, "Sent by") == f"<@{MEMBER.id}> (Member)"
    assert field(card, "Credit") == "By name, as Member"
    assert field(card, "Content notes") == "None"
    assert field(card, "Findings") == "Nothing found"
    assert card["embeds"][0]["author"]["name"] == "🍼 Neonatal intensive care"
    assert card["pings"] == []

    approved = await approve(bench, 1)

    assert approved.ephemeral
    assert approved.content.startswith("Submission #1 is approved as “")
    decided = card_of(bench, 1)
    assert decided["embeds"][0]["title"] == "Submission #1 · approved"
    assert field(decided, "Decision").startswith("Approved by Moderator <t:")
    assert decided["components"] == []

    here = await served_titles(bench, "nicu", NICU_ROUND)
    title = decided["embeds"][0]["fields"][0]["value"]
    assert title in here
    reply = await bench.slash("story", theme="nicu")  # the round starts again
    served = [
        r
        for r in [reply, *[await bench.slash("story", theme="nicu") for _ in range(2)]]
        if r.embeds[0]["title"] == title
    ]
    assert served[0].embeds[0]["footer"]["text"] == "Member · 2026-03-02"
    assert served[0].embeds[0]["description"] == STORIES[0]

    elsewhere = Where(guild_id=OTHER_GUILD_ID, channel_id=OTHER_CHANNEL)
    assert title not in await served_titles(bench, "nicu", NICU_ROUND + 1, where=elsewhere)

    [dm] = dms(bench)
    assert dm["embeds"][0]["title"] == "Your story was approved"
    assert "credited to Member" in dm["embeds"][0]["description"]


async def test_anonymous_story_is_credited_to_a_member_of_this_server(bench: Bench):
    await turn_on(bench)
    await submit(bench, STORIES[1], theme="surgery", anonymous=True)
    card = card_of(bench, 1)
    assert "Anonymously" in field(card, "Credit")
    assert field(card, "Sent by").startswith(f"<@{MEMBER.id}>")  # moderators still see who

    await approve(bench, 1, user=ADMIN)

    titles = {}
    for _ in range(4):
        reply = await bench.slash("story", theme="surgery")
        titles[reply.embeds[0]["description"]] = reply.embeds[0]["footer"]["text"]
    assert titles[STORIES[1]] == "a member of this server · 2026-03-02"


async def test_reject_with_a_reason_reaches_the_member_by_dm(bench: Bench):
    await turn_on(bench)
    await submit(bench, STORIES[2], theme="critical-care")

    modal = await bench.press(card_of(bench, 1), "bs:mod:reject:1", user=MODERATOR)
    assert modal.type == 9
    done = await bench.submit(
        modal, {"reason": "Please leave out the name of the ward."}, user=MODERATOR
    )

    assert done.ephemeral and "rejected" in done.content
    card = card_of(bench, 1)
    assert card["embeds"][0]["title"] == "Submission #1 · rejected"
    assert "Reason: Please leave out the name of the ward." in field(card, "Decision")
    assert card["components"] == []
    [dm] = dms(bench)
    assert dm["embeds"][0]["title"] == "Your story was not accepted this time"
    assert "Please leave out the name of the ward." in dm["embeds"][0]["description"]
    assert dm["pings"] == []
    mine = await bench.slash("submissions mine")
    assert "rejected" in mine.text and "Please leave out the name of the ward." in mine.text


async def test_a_member_who_is_not_a_moderator_is_refused(bench: Bench):
    await turn_on(bench)
    await submit(bench, STORIES[0])
    card = card_of(bench, 1)

    for button in ("bs:mod:approve:1", "bs:mod:reject:1", "bs:mod:edit:1"):
        refused = await bench.press(card, button, user=OTHER_MEMBER)
        assert refused.ephemeral
        assert refused.content.startswith("Only this server's moderators can do that")

    still = card_of(bench, 1)
    assert still["embeds"][0]["title"] == "Submission #1 · waiting for a decision"
    assert len(still["components"][0]["components"]) == 3
    assert dms(bench) == []


async def test_two_approvals_at_once_make_one_story(bench: Bench):
    await turn_on(bench)
    await submit(bench, STORIES[0], theme="nicu")
    card = copy.deepcopy(card_of(bench, 1))  # both moderators see the card with buttons
    forms = [
        await bench.press(card, "bs:mod:approve:1", user=who)
        for who in (MODERATOR, SECOND_MODERATOR)
    ]

    first, second = await asyncio.gather(
        bench.submit(forms[0], {"title": "First"}, user=MODERATOR),
        bench.submit(forms[1], {"title": "Second"}, user=SECOND_MODERATOR),
    )

    answers = sorted([first.content, second.content], key=lambda c: "already" in c)
    assert answers[0].startswith("Submission #1 is approved as")
    assert "already approved by" in answers[1]
    assert len(dms(bench)) == 1
    won = "First" if "First" in answers[0] else "Second"
    assert field(card_of(bench, 1), "Title") == won
    counts = await bench.autocomplete("story", "theme", theme="nicu")
    assert counts.choices[0]["name"].endswith(f"· {NICU_ROUND} stories")


async def test_approve_after_a_restart(bench: Bench):
    await turn_on(bench)
    await submit(bench, STORIES[0], theme="nicu")

    await bench.restart()
    form = await bench.press(card_of(bench, 1), "bs:mod:approve:1", user=MODERATOR)
    await bench.restart()  # the moderator was still reading the form
    await bench.submit(form, {"title": "Her new shoes"}, user=MODERATOR)

    assert card_of(bench, 1)["embeds"][0]["title"] == "Submission #1 · approved"
    assert field(card_of(bench, 1), "Title") == "Her new shoes"
    assert "Her new shoes" in await served_titles(bench, "nicu", NICU_ROUND)


async def test_moderator_edit_shows_on_the_card_and_in_the_story(bench: Bench):
    await turn_on(bench)
    await submit(bench, STORIES[3], theme=None)

    modal = await bench.press(card_of(bench, 1), "bs:mod:edit:1", user=MODERATOR)
    assert modal.type == 9
    assert prefilled(modal)["story"]["value"] == STORIES[3]
    edited = STORIES[3].replace("nine hours", "many hours")
    pregnancy = bench.services.library.catalogue.by_slug("pregnancy")
    saved = await bench.submit(
        modal,
        {
            "title": "The midwife's name",
            "story": edited,
            "theme": [str(pregnancy.id)],
            "notes": [],
        },
        user=MODERATOR,
    )

    assert saved.ephemeral
    assert saved.content == "Your edit is saved, and the card of submission #1 now shows it."
    card = card_of(bench, 1)
    assert field(card, "Edited").startswith("by Moderator")
    assert field(card, "Title") == "The midwife's name"
    assert edited in card["embeds"][0]["description"]
    assert card["embeds"][0]["author"]["name"].endswith("Pregnancy and birth")

    await approve(bench, 1)
    served = await served_titles(bench, "pregnancy", 7)
    assert "The midwife's name" in served


async def test_closed_dms_are_recorded_and_change_nothing_else(bench: Bench):
    await turn_on(bench)
    await submit(bench, STORIES[0], theme="nicu")
    bench.discord.closed_dms.add(MEMBER.id)

    await approve(bench, 1)

    rejection = bench.expect_rejection()
    assert rejection.code == 50007
    assert card_of(bench, 1)["embeds"][0]["title"] == "Submission #1 · approved"
    assert field(card_of(bench, 1), "Decision").endswith(
        "I couldn't tell the member who sent it: they don't accept direct messages from me."
    )
    assert dms(bench) == []
    submission = await bench.bot.get_cog("Submissions").desk.get(1)
    assert submission.dm_status == "closed"
    assert submission.story_id is not None
    mine = await bench.slash("submissions mine")
    assert "approved" in mine.text


async def test_retired_story_is_no_longer_served(bench: Bench):
    await turn_on(bench)
    await submit(bench, STORIES[0], theme="nicu")
    await approve(bench, 1)
    title = field(card_of(bench, 1), "Title")

    choices = await bench.autocomplete("submissions retire", "story", user=MODERATOR, story="")
    [choice] = choices.choices
    assert title[:20] in choice["name"]
    refused = await bench.slash("submissions retire", user=MEMBER, story=choice["value"])
    assert refused.content.startswith("Only this server's moderators")
    retired = await bench.slash("submissions retire", user=MODERATOR, story=choice["value"])

    assert retired.ephemeral and "is retired" in retired.content
    assert title not in await served_titles(bench, "nicu", NICU_ROUND * 2)
    counts = await bench.autocomplete("story", "theme", theme="nicu")
    assert counts.choices[0]["name"].endswith(f"· {NICU_ROUND - 1} stories")


async def test_pending_lists_what_waits_with_links_to_the_cards(bench: Bench):
    await turn_on(bench)
    await submit(bench, STORIES[0])
    await submit(bench, STORIES[1], user=OTHER_MEMBER, theme="surgery")

    listed = await bench.slash("submissions pending", user=MODERATOR)

    assert listed.ephemeral
    assert listed.embeds[0]["title"] == "Waiting for a decision: 2"
    for number in (1, 2):
        card = card_of(bench, number)
        assert f"/{MOD_CHANNEL}/{card['id']})" in listed.text
    refused = await bench.slash("submissions pending", user=MEMBER)
    assert refused.content.startswith("Only this server's moderators")


async def test_member_withdraws_a_pending_submission(bench: Bench):
    await turn_on(bench)
    await submit(bench, STORIES[0])

    mine = await bench.slash("submissions mine")
    assert "waiting for a decision" in mine.text
    stale = copy.deepcopy(mine.message)  # as a second open copy of the list still shows it
    refused = await bench.press(mine.message, "bs:sub:withdraw:1", user=OTHER_MEMBER)
    assert refused.content == "You can only withdraw your own submissions."
    withdrawn = await bench.press(mine.message, "bs:sub:withdraw:1")

    assert withdrawn.type == 7
    assert "withdrawn" in withdrawn.text
    assert "bs:sub:withdraw:1" not in withdrawn.custom_ids
    card = card_of(bench, 1)
    assert card["embeds"][0]["title"] == "Submission #1 · withdrawn"
    assert card["components"] == []
    late = await bench.press(stale, "bs:sub:withdraw:1")
    assert "already withdrawn" in late.content


async def test_a_form_sent_across_a_restart_is_not_lost(bench: Bench):
    await turn_on(bench)
    opened = await bench.slash("submit")
    nicu = bench.services.library.catalogue.by_slug("nicu")

    await bench.restart()  # the member was still typing
    sent = await bench.submit(
        opened,
        {
            "story": STORIES[0],
            "theme": [str(nicu.id)],
            "credit": "anonymous",
            "notes": ["child-illness"],
            "consent": True,
        },
    )

    assert "submission #1" in sent.content
    card = card_of(bench, 1)
    assert "Anonymously" in field(card, "Credit")
    assert field(card, "Content notes") == "Serious illness of a child"

    reject = await bench.press(card, "bs:mod:reject:1", user=MODERATOR)
    await bench.restart()
    done = await bench.submit(reject, {"reason": "Too close to a real case."}, user=MODERATOR)

    assert "rejected" in done.content
    assert "Too close to a real case." in field(card_of(bench, 1), "Decision")
    assert "Too close to a real case." in dms(bench)[0]["embeds"][0]["description"]


MENTION_STORY = (
    "<@1577424552147812379> was my mentor on the children's ward, and when a little boy with "
    "a broken arm asked for a dinosaur on his cast she drew three, then taught me how, so "
    "that every child after him got one too."
)


async def test_a_title_reads_as_a_title_with_no_mention_code_anywhere(bench: Bench):
    await turn_on(bench)
    found = await submit(bench, MENTION_STORY, theme="nicu")
    [send] = [c for c in found.custom_ids if c.startswith("bs:draft:send:")]
    await bench.press(found.message, send)  # the member saw the mention and sent it anyway
    proposed = "@member was my mentor on the children's ward"
    assert field(card_of(bench, 1), "Title") == proposed

    form = await bench.press(card_of(bench, 1), "bs:mod:approve:1", user=MODERATOR)
    assert prefilled(form)["title"]["value"] == proposed
    await bench.submit(form, {"title": "The dinosaurs <@&1300000000000000031>"}, user=MODERATOR)

    assert field(card_of(bench, 1), "Title") == "The dinosaurs @role"
    [dm] = dms(bench)
    assert "your story “The dinosaurs @role”" in dm["embeds"][0]["description"]
    listed = await bench.autocomplete("submissions retire", "story", user=MODERATOR, story="")
    [choice] = listed.choices
    assert choice["name"] == f"#{choice['value']} · The dinosaurs @role"
    served = await served_titles(bench, "nicu", NICU_ROUND)
    assert "The dinosaurs @role" in served
    assert not [t for t in served if "<@" in t or "<#" in t]


async def test_a_not_sure_story_is_approved_only_with_a_theme(bench: Bench):
    await turn_on(bench)
    await submit(bench, STORIES[1], theme=None)

    form = await bench.press(card_of(bench, 1), "bs:mod:approve:1", user=MODERATOR)
    theme = prefilled(form)["theme"]
    assert "Not sure" not in [o["label"] for o in theme["options"]]
    refused = await bench.submit(form, {"title": "Tomatoes", "theme": []}, user=MODERATOR)
    assert refused.ephemeral
    assert refused.content.startswith("Please choose a theme for submission #1")
    assert card_of(bench, 1)["embeds"][0]["title"] == "Submission #1 · waiting for a decision"

    await approve(bench, 1, title="Tomatoes", theme="surgery")

    assert card_of(bench, 1)["embeds"][0]["author"]["name"].endswith("Surgery")
    assert "Tomatoes" in await served_titles(bench, "surgery", 6)

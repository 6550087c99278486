"""The form's rules end to end: every refusal is one kind sentence and hands the text back."""

from __future__ import annotations

import json
from pathlib import Path

from bot.settings import DEFAULT_DATA_DIR
from bot.sharding import shard_of
from tests.discord_bench.harness import Bench
from tests.discord_bench.payloads import ADMIN, GUILD_ID, MEMBER, OTHER_MEMBER
from tests.test_submissions_steps import (
    MOD_CHANNEL,
    MOD_ROLE,
    MODERATOR,
    NEW_MOD_CHANNEL,
    STORIES,
    approve,
    card_of,
    cards,
    field,
    form_values,
    prefilled,
    submit,
    turn_on,
)

BUNDLED = json.loads((DEFAULT_DATA_DIR / "stories.json").read_text(encoding="utf-8"))


def handed_back(reply, text: str) -> str:
    """The draft id from the Edit button, after checking the text came back whole."""
    assert reply.ephemeral
    assert reply.embeds[0]["title"] == "Your story, as you wrote it"
    assert reply.embeds[0]["description"] == text  # exactly as typed
    [edit] = [c for c in reply.custom_ids if c.startswith("bs:draft:edit:")]
    return edit


async def test_submit_before_moderation_is_set_says_submissions_are_off(bench: Bench):
    reply = await bench.slash("submit")

    assert reply.type == 4 and reply.ephemeral
    assert reply.content.startswith("This server has not turned submissions on yet")


async def test_consent_missing_is_refused_and_the_text_comes_back(bench: Bench):
    await turn_on(bench)
    refused = await submit(bench, STORIES[0], consent=False, notes=("child-illness",))

    assert refused.content.startswith("Please tick the consent box")
    edit = handed_back(refused, STORIES[0])
    assert cards(bench) == []

    form = await bench.press(refused.message, edit)
    assert form.type == 9
    given = prefilled(form)
    assert given["story"]["value"] == STORIES[0]
    assert given["consent"]["default"] is False
    ticked = [o["value"] for o in given["notes"]["options"] if o["default"]]
    assert ticked == ["child-illness"]

    sent = await bench.submit(form, form_values(bench, STORIES[0], notes=("child-illness",)))
    assert "submission #1" in sent.content
    card = card_of(bench, 1)
    assert card["embeds"][0]["description"].startswith(
        "**Content note:** serious illness of a child."
    )


async def test_too_short_and_too_long_are_refused_with_the_limits(bench: Bench):
    await turn_on(bench)
    short = "A nurse held my hand."
    refused = await submit(bench, short)
    assert refused.content.startswith("Your story has 21 characters; please write at least 80")
    handed_back(refused, short)

    long = (STORIES[0] + " ") * 8
    refused = await submit(bench, long)
    assert "the most is 2,000" in refused.content
    handed_back(refused, long)
    assert cards(bench) == []
    mine = await bench.slash("submissions mine")
    assert mine.embeds[0]["description"] == (
        "You haven't shared a story here yet. Whenever you'd like to, `/submit` opens the form."
    )


async def test_three_waiting_is_the_most_until_one_is_decided(bench: Bench):
    await turn_on(bench)
    for number, text in enumerate(STORIES[:3], start=1):
        sent = await submit(bench, text)
        assert f"submission #{number}" in sent.content

    refused = await bench.slash("submit")
    assert refused.type == 4
    assert refused.content.startswith("You already have 3 stories waiting for the moderators")
    other = await bench.slash("submit", user=OTHER_MEMBER)
    assert other.type == 9  # the limit is per member

    await approve(bench, 1)
    assert (await bench.slash("submit")).type == 9


async def test_five_a_day_then_tomorrow_again(database: dict[str, str], tmp_path: Path):
    async with Bench(tmp_path, env=database) as bench:
        await turn_on(bench)
        for text in STORIES[:5]:
            sent = await submit(bench, text)
            assert "Thank you" in sent.content, sent.content
            mine = await bench.slash("submissions mine")
            for custom_id in mine.custom_ids:
                await bench.press(mine.message, custom_id)  # withdraw: only the day counts

        refused = await bench.slash("submit")
        assert refused.content.startswith("You have sent 5 stories in the last 24 hours")

        bench.clock.advance(hours=24, minutes=1)
        assert (await bench.slash("submit")).type == 9


async def test_a_limit_reached_while_the_form_was_open_keeps_the_text(bench: Bench):
    await turn_on(bench)
    for text in STORIES[:2]:
        await submit(bench, text)
    first = await bench.slash("submit")
    second = await bench.slash("submit")
    assert await bench.submit(first, form_values(bench, STORIES[2]))

    refused = await bench.submit(second, form_values(bench, STORIES[3]))

    assert refused.content.startswith("You already have 3 stories waiting")
    handed_back(refused, STORIES[3])


async def test_near_duplicates_are_refused_with_a_pointer(bench: Bench):
    await turn_on(bench)
    await submit(bench, STORIES[0])

    again = await submit(bench, STORIES[0].replace("four months", "five months"))
    assert again.content.startswith("This is nearly the same as your submission #1")
    handed_back(again, STORIES[0].replace("four months", "five months"))

    someone = await submit(bench, STORIES[0].upper(), user=OTHER_MEMBER)
    assert someone.content.startswith("This is nearly the same as submission #1, which is")

    bundled = BUNDLED[0]
    copied = await submit(bench, bundled["text"].replace("dog", "puppy"))
    assert copied.content.startswith(f"This is nearly the same as “{bundled['title']}”")
    assert len(cards(bench)) == 1

    # A withdrawn submission no longer stands in the way.
    mine = await bench.slash("submissions mine")
    await bench.press(mine.message, "bs:sub:withdraw:1")
    assert "Thank you" in (await submit(bench, STORIES[0])).content


async def test_mentions_and_invites_ping_nobody_and_show_as_findings(bench: Bench):
    await turn_on(bench)
    text = (
        "@everyone this is for the night team: <@&1300000000000000031> you held our family "
        "together when our son was in intensive care. Join us at discord.gg/thanksnurses to "
        f"read the rest, or ask <@{OTHER_MEMBER.id}> who was there every single night."
    )
    first = await submit(bench, text, theme="critical-care")

    assert first.ephemeral and first.pings == set()
    findings = first.embeds[0]["description"]
    for expected in ("@everyone or @here", "a mention of a role", "a Discord invite"):
        assert expected in findings
    assert cards(bench) == []
    send = [c for c in first.custom_ids if c.startswith("bs:draft:send:")]
    sent = await bench.press(first.message, send[0])

    assert "submission #1" in sent.content
    card = card_of(bench, 1)
    assert card["pings"] == []
    assert "a mention of a member" in field(card, "Findings")
    assert "a Discord invite: `discord.gg/thanksnurses`" in field(card, "Findings")

    await approve(bench, 1, user=ADMIN)
    for _ in range(3):
        story = await bench.slash("story", theme="critical-care")
        assert story.pings == set()
    assert all(not m["pings"] for messages in bench.discord.messages.values() for m in messages)


async def test_edit_from_the_findings_step_loses_nothing(bench: Bench):
    await turn_on(bench)
    text = STORIES[1] + " Call me on 07700 900123 if you knew him."
    first = await submit(bench, text, theme="surgery", anonymous=True)
    assert "a phone number" in first.embeds[0]["description"]
    [edit] = [c for c in first.custom_ids if c.startswith("bs:draft:edit:")]

    form = await bench.press(first.message, edit)
    given = prefilled(form)
    assert given["story"]["value"] == text
    credit = [o["value"] for o in given["credit"]["options"] if o["default"]]
    assert credit == ["anonymous"]

    sent = await bench.submit(form, form_values(bench, STORIES[1], theme="surgery"))
    assert "submission #1" in sent.content
    assert field(card_of(bench, 1), "Findings") == "Nothing found"
    stale = await bench.press(first.message, edit.replace("edit", "send"))
    assert "That draft is no longer here" in stale.content


async def test_deleted_moderator_channel_then_set_again_posts_the_card(bench: Bench):
    await turn_on(bench)
    bench.discord.delete_channel(MOD_CHANNEL)

    sent = await submit(bench, STORIES[0])

    assert "submission #1" in sent.content  # the member's submission still succeeds
    assert bench.expect_rejection().code == 10003
    listed = await bench.slash("submissions pending", user=ADMIN)
    assert "card not posted yet" in listed.text

    await turn_on(bench, NEW_MOD_CHANNEL)

    card = card_of(bench, 1, NEW_MOD_CHANNEL)
    assert STORIES[0] in card["embeds"][0]["description"]
    await approve(bench, 1, channel=NEW_MOD_CHANNEL)
    assert card_of(bench, 1, NEW_MOD_CHANNEL)["embeds"][0]["title"].endswith("approved")


async def test_lost_permission_then_restart_posts_the_waiting_cards(bench: Bench):
    await turn_on(bench)
    bench.discord.channels[MOD_CHANNEL].bot_permissions = 0

    await submit(bench, STORIES[0])
    await submit(bench, STORIES[1], user=OTHER_MEMBER)

    assert bench.expect_rejection().code in (50001, 50013)
    assert cards(bench) == []
    setting_again = await turn_on(bench)  # still no permission: the admin is told
    assert bench.expect_rejection().code == 50001  # the look at the channel
    assert "I need the View Channel permission there" in setting_again.content

    bench.discord.channels[MOD_CHANNEL].bot_permissions = (1 << 10) | (1 << 11) | (1 << 14)
    await bench.restart()
    await bench.settle()

    assert [m["embeds"][0]["title"] for m in cards(bench)] == [
        "Submission #1 · waiting for a decision",
        "Submission #2 · waiting for a decision",
    ]


async def test_a_waiting_card_is_posted_by_the_process_serving_its_server_only(bench: Bench):
    """Shard processes share one database, and each posts its own servers' waiting cards
    at start: a process of the other shard leaves the card alone, so it is posted once."""
    await turn_on(bench)
    bench.discord.channels[MOD_CHANNEL].bot_permissions = 0
    await submit(bench, STORIES[0])
    assert bench.expect_rejection().code in (50001, 50013)
    bench.discord.channels[MOD_CHANNEL].bot_permissions = (1 << 10) | (1 << 11) | (1 << 14)
    ours = shard_of(GUILD_ID, 2)

    bench.env.update(SHARD_COUNT="2", SHARD_IDS=str(1 - ours))
    await bench.restart()
    await bench.settle()
    assert cards(bench) == []

    bench.env.update(SHARD_IDS=str(ours))
    await bench.restart()
    await bench.settle()
    [card] = cards(bench)
    assert card["embeds"][0]["title"] == "Submission #1 · waiting for a decision"


async def test_moderator_role_comes_from_the_settings(bench: Bench):
    await turn_on(bench, role=None)
    await submit(bench, STORIES[0])

    refused = await bench.press(card_of(bench, 1), "bs:mod:approve:1", user=MODERATOR)
    assert refused.content.startswith("Only this server's moderators")

    await turn_on(bench, role=MOD_ROLE)
    await approve(bench, 1)
    assert card_of(bench, 1)["embeds"][0]["title"] == "Submission #1 · approved"
    assert MEMBER.id in bench.discord.dm_channels


async def test_a_story_that_only_looks_long_is_counted_as_a_reader_sees_it(bench: Bench):
    await turn_on(bench)
    invisible = "\u200b\u3164\u2800" * 60  # 180 characters, none of them visible
    refused = await submit(bench, invisible)
    assert refused.content.startswith("Your story has 0 characters; please write at least 80")
    handed_back(refused, invisible)

    padded = "Thank you, nurse.\u200b" + "\u200b\u200d" * 70
    refused = await submit(bench, padded)
    assert refused.content.startswith("Your story has 17 characters; please write at least 80")
    assert cards(bench) == []  # nothing reached the moderators


async def test_every_part_of_the_form_reads_as_a_sentence_of_its_own(bench: Bench):
    await turn_on(bench)
    form = await bench.slash("submit")
    labels = {c["label"]: c.get("description") for c in form.data["components"]}
    assert labels["This story is mine to share"] == (
        "I have taken out names and details that could identify a patient. Tick this to send it."
    )
    for label, description in labels.items():
        assert label[:1].isupper(), label
        assert description is None or not description[:1].islower(), description
    # The theme select lists themes as members read them: by title.
    select = next(c["component"] for c in form.data["components"] if c["label"] == "Theme")
    titles = [o["label"] for o in select["options"][1:]]
    assert titles == sorted(titles, key=str.casefold)


async def test_invisible_characters_do_not_hide_an_address_or_a_number(bench: Bench):
    # Zero-width characters split the address and the number for a pattern but not for a
    # reader, who sees jo@nhs.net and 07700 900123 on the card.
    await turn_on(bench)
    text = STORIES[2] + " Write to jo\u200b@nhs\u2060.net or call 07700\u200b 900\u200d123."
    first = await submit(bench, text, theme="gratitude")

    shown = first.embeds[0]["description"]
    assert "an e-mail address: `jo@nhs.net`" in shown
    assert "a phone number: `07700 900123`" in shown
    send = [c for c in first.custom_ids if c.startswith("bs:draft:send:")]
    await bench.press(first.message, send[0])
    findings = field(card_of(bench, 1), "Findings")
    assert "an e-mail address" in findings and "a phone number" in findings

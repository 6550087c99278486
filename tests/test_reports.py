"""Reporting a story: hidden at once in that server only, then restored or removed."""

from __future__ import annotations

import copy
from pathlib import Path

from bot.records import NewStory
from bot.sharding import shard_of
from tests.discord_bench.harness import Bench
from tests.discord_bench.payloads import (
    ADMIN,
    GUILD_ID,
    MEMBER,
    OTHER_GUILD_ID,
    OTHER_MEMBER,
    User,
    Where,
)
from tests.report_steps import (
    CALM,
    card_of_story,
    count_of,
    report,
    report_cards,
    small_library,
    story_id_of,
)
from tests.services_at import sql_rows
from tests.test_submissions_steps import MOD_CHANNEL, MODERATOR, turn_on
from tests.test_submissions_steps import served_titles as titles

ELSEWHERE = Where(guild_id=OTHER_GUILD_ID, channel_id=1300000000000000099)


async def test_a_report_hides_the_story_here_at_once_and_restore_brings_it_back(
    database: dict[str, str], tmp_path: Path
):
    async with Bench(tmp_path, env={**database, "DATA_DIR": str(small_library(tmp_path))}) as bench:
        await turn_on(bench)
        card = await card_of_story(bench, "nicu", "Story a")

        sent = await report(bench, card, "identifies")

        assert sent.ephemeral
        assert "Thank you" in sent.content and "hidden" in sent.content
        # Hidden for everyone here, the reporter or not; never in another server.
        assert "Story a" not in await titles(bench, "nicu", 6, where=Where())
        assert "Story a" not in await titles(
            bench, "nicu", 3, where=Where(channel_id=1300000000000000098)
        )
        assert "Story a" in await titles(bench, "nicu", 3, where=ELSEWHERE)
        here = await bench.autocomplete("story", "theme", theme="nic")
        there = await bench.autocomplete("story", "theme", theme="nic", where=ELSEWHERE)
        assert count_of(here.choices, "Nicu") == "2 stories"
        assert count_of(there.choices, "Nicu") == "3 stories"

        [mod_card] = report_cards(bench, MOD_CHANNEL)
        assert mod_card["embeds"][0]["title"] == "Report #1 · waiting"
        assert "It could identify someone" in str(mod_card["embeds"][0]["fields"])
        assert mod_card["embeds"][1]["title"] == "Story a"
        # The reporter is never named on the card.
        assert str(MEMBER.id) not in str(mod_card) and "member" not in str(mod_card["embeds"])
        assert mod_card["pings"] == []

        # A second report joins the case: still one card, which now says so.
        await report(bench, card, "in-story", user=ADMIN)
        [mod_card] = report_cards(bench, MOD_CHANNEL)
        assert "2 members reported it" in str(mod_card["embeds"][0]["fields"])

        refused = await bench.press(mod_card, "bs:report:restore:1", user=OTHER_MEMBER)
        assert refused.ephemeral and "Story a" not in await titles(bench, "nicu", 3)

        restored = await bench.press(mod_card, "bs:report:restore:1", user=MODERATOR)

        assert restored.type == 7
        [decided] = report_cards(bench, MOD_CHANNEL)
        assert decided["embeds"][0]["title"] == "Report #1 · restored"
        assert "By Moderator <t:" in str(decided["embeds"][0]["fields"])
        assert decided["components"] == []
        # The rest of this round (two slots at most, past its hole) and one whole round.
        assert "Story a" in await titles(bench, "nicu", 2 + 3)
        here = await bench.autocomplete("story", "theme", theme="nic")
        assert count_of(here.choices, "Nicu") == "3 stories"


async def test_remove_retires_a_servers_own_story_and_keeps_a_bundled_one_hidden_here(
    database: dict[str, str], tmp_path: Path
):
    async with Bench(tmp_path, env={**database, "DATA_DIR": str(small_library(tmp_path))}) as bench:
        await turn_on(bench)
        nicu = bench.services.library.catalogue.by_slug("nicu")
        [own_id] = await bench.services.library.store.write_stories(
            GUILD_ID,
            bench.clock().isoformat(),
            [
                NewStory(
                    "Our own",
                    "A story this server shared.",
                    "",
                    "A member",
                    "",
                    "",
                    "x",
                    (nicu.id,),
                )
            ],
            [],
        )
        bundled = await card_of_story(bench, "nicu", "Story b")
        own = await card_of_story(bench, "nicu", "Our own")
        await report(bench, bundled, "harmful")
        await report(bench, own, "in-story", user=OTHER_MEMBER)
        first, second = report_cards(bench, MOD_CHANNEL)
        stale = copy.deepcopy(first)

        await bench.press(first, "bs:report:remove:1", user=ADMIN)
        await bench.press(second, "bs:report:remove:2", user=MODERATOR)

        removed = report_cards(bench, MOD_CHANNEL)
        assert [m["embeds"][0]["title"] for m in removed] == [
            "Report #1 · removed",
            "Report #2 · removed",
        ]
        assert "stays hidden in this server" in str(removed[0]["embeds"][0]["fields"])
        assert "retired from this server's library" in str(removed[1]["embeds"][0]["fields"])
        assert await sql_rows(
            bench.services, "SELECT active FROM stories WHERE id = ?", own_id
        ) == [(0,)]
        served = await titles(bench, "nicu", 4)
        assert "Story b" not in served and "Our own" not in served
        assert "Story b" in await titles(bench, "nicu", 3, where=ELSEWHERE)

        # A second moderator on a card that was still open on their screen: one decision.
        late = await bench.press(stale, "bs:report:restore:1", user=MODERATOR)
        assert "already decided" in late.followups[0]["content"]
        assert "Story b" not in await titles(bench, "nicu", 3)


async def test_a_report_form_sent_across_a_restart_is_filed(
    database: dict[str, str], tmp_path: Path
):
    async with Bench(tmp_path, env={**database, "DATA_DIR": str(small_library(tmp_path))}) as bench:
        await turn_on(bench)
        card = await card_of_story(bench, "nicu", "Story a")
        opened = await bench.press(card.message, f"bs:story:report:{story_id_of(card)}")
        assert opened.type == 9

        await bench.restart()  # the member was still choosing a reason
        sent = await bench.submit(opened, {"reason": "in-story", "detail": "That is my mother."})

        assert sent.ephemeral and "hidden" in sent.content
        assert "Story a" not in await titles(bench, "nicu", 6)
        [mod_card] = report_cards(bench, MOD_CHANNEL)
        assert mod_card["embeds"][0]["title"] == "Report #1 · waiting"
        assert "That is my mother." in str(mod_card["embeds"][0]["fields"])


async def test_reports_beyond_the_daily_limit_are_refused_kindly(
    database: dict[str, str], tmp_path: Path
):
    async with Bench(tmp_path, env={**database, "DATA_DIR": str(small_library(tmp_path))}) as bench:
        limit = bench.services.reports.per_day
        assert limit < len(CALM)
        for key in CALM[:limit]:
            sent = await report(bench, await card_of_story(bench, "calm", f"Story {key}"))
            assert "hidden" in sent.content
        last = await card_of_story(bench, "calm", f"Story {CALM[limit]}")

        refused = await report(bench, last)

        assert refused.ephemeral
        assert "as many reports" in refused.content and "tomorrow" in refused.content
        assert f"Story {CALM[limit]}" in await titles(bench, "calm", 2)
        bench.clock.advance(days=1, minutes=1)
        assert "hidden" in (await report(bench, last)).content


async def test_a_flood_of_reports_on_one_story_is_one_case_and_waits_in_reports_without_a_channel(
    database: dict[str, str], tmp_path: Path
):
    async with Bench(tmp_path, env={**database, "DATA_DIR": str(small_library(tmp_path))}) as bench:
        card = await card_of_story(bench, "nicu", "Story c")
        for n in range(4):
            reporter = User(1400000000000000100 + n, f"reader{n}")
            sent = await report(bench, card, "other", "It names my ward.", user=reporter)
            assert "Thank you" in sent.content
        assert await sql_rows(
            bench.services,
            "SELECT COUNT(*) FROM hidden_stories WHERE story_id = ?",
            story_id_of(card),
        ) == [(1,)]
        assert "Story c" not in await titles(bench, "nicu", 3)

        listed = await bench.slash("reports", user=ADMIN)

        assert listed.ephemeral
        assert listed.content.startswith("1 reported story waits for a decision")
        assert "4 members reported it" in str(listed.embeds[0]["fields"])
        assert "It names my ward." in str(listed.embeds[0]["fields"])
        not_mod = await bench.slash("reports", user=MEMBER)
        assert not_mod.ephemeral and not not_mod.embeds

        removed = await bench.press(listed.message, "bs:report:remove:1", user=ADMIN)

        assert removed.data["embeds"][0]["title"] == "Report #1 · removed"
        assert (await bench.slash("reports", user=ADMIN)).content.startswith("Nothing is waiting")
        assert "Story c" not in await titles(bench, "nicu", 3)


async def test_cases_waiting_for_a_moderator_channel_get_their_cards_when_it_is_set(
    database: dict[str, str], tmp_path: Path
):
    async with Bench(tmp_path, env={**database, "DATA_DIR": str(small_library(tmp_path))}) as bench:
        decided = await card_of_story(bench, "nicu", "Story b")
        await report(bench, decided, "harmful")
        listed = await bench.slash("reports", user=ADMIN)
        await bench.press(listed.message, "bs:report:restore:1", user=ADMIN)
        waiting = await card_of_story(bench, "nicu", "Story a")
        await report(bench, waiting, "identifies")
        await report(bench, waiting, "in-story", user=OTHER_MEMBER)  # the same case

        await turn_on(bench)

        [card] = report_cards(bench, MOD_CHANNEL)
        assert card["embeds"][1]["title"] == "Story a"
        assert "2 members reported it" in str(card["embeds"][0]["fields"])
        assert "bs:report:remove:2" in str(card["components"])
        # Set again, it posts nothing twice.
        await turn_on(bench)
        assert len(report_cards(bench, MOD_CHANNEL)) == 1


async def test_a_card_discord_refused_is_posted_when_the_bot_starts_again(
    database: dict[str, str], tmp_path: Path
):
    async with Bench(tmp_path, env={**database, "DATA_DIR": str(small_library(tmp_path))}) as bench:
        await turn_on(bench)
        card = await card_of_story(bench, "nicu", "Story a")
        # The moderators took the bot's Send Messages away there for a while.
        bench.discord.fail_next("POST", f"/channels/{MOD_CHANNEL}/messages", 403, 50013)

        sent = await report(bench, card, "identifies")

        assert "hidden" in sent.content
        assert report_cards(bench, MOD_CHANNEL) == []
        assert bench.expect_rejection().status == 403

        await bench.restart()
        await bench.settle()

        [mod_card] = report_cards(bench, MOD_CHANNEL)
        assert mod_card["embeds"][1]["title"] == "Story a"
        await bench.restart()
        await bench.settle()
        assert len(report_cards(bench, MOD_CHANNEL)) == 1


async def test_a_waiting_card_is_posted_by_the_process_serving_its_server_only(
    database: dict[str, str], tmp_path: Path
):
    """Shard processes share one database, and each catches up its own servers' cards at
    start: a process of the other shard leaves the card alone, so it is posted once."""
    async with Bench(tmp_path, env={**database, "DATA_DIR": str(small_library(tmp_path))}) as bench:
        await turn_on(bench)
        card = await card_of_story(bench, "nicu", "Story a")
        bench.discord.fail_next("POST", f"/channels/{MOD_CHANNEL}/messages", 403, 50013)
        await report(bench, card, "identifies")
        assert bench.expect_rejection().status == 403
        ours = shard_of(GUILD_ID, 2)

        bench.env.update(SHARD_COUNT="2", SHARD_IDS=str(1 - ours))
        await bench.restart()
        await bench.settle()
        assert report_cards(bench, MOD_CHANNEL) == []

        bench.env.update(SHARD_IDS=str(ours))
        await bench.restart()
        await bench.settle()
        [mod_card] = report_cards(bench, MOD_CHANNEL)
        assert mod_card["embeds"][1]["title"] == "Story a"


async def test_something_else_needs_a_few_words_and_dms_have_no_reports(
    database: dict[str, str], tmp_path: Path
):
    async with Bench(tmp_path, env={**database, "DATA_DIR": str(small_library(tmp_path))}) as bench:
        card = await card_of_story(bench, "nicu", "Story a")

        unsaid = await report(bench, card, "other", "   ")

        assert unsaid.ephemeral and unsaid.content.startswith("Please say in a few words")
        assert "Story a" in await titles(bench, "nicu", 2 + 3)
        in_dm = Where(guild_id=None, channel_id=1300000000000000077)
        dm_card = await bench.slash("story", theme="nicu", where=in_dm)
        pressed = await bench.press(
            dm_card.message, f"bs:story:report:{story_id_of(dm_card)}", where=in_dm
        )
        assert pressed.ephemeral and "inside a server" in pressed.content
        helped = await bench.press(
            dm_card.message, f"bs:story:helped:{story_id_of(dm_card)}", where=in_dm
        )
        assert helped.ephemeral and "inside a server" in helped.content

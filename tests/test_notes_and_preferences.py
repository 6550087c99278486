"""What a story's content note hides, per server and per member, as Discord would show it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.discord_bench.harness import Bench, Reply
from tests.discord_bench.payloads import (
    ADMIN,
    CHANNEL_ID,
    MEMBER,
    OTHER_GUILD_ID,
    OTHER_MEMBER,
    ChannelRef,
    User,
    Where,
)
from tests.library_data import story, theme, write_library
from tests.test_submissions_steps import STORIES as SUBMITTED
from tests.test_submissions_steps import card_of, submit, turn_on

HINT = "The story is hidden: click or tap the dark bar to read it."
STORIES = {
    "loss": ("pregnancy-loss",),
    "grief": ("death",),
    "cancer": ("cancer",),
    "plain": (),
}
HEAVY = ("loss", "grief")


def bench_at(tmp_path: Path, database: dict[str, str]) -> Bench:
    data = write_library(
        tmp_path / "data",
        [theme("care"), theme("heavy")],
        [
            story(key, "care", *(("heavy",) if key in HEAVY else ()), notes=notes)
            for key, notes in STORIES.items()
        ],
    )
    return Bench(tmp_path, env={**database, "DATA_DIR": str(data)})


def text_of(key: str) -> str:
    return f"A true and gentle story called {key}, told for the tests."


def key_of(reply: Reply) -> str:
    return reply.embeds[0]["title"].removeprefix("Story ")


async def one_round(bench: Bench, user: User = MEMBER) -> dict[str, str]:
    """Every story of the theme once, as /story answers them: key -> description."""
    seen: dict[str, str] = {}
    for _ in STORIES:
        reply = await bench.slash("story", theme="care", user=user)
        assert not reply.ephemeral
        seen[key_of(reply)] = reply.embeds[0]["description"]
    assert set(seen) == set(STORIES)
    return seen


def hidden(key: str, note: str) -> str:
    return f"**Content note:** {note}.\n{HINT}\n\n||{text_of(key)}||"


def shown(key: str, note: str) -> str:
    return f"**Content note:** {note}.\n\n{text_of(key)}"


async def test_heavy_stories_are_hidden_and_light_ones_shown_with_their_note(
    tmp_path: Path, database: dict[str, str]
):
    async with bench_at(tmp_path, database) as bench:
        assert await one_round(bench) == {
            "loss": hidden("loss", "pregnancy loss"),
            "grief": hidden("grief", "death"),
            "cancer": shown("cancer", "cancer"),
            "plain": text_of("plain"),
        }

        opened = await bench.slash("settings notes", user=ADMIN)
        assert opened.ephemeral
        assert opened.content.startswith(
            "**Hidden in this server:** Death, pregnancy loss, violence, suicide:"
        )
        [picker] = opened.data["components"][0]["components"]
        ticked = {o["value"] for o in picker["options"] if o.get("default")}
        assert ticked == {"death", "pregnancy-loss", "violence", "suicide"}

        # The picker outlives a restart: its custom id is all it needs.
        await bench.restart()
        changed = await bench.press(
            opened.message, "bs:settings:notes", user=ADMIN, values=["cancer", "death"]
        )
        assert changed.type == 7
        assert changed.content.startswith("**Hidden in this server:** Death, cancer:")

        assert await one_round(bench) == {
            "loss": shown("loss", "pregnancy loss"),
            "grief": hidden("grief", "death"),
            "cancer": hidden("cancer", "cancer"),
            "plain": text_of("plain"),
        }
        settings = await bench.slash("settings show", user=ADMIN)
        [field] = [f for f in settings.embeds[0]["fields"] if f["name"].startswith("Hidden")]
        assert field["value"].startswith("Death, cancer: a story with one of these notes")

        # Choosing nothing is a choice too: every story shown, its note still first.
        await bench.press(opened.message, "bs:settings:notes", user=ADMIN, values=[])
        assert (await one_round(bench))["grief"] == shown("grief", "death")


async def test_only_manage_server_changes_what_the_server_hides(
    tmp_path: Path, database: dict[str, str]
):
    async with bench_at(tmp_path, database) as bench:
        refused = await bench.slash("settings notes", user=MEMBER)
        assert refused.content == "You need the Manage Server permission to do that."

        opened = await bench.slash("settings notes", user=ADMIN)
        pressed = await bench.press(opened.message, "bs:settings:notes", user=MEMBER, values=[])
        assert pressed.ephemeral
        assert pressed.content == "You need the Manage Server permission to do that."
        assert (await one_round(bench))["loss"] == hidden("loss", "pregnancy loss")


async def test_the_daily_story_hides_what_the_server_hides(
    tmp_path: Path, database: dict[str, str]
):
    async with bench_at(tmp_path, database) as bench:
        bench.join_guild()
        opened = await bench.slash("settings notes", user=ADMIN)
        await bench.press(opened.message, "bs:settings:notes", user=ADMIN, values=["cancer"])
        await bench.slash(
            "daily set",
            user=ADMIN,
            channel=ChannelRef(CHANNEL_ID),
            time="9am",
            timezone="UTC",
            theme="care",
        )
        for _ in STORIES:
            await bench.slash("daily test", user=ADMIN)
        # And the post the scheduler makes at nine.
        bench.clock.advance(hours=1)
        cog = bench.bot.get_cog("Daily") if bench.bot else None
        assert len((await cog.scheduler.run_due()).sent) == 1  # type: ignore[union-attr]

        expected = {
            "loss": shown("loss", "pregnancy loss"),
            "grief": shown("grief", "death"),
            "cancer": hidden("cancer", "cancer"),
            "plain": text_of("plain"),
        }
        posts = [m["embeds"][0] for m in bench.channel_messages() if m.get("embeds")]
        assert len(posts) == len(STORIES) + 1
        for post in posts:
            assert post["description"] == expected[post["title"].removeprefix("Story ")]


async def skip_pregnancy_loss(bench: Bench, user: User = MEMBER) -> Reply:
    opened = await bench.slash("preferences", user=user)
    assert opened.ephemeral
    assert "**Notes you skip:** Nothing" in opened.content
    changed = await bench.press(
        opened.message, "bs:prefs:skip", user=user, values=["pregnancy-loss"]
    )
    assert changed.type == 7
    assert "**Notes you skip:** Pregnancy loss." in changed.content
    return changed


async def test_a_member_who_skips_a_note_never_draws_it_and_the_channel_still_does(
    tmp_path: Path, database: dict[str, str]
):
    async with bench_at(tmp_path, database) as bench:
        await skip_pregnancy_loss(bench)

        # Several rounds of the member's own, by /story and by "Another story": never it.
        mine: list[str] = []
        reply = await bench.slash("story", theme="care")
        for _ in range(3 * len(STORIES)):
            mine.append(key_of(reply))
            reply = await bench.press(reply.message, reply.custom_ids[0])
        assert "loss" not in mine
        assert set(mine) == {"grief", "cancer", "plain"}

        # Meanwhile the channel's round was never touched: another member gets all four
        # in one round, pregnancy loss among them, hidden as the server hides it.
        others = await one_round(bench, OTHER_MEMBER)
        assert others["loss"] == hidden("loss", "pregnancy loss")

        # The preference follows the member to another server, and survives a restart.
        await bench.restart()
        elsewhere = Where(guild_id=OTHER_GUILD_ID, channel_id=1300000000000000099)
        bench.discord.add_channel(elsewhere.channel_id, OTHER_GUILD_ID)
        away = [
            key_of(await bench.slash("story", theme="care", where=elsewhere))
            for _ in range(2 * len(STORIES))
        ]
        assert "loss" not in away


async def test_a_member_who_skips_every_story_of_a_theme_is_told_so(
    tmp_path: Path, database: dict[str, str]
):
    async with bench_at(tmp_path, database) as bench:
        opened = await bench.slash("preferences")
        await bench.press(opened.message, "bs:prefs:skip", values=["pregnancy-loss", "death"])

        refused = await bench.slash("story", theme="heavy")
        assert refused.ephemeral
        assert refused.content.startswith("Every story here has a content note you chose to skip;")
        # Where lighter stories remain, the member gets those, round after round.
        care = {key_of(await bench.slash("story", theme="care")) for _ in range(6)}
        assert care == {"cancer", "plain"}
        assert {key_of(await bench.slash("story")) for _ in range(6)} == {"cancer", "plain"}
        assert key_of(await bench.slash("story", theme="heavy", user=OTHER_MEMBER)) in HEAVY


async def test_a_member_may_read_hidden_stories_unhidden_where_only_they_see_them(
    tmp_path: Path, database: dict[str, str]
):
    async with bench_at(tmp_path, database) as bench:
        opened = await bench.slash("preferences")
        assert "bs:prefs:unhidden:1" in opened.custom_ids
        turned = await bench.press(opened.message, "bs:prefs:unhidden:1")
        assert "Shown to you unhidden, as a card only you can see" in turned.content
        assert "bs:prefs:unhidden:0" in turned.custom_ids

        cards: dict[str, Reply] = {}
        for _ in STORIES:
            reply = await bench.slash("story", theme="care")
            cards[key_of(reply)] = reply
        # Hidden by the server: unhidden for the member, and only they see that card.
        assert cards["loss"].ephemeral
        assert cards["loss"].embeds[0]["description"] == shown("loss", "pregnancy loss")
        # Nothing hidden to begin with: the card goes to the channel as ever.
        assert not cards["cancer"].ephemeral
        assert cards["cancer"].embeds[0]["description"] == shown("cancer", "cancer")
        assert not any(
            "||" in m["embeds"][0]["description"] for m in bench.channel_messages() if m["embeds"]
        )
        # Others still get the server's rule.
        assert (await one_round(bench, OTHER_MEMBER))["grief"] == hidden("grief", "death")


async def test_the_moderator_card_hides_what_the_server_hides(bench: Bench):
    await turn_on(bench)
    await submit(bench, SUBMITTED[0], notes=("death",))
    await submit(bench, SUBMITTED[1], notes=("child-illness",))

    heavy = card_of(bench, 1)["embeds"][0]["description"]
    assert heavy == f"**Content note:** death.\n\n||{SUBMITTED[0]}||"
    light = card_of(bench, 2)["embeds"][0]["description"]
    assert light == f"**Content note:** serious illness of a child.\n\n{SUBMITTED[1]}"


async def test_members_asking_at_once_each_get_their_own_preferences_and_server_settings(
    tmp_path: Path, database: dict[str, str]
):
    # Asked at once, the members' preferences and the servers' settings are read together;
    # each answer must still follow its own member and its own server.
    async with bench_at(tmp_path, database) as bench:
        await skip_pregnancy_loss(bench)
        elsewhere = Where(guild_id=OTHER_GUILD_ID, channel_id=1300000000000000099)
        bench.discord.add_channel(elsewhere.channel_id, OTHER_GUILD_ID)
        opened = await bench.slash("settings notes", user=ADMIN, where=elsewhere)
        await bench.press(
            opened.message, "bs:settings:notes", user=ADMIN, where=elsewhere, values=[]
        )

        replies = await asyncio.gather(
            *(bench.slash("story", theme="care") for _ in range(6)),
            *(
                bench.slash("story", theme="care", user=OTHER_MEMBER, where=elsewhere)
                for _ in STORIES
            ),
        )
        mine = [key_of(reply) for reply in replies[:6]]
        assert sorted(mine) == sorted(["grief", "cancer", "plain"] * 2)
        assert all(
            hidden("grief", "death") == r.embeds[0]["description"]
            for r in replies[:6]
            if key_of(r) == "grief"
        )
        theirs = {key_of(reply): reply.embeds[0]["description"] for reply in replies[6:]}
        assert theirs == {
            "loss": shown("loss", "pregnancy loss"),
            "grief": shown("grief", "death"),
            "cancer": shown("cancer", "cancer"),
            "plain": text_of("plain"),
        }

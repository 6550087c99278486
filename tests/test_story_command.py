"""`/story` and `/themes` as a member sees them, through the real client and a stand-in Discord."""

from __future__ import annotations

import json
from pathlib import Path

from bot.notes import DEFAULT_HIDDEN
from bot.settings import DEFAULT_DATA_DIR
from tests.discord_bench.harness import Bench
from tests.discord_bench.payloads import CHANNEL_ID, GUILD_ID, OTHER_MEMBER, Where
from tests.library_data import story, theme, write_library

NICU_KEYS = {
    s["key"]
    for s in json.loads((DEFAULT_DATA_DIR / "stories.json").read_text(encoding="utf-8"))
    if "nicu" in s["themes"]
}
ALL_COUNT = len(json.loads((DEFAULT_DATA_DIR / "stories.json").read_text(encoding="utf-8")))
TITLES = {
    s["title"]: s
    for s in json.loads((DEFAULT_DATA_DIR / "stories.json").read_text(encoding="utf-8"))
}


def title_of(reply_or_message) -> str:
    data = reply_or_message if isinstance(reply_or_message, dict) else reply_or_message.data
    return data["embeds"][0]["title"]


async def test_story_nicu_answers_with_a_nicu_story_card(bench: Bench):
    reply = await bench.slash("story", theme="nicu")

    assert not reply.ephemeral
    embed = reply.embeds[0]
    assert embed["author"]["name"] == "🍼 Neonatal intensive care"
    assert embed["color"] == 0xF2A7B6
    assert "nicu" in TITLES[embed["title"]]["themes"]
    assert embed["footer"]["text"].startswith("#ShareAStoryInOneTweet · 2018-05")
    nicu = bench.services.library.catalogue.by_slug("nicu")
    next_one, helped, report = reply.custom_ids
    assert next_one == f"bs:story:next:{nicu.id}"
    story_id = helped.removeprefix("bs:story:helped:")
    assert story_id.isdigit() and report == f"bs:story:report:{story_id}"


async def test_aliases_and_case_draw_from_the_same_pool(bench: Bench):
    seen = set()
    for query in ("NICU", "preemie", "neonatal", "Neonatal ICU", "nicuu"):
        reply = await bench.slash("story", theme=query)
        assert reply.embeds[0]["author"]["name"] == "🍼 Neonatal intensive care", query
        seen.add(title_of(reply))
    assert {TITLES[t]["key"] for t in seen} == NICU_KEYS


async def test_unknown_theme_gets_a_private_suggestion(bench: Bench):
    reply = await bench.slash("story", theme="xyz")

    assert reply.ephemeral
    assert reply.embeds == []
    assert reply.content.startswith("I don't know a theme called “xyz”")
    assert reply.content.endswith("`/themes` lists them all.")


async def test_a_theme_close_to_nothing_gets_no_made_up_suggestions_and_a_pointer(bench: Bench):
    reply = await bench.slash("story", theme="dentistry")
    assert reply.ephemeral
    assert reply.content == (
        "I don't know a theme called “dentistry”, and none is close to it. "
        "`/themes` lists them all."
    )


async def test_an_unknown_word_is_matched_by_meaning_in_the_descriptions(bench: Bench):
    # "milestones" is in Disability's description only, "babies" in an alias of NICU.
    reply = await bench.slash("story", theme="milestones")
    assert reply.ephemeral
    assert reply.content == (
        "I don't know a theme called “milestones”. Did you mean Disability and "
        "neurodiversity (`disability`)? `/themes` lists them all."
    )
    babies = await bench.slash("story", theme="babies")
    assert "Did you mean Neonatal intensive care (`nicu`)?" in babies.content
    families = await bench.slash("story", theme="families")
    assert "Children and families (`children`) or Neonatal intensive care (`nicu`)?" in (
        families.content
    )


async def test_near_misses_resolve_and_vague_words_get_the_closest_themes(bench: Bench):
    reply = await bench.slash("story", theme="cancr care")
    assert reply.embeds[0]["author"]["name"].endswith("Cancer care")
    reply = await bench.slash("story", theme="grif")
    assert reply.embeds[0]["author"]["name"].endswith("Grief and loss")

    vague = await bench.slash("story", theme="care")
    assert vague.ephemeral
    assert vague.content == (
        "I don't know a theme called “care”. Did you mean Animal care (`animals`), Cancer care "
        "(`cancer`) or Critical care (`critical-care`)? `/themes` lists them all."
    )


async def test_no_theme_gives_any_story(bench: Bench):
    reply = await bench.slash("story")
    assert not reply.ephemeral
    assert title_of(reply) in TITLES
    assert reply.custom_ids[0] == "bs:story:next:0"


async def test_twenty_calls_go_round_the_pool_without_a_repeat(bench: Bench):
    titles = [title_of(await bench.slash("story")) for _ in range(20)]
    assert len(set(titles)) == 20, titles
    assert ALL_COUNT >= 20


async def test_a_round_finishes_before_any_story_repeats_and_then_starts_again(bench: Bench):
    first_round = [title_of(await bench.slash("story")) for _ in range(ALL_COUNT)]
    assert sorted(first_round) == sorted(TITLES)
    second_round = [title_of(await bench.slash("story")) for _ in range(ALL_COUNT)]
    assert sorted(second_round) == sorted(TITLES)
    assert second_round != first_round  # shuffled afresh, not replayed


async def test_each_channel_has_its_own_round(bench: Bench):
    other = Where(channel_id=CHANNEL_ID + 1)
    bench.discord.add_channel(CHANNEL_ID + 1, GUILD_ID)
    here = [title_of(await bench.slash("story", theme="nicu")) for _ in range(len(NICU_KEYS))]
    there = [
        title_of(await bench.slash("story", theme="nicu", where=other))
        for _ in range(len(NICU_KEYS))
    ]
    assert (
        sorted(here)
        == sorted(there)
        == sorted(t for t, s in TITLES.items() if s["key"] in NICU_KEYS)
    )


async def test_a_restart_keeps_the_round(bench: Bench):
    before = [title_of(await bench.slash("story")) for _ in range(10)]
    await bench.restart()
    after = [title_of(await bench.slash("story")) for _ in range(ALL_COUNT - 10)]
    assert sorted(before + after) == sorted(TITLES)


async def test_another_story_gives_the_next_of_the_same_theme_before_and_after_restart(
    bench: Bench,
):
    first = await bench.slash("story", theme="emergency")
    assert first.custom_ids[0].startswith("bs:story:next:")

    second = await bench.press(first.message, first.custom_ids[0], user=OTHER_MEMBER)
    assert second.embeds[0]["author"]["name"].endswith("Emergency and resuscitation")
    assert title_of(second) != title_of(first)

    await bench.restart()
    third = await bench.press(second.message, second.custom_ids[0])
    assert third.embeds[0]["author"]["name"].endswith("Emergency and resuscitation")
    assert title_of(third) not in {title_of(first), title_of(second)}


async def test_a_heavy_story_is_hidden_behind_its_note_and_a_lighter_one_follows_it(bench: Bench):
    kinds = set()
    emergency = [s for s in TITLES.values() if "emergency" in s["themes"]]
    for _ in emergency:
        reply = await bench.slash("story", theme="emergency")
        entry = TITLES[title_of(reply)]
        description = reply.embeds[0]["description"]
        if set(entry["notes"]) & DEFAULT_HIDDEN:
            assert description.startswith("**Content note:**")
            assert "\nThe story is hidden: click or tap the dark bar to read it.\n" in description
            body = description.split("\n\n", 1)[1]
            assert body.startswith("||") and body.endswith("||")
            assert entry["text"].replace("|", "∣") in body
            kinds.add("hidden")
        elif entry["notes"]:
            assert description.startswith("**Content note:**")
            assert description.endswith(".\n\n" + entry["text"])
            kinds.add("shown with its note")
        else:
            assert description == entry["text"]
    assert kinds == {"hidden", "shown with its note"}


async def test_autocomplete_offers_at_most_25_themes_best_first_with_counts(
    database: dict[str, str], tmp_path: Path
):
    themes = [theme(f"topic-{n:02d}") for n in range(40)] + [theme("nicu", "neonatal", "preemie")]
    stories = [story(f"s-{n:02d}", f"topic-{n:02d}") for n in range(40)]
    stories += [story("tiny", "nicu"), story("small", "nicu")]
    data = write_library(tmp_path / "data", themes, stories)
    async with Bench(tmp_path, env={**database, "DATA_DIR": str(data)}) as bench:
        everything = await bench.autocomplete("story", "theme", theme="")
        assert len(everything.choices) == 25

        near = await bench.autocomplete("story", "theme", theme="neo")
        assert near.choices[0]["value"] == "nicu"
        assert near.choices[0]["name"].endswith("· 2 stories")


async def test_autocomplete_offers_the_themes_whose_names_match_what_was_typed(bench: Bench):
    async def offered(typed: str) -> list[str]:
        reply = await bench.autocomplete("story", "theme", theme=typed)
        return [c["name"].split(" · ")[0] for c in reply.choices]

    assert await offered("grief") == ["🕯️ Grief and loss"]
    assert await offered("thank") == ["✉️ Thank-yous"]
    assert await offered("a&e") == ["🚑 Emergency and resuscitation"]
    assert await offered("emergancy") == ["🚑 Emergency and resuscitation"]
    everything = await offered("")
    assert everything[:3] == ["🐾 Animal care", "🎗️ Cancer care", "🧸 Children and families"]
    assert len(everything) == 14


async def test_nothing_the_bot_sends_pings_anyone_whatever_the_story_says(
    database: dict[str, str], tmp_path: Path
):
    text = "Thank you @everyone and @here, and <@1400000000000000009> and <@&1500000000000000001>!"
    data = write_library(
        tmp_path / "data", [theme("gratitude")], [story("loud", "gratitude", text=text)]
    )
    async with Bench(tmp_path, env={**database, "DATA_DIR": str(data)}) as bench:
        reply = await bench.slash("story", theme="gratitude")
        assert text in reply.embeds[0]["description"]
        assert reply.data["allowed_mentions"] == {"parse": []}
        assert reply.pings == set()
        assert all(m["pings"] == [] for m in bench.channel_messages())


async def test_themes_lists_every_theme_with_description_and_count(bench: Bench):
    reply = await bench.slash("themes")
    assert reply.ephemeral
    text = reply.text
    assert "🍼 **Neonatal intensive care** · `nicu` · 2 stories" in text
    assert "Tiny patients" in text
    listed = [line.split("**")[1] for line in text.splitlines() if line.count("**") == 2]
    assert listed[:3] == ["Animal care", "Cancer care", "Children and families"]
    assert listed == sorted(listed, key=str.casefold)


async def test_themes_pages_stay_inside_discords_limits_however_many_themes(
    database: dict[str, str], tmp_path: Path
):
    themes = [
        theme(f"topic-{n:03d}", title=f"A rather long theme title number {n:03d}")
        for n in range(120)
    ]
    stories = [story(f"s-{n:03d}", f"topic-{n:03d}") for n in range(120)]
    data = write_library(tmp_path / "data", themes, stories)
    async with Bench(tmp_path, env={**database, "DATA_DIR": str(data)}) as bench:
        reply = await bench.slash("themes")
        listed = reply.text.count("· `topic-")
        assert 0 < listed < 120
        shown = listed
        page = reply
        while "Next" in [
            c.get("label")
            for c in page.data["components"][0]["components"]
            if not c.get("disabled")
        ]:
            next_id = next(
                c["custom_id"]
                for c in page.data["components"][0]["components"]
                if c["label"] == "Next"
            )
            page = await bench.press(page.message, next_id)
            assert page.type == 7  # the list is edited in place
            shown += page.text.count("· `topic-")
        assert shown == 120


async def test_story_in_a_dm_serves_the_bundled_library(bench: Bench):
    reply = await bench.slash(
        "story", theme="nicu", where=Where(guild_id=None, channel_id=1600000000000000001)
    )
    assert reply.embeds[0]["author"]["name"] == "🍼 Neonatal intensive care"

"""A new round never opens with the story that ended the last one, whatever the pool."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from bot.services import open_services
from tests.discord_bench.harness import Bench
from tests.library_data import story, theme, write_library
from tests.services_at import settings_at
from tests.test_shuffle_and_selection import GUILD, add_server_story, draw
from tests.test_story_command import title_of
from tests.test_submissions_steps import MODERATOR, STORIES, approve, submit, turn_on


def no_story_twice_in_a_row(titles: list[str]) -> None:
    repeats = [(i, a) for i, (a, b) in enumerate(pairwise(titles)) if a == b]
    assert not repeats, titles


def whole_rounds(titles: list[str], size: int) -> None:
    for start in range(0, len(titles) - size + 1, size):
        assert len(set(titles[start : start + size])) == size, titles


async def test_a_two_story_theme_alternates_across_rounds(database: dict[str, str], tmp_path: Path):
    data = write_library(
        tmp_path / "data",
        [theme("nicu")],
        [story("ventilator", "nicu"), story("790-g", "nicu")],
    )
    async with open_services(settings_at(database, data)) as services:
        nicu = services.library.catalogue.by_slug("nicu")
        assert nicu is not None
        for channel in (1, 2, 3):
            titles = await draw(services, 40, channel=channel, theme=nicu.id)
            no_story_twice_in_a_row(titles)
            whole_rounds(titles, 2)


async def test_larger_rounds_still_serve_every_story_once_and_never_repeat_at_the_seam(
    database: dict[str, str], tmp_path: Path
):
    stories = [story(f"s{n}", "gratitude") for n in range(3)]
    data = write_library(tmp_path / "data", [theme("gratitude")], stories)
    async with open_services(settings_at(database, data)) as services:
        for channel in range(1, 6):
            titles = await draw(services, 60, channel=channel)
            no_story_twice_in_a_row(titles)
            whole_rounds(titles, 3)


async def test_a_pool_that_grew_between_rounds_does_not_repeat_the_last_story(
    database: dict[str, str], tmp_path: Path
):
    # One bundled story and one of the server's: the server's sits after the bundled pool,
    # so when the bundled pool grows it moves along by one. The seam must follow the story.
    data = write_library(tmp_path / "data", [theme("animals")], [story("dog", "animals")])
    async with open_services(settings_at(database, data)) as services:
        animals = services.library.catalogue.by_slug("animals")
        assert animals is not None
        await add_server_story(services, GUILD, "Our ward cat", animals.id)
        channels = range(1, 41)
        before = {
            c: await draw(services, 2, channel=c, guild=GUILD, theme=animals.id) for c in channels
        }
        await add_server_story(services, 0, "The therapy pony", animals.id)  # guild 0: bundled
        for channel in channels:
            after = await draw(services, 3, channel=channel, guild=GUILD, theme=animals.id)
            no_story_twice_in_a_row(before[channel] + after)
            assert sorted(after) == ["Our ward cat", "Story dog", "The therapy pony"]


async def test_story_and_another_story_never_give_the_story_just_read(bench: Bench):
    # The bundled neonatal theme has two stories: every seam between rounds used to risk it.
    first = await bench.slash("story", theme="nicu")
    titles = [title_of(first)]
    card = first
    for turn in range(30):
        if turn % 3 == 2:
            card = await bench.slash("story", theme="nicu")
        else:
            card = await bench.press(card.message, card.custom_ids[0])
        titles.append(title_of(card))
    no_story_twice_in_a_row(titles)
    assert len(set(titles)) == 2


async def test_a_theme_with_one_story_says_so_and_offers_no_other(bench: Bench):
    reply = await bench.slash("story", theme="animals")
    footer = reply.embeds[0]["footer"]["text"]
    assert footer.endswith("\nThe only story about Animal care so far.")
    # No "Another story", which could only post this card again; a reader may still say
    # it helped, or report it.
    assert not [c for c in reply.custom_ids if c.startswith("bs:story:next:")]
    assert {c.rsplit(":", 1)[0] for c in reply.custom_ids} == {
        "bs:story:helped",
        "bs:story:report",
    }


async def test_another_story_on_an_older_card_says_the_theme_now_has_one(bench: Bench):
    await turn_on(bench)
    await submit(bench, STORIES[0], theme="animals")
    await approve(bench, 1)
    card = await bench.slash("story", theme="animals")
    assert card.custom_ids  # two stories: the card offers another
    choices = await bench.autocomplete("submissions retire", "story", user=MODERATOR, story="")
    await bench.slash("submissions retire", user=MODERATOR, story=choices.choices[0]["value"])

    pressed = await bench.press(card.message, card.custom_ids[0])
    assert pressed.ephemeral
    assert pressed.content == (
        "This is the only story about Animal care so far; `/themes` shows the others."
    )

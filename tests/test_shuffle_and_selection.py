"""The no-repeat round: a keyed permutation, and the Selector over a real database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.records import NewStory
from bot.services import Services, open_services
from bot.settings import DEFAULT_DATA_DIR
from bot.shuffle import permute
from bot.storage.counts import PoolCounts
from tests.library_data import story, theme, write_library
from tests.services_at import settings_at, sqlite_db

SEEDS = (0, 1, 7, 2**61 + 12345, 987654321)
BUNDLED_TITLES = sorted(
    s["title"] for s in json.loads((DEFAULT_DATA_DIR / "stories.json").read_text("utf-8"))
)
GUILD = 1300000000000000001
OTHER_GUILD = 1300000000000000002


def test_permute_is_a_bijection_for_every_size_and_seed():
    for seed in SEEDS[:3]:
        for size in range(1, 301):
            order = [permute(i, size, seed) for i in range(size)]
            assert sorted(order) == list(range(size)), (size, seed)


def test_different_seeds_give_different_orders():
    orders = {tuple(permute(i, 50, seed) for i in range(50)) for seed in SEEDS}
    assert len(orders) == len(SEEDS)


def test_every_story_is_about_as_likely_to_open_a_round():
    # Members in many channels would notice one story always coming first.
    size, rounds = 20, 4000
    for index in (0, size - 1):
        opened = [0] * size
        for seed in range(rounds):
            opened[permute(index, size, seed)] += 1
        expected = rounds / size
        assert min(opened) > 0.7 * expected and max(opened) < 1.3 * expected, opened


def test_permute_refuses_an_index_outside_the_round():
    with pytest.raises(ValueError):
        permute(5, 5, 1)


async def draw(
    services: Services,
    count: int,
    *,
    channel: int,
    guild: int | None = None,
    theme: int | None = None,
) -> list[str]:
    titles = []
    for _ in range(count):
        found = await services.selector.next_story(
            channel_id=channel, guild_id=guild, theme_id=theme
        )
        assert found is not None
        titles.append(found.title)
    return titles


async def test_a_full_round_serves_every_story_once(database: dict[str, str], tmp_path: Path):
    async with open_services(settings_at(database)) as services:
        first = await draw(services, len(BUNDLED_TITLES), channel=1)
        assert sorted(first) == BUNDLED_TITLES
        second = await draw(services, len(BUNDLED_TITLES), channel=1)
        assert sorted(second) == BUNDLED_TITLES


async def test_a_round_survives_closing_and_reopening_the_database(
    database: dict[str, str], tmp_path: Path
):
    settings = settings_at(database)
    async with open_services(settings) as services:
        before = await draw(services, 9, channel=1)
    async with open_services(settings) as services:
        after = await draw(services, len(BUNDLED_TITLES) - 9, channel=1)
    assert sorted(before + after) == BUNDLED_TITLES


async def test_two_channels_have_independent_rounds(database: dict[str, str], tmp_path: Path):
    async with open_services(settings_at(database)) as services:
        here = await draw(services, 5, channel=1)
        there = await draw(services, len(BUNDLED_TITLES), channel=2)
        assert sorted(there) == BUNDLED_TITLES  # channel 1's draws took nothing from channel 2
        here += await draw(services, len(BUNDLED_TITLES) - 5, channel=1)
        assert sorted(here) == BUNDLED_TITLES


async def test_members_asking_at_once_never_get_the_same_story(
    database: dict[str, str], tmp_path: Path
):
    async with open_services(settings_at(database)) as services:
        stories = await asyncio.gather(
            *(
                services.selector.next_story(channel_id=1, guild_id=GUILD, theme_id=None)
                for _ in range(10)
            )
        )
        titles = [s.title for s in stories if s is not None]
        assert len(titles) == 10
        assert len(set(titles)) == 10
        rest = await draw(services, len(BUNDLED_TITLES) - 10, channel=1, guild=GUILD)
        assert sorted(titles + rest) == BUNDLED_TITLES


async def add_server_story(services: Services, guild_id: int, title: str, theme_id: int) -> int:
    store = services.storage.library
    [story_id] = await store.write_stories(
        guild_id,
        services.clock().isoformat(),
        [
            NewStory(
                title=title,
                body="A story a member of this server told, approved by its moderators.",
                notes="",
                credit="A member of this server",
                source_date="2026-03",
                teller="a member",
                digest="server-story",
                themes=(theme_id,),
            )
        ],
        [],
    )
    await store.recount_pools(guild_id)
    return story_id


async def test_a_server_story_is_served_in_its_own_server_only(
    database: dict[str, str], tmp_path: Path
):
    async with open_services(settings_at(database)) as services:
        nicu = services.library.catalogue.by_slug("nicu")
        assert nicu is not None
        await add_server_story(services, GUILD, "Our own NICU story", nicu.id)
        bundled_nicu = (await services.library.counts(0))[nicu.id]

        ours = await draw(services, bundled_nicu + 1, channel=1, guild=GUILD, theme=nicu.id)
        assert "Our own NICU story" in ours
        assert len(set(ours)) == bundled_nicu + 1
        everything = await draw(services, len(BUNDLED_TITLES) + 1, channel=1, guild=GUILD)
        assert sorted(everything) == sorted([*BUNDLED_TITLES, "Our own NICU story"])

        for guild, channel in ((OTHER_GUILD, 2), (None, 3)):
            elsewhere = await draw(
                services, 3 * bundled_nicu, channel=channel, guild=guild, theme=nicu.id
            )
            assert "Our own NICU story" not in elsewhere
            anything = await draw(services, len(BUNDLED_TITLES), channel=channel, guild=guild)
            assert sorted(anything) == BUNDLED_TITLES


async def test_a_draw_inside_a_transaction_sees_what_that_transaction_wrote(
    database: dict[str, str], tmp_path: Path
):
    # Drawn stories are read on reader connections, which see only what is committed; a
    # draw inside a transaction must read on its own connection, or a story added in that
    # same transaction would be skipped as if it were retired.
    async with open_services(settings_at(database)) as services:
        nicu = services.library.catalogue.by_slug("nicu")
        assert nicu is not None
        if services.storage.engine == "sqlite":
            assert sqlite_db(services).readers, "draws are meant to read beside the writer"
        bundled_nicu = (await services.library.counts(0))[nicu.id]
        async with services.storage.library.atomic():
            await add_server_story(services, GUILD, "Written just now", nicu.id)
            ours = await draw(services, bundled_nicu + 1, channel=1, guild=GUILD, theme=nicu.id)
        assert "Written just now" in ours
        assert len(set(ours)) == bundled_nicu + 1


async def test_a_theme_with_no_stories_gives_none(database: dict[str, str], tmp_path: Path):
    data = write_library(
        tmp_path / "data", [theme("gratitude"), theme("animals")], [story("one", "gratitude")]
    )
    async with open_services(settings_at(database, data)) as services:
        animals = services.library.catalogue.by_slug("animals")
        assert animals is not None
        assert (
            await services.selector.next_story(channel_id=1, guild_id=GUILD, theme_id=animals.id)
            is None
        )
        gratitude = services.library.catalogue.by_slug("gratitude")
        found = await services.selector.next_story(
            channel_id=1, guild_id=GUILD, theme_id=gratitude.id
        )
        assert found is not None and found.title == "Story one"


async def test_draws_asked_at_once_across_channels_and_themes_each_keep_their_round(
    database: dict[str, str],
    tmp_path: Path,
):
    # Draws asked for together go to the database together: each must still come from its
    # own theme and its own channel's round, and an empty theme must still give none.
    data = write_library(
        tmp_path / "data",
        [theme("gratitude"), theme("loss"), theme("animals")],
        [story(f"g{n}", "gratitude") for n in range(6)]
        + [story(f"l{n}", "loss") for n in range(4)],
    )
    async with open_services(settings_at(database, data)) as services:
        catalogue = services.library.catalogue
        ids = {slug: catalogue.by_slug(slug).id for slug in ("gratitude", "loss", "animals")}
        asks = [(channel, slug) for channel in (1, 2, 3) for slug in ("gratitude", "loss")] * 4
        asks += [(1, "animals"), (2, "animals")]
        found = await asyncio.gather(
            *(
                services.selector.next_story(channel_id=c, guild_id=GUILD, theme_id=ids[s])
                for c, s in asks
            )
        )
        served: dict[tuple[int, str], list[str]] = {}
        for (channel, slug), got in zip(asks, found, strict=True):
            if slug == "animals":
                assert got is None
                continue
            assert got is not None and got.title.startswith(f"Story {slug[0]}")
            served.setdefault((channel, slug), []).append(got.title)
        for (channel, slug), titles in served.items():
            assert len(titles) == 4
            # Four draws of a round of six (gratitude) never repeat; of four (loss) they are
            # the whole round.
            assert len(set(titles)) == 4, (channel, slug, titles)


async def test_counts_read_a_page_at_a_time_match_what_each_server_can_be_served(
    database: dict[str, str],
    tmp_path: Path,
):
    async with open_services(settings_at(database)) as services:
        nicu = services.library.catalogue.by_slug("nicu")
        loss = services.library.catalogue.by_slug("loss")
        for n, guild in enumerate((GUILD, OTHER_GUILD, GUILD + 5)):
            for k in range(n + 1):
                await add_server_story(services, guild, f"Own story {n}.{k}", nicu.id)
            await add_server_story(services, guild, f"Own loss story {n}", loss.id)
        bundled = await services.library.counts(0)

        # A page of two rows makes the read cross many pages and server boundaries.
        store = services.storage.library
        paged = PoolCounts(store._counts_page, store._guild_counts, page=2)  # type: ignore[attr-defined]
        await paged.load()
        for n, guild in enumerate((GUILD, OTHER_GUILD, GUILD + 5)):
            counts = await paged.for_guild(guild)
            assert counts[nicu.id] == bundled[nicu.id] + n + 1
            assert counts[loss.id] == bundled[loss.id] + 1
            assert counts[0] == bundled[0] + n + 2
        assert await paged.for_guild(GUILD + 99) == bundled

"""`copy-database` round trip: a SQLite bot in use, copied into PostgreSQL, carries on there.

The bot is used on SQLite through the bench (rounds half-way, a daily post sent, a
submission decided, two waiting, a draft kept), stopped, copied, and started again on the
copy with the same stand-in Discord and clock: members and moderators must not notice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.services import open_services
from bot.storage.copying import CopyReport, copy_sqlite_to_postgres
from tests.discord_bench.harness import Bench, BenchClock, Reply
from tests.discord_bench.payloads import ADMIN, GUILD_ID, Where
from tests.services_at import settings_at
from tests.test_daily import scheduler, set_daily, story_posts
from tests.test_submissions_steps import MODERATOR, STORIES, approve, card_of, dms, submit, turn_on

# /story is asked in two channels of their own, so that the daily channel holds only the
# daily posts.
STORY_CHANNEL = 1300000000000000076
OTHER_CHANNEL = 1300000000000000077
SHORT = "A nurse held my hand."
# How many /story answers each channel has had before the copy, and how many are compared
# after it: all within one round (7 emergency stories, 24 in all), whose next stories are
# fixed by the round's seed and position, so the copy must give the very same ones.
EMERGENCY_BEFORE, EMERGENCY_AFTER = 2, 5
ANY_BEFORE, ANY_AFTER = 3, 6


@dataclass
class Copied:
    bench: Bench
    report: CopyReport
    # The SQLite database as it was copied, to tell what it would have served next.
    twin: Path
    # The Edit button of the draft kept on SQLite, and the answer that carries it.
    kept_draft: str
    refusal: Reply


def row_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        names = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'"
            )
        ]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def snapshot(source: Path, folder: Path) -> Path:
    twin = folder / "twin.sqlite3"
    with sqlite3.connect(source) as src, sqlite3.connect(twin) as dst:
        src.backup(dst)
    return twin


async def titles(bench: Bench, theme: str | None, count: int, where: Where) -> list[str]:
    options = {"theme": theme} if theme else {}
    replies = [await bench.slash("story", where=where, **options) for _ in range(count)]
    return [r.embeds[0]["title"] for r in replies]


async def next_on(twin: Path, clock: BenchClock, theme: str | None, count: int, channel: int):
    """The titles the SQLite database would have served next in ``channel``."""
    async with open_services(settings_at({"DATABASE_PATH": str(twin)}), clock) as services:
        found = services.library.catalogue.by_slug(theme) if theme else None
        stories = [
            await services.selector.next_story(
                channel_id=channel, guild_id=GUILD_ID, theme_id=found.id if found else None
            )
            for _ in range(count)
        ]
    return [s.title for s in stories if s is not None]


HERE = Where(channel_id=STORY_CHANNEL)
THERE = Where(channel_id=OTHER_CHANNEL)


async def use_on_sqlite(bench: Bench) -> tuple[str, Reply]:
    """A day of the bot in one server; the kept draft's Edit button and its answer."""
    bench.discord.add_channel(STORY_CHANNEL, GUILD_ID, name="stories")
    bench.discord.add_channel(OTHER_CHANNEL, GUILD_ID, name="more-stories")
    bench.join_guild()
    await turn_on(bench)
    await set_daily(bench)  # 09:00 in London; the bench clock starts at 08:00 UTC, GMT
    await titles(bench, "emergency", EMERGENCY_BEFORE, HERE)
    await titles(bench, None, ANY_BEFORE, THERE)

    assert "submission #1" in (await submit(bench, STORIES[0], theme="nicu")).content
    await approve(bench, 1)
    assert "submission #2" in (await submit(bench, STORIES[1], theme="surgery")).content
    refusal = await submit(bench, SHORT)
    [kept] = [c for c in refusal.custom_ids if c.startswith("bs:draft:edit:")]
    # Sent after the kept draft: its own draft is deleted, and its id must stay spent.
    assert "submission #3" in (await submit(bench, STORIES[2], theme="nicu")).content

    bench.clock.advance(hours=1, minutes=1)
    await scheduler(bench).run_due()
    assert len(story_posts(bench)) == 1
    return kept, refusal


@pytest.fixture
async def copied(tmp_path: Path, postgres_url: str) -> AsyncIterator[Copied]:
    """The bot used on SQLite, stopped, copied, and started again on the copy."""
    source = tmp_path / "bedside.sqlite3"
    async with Bench(tmp_path, env={"DATABASE_PATH": str(source)}) as bench:
        kept, refusal = await use_on_sqlite(bench)
        await bench.stop_bot()
        twin = snapshot(source, tmp_path)
        report = await copy_sqlite_to_postgres(source, postgres_url)
        del bench.env["DATABASE_PATH"]
        bench.env["DATABASE_URL"] = postgres_url
        await bench.start_bot()
        assert bench.services is not None and bench.services.storage.engine == "postgresql"
        yield Copied(bench, report, twin, kept, refusal)


async def test_every_table_is_copied_with_its_rows_counted(copied: Copied):
    expected = row_counts(copied.twin)
    assert {t.name: t.rows for t in copied.report.tables} == expected
    assert expected["rounds"] == 3  # two channels' /story, and the daily channel's
    assert expected["submissions"] == 3
    assert expected["submission_drafts"] == 1
    assert expected["daily_posts"] == 1
    assert expected["guild_settings"] == 1
    assert copied.report.rows == sum(expected.values())


async def test_each_channel_carries_on_its_round_with_the_same_next_stories(copied: Copied):
    bench, twin = copied.bench, copied.twin
    expected_here = await next_on(twin, bench.clock, "emergency", EMERGENCY_AFTER, STORY_CHANNEL)
    expected_there = await next_on(twin, bench.clock, None, ANY_AFTER, OTHER_CHANNEL)

    assert await titles(bench, "emergency", EMERGENCY_AFTER, HERE) == expected_here
    assert await titles(bench, None, ANY_AFTER, THERE) == expected_there
    assert len(set(expected_there)) == ANY_AFTER  # no repeats within the round


async def test_the_daily_story_already_posted_today_is_not_posted_again(copied: Copied):
    bench = copied.bench
    for _ in range(3):
        bench.clock.advance(hours=2)
        await scheduler(bench).run_due()
    assert len(story_posts(bench)) == 1
    show = await bench.slash("daily show", user=ADMIN)
    assert "**Last story:** posted on Monday 2 March 2026." in show.text
    assert "**Next story:** Tuesday 3 March 2026, 09:00" in show.text

    bench.clock.advance(hours=18)  # 09:01 on Tuesday
    await scheduler(bench).run_due()
    assert len(story_posts(bench)) == 2


async def test_waiting_submissions_are_listed_and_decided_and_new_ones_get_new_ids(
    copied: Copied,
):
    bench = copied.bench
    listed = await bench.slash("submissions pending", user=MODERATOR)
    assert listed.embeds[0]["title"] == "Waiting for a decision: 2"

    # The card posted before the copy still works: its buttons carry the id.
    approved = await approve(bench, 2)
    assert approved.ephemeral and "is approved as" in approved.text
    assert card_of(bench, 2)["embeds"][0]["title"] == "Submission #2 · approved"
    assert [dm["embeds"][0]["title"] for dm in dms(bench)] == ["Your story was approved"] * 2
    # The approved story joined the library under an id of its own, beside the first one.
    surgery = await bench.autocomplete("story", "theme", theme="surgery")
    assert surgery.choices[0]["name"].endswith("· 3 stories")

    sent = await submit(bench, STORIES[3], theme="nicu")
    assert "submission #4" in sent.content
    assert card_of(bench, 4)["embeds"][0]["title"] == "Submission #4 · waiting for a decision"


async def test_a_kept_draft_reopens_and_a_new_draft_never_reuses_a_spent_id(copied: Copied):
    bench = copied.bench
    form = await bench.press(copied.refusal.message, copied.kept_draft)
    assert form.type == 9
    prefilled = {c["component"]["custom_id"]: c["component"] for c in form.data["components"]}
    assert prefilled["story"]["value"] == SHORT

    kept = int(copied.kept_draft.rsplit(":", 1)[1])
    again = await submit(bench, SHORT + " Twice.")
    [edit] = [c for c in again.custom_ids if c.startswith("bs:draft:edit:")]
    # kept + 1 went to the draft of submission #3, sent and deleted on SQLite.
    assert int(edit.rsplit(":", 1)[1]) == kept + 2

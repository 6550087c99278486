"""A text copying a large part of a library story or a waiting submission is refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

import bot.storage.postgres.database as pg_database
import bot.storage.sqlite.database as sqlite_database
from bot.services import Services, open_services
from bot.settings import DEFAULT_DATA_DIR
from bot.sketches import anchors, sketch
from bot.submission_values import Draft
from bot.submissions import SubmissionDesk
from tests.discord_bench.harness import Bench
from tests.services_at import settings_at, sql_rows
from tests.test_submissions_rules import handed_back
from tests.test_submissions_steps import STORIES, cards, submit, turn_on

BUNDLED = json.loads((DEFAULT_DATA_DIR / "stories.json").read_text(encoding="utf-8"))
GUILD = 1300000000000000001
MEMBER = 1400000000000000001
OTHER = 1400000000000000002
OWN_WORDS = (
    "I think of that night often when the ward is quiet and the monitors are the only "
    "sound, and I hope the family knows how much they taught every one of us about courage."
)


def halves(text: str) -> dict[str, str]:
    words = text.split()
    half, quarter = len(words) // 2, len(words) // 4
    return {
        "first half": " ".join(words[:half]),
        "second half": " ".join(words[half:]),
        "middle half": " ".join(words[quarter : quarter + half]),
        "first half and as much new": " ".join(words[:half]) + " " + OWN_WORDS,
    }


@pytest.fixture
async def services(database: dict[str, str]) -> AsyncIterator[Services]:
    async with open_services(settings_at(database)) as opened:
        await opened.desk.sketch_library()
        yield opened


async def send(desk: SubmissionDesk, text: str, member: int = MEMBER):
    draft_id = await desk.save_draft(Draft(GUILD, member, "Ada", text, 1, (), False, True))
    saved = await desk.draft(draft_id, member)
    assert saved is not None
    return await desk.send(saved, confirmed=True)


async def test_half_of_any_bundled_story_is_refused_with_a_pointer(services: Services):
    titles = {s["title"] for s in BUNDLED}
    for entry in BUNDLED:
        for part, text in halves(entry["text"]).items():
            pointer = await services.desk.near_duplicate(text, GUILD, MEMBER)
            assert pointer is not None, (entry["key"], part)
            assert pointer.startswith(f"This is largely copied from “{entry['title']}”"), part
            assert "a story already in the library (story #" in pointer
        # Its whole text, nearly unchanged, is named as before.
        whole = await services.desk.near_duplicate(entry["text"].upper(), GUILD, MEMBER)
        assert whole is not None and whole.startswith("This is nearly the same as “")
    for text in STORIES:
        assert await services.desk.near_duplicate(text, GUILD, MEMBER) is None
    assert len(titles) == len(BUNDLED)


async def test_a_library_story_is_found_by_few_hashes(services: Services):
    # Six index rows a story, whatever its length: the lookup stays cheap at a million.
    rows = await sql_rows(
        services,
        "SELECT ref_id, COUNT(*) FROM text_sketches WHERE source = ? GROUP BY ref_id",
        "story",
    )
    assert len(rows) == len(BUNDLED)
    assert max(count for _, count in rows) <= 6
    assert [len(anchors(s["text"])) for s in BUNDLED] == [6] * len(BUNDLED)


async def test_half_of_a_waiting_submission_is_refused(services: Services):
    sent = (await send(services.desk, STORIES[0])).submission
    assert sent is not None
    for text in halves(STORIES[0]).values():
        mine = await services.desk.near_duplicate(text, GUILD, MEMBER)
        assert mine == (
            f"This is largely copied from your submission #{sent.id}, which is still waiting "
            "for the moderators (`/submissions mine`), so it was not sent again."
        )
        theirs = await services.desk.near_duplicate(text, GUILD, OTHER)
        assert theirs is not None and theirs.startswith(
            f"This is largely copied from submission #{sent.id}, which is already waiting"
        )


async def test_a_member_sending_half_a_library_story_gets_the_pointer_and_the_text_back(
    bench: Bench,
):
    await turn_on(bench)
    entry = BUNDLED[3]
    text = halves(entry["text"])["first half and as much new"]
    refused = await submit(bench, text)

    assert refused.content.startswith(f"This is largely copied from “{entry['title']}”")
    handed_back(refused, text)
    assert cards(bench) == []


async def test_a_library_sketched_the_old_way_is_sketched_again_on_upgrade(
    database: dict[str, str], monkeypatch: pytest.MonkeyPatch
):
    # A database from before the anchors kept each story's four smallest hashes; the
    # migration makes the next pass replace them, or half-copies would often go unseen.
    settings = settings_at(database)
    for engine in (sqlite_database, pg_database):
        real = engine.migrations()
        # Such a database has none of the migrations from the anchors' on.
        [anchors_version] = [m[0] for m in real if m[1].endswith("_sketch_anchors.sql")]
        older = [m for m in real if m[0] < anchors_version]
        monkeypatch.setattr(engine, "migrations", lambda older=older: older)
    async with open_services(settings) as services:
        # The start sketched every story.
        assert await services.desk.sketch_library() == 0
        [(sketched,)] = await sql_rows(services, "SELECT COUNT(*) FROM sketched_stories")
        assert sketched == len(BUNDLED)
        await sql_rows(services, "DELETE FROM text_sketches WHERE source = ?", "story")
        for story_id, body in await sql_rows(services, "SELECT id, body FROM stories"):
            for h in sketch(body)[:4]:
                await sql_rows(
                    services,
                    "INSERT INTO text_sketches (hash, guild_id, source, ref_id) "
                    "VALUES (?, 0, ?, ?)",
                    h,
                    "story",
                    story_id,
                )
        assert await services.desk.sketch_library() == 0  # unchanged library: not read again
    monkeypatch.undo()

    async with open_services(settings) as services:
        # The start sketched them all again, under the anchors.
        assert await services.desk.sketch_library() == 0
        stored: dict[int, set[int]] = {}
        for ref_id, h in await sql_rows(
            services, "SELECT ref_id, hash FROM text_sketches WHERE source = ?", "story"
        ):
            stored.setdefault(ref_id, set()).add(h)
        bodies = dict(await sql_rows(services, "SELECT id, body FROM stories"))
        assert stored == {i: set(anchors(body)) for i, body in bodies.items()}

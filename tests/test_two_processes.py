"""Two bot processes on one database: what one does, the other sees, and nothing is done twice.

Each "process" is a second set of services opened on the same database, with its own
connections, as a second shard process would have.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import pytest

from bot.notes import DEFAULT_HIDDEN
from bot.records import SubmissionStatus
from bot.services import Services, open_services
from bot.storage import background
from bot.submission_values import Actor, Draft, NotPending
from tests.discord_bench.harness import BenchClock
from tests.services_at import settings_at
from tests.test_submissions_steps import STORIES

GUILD = 1300000000000000001
MEMBER = Actor(1400000000000000001, "Ada")
MODERATORS = (Actor(1400000000000000004, "Mo"), Actor(1400000000000000005, "Ro"))


@pytest.fixture
async def two(database: dict[str, str]) -> AsyncIterator[tuple[Services, Services]]:
    clock = BenchClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(open_services(settings_at(database), clock))
        second = await stack.enter_async_context(open_services(settings_at(database), clock))
        yield first, second


async def submit(services: Services, text: str) -> int | None:
    desk = services.desk
    draft = Draft(GUILD, MEMBER.id, MEMBER.name, text, 1, (), False, True)
    saved = await desk.draft(await desk.save_draft(draft), MEMBER.id)
    assert saved is not None
    outcome = await desk.send(saved, confirmed=True)
    return outcome.submission.id if outcome.submission else None


async def test_two_moderators_in_two_processes_make_one_decision(two: tuple[Services, Services]):
    first, second = two
    submission_id = await submit(first, STORIES[0])
    assert submission_id is not None

    results = await asyncio.gather(
        first.desk.approve(submission_id, GUILD, MODERATORS[0], title="On the ward"),
        second.desk.reject(submission_id, GUILD, MODERATORS[1], "not for us"),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, NotPending)]
    decided = [r for r in results if not isinstance(r, BaseException)]
    assert len(refused) == 1 and len(decided) == 1, results
    final = await second.desk.get(submission_id)
    assert final.status == decided[0].status
    if final.status == SubmissionStatus.APPROVED:
        assert final.story_id is not None
        assert (await first.library.story(final.story_id)) is not None
    else:
        assert final.story_id is None


async def test_one_member_cannot_slip_past_the_limit_through_two_processes(
    two: tuple[Services, Services],
):
    first, second = two
    limit = first.settings.submission_max_pending
    texts = [f"{STORIES[n % len(STORIES)]} (version {n})" for n in range(limit + 3)]
    # Texts that differ only a little are near-duplicates; make each its own story.
    texts = [f"{n}: " + " ".join(reversed(t.split())) for n, t in enumerate(texts)]

    sent = await asyncio.gather(
        *(submit(first if n % 2 else second, text) for n, text in enumerate(texts)),
        return_exceptions=True,
    )

    accepted = [s for s in sent if isinstance(s, int)]
    assert len(accepted) == limit, sent
    waiting, total = await first.desk.pending(GUILD)
    assert total == limit and len(waiting) == limit


async def test_a_story_approved_in_one_process_is_served_and_counted_by_the_other(
    two: tuple[Services, Services],
):
    first, second = two
    before = (await second.library.counts(GUILD)).get(1, 0)
    submission_id = await submit(first, STORIES[1])
    assert submission_id is not None
    approved = await first.desk.approve(
        submission_id, GUILD, MODERATORS[0], title="Our first night"
    )

    # Served by the other process: its round of the theme reaches the new story.
    titles = set()
    for _ in range(before + 1):
        story = await second.selector.next_story(channel_id=7, guild_id=GUILD, theme_id=1)
        assert story is not None
        titles.add(story.id)
    assert approved.story_id in titles

    # Counted by the other process: at once on PostgreSQL, which passes changes on; a
    # SQLite process sharing the file sees them at its next reload, within a minute.
    if second.storage.engine == "postgresql":
        deadline = time.monotonic() + 5
        while (await second.library.counts(GUILD)).get(1, 0) != before + 1:
            assert time.monotonic() < deadline, "the other process never heard of it"
            await asyncio.sleep(0.02)


async def test_preferences_and_hidden_notes_chosen_in_one_process_hold_in_the_other(
    two: tuple[Services, Services], monkeypatch: pytest.MonkeyPatch
):
    first, second = two
    # Both are held in memory, so that a /story reads neither. PostgreSQL tells the other
    # process at once; SQLite processes sharing a file see it at their next reload, every
    # RELOAD_AFTER seconds (a minute), here made short so the test need not wait a minute.
    if second.storage.engine == "sqlite":
        monkeypatch.setattr(background, "RELOAD_AFTER", 0.2)
    assert (await second.preferences.of(MEMBER.id)).skipped == frozenset()
    assert await second.server_settings.hidden_notes(GUILD) == DEFAULT_HIDDEN

    await first.preferences.skip(MEMBER.id, ["death"])
    await first.server_settings.set_hidden_notes(GUILD, ["cancer"])
    # The process that saved them holds them at once.
    assert (await first.preferences.of(MEMBER.id)).skipped == {"death"}
    assert await first.server_settings.hidden_notes(GUILD) == {"cancer"}

    deadline = time.monotonic() + 5
    while (await second.preferences.of(MEMBER.id)).skipped != {"death"} or (
        await second.server_settings.hidden_notes(GUILD) != {"cancer"}
    ):
        assert time.monotonic() < deadline, "the other process never heard of it"
        await asyncio.sleep(0.02)
    # A member who never chose anything still reads as the defaults.
    assert (await second.preferences.of(MODERATORS[0].id)).skipped == frozenset()

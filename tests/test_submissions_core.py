"""A submission's life in the core, against real SQLite files: no Discord involved."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.errors import DomainError
from bot.records import SubmissionStatus
from bot.services import Services, open_services
from bot.sharding import shard_of
from bot.sketches import likeness, sketch
from bot.submission_values import (
    ANONYMOUS_CREDIT,
    Actor,
    Draft,
    NotPending,
    SubmissionRefused,
)
from bot.submissions import SubmissionDesk
from bot.titles import UNTITLED, clean_title, propose_title
from tests.discord_bench.harness import BenchClock
from tests.services_at import settings_at
from tests.test_submissions_steps import STORIES

GUILD = 1300000000000000001
OTHER_GUILD = 1300000000000000002
MEMBER = Actor(1400000000000000001, "Ada")
OTHER = Actor(1400000000000000002, "Bo")
MODERATOR = Actor(1400000000000000004, "Mo")


@pytest.fixture
def clock() -> BenchClock:
    return BenchClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))


@pytest.fixture
async def services(database: dict[str, str], clock: BenchClock) -> AsyncIterator[Services]:
    settings = settings_at(database)
    async with open_services(settings, clock) as opened:
        yield opened


def desk_of(services: Services) -> SubmissionDesk:
    return services.desk


async def send(
    desk: SubmissionDesk,
    text: str,
    *,
    member: Actor = MEMBER,
    guild: int = GUILD,
    anonymous: bool = False,
    confirmed: bool = True,
):
    draft = Draft(guild, member.id, member.name, text, 1, ("death",), anonymous, True)
    draft_id = await desk.save_draft(draft)
    saved = await desk.draft(draft_id, member.id)
    assert saved is not None
    return await desk.send(saved, confirmed=confirmed)


async def test_pending_then_approved_publishes_one_story(services: Services):
    desk = desk_of(services)
    outcome = await send(desk, STORIES[0], anonymous=True)
    submission = outcome.submission
    assert submission is not None and submission.pending

    approved = await desk.approve(submission.id, GUILD, MODERATOR, title="Her hand")

    assert approved.status == SubmissionStatus.APPROVED
    assert approved.decided_by == MODERATOR
    story = await services.library.story(approved.story_id)
    assert story is not None and story.guild_id == GUILD
    assert story.credit == ANONYMOUS_CREDIT and story.date == "2026-03-02"
    assert story.notes == ("death",) and story.primary_theme_id == 1
    with pytest.raises(NotPending, match="already approved by Mo"):
        await desk.reject(submission.id, GUILD, OTHER_MODERATOR, "late")
    with pytest.raises(NotPending):
        await desk.withdraw(submission.id, GUILD, MEMBER)
    with pytest.raises(NotPending):
        await desk.edit(
            submission.id, GUILD, MODERATOR, title="t", body=STORIES[1], theme_id=None, notes=()
        )


OTHER_MODERATOR = Actor(1400000000000000005, "Ro")


async def test_reject_and_withdraw_are_final_and_only_the_member_withdraws(services: Services):
    desk = desk_of(services)
    first = (await send(desk, STORIES[0])).submission
    second = (await send(desk, STORIES[1])).submission

    rejected = await desk.reject(first.id, GUILD, MODERATOR, "  too   close to\n a real case ")
    assert rejected.reason == "too close to a real case"
    with pytest.raises(DomainError, match="only withdraw your own"):
        await desk.withdraw(second.id, GUILD, OTHER)
    with pytest.raises(DomainError, match="belongs to another server"):
        await desk.withdraw(second.id, OTHER_GUILD, MEMBER)
    withdrawn = await desk.withdraw(second.id, GUILD, MEMBER)
    assert withdrawn.status == "withdrawn"
    with pytest.raises(NotPending, match="withdrawn by the member"):
        await desk.approve(second.id, GUILD, MODERATOR, title="Late")
    assert await services.library.counts(GUILD) == await services.library.counts(0)


async def test_an_edit_keeps_it_pending_and_records_who(services: Services, clock: BenchClock):
    desk = desk_of(services)
    submission = (await send(desk, STORIES[0])).submission
    clock.advance(hours=2)

    edited = await desk.edit(
        submission.id,
        GUILD,
        MODERATOR,
        title="  A  small hand ",
        body=STORIES[0] + " Call 020 7946 0958.",
        theme_id=None,
        notes=("death", "not-a-note"),
    )

    assert edited.pending and edited.edited_by == MODERATOR
    assert edited.edited_at.startswith("2026-03-02T10:00")
    assert edited.title == "A small hand"
    assert edited.notes == ("death",)
    assert [f.kind for f in edited.findings] == ["phone"]
    with pytest.raises(DomainError, match="The edited story has 5 characters"):
        await desk.edit(
            submission.id, GUILD, MODERATOR, title="", body="short", theme_id=None, notes=()
        )


async def test_an_approval_cut_short_is_finished_once(services: Services):
    desk = desk_of(services)
    submission = (await send(desk, STORIES[0])).submission
    # The decision was written, then the process died before the story was.
    assert await desk.store.decide(
        submission.id, SubmissionStatus.APPROVED, MODERATOR.id, "Mo", "2026-03-02", ""
    )

    # A process of another shard leaves it to the process that serves the server.
    elsewhere = replace(services.settings, shard_count=2, shard_ids=(1 - shard_of(GUILD, 2),))
    other = SubmissionDesk(desk.store, services.library, elsewhere, services.clock)
    assert await other.finish_interrupted() == []
    assert (await desk.get(submission.id)).story_id is None

    [published] = await desk.finish_interrupted()
    assert published.story_id is not None
    # Its DM and its card are left for the cog; asked again, no second story is made.
    [still] = await desk.finish_interrupted()
    assert still.story_id == published.story_id
    again = await desk.publish(published)
    assert again.story_id == published.story_id
    counts = await services.library.counts(GUILD)
    assert counts[0] == (await services.library.counts(0))[0] + 1


async def test_limits_count_per_member_and_server(services: Services, clock: BenchClock):
    desk = desk_of(services)
    for text in STORIES[:3]:
        await send(desk, text)
    with pytest.raises(SubmissionRefused, match="already have 3 stories waiting") as refused:
        await send(desk, STORIES[3])
    assert await desk.draft(refused.value.draft_id, MEMBER.id) is not None  # text kept
    await send(desk, STORIES[3], guild=OTHER_GUILD)
    await send(desk, STORIES[4], member=OTHER)

    await desk.check_limits(GUILD, OTHER.id)
    with pytest.raises(DomainError, match="already have 3"):
        await desk.check_limits(GUILD, MEMBER.id)
    pending, _ = await desk.pending(GUILD)
    for submission in pending:
        if submission.member_id == MEMBER.id:
            await desk.withdraw(submission.id, GUILD, MEMBER)
    await send(desk, STORIES[5])
    await send(
        desk,
        "A hospital chaplain kept a jar of buttons for children waiting on the ward. Each "
        "child chose one to keep, and years later a teenager came back wearing hers.",
    )
    with pytest.raises(DomainError, match="sent 5 stories in the last 24 hours"):
        await desk.check_limits(GUILD, MEMBER.id)
    clock.advance(hours=24, seconds=1)
    await desk.check_limits(GUILD, MEMBER.id)


async def test_rules_of_the_form(services: Services):
    desk = desk_of(services)
    assert desk.form_problem("x" * 100, consent=False).startswith("Please tick the consent")
    assert "at least 80" in desk.form_problem("x" * 79, consent=True)
    assert desk.form_problem("x" * 80, consent=True) is None
    assert desk.form_problem("  " + "x" * 2000 + "  ", consent=True) is None
    assert "the most is 2,000" in desk.form_problem("x" * 2001, consent=True)


async def test_findings_wait_for_the_member_and_nothing_is_stored_yet(services: Services):
    desk = desk_of(services)
    outcome = await send(desk, STORIES[0] + " @everyone", confirmed=False)
    assert outcome.submission is None
    assert [f.kind for f in outcome.findings] == ["mass-mention"]
    assert (await desk.pending(GUILD))[1] == 0
    draft = await desk.draft(outcome.draft_id, MEMBER.id)
    assert draft is not None and draft.body.endswith("@everyone")
    assert await desk.draft(outcome.draft_id, OTHER.id) is None  # not someone else's

    sent = await desk.send(draft, confirmed=True)
    assert sent.submission is not None
    assert await desk.draft(outcome.draft_id, MEMBER.id) is None  # it became the submission


async def test_old_drafts_are_pruned(services: Services, clock: BenchClock):
    desk = desk_of(services)
    old = await desk.save_draft(Draft(GUILD, MEMBER.id, "Ada", "text", None, (), False, True))
    clock.advance(days=8)
    await desk.save_draft(Draft(GUILD, MEMBER.id, "Ada", "newer", None, (), False, True))
    assert await desk.draft(old, MEMBER.id) is None


async def test_near_duplicates_per_server_and_library(services: Services):
    desk = desk_of(services)
    await send(desk, STORIES[0])
    # The start sketched the library; an unchanged library is not read again.
    assert await desk.sketch_library() == 0

    changed = STORIES[0].replace("new shoes", "new red shoes")
    assert "your submission #1" in await desk.near_duplicate(changed, GUILD, MEMBER.id)
    assert "submission #1, which is" in await desk.near_duplicate(changed, GUILD, OTHER.id)
    assert await desk.near_duplicate(changed, OTHER_GUILD, MEMBER.id) is None
    assert await desk.near_duplicate(STORIES[1], GUILD, MEMBER.id) is None

    bundled = await services.library.story(1)
    pointer = await desk.near_duplicate(bundled.body.upper(), OTHER_GUILD, MEMBER.id)
    assert pointer.startswith(f"This is nearly the same as “{bundled.title}”")


async def test_an_approved_story_blocks_copies_here_and_not_elsewhere(services: Services):
    desk = desk_of(services)
    submission = (await send(desk, STORIES[2])).submission
    approved = await desk.approve(submission.id, GUILD, MODERATOR, title="Her hand")

    pointer = await desk.near_duplicate(STORIES[2], GUILD, OTHER.id)
    assert "this server's library" in pointer and f"story #{approved.story_id}" in pointer
    assert await desk.near_duplicate(STORIES[2], OTHER_GUILD, OTHER.id) is None

    await desk.retire(GUILD, approved.story_id)
    assert await desk.near_duplicate(STORIES[2], GUILD, OTHER.id) is None
    with pytest.raises(DomainError, match="already retired"):
        await desk.retire(GUILD, approved.story_id)
    with pytest.raises(DomainError, match="not one of this server's own stories"):
        await desk.retire(GUILD, 1)


def test_sketches_see_small_changes_and_tell_stories_apart():
    a = sketch(STORIES[0])
    assert likeness(STORIES[0], STORIES[0].replace("four", "five"))[0] >= 0.6
    assert likeness(STORIES[0], STORIES[0].upper() + "!!") == (1.0, 1.0)
    assert max(likeness(STORIES[0], STORIES[1])) < 0.1
    assert len(a) <= 64 and all(0 <= h < 2**63 for h in a)
    assert sketch("") == [] and len(sketch("two words")) == 1


@pytest.mark.parametrize(
    ("text", "proposed"),
    [
        ("It was late. Then it was not.", "It was late"),
        (
            "On my first night shift on the children's ward, a little boy asked me to draw a "
            "dinosaur on his cast, and then another, and another, until it was a whole herd.",
            "On my first night shift on the children's ward",
        ),
        (
            "<@1577424552147812379> was the nurse who sat with my mum. She stayed.",
            "@member was the nurse who sat with my mum",
        ),
        ("word " * 40, UNTITLED),
        ("Yesterday, " + "word " * 40, UNTITLED),
    ],
)
def test_a_proposed_title_is_a_whole_sentence_or_clause_and_plain(text: str, proposed: str):
    assert propose_title(text) == proposed


def test_a_moderators_title_is_kept_plain_on_one_line():
    assert clean_title("  The <#1300000000000000021>\n night  ", STORIES[0]) == (
        "The #channel night"
    )
    assert clean_title("", "It was late. Then it was not.") == "It was late"


async def test_approval_needs_a_theme_and_keeps_the_confirmed_title(services: Services):
    desk = desk_of(services)
    draft = Draft(GUILD, MEMBER.id, MEMBER.name, STORIES[1], None, (), False, True)
    saved = await desk.draft(await desk.save_draft(draft), MEMBER.id)
    assert saved is not None
    submission = (await desk.send(saved, confirmed=True)).submission
    assert submission is not None

    with pytest.raises(DomainError, match="choose a theme for submission #1"):
        await desk.approve(submission.id, GUILD, MODERATOR, title="Tomatoes")
    assert (await desk.get(submission.id)).pending
    approved = await desk.approve(
        submission.id, GUILD, MODERATOR, title="<@&1300000000000000031> Tomatoes", theme_id=2
    )

    assert approved.title == "@role Tomatoes" and approved.theme_id == 2
    story = await services.library.story(approved.story_id)
    assert story is not None
    assert story.title == "@role Tomatoes" and story.primary_theme_id == 2

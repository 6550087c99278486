"""The form's rules: limits, lengths, consent and near-duplicates, before anything is sent.

The base of :class:`bot.submissions.SubmissionDesk`: reading a submission is here too, as
the rules and every change after them need it.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from bot import textcheck
from bot.clock import Clock
from bot.errors import DomainError
from bot.library import Library
from bot.records import Limits, SketchSource, StoryRef, SubmissionStatus
from bot.settings import Settings
from bot.sketches import copy_of, trigram_hashes
from bot.stores import SubmissionStore
from bot.submission_values import Submission

LIMIT_WINDOW = timedelta(hours=24)


def plain_ref(story: StoryRef) -> StoryRef:
    # Titles approved before they were kept plain may hold mention codes.
    return replace(story, title=textcheck.plain_text(story.title))


class FormRules:
    """What a form must meet to become a submission, and reading one."""

    def __init__(
        self, store: SubmissionStore, library: Library, settings: Settings, clock: Clock
    ) -> None:
        self.store = store
        self.library = library
        self.settings = settings
        self._clock = clock
        # Cleared while the library is being imported and sketched at start-up: a
        # near-duplicate check waits for it, so it sees every story (bot.library_sync).
        self.library_sketched = asyncio.Event()
        self.library_sketched.set()

    def _now(self) -> str:
        return self._clock().isoformat()

    async def get(self, submission_id: int) -> Submission:
        row = await self.store.get(submission_id)
        if row is None:
            raise DomainError(f"There is no submission #{submission_id}.")
        return Submission.from_row(row)

    async def in_guild(self, submission_id: int, guild_id: int) -> Submission:
        submission = await self.get(submission_id)
        if submission.guild_id != guild_id:
            raise DomainError(f"Submission #{submission_id} belongs to another server.")
        return submission

    def _limits(self) -> Limits:
        return Limits(
            max_pending=self.settings.submission_max_pending,
            max_recent=self.settings.submission_max_per_day,
            since=(self._clock() - LIMIT_WINDOW).isoformat(),
        )

    def _limit_sentence(self, which: str) -> str:
        if which == "pending":
            most = self.settings.submission_max_pending
            stories = "story" if most == 1 else "stories"
            return (
                f"You already have {most} {stories} waiting for the moderators, which is the "
                "most at one time. Please wait until one is decided, or withdraw one with "
                "`/submissions mine`."
            )
        most = self.settings.submission_max_per_day
        stories = "story" if most == 1 else "stories"
        return (
            f"You have sent {most} {stories} in the last 24 hours, which is the most for a day. "
            "Please try again tomorrow."
        )

    async def check_limits(self, guild_id: int, member_id: int) -> None:
        """Refuse before the form opens, so nobody types a story that cannot be sent."""
        limits = self._limits()
        pending, recent = await self.store.counts(guild_id, member_id, limits.since)
        if pending >= limits.max_pending:
            raise DomainError(self._limit_sentence("pending"))
        if recent >= limits.max_recent:
            raise DomainError(self._limit_sentence("recent"))

    def form_problem(self, body: str, consent: bool) -> str | None:
        """The sentence for the first rule the form breaks, or None."""
        if not consent:
            return (
                "Please tick the consent box: a story can only be shared when it is yours to "
                "share, and names and details that could identify a patient are removed."
            )
        length = textcheck.visible_length(body)
        low, high = self.settings.submission_min_chars, self.settings.submission_max_chars
        if length < low:
            return (
                f"Your story has {length:,} characters; please write at least {low:,}, so a "
                "reader can follow what happened."
            )
        if length > high:
            return (
                f"Your story has {length:,} characters; the most is {high:,}. Please shorten "
                "it a little."
            )
        return None

    async def near_duplicate(
        self, body: str, guild_id: int, member_id: int, *, ignore_submission: int | None = None
    ) -> str | None:
        """A sentence pointing to the story or waiting submission ``body`` nearly repeats
        or copies much of."""
        await self.library_sketched.wait()
        # Every trigram of the text is looked up, not only its sketch: a story copied in
        # part is found by the hashes of the part copied, wherever they rank in the text.
        mine = sorted(set(trigram_hashes(body)))
        if not mine:
            return None
        for source, ref_id in await self.store.sketch_candidates(mine, guild_id, 1):
            if source == SketchSource.STORY:
                story = await self.store.story_ref(ref_id)
                story = plain_ref(story) if story is not None else None
                if story is None or not story.active or story.guild_id not in (0, guild_id):
                    continue
                how = copy_of(body, story.body)
                if how is None:
                    continue
                where = "this server's library" if story.guild_id else "the library"
                return (
                    f"This is {how} “{story.title}”, a story already in {where} "
                    f"(story #{story.id}), so it was not sent."
                )
            if ref_id == ignore_submission:
                continue
            row = await self.store.get(ref_id)
            if row is None or row.status != SubmissionStatus.PENDING or row.guild_id != guild_id:
                continue
            how = copy_of(body, row.body)
            if how is None:
                continue
            if row.member_id == member_id:
                return (
                    f"This is {how} your submission #{row.id}, which is still waiting for "
                    "the moderators (`/submissions mine`), so it was not sent again."
                )
            return (
                f"This is {how} submission #{row.id}, which is already waiting for the "
                "moderators, so it was not sent."
            )
        return None

"""Member submissions: the form's rules, near-duplicates, and a submission's life.

A submission is ``pending`` until a moderator approves or rejects it or its member withdraws
it; only a pending one changes. What a member typed is kept as a draft before any rule is
checked, so a refusal hands the text back instead of losing it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from bot import notes as content_notes
from bot import textcheck
from bot.clock import Clock
from bot.errors import DomainError
from bot.library import Library
from bot.records import (
    DraftRecord,
    Limits,
    NewStory,
    NewSubmission,
    SketchSource,
    StoryRef,
    SubmissionRecord,
    SubmissionStatus,
)
from bot.settings import Settings
from bot.stores import SubmissionStore
from bot.textcheck import Finding
from bot.themes import normalise
from bot.titles import clean_title, propose_title

log = logging.getLogger(__name__)

ANONYMOUS_CREDIT = "a member of this server"
SKETCH_SIZE = 64
# A library story keeps only a few hashes, to be found by: the smallest of each sixth of its
# word trigrams, in reading order. A text copying a third of the story or more in one run
# holds a whole sixth, so shares that sixth's hash for certain; a near-duplicate of the
# whole keeps most of them. Six rows a story keeps the index small for a million-story
# library; submissions, few and short-lived, keep their whole bottom-k sketch.
STORY_SKETCH_KEPT = 6
SHINGLE_WORDS = 3
# Jaccard similarity of word trigrams; one changed word in thirty keeps ~0.8.
NEAR_DUPLICATE = 0.6
# Trigrams shared, out of the shorter text's: a copy of half a story with as much new text
# beside it shares ~0.5, while the bundled stories share at most 0.03 with one another.
COPIED = 0.4
DRAFT_LIFETIME = timedelta(days=7)
LIMIT_WINDOW = timedelta(hours=24)
REASON_LIMIT = 500
SKETCH_BATCH = 500


# -- sketches: near-duplicates without reading the library --------------------------------


def _hash(shingle: str) -> int:
    digest = hashlib.blake2b(shingle.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1  # 63 bits: fits SQLite's signed INTEGER


def _hashes(text: str) -> list[int]:
    """The hashes of the text's word trigrams, in reading order."""
    words = normalise(text).split()
    if len(words) < SHINGLE_WORDS:
        return [_hash(" ".join(words))] if words else []
    # Encoded once, not once a trigram: this runs for every story of the library.
    coded = [w.encode() for w in words]
    blake2b = hashlib.blake2b
    return [
        int.from_bytes(blake2b(b" ".join(coded[i : i + SHINGLE_WORDS]), digest_size=8).digest())
        >> 1
        for i in range(len(coded) - SHINGLE_WORDS + 1)
    ]


def sketch(text: str) -> list[int]:
    """The smallest :data:`SKETCH_SIZE` hashes of the text's word trigrams (bottom-k)."""
    return sorted(set(_hashes(text)))[:SKETCH_SIZE]


def anchors(text: str) -> list[int]:
    """The hashes a library story is found by: the smallest in each of its
    :data:`STORY_SKETCH_KEPT` runs of trigrams."""
    hashed = _hashes(text)
    parts = min(STORY_SKETCH_KEPT, len(hashed))
    cuts = [len(hashed) * p // parts for p in range(parts + 1)]
    return sorted({min(hashed[cuts[p] : cuts[p + 1]]) for p in range(parts)})


def likeness(a: str, b: str) -> tuple[float, float]:
    """(Jaccard similarity, share of the shorter text found in the other) of two texts'
    word trigrams, counted exactly: both texts are at hand once a candidate is found."""
    mine, theirs = set(_hashes(a)), set(_hashes(b))
    if not mine or not theirs:
        return 0.0, 0.0
    shared = len(mine & theirs)
    return shared / len(mine | theirs), shared / min(len(mine), len(theirs))


def _copy_of(a: str, b: str) -> str | None:
    """How the sentence names what ``a`` repeats of ``b``, or None if it does not."""
    whole, part = likeness(a, b)
    if whole >= NEAR_DUPLICATE:
        return "nearly the same as"
    return "largely copied from" if part >= COPIED else None


def body_digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def _plain_ref(story: StoryRef) -> StoryRef:
    # Titles approved before they were kept plain may hold mention codes.
    return replace(story, title=textcheck.plain_text(story.title))


# -- values ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actor:
    """A member acting: a moderator deciding, or the submitter withdrawing."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Draft:
    guild_id: int
    member_id: int
    member_name: str
    body: str
    theme_id: int | None
    notes: tuple[str, ...]
    anonymous: bool
    consent: bool
    id: int = 0


@dataclass(frozen=True, slots=True)
class Submission:
    id: int
    guild_id: int
    member_id: int
    member_name: str
    title: str
    body: str
    theme_id: int | None
    notes: tuple[str, ...]
    anonymous: bool
    findings: tuple[Finding, ...]
    status: SubmissionStatus
    created_at: str
    edited_by: Actor | None
    edited_at: str | None
    decided_by: Actor | None
    decided_at: str | None
    reason: str
    story_id: int | None
    card_channel_id: int | None
    card_message_id: int | None
    dm_status: str | None

    @property
    def pending(self) -> bool:
        return self.status == SubmissionStatus.PENDING

    @property
    def credit(self) -> str:
        # Shown in an embed footer under the story, where no mention is drawn.
        return ANONYMOUS_CREDIT if self.anonymous else textcheck.plain_text(self.member_name)

    @classmethod
    def from_row(cls, row: SubmissionRecord) -> Submission:
        return cls(
            id=row.id,
            guild_id=row.guild_id,
            member_id=row.member_id,
            member_name=row.member_name,
            title=textcheck.plain_text(row.title),
            body=row.body,
            theme_id=row.theme_id,
            notes=content_notes.decode(row.notes),
            anonymous=row.anonymous,
            findings=tuple(textcheck.decode(row.findings)),
            status=row.status,
            created_at=row.created_at,
            edited_by=Actor(row.edited_by, row.edited_by_name or "")
            if row.edited_by is not None
            else None,
            edited_at=row.edited_at,
            decided_by=Actor(row.decided_by, row.decided_by_name or "")
            if row.decided_by is not None
            else None,
            decided_at=row.decided_at,
            reason=row.reason,
            story_id=row.story_id,
            card_channel_id=row.card_channel_id,
            card_message_id=row.card_message_id,
            dm_status=row.dm_status,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What sending a draft led to: a submission, or findings the member should see first."""

    draft_id: int
    submission: Submission | None
    findings: tuple[Finding, ...] = ()


class SubmissionRefused(DomainError):
    """A form broke a rule; the draft keeps the text so the member can fix and resend it."""

    def __init__(self, message: str, draft_id: int) -> None:
        super().__init__(message)
        self.draft_id = draft_id


class NotPending(DomainError):
    def __init__(self, submission: Submission) -> None:
        self.submission = submission
        super().__init__(describe_decision(submission, sentence=True))


def describe_decision(submission: Submission, *, sentence: bool = False) -> str:
    """``approved by Sam on 2026-03-02 08:00 UTC`` (or a whole sentence)."""
    if submission.status == SubmissionStatus.WITHDRAWN:
        text = "withdrawn by the member who sent it"
    elif submission.decided_by is not None:
        when = (submission.decided_at or "")[:16].replace("T", " ")
        text = f"{submission.status} by {submission.decided_by.name} on {when} UTC"
    else:
        text = submission.status
    if sentence:
        return f"Submission #{submission.id} was already {text}."
    return text


# -- the desk -------------------------------------------------------------------------------


class SubmissionDesk:
    """Every change to a submission goes through here."""

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

    # -- drafts -------------------------------------------------------------------------

    async def save_draft(self, draft: Draft) -> int:
        now = self._clock()
        return await self.store.save_draft(
            DraftRecord(
                guild_id=draft.guild_id,
                member_id=draft.member_id,
                member_name=draft.member_name,
                body=draft.body,
                theme_id=draft.theme_id,
                notes=content_notes.encode(draft.notes),
                anonymous=draft.anonymous,
                consent=draft.consent,
                created_at=now.isoformat(),
            ),
            prune_before=(now - DRAFT_LIFETIME).isoformat(),
        )

    async def draft(self, draft_id: int, member_id: int) -> Draft | None:
        """A member's own draft; None if it is gone or someone else's."""
        row = await self.store.draft(draft_id)
        if row is None or row.member_id != member_id:
            return None
        return Draft(
            guild_id=row.guild_id,
            member_id=row.member_id,
            member_name=row.member_name,
            body=row.body,
            theme_id=row.theme_id,
            notes=content_notes.decode(row.notes),
            anonymous=row.anonymous,
            consent=row.consent,
            id=row.id,
        )

    # -- rules ----------------------------------------------------------------------------

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
        mine = sorted(set(_hashes(body)))
        if not mine:
            return None
        for source, ref_id in await self.store.sketch_candidates(mine, guild_id, 1):
            if source == SketchSource.STORY:
                story = await self.store.story_ref(ref_id)
                story = _plain_ref(story) if story is not None else None
                if story is None or not story.active or story.guild_id not in (0, guild_id):
                    continue
                how = _copy_of(body, story.body)
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
            how = _copy_of(body, row.body)
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

    # -- sending --------------------------------------------------------------------------

    async def send(self, draft: Draft, *, confirmed: bool) -> Outcome:
        """Turn a saved draft into a pending submission, or say why not.

        Raises :class:`SubmissionRefused` (the draft stays) when a rule is broken. Returns
        findings without sending when the text has some and the member has not yet seen them.
        """
        problem = self.form_problem(draft.body, draft.consent)
        if problem is None:
            problem = await self.near_duplicate(draft.body, draft.guild_id, draft.member_id)
        if problem is not None:
            raise SubmissionRefused(problem, draft.id)
        body = draft.body.strip()
        findings = tuple(textcheck.find_all(body))
        if findings and not confirmed:
            return Outcome(draft.id, None, findings)
        submission_id, limit = await self.store.insert_pending(
            NewSubmission(
                guild_id=draft.guild_id,
                member_id=draft.member_id,
                member_name=draft.member_name,
                title=propose_title(body),
                body=body,
                theme_id=draft.theme_id,
                notes=content_notes.encode(draft.notes),
                anonymous=draft.anonymous,
                findings=textcheck.encode(list(findings)),
                created_at=self._now(),
            ),
            sketch(body),
            self._limits(),
            draft.id,
        )
        if submission_id is None:
            raise SubmissionRefused(self._limit_sentence(limit or "pending"), draft.id)
        log.info(
            "guild %s: member %s sent submission %s (%s findings)",
            draft.guild_id,
            draft.member_id,
            submission_id,
            len(findings),
        )
        return Outcome(draft.id, await self.get(submission_id), findings)

    # -- reading --------------------------------------------------------------------------

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

    async def pending(self, guild_id: int, limit: int = 20) -> tuple[list[Submission], int]:
        rows, total = await self.store.pending(guild_id, limit)
        return [Submission.from_row(r) for r in rows], total

    async def of_member(self, guild_id: int, member_id: int, limit: int = 10) -> list[Submission]:
        return [
            Submission.from_row(r) for r in await self.store.of_member(guild_id, member_id, limit)
        ]

    # -- state changes --------------------------------------------------------------------

    async def approve(
        self,
        submission_id: int,
        guild_id: int,
        moderator: Actor,
        *,
        title: str,
        theme_id: int | None = None,
    ) -> Submission:
        """Decide for the library under the title the moderator confirmed, and a theme
        (None keeps the one the member chose).

        A story sent as "Not sure" gets its theme here: a story in the library always has
        one. Of two moderators at once, the second gets NotPending.
        """
        submission = await self.in_guild(submission_id, guild_id)
        theme_id = submission.theme_id if theme_id is None else theme_id
        theme = self.library.catalogue.get(theme_id) if theme_id else None
        if theme is None:
            raise DomainError(
                f"Please choose a theme for submission #{submission_id} before approving it, "
                "so `/story` can find it."
            )
        if not await self.store.approve(
            submission_id,
            title=clean_title(title, submission.body),
            theme_id=theme.id,
            by=moderator.id,
            by_name=moderator.name,
            at=self._now(),
        ):
            raise NotPending(await self.get(submission_id))
        log.info("guild %s: %s approved submission %s", guild_id, moderator.id, submission_id)
        return await self.publish(await self.get(submission_id))

    async def reject(
        self, submission_id: int, guild_id: int, moderator: Actor, reason: str
    ) -> Submission:
        await self.in_guild(submission_id, guild_id)
        reason = " ".join(reason.split())[:REASON_LIMIT]
        if not await self.store.decide(
            submission_id,
            SubmissionStatus.REJECTED,
            moderator.id,
            moderator.name,
            self._now(),
            reason,
        ):
            raise NotPending(await self.get(submission_id))
        log.info("guild %s: %s rejected submission %s", guild_id, moderator.id, submission_id)
        return await self.get(submission_id)

    async def withdraw(self, submission_id: int, guild_id: int, member: Actor) -> Submission:
        submission = await self.in_guild(submission_id, guild_id)
        if submission.member_id != member.id:
            raise DomainError("You can only withdraw your own submissions.")
        if not await self.store.decide(
            submission_id, SubmissionStatus.WITHDRAWN, member.id, member.name, self._now(), ""
        ):
            raise NotPending(await self.get(submission_id))
        log.info("guild %s: member %s withdrew submission %s", guild_id, member.id, submission_id)
        return await self.get(submission_id)

    async def edit(
        self,
        submission_id: int,
        guild_id: int,
        moderator: Actor,
        *,
        title: str,
        body: str,
        theme_id: int | None,
        notes: tuple[str, ...],
    ) -> Submission:
        """A moderator's edit of a pending submission; the same length rules hold."""
        await self.in_guild(submission_id, guild_id)
        body = body.strip()
        problem = self.form_problem(body, consent=True)
        if problem is not None:
            raise DomainError(problem.replace("Your story", "The edited story"))
        title = clean_title(title, body)
        notes = tuple(n for n in notes if n in content_notes.NOTE_LABELS)
        changed = await self.store.edit(
            submission_id,
            title=title,
            body=body,
            theme_id=theme_id,
            notes=content_notes.encode(notes),
            findings=textcheck.encode(textcheck.find_all(body)),
            by=moderator.id,
            by_name=moderator.name,
            at=self._now(),
            sketch=sketch(body),
        )
        if not changed:
            raise NotPending(await self.get(submission_id))
        log.info("guild %s: %s edited submission %s", guild_id, moderator.id, submission_id)
        return await self.get(submission_id)

    async def publish(self, submission: Submission) -> Submission:
        """Put an approved submission into its server's library, once, however often asked.

        The story's key names the submission, so an approval interrupted by a crash is
        finished at start-up without making a second story.
        """
        key = f"submission:{submission.id}"
        story_id = await self.store.story_by_key(key)
        store = self.library.store
        if story_id is None:
            theme = submission.theme_id
            themes = (theme,) if theme and self.library.catalogue.get(theme) else ()
            [story_id] = await store.write_stories(
                submission.guild_id,
                self._now(),
                inserts=[
                    NewStory(
                        title=submission.title,
                        body=submission.body,
                        notes=content_notes.encode(submission.notes),
                        credit=submission.credit,
                        source_date=(submission.decided_at or self._now())[:10],
                        teller="",
                        digest=body_digest(submission.body),
                        themes=themes,
                        bundle_key=key,
                    )
                ],
                updates=[],
            )
            await store.recount_pools(submission.guild_id)
        await self.store.publish(
            submission.id,
            story_id,
            submission.guild_id,
            body_digest(submission.body),
            anchors(submission.body),
        )
        log.info(
            "guild %s: submission %s is story %s", submission.guild_id, submission.id, story_id
        )
        return await self.get(submission.id)

    async def finish_interrupted(self) -> int:
        """Publish approvals that a crash stopped half-way; returns how many."""
        unfinished = await self.store.approved_without_story()
        for row in unfinished:
            await self.publish(Submission.from_row(row))
        return len(unfinished)

    async def delete_draft(self, draft_id: int) -> None:
        await self.store.delete_draft(draft_id)

    async def record_dm(self, submission_id: int, status: str) -> None:
        await self.store.set_dm_status(submission_id, status)

    async def record_card(self, submission_id: int, channel_id: int, message_id: int) -> None:
        await self.store.set_card(submission_id, channel_id, message_id)

    async def cards_to_post(self, guild_id: int, channel_id: int) -> list[Submission]:
        rows = await self.store.cards_to_post(guild_id, channel_id)
        return [Submission.from_row(r) for r in rows]

    async def guilds_with_unposted_cards(self) -> list[int]:
        return await self.store.guilds_with_unposted_cards()

    # -- the server's own stories -----------------------------------------------------------

    async def server_stories(self, guild_id: int, query: str, limit: int = 25) -> list[StoryRef]:
        found = await self.store.server_stories(guild_id, query.strip(), limit)
        return [_plain_ref(story) for story in found]

    async def retire(self, guild_id: int, story_id: int) -> StoryRef:
        story = await self.store.story_ref(story_id)
        if story is not None:
            story = _plain_ref(story)
        if story is None or story.guild_id != guild_id:
            raise DomainError(
                "That is not one of this server's own stories; only stories approved here "
                "can be retired."
            )
        if not await self.library.store.retire_server_story(guild_id, story_id):
            raise DomainError(f"“{story.title}” was already retired.")
        log.info("guild %s: story %s retired", guild_id, story_id)
        return story

    # -- the library's sketches -------------------------------------------------------------

    async def sketch_library(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Sketch library stories that are new or changed since the last pass; ``progress``
        hears (how many so far, the last story id) after each batch."""
        now, last = await self.store.library_mark()
        if now == last:
            return 0
        done = after = 0
        while True:
            batch = await self.store.unsketched_stories(after, SKETCH_BATCH)
            if not batch:
                break
            await self.store.sketch_stories(
                [(sid, guild, digest, anchors(body)) for sid, guild, body, digest in batch]
            )
            done += len(batch)
            after = batch[-1][0]
            if progress is not None:
                progress(done, after)
        await self.store.set_library_mark(now)
        log.info("sketched %s library stories for near-duplicate checks", done)
        return done

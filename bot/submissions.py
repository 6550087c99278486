"""Member submissions: a submission's life, from the member's draft to the library.

A submission is ``pending`` until a moderator approves or rejects it or its member withdraws
it; only a pending one changes. What a member typed is kept as a draft before any rule is
checked, so a refusal hands the text back instead of losing it. The form's rules are in
:mod:`bot.submission_rules`, the decisions in :mod:`bot.decisions`, near-duplicates in
:mod:`bot.sketches`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from bot import notes as content_notes
from bot import textcheck
from bot.decisions import Decisions
from bot.errors import DomainError
from bot.records import DraftRecord, NewSubmission, StoryRef
from bot.sketches import anchors, sketch
from bot.submission_rules import plain_ref
from bot.submission_values import Draft, Outcome, Submission, SubmissionRefused
from bot.titles import propose_title

log = logging.getLogger(__name__)

DRAFT_LIFETIME = timedelta(days=7)
SKETCH_BATCH = 500


class SubmissionDesk(Decisions):
    """Every change to a submission goes through here."""

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

    async def pending(self, guild_id: int, limit: int = 20) -> tuple[list[Submission], int]:
        rows, total = await self.store.pending(guild_id, limit)
        return [Submission.from_row(r) for r in rows], total

    async def of_member(self, guild_id: int, member_id: int, limit: int = 10) -> list[Submission]:
        return [
            Submission.from_row(r) for r in await self.store.of_member(guild_id, member_id, limit)
        ]

    async def delete_draft(self, draft_id: int) -> None:
        await self.store.delete_draft(draft_id)

    # -- the server's own stories -----------------------------------------------------------

    async def server_stories(self, guild_id: int, query: str, limit: int = 25) -> list[StoryRef]:
        found = await self.store.server_stories(guild_id, query.strip(), limit)
        return [plain_ref(story) for story in found]

    async def retire(self, guild_id: int, story_id: int) -> StoryRef:
        story = await self.store.story_ref(story_id)
        if story is not None:
            story = plain_ref(story)
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

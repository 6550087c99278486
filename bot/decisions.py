"""A submission's decisions: approve, reject, withdraw, edit, and the approved story's
way into its server's library."""

from __future__ import annotations

import logging

from bot import notes as content_notes
from bot import textcheck
from bot.errors import DomainError
from bot.records import NewStory, SubmissionStatus
from bot.sketches import anchors, body_digest, sketch
from bot.submission_rules import FormRules
from bot.submission_values import Actor, NotPending, Submission
from bot.titles import clean_title

log = logging.getLogger(__name__)

REASON_LIMIT = 500


class Decisions(FormRules):
    """Every change to a submission after it is sent goes through here."""

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

    async def finish_interrupted(self) -> list[Submission]:
        """Publish the approvals a crash stopped before their story, and return every
        decided submission with a step on Discord left (the member's DM, the decided card),
        each as it now stands, for the cog to finish.

        Only this process's servers: shard processes on one database start together,
        and each finishing every server's decisions would DM a member once per process.
        """
        unfinished = []
        for row in await self.store.unfinished_decisions():
            if not self.settings.shard_slice.serves(row.guild_id):
                continue
            submission = Submission.from_row(row)
            if submission.status == SubmissionStatus.APPROVED and submission.story_id is None:
                submission = await self.publish(submission)
            unfinished.append(submission)
        return unfinished

    async def record_dm(self, submission_id: int, status: str) -> None:
        await self.store.set_dm_status(submission_id, status)

    async def begin_card(self, submission_id: int) -> None:
        """Record that a try to post the card starts now, before it is sent."""
        await self.store.set_card_attempt(submission_id, self._now())

    async def card_refused(self, submission_id: int) -> None:
        """Discord answered the try with a refusal: it posted nothing, so the next try
        need not look for it."""
        await self.store.set_card_attempt(submission_id, None)

    async def record_card(self, submission_id: int, channel_id: int, message_id: int) -> None:
        await self.store.set_card(submission_id, channel_id, message_id)

    async def record_card_decided(self, submission_id: int) -> None:
        await self.store.set_card_decided(submission_id)

    async def cards_to_post(self, guild_id: int, channel_id: int) -> list[Submission]:
        rows = await self.store.cards_to_post(guild_id, channel_id)
        return [Submission.from_row(r) for r in rows]

    async def guilds_with_unposted_cards(self) -> list[int]:
        """This process's servers with a card to post (see :meth:`finish_interrupted`)."""
        shards = self.settings.shard_slice
        return [g for g in await self.store.guilds_with_unposted_cards() if shards.serves(g)]

"""SQL for drafts, submissions and the moderator cards' whereabouts (sketches: sketches.py)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.records import (
    DraftRecord,
    Limits,
    NewSubmission,
    SketchSource,
    StoryRef,
    SubmissionRecord,
    SubmissionStatus,
)
from bot.storage.postgres.sketches import ADD_SKETCH_SQL, DROP_SKETCH_SQL, Sketches
from bot.storage.rows import SUBMISSION_COLUMNS, like_pattern, submission_from

_COUNTS_SQL = (
    "SELECT COUNT(*) FILTER (WHERE status = 'pending'), COUNT(*) FILTER (WHERE created_at >= $1) "
    "FROM submissions WHERE guild_id = $2 AND member_id = $3"
)
# Advisory locks share one key space per database; this family is a member's submissions.
_MEMBER_LOCK = 0x5355_424D


def _member_key(guild_id: int, member_id: int) -> int:
    """One signed 64-bit advisory lock key for a member of a server."""
    mixed = (guild_id * 0x9E37_79B9_7F4A_7C15 ^ member_id ^ _MEMBER_LOCK) & (2**64 - 1)
    return mixed - 2**64 if mixed >= 2**63 else mixed


class SubmissionStore(Sketches):
    # -- drafts ---------------------------------------------------------------------------

    async def save_draft(self, draft: DraftRecord, *, prune_before: str) -> int:
        """Keep ``draft``; drafts nobody came back to since ``prune_before`` go."""
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM submission_drafts WHERE created_at < $1", prune_before)
            return int(
                await conn.fetchval(
                    "INSERT INTO submission_drafts (guild_id, member_id, member_name, body, "
                    "theme_id, notes, anonymous, consent, created_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    draft.guild_id,
                    draft.member_id,
                    draft.member_name,
                    draft.body,
                    draft.theme_id,
                    draft.notes,
                    int(draft.anonymous),
                    int(draft.consent),
                    draft.created_at,
                )
            )

    async def draft(self, draft_id: int) -> DraftRecord | None:
        row = await self.db.fetchrow(
            "SELECT guild_id, member_id, member_name, body, theme_id, notes, anonymous, consent, "
            "created_at, id FROM submission_drafts WHERE id = $1",
            draft_id,
        )
        if row is None:
            return None
        values = list(row)
        values[6], values[7] = bool(values[6]), bool(values[7])
        return DraftRecord(*values)

    async def delete_draft(self, draft_id: int) -> None:
        await self.db.execute("DELETE FROM submission_drafts WHERE id = $1", draft_id)

    # -- submissions ----------------------------------------------------------------------

    async def counts(self, guild_id: int, member_id: int, since: str) -> tuple[int, int]:
        """(pending, sent since ``since``) for one member of one server."""
        row = await self.db.fetchrow(_COUNTS_SQL, since, guild_id, member_id)
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def insert_pending(
        self, new: NewSubmission, sketch: Sequence[int], limits: Limits, draft_id: int
    ) -> tuple[int | None, str | None]:
        """(new id, None), or (None, "pending" | "recent") when a limit stands in the way.

        Two forms of one member sent at once, to two processes even, take turns on an
        advisory lock of that member, so the second counts the first and cannot slip
        under a limit beside it; other members are not held up.
        """
        async with self.db.transaction() as conn:
            await conn.execute(
                "SELECT pg_advisory_xact_lock($1)", _member_key(new.guild_id, new.member_id)
            )
            row = await conn.fetchrow(_COUNTS_SQL, limits.since, new.guild_id, new.member_id)
            if row[0] >= limits.max_pending:
                return None, "pending"
            if row[1] >= limits.max_recent:
                return None, "recent"
            submission_id = int(
                await conn.fetchval(
                    "INSERT INTO submissions (guild_id, member_id, member_name, title, body, "
                    "theme_id, notes, anonymous, findings, status, created_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10) RETURNING id",
                    new.guild_id,
                    new.member_id,
                    new.member_name,
                    new.title,
                    new.body,
                    new.theme_id,
                    new.notes,
                    int(new.anonymous),
                    new.findings,
                    new.created_at,
                )
            )
            await conn.executemany(
                ADD_SKETCH_SQL,
                [(h, new.guild_id, SketchSource.SUBMISSION.value, submission_id) for h in sketch],
            )
            await conn.execute("DELETE FROM submission_drafts WHERE id = $1", draft_id)
        return submission_id, None

    async def get(self, submission_id: int) -> SubmissionRecord | None:
        row = await self.db.fetchrow(
            f"SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = $1", submission_id
        )
        return submission_from(row) if row else None

    async def decide(
        self,
        submission_id: int,
        status: SubmissionStatus,
        by: int,
        by_name: str,
        at: str,
        reason: str,
    ) -> bool:
        """Move a pending submission to ``status``; False when it was no longer pending.

        The UPDATE locks the row; a second moderator's UPDATE waits for the first to
        commit, then reads the row again, finds it no longer pending and changes nothing.
        """
        async with self.db.transaction() as conn:
            changed = await conn.fetchval(
                "UPDATE submissions SET status = $1, decided_by = $2, decided_by_name = $3, "
                "decided_at = $4, reason = $5 WHERE id = $6 AND status = 'pending' "
                "RETURNING true",
                status.value,
                by,
                by_name,
                at,
                reason,
                submission_id,
            )
            if changed and status != SubmissionStatus.APPROVED:
                # Only waiting and published texts count as duplicates.
                await conn.execute(DROP_SKETCH_SQL, SketchSource.SUBMISSION.value, submission_id)
        return bool(changed)

    async def approve(
        self,
        submission_id: int,
        *,
        title: str,
        theme_id: int,
        by: int,
        by_name: str,
        at: str,
    ) -> bool:
        """Approve a pending submission with its confirmed title and theme; the UPDATE's
        row lock makes a second moderator's approval find it no longer pending."""
        changed = await self.db.fetchval(
            "UPDATE submissions SET status = $1, title = $2, theme_id = $3, decided_by = $4, "
            "decided_by_name = $5, decided_at = $6, reason = '' "
            "WHERE id = $7 AND status = 'pending' RETURNING true",
            SubmissionStatus.APPROVED.value,
            title,
            theme_id,
            by,
            by_name,
            at,
            submission_id,
        )
        return bool(changed)

    async def edit(
        self,
        submission_id: int,
        *,
        title: str,
        body: str,
        theme_id: int | None,
        notes: str,
        findings: str,
        by: int,
        by_name: str,
        at: str,
        sketch: Sequence[int],
    ) -> bool:
        async with self.db.transaction() as conn:
            guild_id = await conn.fetchval(
                "UPDATE submissions SET title = $1, body = $2, theme_id = $3, notes = $4, "
                "findings = $5, edited_by = $6, edited_by_name = $7, edited_at = $8 "
                "WHERE id = $9 AND status = 'pending' RETURNING guild_id",
                title,
                body,
                theme_id,
                notes,
                findings,
                by,
                by_name,
                at,
                submission_id,
            )
            if guild_id is None:
                return False
            await conn.execute(DROP_SKETCH_SQL, SketchSource.SUBMISSION.value, submission_id)
            await conn.executemany(
                ADD_SKETCH_SQL,
                [(h, guild_id, SketchSource.SUBMISSION.value, submission_id) for h in sketch],
            )
        return True

    async def publish(
        self, submission_id: int, story_id: int, guild_id: int, digest: str, sketch: Sequence[int]
    ) -> None:
        """Record the story an approval made; its sketch moves from submission to story."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE submissions SET story_id = $1 WHERE id = $2", story_id, submission_id
            )
            await conn.execute(DROP_SKETCH_SQL, SketchSource.SUBMISSION.value, submission_id)
            await self.sketch_stories([(story_id, guild_id, digest, sketch)])

    async def unfinished_decisions(self) -> list[SubmissionRecord]:
        rows = await self.db.fetch(
            f"SELECT {SUBMISSION_COLUMNS} FROM submissions "
            "WHERE status <> 'pending' AND (card_decided = 0 "
            "OR (status IN ('approved', 'rejected') "
            "AND (dm_status IS NULL OR dm_status = 'sending')) "
            "OR (status = 'approved' AND story_id IS NULL)) ORDER BY id"
        )
        return [submission_from(r) for r in rows]

    async def set_card_attempt(self, submission_id: int, at: str | None) -> None:
        await self.db.execute(
            "UPDATE submissions SET card_attempt_at = $1 WHERE id = $2", at, submission_id
        )

    async def set_card(self, submission_id: int, channel_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE submissions SET card_channel_id = $1, card_message_id = $2, "
            "card_attempt_at = NULL WHERE id = $3",
            channel_id,
            message_id,
            submission_id,
        )

    async def set_card_decided(self, submission_id: int) -> None:
        await self.db.execute(
            "UPDATE submissions SET card_decided = 1 WHERE id = $1", submission_id
        )

    async def set_dm_status(self, submission_id: int, status: str) -> None:
        await self.db.execute(
            "UPDATE submissions SET dm_status = $1 WHERE id = $2", status, submission_id
        )

    async def cards_to_post(self, guild_id: int, channel_id: int) -> list[SubmissionRecord]:
        """Pending submissions with no card in ``channel_id``, oldest first."""
        rows = await self.db.fetch(
            f"SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE guild_id = $1 "
            "AND status = 'pending' AND (card_message_id IS NULL OR card_channel_id IS NULL "
            "OR card_channel_id <> $2) ORDER BY id",
            guild_id,
            channel_id,
        )
        return [submission_from(r) for r in rows]

    async def guilds_with_unposted_cards(self) -> list[int]:
        rows = await self.db.fetch(
            "SELECT DISTINCT guild_id FROM submissions "
            "WHERE status = 'pending' AND card_message_id IS NULL"
        )
        return [int(r[0]) for r in rows]

    async def pending(self, guild_id: int, limit: int) -> tuple[list[SubmissionRecord], int]:
        """The oldest ``limit`` pending submissions of a server, and how many wait in all."""
        rows = await self.db.fetch(
            f"SELECT {SUBMISSION_COLUMNS} FROM submissions "
            "WHERE guild_id = $1 AND status = 'pending' ORDER BY id LIMIT $2",
            guild_id,
            limit,
        )
        total = await self.db.fetchval(
            "SELECT COUNT(*) FROM submissions WHERE guild_id = $1 AND status = 'pending'",
            guild_id,
        )
        return [submission_from(r) for r in rows], int(total or 0)

    async def of_member(self, guild_id: int, member_id: int, limit: int) -> list[SubmissionRecord]:
        rows = await self.db.fetch(
            f"SELECT {SUBMISSION_COLUMNS} FROM submissions "
            "WHERE guild_id = $1 AND member_id = $2 ORDER BY id DESC LIMIT $3",
            guild_id,
            member_id,
            limit,
        )
        return [submission_from(r) for r in rows]

    # -- the library, as submissions see it -----------------------------------------------

    async def story_ref(self, story_id: int) -> StoryRef | None:
        row = await self.db.fetchrow(
            "SELECT id, guild_id, title, active, body FROM stories WHERE id = $1", story_id
        )
        if row is None:
            return None
        return StoryRef(int(row[0]), int(row[1]), str(row[2]), bool(row[3]), str(row[4]))

    async def story_by_key(self, bundle_key: str) -> int | None:
        value = await self.db.fetchval("SELECT id FROM stories WHERE bundle_key = $1", bundle_key)
        return int(value) if value is not None else None

    async def server_stories(self, guild_id: int, query: str, limit: int) -> list[StoryRef]:
        """Active stories owned by ``guild_id`` whose title holds ``query``, newest first."""
        rows = await self.db.fetch(
            "SELECT id, guild_id, title, active FROM stories "
            "WHERE guild_id = $1 AND active = 1 AND title ILIKE $2 ESCAPE '\\' "
            "ORDER BY id DESC LIMIT $3",
            guild_id,
            like_pattern(query),
            limit,
        )
        return [StoryRef(int(r[0]), int(r[1]), str(r[2]), bool(r[3])) for r in rows]

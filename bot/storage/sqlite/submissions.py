"""SQL for drafts, submissions and the moderator cards' whereabouts (sketches: sketches.py)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.records import (
    DraftRecord,
    Limits,
    NewSubmission,
    StoryRef,
    SubmissionRecord,
    SubmissionStatus,
)
from bot.storage.rows import SUBMISSION_COLUMNS, like_pattern, submission_from
from bot.storage.sqlite.sketches import Sketches


class SubmissionStore(Sketches):
    # -- drafts ---------------------------------------------------------------------------

    async def save_draft(self, draft: DraftRecord, *, prune_before: str) -> int:
        """Keep ``draft``; drafts nobody came back to since ``prune_before`` go."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM submission_drafts WHERE created_at < ?", (prune_before,)
            )
            cursor = await conn.execute(
                "INSERT INTO submission_drafts (guild_id, member_id, member_name, body, "
                "theme_id, notes, anonymous, consent, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    draft.guild_id,
                    draft.member_id,
                    draft.member_name,
                    draft.body,
                    draft.theme_id,
                    draft.notes,
                    int(draft.anonymous),
                    int(draft.consent),
                    draft.created_at,
                ),
            )
            return int(cursor.lastrowid or 0)

    async def draft(self, draft_id: int) -> DraftRecord | None:
        row = await self.db.fetchone(
            "SELECT guild_id, member_id, member_name, body, theme_id, notes, anonymous, consent, "
            "created_at, id FROM submission_drafts WHERE id = ?",
            (draft_id,),
        )
        if row is None:
            return None
        values = list(row)
        values[6], values[7] = bool(values[6]), bool(values[7])
        return DraftRecord(*values)

    async def delete_draft(self, draft_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM submission_drafts WHERE id = ?", (draft_id,))

    # -- submissions ----------------------------------------------------------------------

    async def counts(self, guild_id: int, member_id: int, since: str) -> tuple[int, int]:
        """(pending, sent since ``since``) for one member of one server."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(status = 'pending'), 0), COALESCE(SUM(created_at >= ?), 0) "
            "FROM submissions WHERE guild_id = ? AND member_id = ?",
            (since, guild_id, member_id),
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def insert_pending(
        self, new: NewSubmission, sketch: Sequence[int], limits: Limits, draft_id: int
    ) -> tuple[int | None, str | None]:
        """(new id, None), or (None, "pending" | "recent") when a limit stands in the way.

        The limits are counted inside the writing transaction, so two forms sent at the
        same moment cannot both slip under them.
        """
        async with self.db.transaction() as conn:
            row = await (
                await conn.execute(
                    "SELECT COALESCE(SUM(status = 'pending'), 0), "
                    "COALESCE(SUM(created_at >= ?), 0) FROM submissions "
                    "WHERE guild_id = ? AND member_id = ?",
                    (limits.since, new.guild_id, new.member_id),
                )
            ).fetchone()
            if row[0] >= limits.max_pending:
                return None, "pending"
            if row[1] >= limits.max_recent:
                return None, "recent"
            cursor = await conn.execute(
                "INSERT INTO submissions (guild_id, member_id, member_name, title, body, "
                "theme_id, notes, anonymous, findings, status, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                (
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
                ),
            )
            submission_id = int(cursor.lastrowid or 0)
            await conn.executemany(
                "INSERT OR IGNORE INTO text_sketches (hash, guild_id, source, ref_id) "
                "VALUES (?, ?, 'submission', ?)",
                [(h, new.guild_id, submission_id) for h in sketch],
            )
            await conn.execute("DELETE FROM submission_drafts WHERE id = ?", (draft_id,))
        return submission_id, None

    async def get(self, submission_id: int) -> SubmissionRecord | None:
        row = await self.db.fetchone(
            f"SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = ?", (submission_id,)
        )
        return submission_from(row) if row else None

    async def decide(
        self,
        submission_id: int,
        status: str,
        by: int,
        by_name: str,
        at: str,
        reason: str,
    ) -> bool:
        """Move a pending submission to ``status``; False when it was no longer pending.

        The status check and the change are one statement, so of two moderators deciding
        at once exactly one changes the row.
        """
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE submissions SET status = ?, decided_by = ?, decided_by_name = ?, "
                "decided_at = ?, reason = ? WHERE id = ? AND status = 'pending'",
                (status, by, by_name, at, reason, submission_id),
            )
            changed = cursor.rowcount == 1
            if changed and status != SubmissionStatus.APPROVED:
                # Only waiting and published texts count as duplicates.
                await conn.execute(
                    "DELETE FROM text_sketches WHERE source = 'submission' AND ref_id = ?",
                    (submission_id,),
                )
        return changed

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
        """Approve a pending submission with its confirmed title and theme: one statement,
        so of two moderators at once exactly one approves (the sketch stays, for the story)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE submissions SET status = ?, title = ?, theme_id = ?, decided_by = ?, "
                "decided_by_name = ?, decided_at = ?, reason = '' "
                "WHERE id = ? AND status = 'pending'",
                (SubmissionStatus.APPROVED, title, theme_id, by, by_name, at, submission_id),
            )
            return cursor.rowcount == 1

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
            cursor = await conn.execute(
                "UPDATE submissions SET title = ?, body = ?, theme_id = ?, notes = ?, "
                "findings = ?, edited_by = ?, edited_by_name = ?, edited_at = ? "
                "WHERE id = ? AND status = 'pending'",
                (title, body, theme_id, notes, findings, by, by_name, at, submission_id),
            )
            if cursor.rowcount != 1:
                return False
            row = await (
                await conn.execute(
                    "SELECT guild_id FROM submissions WHERE id = ?", (submission_id,)
                )
            ).fetchone()
            await conn.execute(
                "DELETE FROM text_sketches WHERE source = 'submission' AND ref_id = ?",
                (submission_id,),
            )
            await conn.executemany(
                "INSERT OR IGNORE INTO text_sketches (hash, guild_id, source, ref_id) "
                "VALUES (?, ?, 'submission', ?)",
                [(h, row[0], submission_id) for h in sketch],
            )
        return True

    async def publish(
        self, submission_id: int, story_id: int, guild_id: int, digest: str, sketch: Sequence[int]
    ) -> None:
        """Record the story an approval made; its sketch moves from submission to story."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE submissions SET story_id = ? WHERE id = ?", (story_id, submission_id)
            )
            await conn.execute(
                "DELETE FROM text_sketches WHERE source = 'submission' AND ref_id = ?",
                (submission_id,),
            )
            await self._sketch_story(conn, story_id, guild_id, digest, sketch)

    async def unfinished_decisions(self) -> list[SubmissionRecord]:
        rows = await self.db.fetchall(
            f"SELECT {SUBMISSION_COLUMNS} FROM submissions "
            "WHERE status <> 'pending' AND (card_decided = 0 "
            "OR (status IN ('approved', 'rejected') "
            "AND (dm_status IS NULL OR dm_status = 'sending')) "
            "OR (status = 'approved' AND story_id IS NULL)) ORDER BY id"
        )
        return [submission_from(r) for r in rows]

    async def set_card_attempt(self, submission_id: int, at: str | None) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE submissions SET card_attempt_at = ? WHERE id = ?", (at, submission_id)
            )

    async def set_card(self, submission_id: int, channel_id: int, message_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE submissions SET card_channel_id = ?, card_message_id = ?, "
                "card_attempt_at = NULL WHERE id = ?",
                (channel_id, message_id, submission_id),
            )

    async def set_card_decided(self, submission_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE submissions SET card_decided = 1 WHERE id = ?", (submission_id,)
            )

    async def set_dm_status(self, submission_id: int, status: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE submissions SET dm_status = ? WHERE id = ?", (status, submission_id)
            )

    async def cards_to_post(self, guild_id: int, channel_id: int) -> list[SubmissionRecord]:
        """Pending submissions with no card in ``channel_id``, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE guild_id = ? "
            "AND status = 'pending' AND (card_message_id IS NULL OR card_channel_id IS NULL "
            "OR card_channel_id <> ?) ORDER BY id",
            (guild_id, channel_id),
        )
        return [submission_from(r) for r in rows]

    async def guilds_with_unposted_cards(self) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT guild_id FROM submissions "
            "WHERE status = 'pending' AND card_message_id IS NULL"
        )
        return [int(r[0]) for r in rows]

    async def pending(self, guild_id: int, limit: int) -> tuple[list[SubmissionRecord], int]:
        """The oldest ``limit`` pending submissions of a server, and how many wait in all."""
        rows = await self.db.fetchall(
            f"SELECT {SUBMISSION_COLUMNS} FROM submissions "
            "WHERE guild_id = ? AND status = 'pending' ORDER BY id LIMIT ?",
            (guild_id, limit),
        )
        total = await self.db.fetchone(
            "SELECT COUNT(*) FROM submissions WHERE guild_id = ? AND status = 'pending'",
            (guild_id,),
        )
        return [submission_from(r) for r in rows], int(total[0]) if total else 0

    async def of_member(self, guild_id: int, member_id: int, limit: int) -> list[SubmissionRecord]:
        rows = await self.db.fetchall(
            f"SELECT {SUBMISSION_COLUMNS} FROM submissions "
            "WHERE guild_id = ? AND member_id = ? ORDER BY id DESC LIMIT ?",
            (guild_id, member_id, limit),
        )
        return [submission_from(r) for r in rows]

    # -- the library, as submissions see it -----------------------------------------------

    async def story_ref(self, story_id: int) -> StoryRef | None:
        row = await self.db.fetchone(
            "SELECT id, guild_id, title, active, body FROM stories WHERE id = ?", (story_id,)
        )
        if row is None:
            return None
        return StoryRef(int(row[0]), int(row[1]), str(row[2]), bool(row[3]), str(row[4]))

    async def story_by_key(self, bundle_key: str) -> int | None:
        row = await self.db.fetchone("SELECT id FROM stories WHERE bundle_key = ?", (bundle_key,))
        return int(row[0]) if row else None

    async def server_stories(self, guild_id: int, query: str, limit: int) -> list[StoryRef]:
        """Active stories owned by ``guild_id`` whose title holds ``query``, newest first."""
        rows = await self.db.fetchall(
            "SELECT id, guild_id, title, active FROM stories "
            "WHERE guild_id = ? AND active = 1 AND title LIKE ? ESCAPE '\\' "
            "ORDER BY id DESC LIMIT ?",
            (guild_id, like_pattern(query), limit),
        )
        return [StoryRef(int(r[0]), int(r[1]), str(r[2]), bool(r[3])) for r in rows]

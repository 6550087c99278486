"""SQL for reports on stories, the stories they hide per server, thanks and weekly letters.

SQLite has one writer, so a report's limit check, its row and the hiding are one
transaction that no other report can interleave with.
"""

from __future__ import annotations

from bot.records import Filed, Letter, ReportReason, ReportRecord, ReportStatus
from bot.storage.rows import REPORT_COLUMNS, UNCARDED_GUILDS_SQL, report_from
from bot.storage.sqlite.database import Database
from bot.storage.sqlite.library import LibraryStore

# The first open report of each case in a server: what /reports lists and cards show.
_CASE_HEADS = (
    "FROM story_reports r WHERE r.guild_id = ? AND r.status = 'open' AND r.id = "
    "(SELECT MIN(o.id) FROM story_reports o WHERE o.guild_id = r.guild_id "
    "AND o.story_id = r.story_id AND o.status = 'open')"
)
CLAIM_LETTERS_SQL = (
    "UPDATE thanks_letters SET last_count = waiting, waiting = 0, due_at = ?, "
    "dm_status = 'claimed' WHERE member_id IN (SELECT member_id FROM thanks_letters "
    "WHERE waiting > 0 AND opted_out = 0 AND due_at <= ? ORDER BY due_at LIMIT ?) "
    "RETURNING member_id, last_count"
)
NEXT_LETTER_SQL = "SELECT MIN(due_at) FROM thanks_letters WHERE waiting > 0 AND opted_out = 0"
# What a scheduler pass of letters runs, for the query-plan test.
LETTER_QUERIES: dict[str, tuple[str, tuple[int, ...]]] = {
    "claim_letters": (CLAIM_LETTERS_SQL, (1, 1, 10)),
    "next_letter": (NEXT_LETTER_SQL, ()),
}


class ReportStore:
    def __init__(self, db: Database, library: LibraryStore) -> None:
        self.db = db
        self._library = library

    async def file(
        self,
        *,
        guild_id: int,
        story_id: int,
        reporter_id: int,
        reason: ReportReason,
        detail: str,
        at: str,
        since: str,
        per_day: int,
    ) -> tuple[int | None, Filed]:
        async with self.db.transaction() as conn:
            row = await (
                await conn.execute(
                    "SELECT COUNT(*) FROM story_reports "
                    "WHERE guild_id = ? AND reporter_id = ? AND created_at >= ?",
                    (guild_id, reporter_id, since),
                )
            ).fetchone()
            if row[0] >= per_day:
                return None, Filed.LIMIT
            row = await (
                await conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM hidden_stories WHERE guild_id = ? "
                    "AND story_id = ?), EXISTS (SELECT 1 FROM story_reports WHERE guild_id = ? "
                    "AND story_id = ? AND status = 'open')",
                    (guild_id, story_id, guild_id, story_id),
                )
            ).fetchone()
            hidden, open_case = bool(row[0]), bool(row[1])
            if hidden and not open_case:
                return None, Filed.ALREADY_DOWN
            cursor = await conn.execute(
                "INSERT INTO story_reports (guild_id, story_id, reporter_id, reason, detail, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, story_id, reporter_id, reason.value, detail, at),
            )
            report_id = int(cursor.lastrowid or 0)
            if open_case:
                return report_id, Filed.JOINED
            await conn.execute(
                "INSERT INTO hidden_stories (guild_id, story_id, hidden_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (guild_id, story_id, at),
            )
            await self._library.counts_changed(guild_id)
        return report_id, Filed.OPENED

    async def get(self, report_id: int) -> ReportRecord | None:
        row = await self.db.fetchone(
            f"SELECT {REPORT_COLUMNS} FROM story_reports WHERE id = ?", (report_id,)
        )
        return report_from(tuple(row)) if row else None

    async def case_size(self, guild_id: int, story_id: int) -> int:
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM story_reports WHERE guild_id = ? AND story_id = ? "
            "AND status = 'open'",
            (guild_id, story_id),
        )
        return int(row[0]) if row else 0

    async def case_head(self, guild_id: int, story_id: int) -> ReportRecord | None:
        row = await self.db.fetchone(
            f"SELECT {REPORT_COLUMNS} FROM story_reports WHERE guild_id = ? AND story_id = ? "
            "AND status = 'open' ORDER BY id LIMIT 1",
            (guild_id, story_id),
        )
        return report_from(tuple(row)) if row else None

    async def decide(
        self, report_id: int, status: ReportStatus, by: int, by_name: str, at: str
    ) -> bool:
        async with self.db.transaction() as conn:
            row = await (
                await conn.execute(
                    "SELECT guild_id, story_id FROM story_reports WHERE id = ? AND status = 'open'",
                    (report_id,),
                )
            ).fetchone()
            if row is None:
                return False
            guild_id, story_id = int(row[0]), int(row[1])
            await conn.execute(
                "UPDATE story_reports SET status = ?, decided_by = ?, decided_by_name = ?, "
                "decided_at = ? WHERE guild_id = ? AND story_id = ? AND status = 'open'",
                (status.value, by, by_name, at, guild_id, story_id),
            )
            if status is ReportStatus.RESTORED:
                await conn.execute(
                    "DELETE FROM hidden_stories WHERE guild_id = ? AND story_id = ?",
                    (guild_id, story_id),
                )
                await self._library.counts_changed(guild_id)
        return True

    async def set_card(self, report_id: int, channel_id: int, message_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE story_reports SET card_channel_id = ?, card_message_id = ? WHERE id = ?",
                (channel_id, message_id, report_id),
            )

    async def open_cases(self, guild_id: int, limit: int) -> tuple[list[ReportRecord], int]:
        rows = await self.db.fetchall(
            f"SELECT {REPORT_COLUMNS} {_CASE_HEADS} ORDER BY r.id LIMIT ?", (guild_id, limit)
        )
        total = await self.db.fetchone(f"SELECT COUNT(*) {_CASE_HEADS}", (guild_id,))
        return [report_from(tuple(r)) for r in rows], int(total[0]) if total else 0

    async def guilds_with_uncarded_cases(self) -> list[int]:
        rows = await self.db.fetchall(UNCARDED_GUILDS_SQL)
        return [int(r[0]) for r in rows]

    # -- thanks and letters -------------------------------------------------------------

    async def thank(self, *, story_id: int, member_id: int, guild_id: int, at: str) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO story_thanks (story_id, member_id, guild_id, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (story_id, member_id, guild_id, at),
            )
            if cursor.rowcount != 1:
                return False
            # The member who shared it, unless they thanked their own story.
            await conn.execute(
                "INSERT INTO thanks_letters (member_id, waiting) "
                "SELECT member_id, 1 FROM submissions WHERE story_id = ? AND member_id != ? "
                "LIMIT 1 ON CONFLICT (member_id) DO UPDATE SET waiting = waiting + 1",
                (story_id, member_id),
            )
        return True

    async def claim_letters(self, now: int, next_at: int, limit: int) -> list[Letter]:
        rows = await self.db.write_returning(CLAIM_LETTERS_SQL, (next_at, now, limit))
        return [Letter(int(r[0]), int(r[1])) for r in rows]

    async def next_letter_at(self) -> int | None:
        row = await self.db.fetchone(NEXT_LETTER_SQL)
        return None if row is None or row[0] is None else int(row[0])

    async def set_letter_status(self, member_id: int, status: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE thanks_letters SET dm_status = ? WHERE member_id = ?", (status, member_id)
            )

    async def wants_letters(self, member_id: int) -> bool:
        row = await self.db.fetchone(
            "SELECT opted_out FROM thanks_letters WHERE member_id = ?", (member_id,)
        )
        return row is None or not row[0]

    async def set_wants_letters(self, member_id: int, wanted: bool) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO thanks_letters (member_id, opted_out) VALUES (?, ?) "
                "ON CONFLICT (member_id) DO UPDATE SET opted_out = excluded.opted_out",
                (member_id, 0 if wanted else 1),
            )

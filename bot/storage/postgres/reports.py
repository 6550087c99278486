"""SQL for reports on stories, the stories they hide per server, thanks and weekly letters,
on PostgreSQL.

Processes file reports side by side here: a member's reports take turns on an advisory
lock of that member (so the daily limit holds), and reports on one story in one server on
a lock of that story (so they make one case, hidden once). A weekly letter is claimed with
FOR UPDATE SKIP LOCKED, so two processes never send the same one.
"""

from __future__ import annotations

from typing import Any

from bot.records import Filed, Letter, ReportReason, ReportRecord, ReportStatus
from bot.storage.postgres.database import PgDatabase
from bot.storage.postgres.library import LibraryStore
from bot.storage.rows import REPORT_COLUMNS, UNCARDED_GUILDS_SQL, report_from

# Advisory locks share one key space per database; these families are a member's reports
# and the reports on one story in one server.
_REPORTER_LOCK = 0x5245_504D
_STORY_LOCK = 0x5245_5053

_CASE_HEADS = (
    "FROM story_reports r WHERE r.guild_id = $1 AND r.status = 'open' AND r.id = "
    "(SELECT MIN(o.id) FROM story_reports o WHERE o.guild_id = r.guild_id "
    "AND o.story_id = r.story_id AND o.status = 'open')"
)
CLAIM_LETTERS_SQL = (
    "UPDATE thanks_letters l SET last_count = l.waiting, waiting = 0, due_at = $1, "
    "dm_status = 'claimed' FROM (SELECT member_id FROM thanks_letters "
    "WHERE waiting > 0 AND opted_out = 0 AND due_at <= $2 ORDER BY due_at LIMIT $3 "
    "FOR UPDATE SKIP LOCKED) due WHERE l.member_id = due.member_id "
    "RETURNING l.member_id, l.last_count"
)
NEXT_LETTER_SQL = "SELECT MIN(due_at) FROM thanks_letters WHERE waiting > 0 AND opted_out = 0"
# What a scheduler pass of letters runs, for the query-plan test.
LETTER_QUERIES: dict[str, tuple[str, tuple[Any, ...]]] = {
    "claim_letters": (CLAIM_LETTERS_SQL, (1, 1, 10)),
    "next_letter": (NEXT_LETTER_SQL, ()),
}


def _key(family: int, a: int, b: int) -> int:
    """One signed 64-bit advisory lock key for a pair of ids in one family."""
    mixed = (a * 0x9E37_79B9_7F4A_7C15 ^ b ^ family) & (2**64 - 1)
    return mixed - 2**64 if mixed >= 2**63 else mixed


class ReportStore:
    def __init__(self, db: PgDatabase, library: LibraryStore) -> None:
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
            # The member first, then the story: every report takes them in this order, so
            # two reports never wait for each other's lock.
            await conn.execute(
                "SELECT pg_advisory_xact_lock($1)", _key(_REPORTER_LOCK, guild_id, reporter_id)
            )
            await conn.execute(
                "SELECT pg_advisory_xact_lock($1)", _key(_STORY_LOCK, guild_id, story_id)
            )
            recent = await conn.fetchval(
                "SELECT COUNT(*) FROM story_reports "
                "WHERE guild_id = $1 AND reporter_id = $2 AND created_at >= $3",
                guild_id,
                reporter_id,
                since,
            )
            if recent >= per_day:
                return None, Filed.LIMIT
            row = await conn.fetchrow(
                "SELECT EXISTS (SELECT 1 FROM hidden_stories WHERE guild_id = $1 "
                "AND story_id = $2), EXISTS (SELECT 1 FROM story_reports WHERE guild_id = $1 "
                "AND story_id = $2 AND status = 'open')",
                guild_id,
                story_id,
            )
            hidden, open_case = bool(row[0]), bool(row[1])
            if hidden and not open_case:
                return None, Filed.ALREADY_DOWN
            report_id = int(
                await conn.fetchval(
                    "INSERT INTO story_reports (guild_id, story_id, reporter_id, reason, detail, "
                    "created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    guild_id,
                    story_id,
                    reporter_id,
                    reason.value,
                    detail,
                    at,
                )
            )
            if open_case:
                return report_id, Filed.JOINED
            await conn.execute(
                "INSERT INTO hidden_stories (guild_id, story_id, hidden_at) VALUES ($1, $2, $3) "
                "ON CONFLICT DO NOTHING",
                guild_id,
                story_id,
                at,
            )
            await self._library.counts_changed(guild_id)
        return report_id, Filed.OPENED

    async def get(self, report_id: int) -> ReportRecord | None:
        row = await self.db.fetchrow(
            f"SELECT {REPORT_COLUMNS} FROM story_reports WHERE id = $1", report_id
        )
        return report_from(tuple(row)) if row else None

    async def case_size(self, guild_id: int, story_id: int) -> int:
        return int(
            await self.db.fetchval(
                "SELECT COUNT(*) FROM story_reports WHERE guild_id = $1 AND story_id = $2 "
                "AND status = 'open'",
                guild_id,
                story_id,
            )
        )

    async def case_head(self, guild_id: int, story_id: int) -> ReportRecord | None:
        row = await self.db.fetchrow(
            f"SELECT {REPORT_COLUMNS} FROM story_reports WHERE guild_id = $1 AND story_id = $2 "
            "AND status = 'open' ORDER BY id LIMIT 1",
            guild_id,
            story_id,
        )
        return report_from(tuple(row)) if row else None

    async def decide(
        self, report_id: int, status: ReportStatus, by: int, by_name: str, at: str
    ) -> bool:
        async with self.db.transaction() as conn:
            # The report's row lock: a second moderator's decision waits, then finds it
            # decided.
            row = await conn.fetchrow(
                "SELECT guild_id, story_id FROM story_reports WHERE id = $1 AND status = 'open' "
                "FOR UPDATE",
                report_id,
            )
            if row is None:
                return False
            guild_id, story_id = int(row[0]), int(row[1])
            await conn.execute(
                "UPDATE story_reports SET status = $1, decided_by = $2, decided_by_name = $3, "
                "decided_at = $4 WHERE guild_id = $5 AND story_id = $6 AND status = 'open'",
                status.value,
                by,
                by_name,
                at,
                guild_id,
                story_id,
            )
            if status is ReportStatus.RESTORED:
                await conn.execute(
                    "DELETE FROM hidden_stories WHERE guild_id = $1 AND story_id = $2",
                    guild_id,
                    story_id,
                )
                await self._library.counts_changed(guild_id)
        return True

    async def set_card(self, report_id: int, channel_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE story_reports SET card_channel_id = $1, card_message_id = $2 WHERE id = $3",
            channel_id,
            message_id,
            report_id,
        )

    async def open_cases(self, guild_id: int, limit: int) -> tuple[list[ReportRecord], int]:
        rows = await self.db.fetch(
            f"SELECT {REPORT_COLUMNS} {_CASE_HEADS} ORDER BY r.id LIMIT $2", guild_id, limit
        )
        total = await self.db.fetchval(f"SELECT COUNT(*) {_CASE_HEADS}", guild_id)
        return [report_from(tuple(r)) for r in rows], int(total)

    async def guilds_with_uncarded_cases(self) -> list[int]:
        rows = await self.db.fetch(UNCARDED_GUILDS_SQL)
        return [int(r[0]) for r in rows]

    # -- thanks and letters -------------------------------------------------------------

    async def thank(self, *, story_id: int, member_id: int, guild_id: int, at: str) -> bool:
        async with self.db.transaction() as conn:
            status = await conn.execute(
                "INSERT INTO story_thanks (story_id, member_id, guild_id, created_at) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                story_id,
                member_id,
                guild_id,
                at,
            )
            if status != "INSERT 0 1":
                return False
            # The member who shared it, unless they thanked their own story.
            await conn.execute(
                "INSERT INTO thanks_letters (member_id, waiting) "
                "SELECT member_id, 1 FROM submissions WHERE story_id = $1 AND member_id <> $2 "
                "LIMIT 1 ON CONFLICT (member_id) DO UPDATE "
                "SET waiting = thanks_letters.waiting + 1",
                story_id,
                member_id,
            )
        return True

    async def claim_letters(self, now: int, next_at: int, limit: int) -> list[Letter]:
        rows = await self.db.fetch(CLAIM_LETTERS_SQL, next_at, now, limit)
        return [Letter(int(r[0]), int(r[1])) for r in rows]

    async def next_letter_at(self) -> int | None:
        value = await self.db.fetchval(NEXT_LETTER_SQL)
        return None if value is None else int(value)

    async def set_letter_status(self, member_id: int, status: str) -> None:
        await self.db.execute(
            "UPDATE thanks_letters SET dm_status = $1 WHERE member_id = $2", status, member_id
        )

    async def wants_letters(self, member_id: int) -> bool:
        value = await self.db.fetchval(
            "SELECT opted_out FROM thanks_letters WHERE member_id = $1", member_id
        )
        return value is None or not value

    async def set_wants_letters(self, member_id: int, wanted: bool) -> None:
        await self.db.execute(
            "INSERT INTO thanks_letters (member_id, opted_out) VALUES ($1, $2) "
            "ON CONFLICT (member_id) DO UPDATE SET opted_out = excluded.opted_out",
            member_id,
            0 if wanted else 1,
        )

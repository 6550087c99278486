"""SQL for members' own preferences."""

from __future__ import annotations

from bot.notes import decode, encode
from bot.records import MemberPreferences
from bot.storage.sqlite.database import Database

# Read by every /story: named for the query-plan test.
PREFERENCES_SQL = "SELECT skipped_notes, show_unhidden FROM member_preferences WHERE member_id = ?"


class PreferenceStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, member_id: int) -> MemberPreferences:
        row = await self.db.fetchone(PREFERENCES_SQL, (member_id,))
        if row is None:
            return MemberPreferences(member_id)
        return MemberPreferences(member_id, frozenset(decode(row[0])), bool(row[1]))

    async def save(self, preferences: MemberPreferences, now: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO member_preferences (member_id, skipped_notes, show_unhidden, "
                "updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET "
                "skipped_notes = excluded.skipped_notes, "
                "show_unhidden = excluded.show_unhidden, updated_at = excluded.updated_at",
                (
                    preferences.member_id,
                    encode(sorted(preferences.skipped)),
                    int(preferences.show_unhidden),
                    now,
                ),
            )

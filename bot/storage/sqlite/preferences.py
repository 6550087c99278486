"""SQL for members' own preferences."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.notes import encode
from bot.records import MemberPreferences
from bot.storage.batching import Lookup
from bot.storage.rows import preferences_from
from bot.storage.sqlite.database import Database

# Read by every /story (for many members at once): named for the query-plan test.
PREFERENCES_SQL = (
    "SELECT member_id, skipped_notes, show_unhidden FROM member_preferences "
    "WHERE member_id IN (SELECT value FROM json_each(?))"
)


class PreferenceStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._lookup = Lookup(db, self._get_many, name="preference-lookups")

    async def get(self, member_id: int) -> MemberPreferences:
        return await self._lookup.get(member_id)

    async def _get_many(self, member_ids: Sequence[int]) -> list[MemberPreferences]:
        rows = await self.db.fetchall(PREFERENCES_SQL, (json.dumps(sorted(set(member_ids))),))
        return preferences_from(member_ids, rows)

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

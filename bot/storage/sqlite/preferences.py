"""SQL for members' own preferences."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.notes import encode
from bot.records import MemberPreferences
from bot.storage.batching import Lookup
from bot.storage.held import HeldRows
from bot.storage.rows import preferences_from
from bot.storage.sqlite.database import Database

SAVED_SQL = "SELECT member_id FROM member_preferences"
# Read by a /story of a member who saved preferences (for many at once): named for the
# query-plan test.
PREFERENCES_SQL = (
    "SELECT member_id, skipped_notes, show_unhidden FROM member_preferences "
    "WHERE member_id IN (SELECT value FROM json_each(?))"
)


class PreferenceStore:
    """Only the members who ever saved preferences are held (their ids, not their rows),
    so any other member's /story reads nothing: a member's row is read when they ask."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lookup = Lookup(db, self._get_many, name="preference-lookups")
        self._saved: HeldRows[int, bool] = HeldRows(
            self._all_saved, self._one_saved, name="members with preferences"
        )

    async def close(self) -> None:
        await self._saved.close()

    async def get(self, member_id: int) -> MemberPreferences:
        if not await self._saved.get(member_id):
            return MemberPreferences(member_id)
        return await self._lookup.get(member_id)

    async def _all_saved(self) -> list[tuple[int, bool]]:
        return [(row[0], True) for row in await self.db.fetchall(SAVED_SQL)]

    async def _one_saved(self, member_id: int) -> bool | None:
        found = await self.db.fetchone(SAVED_SQL + " WHERE member_id = ?", (member_id,))
        return True if found is not None else None

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
        self._saved.put(preferences.member_id, True)

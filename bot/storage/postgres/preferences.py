"""SQL for members' own preferences on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from bot.notes import encode
from bot.records import MemberPreferences
from bot.storage.batching import Lookup
from bot.storage.postgres.database import PgDatabase
from bot.storage.rows import preferences_from

# Read by every /story (for many members at once): named for the query-plan test.
PREFERENCES_SQL = (
    "SELECT member_id, skipped_notes, show_unhidden FROM member_preferences "
    "WHERE member_id = ANY($1::bigint[])"
)


class PreferenceStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db
        self._lookup = Lookup(db, self._get_many, name="preference-lookups", runners=2)

    async def get(self, member_id: int) -> MemberPreferences:
        return await self._lookup.get(member_id)

    async def _get_many(self, member_ids: Sequence[int]) -> list[MemberPreferences]:
        rows = await self.db.fetch(PREFERENCES_SQL, list(set(member_ids)))
        return preferences_from(member_ids, rows)

    async def save(self, preferences: MemberPreferences, now: str) -> None:
        await self.db.execute(
            "INSERT INTO member_preferences (member_id, skipped_notes, show_unhidden, "
            "updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (member_id) DO UPDATE SET "
            "skipped_notes = excluded.skipped_notes, show_unhidden = excluded.show_unhidden, "
            "updated_at = excluded.updated_at",
            preferences.member_id,
            encode(sorted(preferences.skipped)),
            int(preferences.show_unhidden),
            now,
        )

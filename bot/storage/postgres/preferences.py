"""SQL for members' own preferences on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from bot.notes import encode
from bot.records import MemberPreferences
from bot.storage.batching import Lookup
from bot.storage.held import HeldRows
from bot.storage.postgres.database import Connection, PgDatabase
from bot.storage.postgres.listening import Listener
from bot.storage.rows import preferences_from

SAVED_SQL = "SELECT member_id FROM member_preferences"
# Read by a /story of a member who saved preferences (for many at once): named for the
# query-plan test.
PREFERENCES_SQL = (
    "SELECT member_id, skipped_notes, show_unhidden FROM member_preferences "
    "WHERE member_id = ANY($1::bigint[])"
)

# Where a process says "this member saved preferences" to the others.
PREFERENCES_CHANNEL = "bedside_preferences"


class PreferenceStore:
    """Only the members who ever saved preferences are held (their ids, not their rows),
    so any other member's /story reads nothing: a member's row is read when they ask."""

    def __init__(self, db: PgDatabase, listener: Listener) -> None:
        self.db = db
        self._lookup = Lookup(db, self._get_many, name="preference-lookups", runners=2)
        self._saved: HeldRows[int, bool] = HeldRows(
            self._all_saved, self._one_saved, name="members with preferences"
        )
        listener.subscribe(
            PREFERENCES_CHANNEL, lambda key: self._saved.heard(int(key)), self._saved.load
        )

    async def close(self) -> None:
        await self._saved.close()

    async def get(self, member_id: int) -> MemberPreferences:
        if not await self._saved.get(member_id):
            return MemberPreferences(member_id)
        return await self._lookup.get(member_id)

    async def _all_saved(self) -> list[tuple[int, bool]]:
        return [(row[0], True) for row in await self.db.fetch(SAVED_SQL)]

    async def _one_saved(self, member_id: int) -> bool | None:
        found = await self.db.fetchval(SAVED_SQL + " WHERE member_id = $1", member_id)
        return True if found is not None else None

    async def _get_many(self, member_ids: Sequence[int]) -> list[MemberPreferences]:
        rows = await self.db.fetch(PREFERENCES_SQL, list(set(member_ids)))
        return preferences_from(member_ids, rows)

    async def save(self, preferences: MemberPreferences, now: str) -> None:
        async with self.db.transaction() as conn:
            await self._write(conn, preferences, now)
            # In the transaction, so the others hear of it once the row is there to read.
            await conn.execute(
                "SELECT pg_notify($1, $2)", PREFERENCES_CHANNEL, str(preferences.member_id)
            )
        self._saved.put(preferences.member_id, True)

    @staticmethod
    async def _write(conn: Connection, preferences: MemberPreferences, now: str) -> None:
        await conn.execute(
            "INSERT INTO member_preferences (member_id, skipped_notes, show_unhidden, "
            "updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (member_id) DO UPDATE SET "
            "skipped_notes = excluded.skipped_notes, show_unhidden = excluded.show_unhidden, "
            "updated_at = excluded.updated_at",
            preferences.member_id,
            encode(sorted(preferences.skipped)),
            int(preferences.show_unhidden),
            now,
        )

"""SQL for per-server settings."""

from __future__ import annotations

from collections.abc import Sequence

from bot.notes import encode
from bot.records import ModerationSettings
from bot.storage.batching import Lookup
from bot.storage.postgres.database import PgDatabase
from bot.storage.rows import hidden_notes_from

# Read by every /story (for many servers at once): named for the query-plan test.
HIDDEN_NOTES_SQL = (
    "SELECT guild_id, notes FROM guild_hidden_notes WHERE guild_id = ANY($1::bigint[])"
)


class GuildSettingsStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db
        self._hidden = Lookup(db, self._hidden_many, name="hidden-notes-lookups", runners=2)

    async def get(self, guild_id: int) -> ModerationSettings:
        row = await self.db.fetchrow(
            "SELECT mod_channel_id, mod_role_id FROM guild_settings WHERE guild_id = $1",
            guild_id,
        )
        if row is None:
            return ModerationSettings(guild_id, None, None)
        return ModerationSettings(guild_id, row[0], row[1])

    async def set_moderation(
        self, guild_id: int, channel_id: int | None, role_id: int | None, now: str
    ) -> None:
        await self.db.execute(
            "INSERT INTO guild_settings (guild_id, mod_channel_id, mod_role_id, updated_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (guild_id) DO UPDATE SET "
            "mod_channel_id = excluded.mod_channel_id, mod_role_id = excluded.mod_role_id, "
            "updated_at = excluded.updated_at",
            guild_id,
            channel_id,
            role_id,
            now,
        )

    async def hidden_notes(self, guild_id: int) -> tuple[str, ...] | None:
        return await self._hidden.get(guild_id)

    async def _hidden_many(self, guild_ids: Sequence[int]) -> list[tuple[str, ...] | None]:
        rows = await self.db.fetch(HIDDEN_NOTES_SQL, list(set(guild_ids)))
        return hidden_notes_from(guild_ids, rows)

    async def set_hidden_notes(self, guild_id: int, notes: Sequence[str], now: str) -> None:
        await self.db.execute(
            "INSERT INTO guild_hidden_notes (guild_id, notes, updated_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (guild_id) DO UPDATE SET notes = excluded.notes, "
            "updated_at = excluded.updated_at",
            guild_id,
            encode(notes),
            now,
        )

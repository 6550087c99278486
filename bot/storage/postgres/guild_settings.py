"""SQL for per-server settings."""

from __future__ import annotations

from collections.abc import Sequence

from bot.notes import decode, encode
from bot.records import ModerationSettings
from bot.storage.held import HeldRows
from bot.storage.postgres.database import PgDatabase
from bot.storage.postgres.listening import Listener

HIDDEN_NOTES_SQL = "SELECT notes FROM guild_hidden_notes WHERE guild_id = $1"
# Where a process says "this server's hidden notes changed" to the others.
HIDDEN_NOTES_CHANNEL = "bedside_hidden_notes"


class GuildSettingsStore:
    def __init__(self, db: PgDatabase, listener: Listener) -> None:
        self.db = db
        self._hidden: HeldRows[int, tuple[str, ...]] = HeldRows(
            self._all_hidden, self._one_hidden, name="servers' hidden notes"
        )
        listener.subscribe(
            HIDDEN_NOTES_CHANNEL, lambda key: self._hidden.heard(int(key)), self._hidden.load
        )

    async def close(self) -> None:
        await self._hidden.close()

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

    async def _all_hidden(self) -> list[tuple[int, tuple[str, ...]]]:
        rows = await self.db.fetch("SELECT guild_id, notes FROM guild_hidden_notes")
        return [(row[0], decode(row[1])) for row in rows]

    async def _one_hidden(self, guild_id: int) -> tuple[str, ...] | None:
        notes = await self.db.fetchval(HIDDEN_NOTES_SQL, guild_id)
        return None if notes is None else decode(notes)

    async def set_hidden_notes(self, guild_id: int, notes: Sequence[str], now: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guild_hidden_notes (guild_id, notes, updated_at) "
                "VALUES ($1, $2, $3) ON CONFLICT (guild_id) DO UPDATE SET "
                "notes = excluded.notes, updated_at = excluded.updated_at",
                guild_id,
                encode(notes),
                now,
            )
            # In the transaction, so the others hear of it once the change is there to read.
            await conn.execute("SELECT pg_notify($1, $2)", HIDDEN_NOTES_CHANNEL, str(guild_id))
        self._hidden.put(guild_id, tuple(notes))

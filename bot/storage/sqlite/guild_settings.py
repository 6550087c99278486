"""SQL for per-server settings."""

from __future__ import annotations

from collections.abc import Sequence

from bot.notes import decode, encode
from bot.records import ModerationSettings
from bot.storage.held import HeldRows
from bot.storage.sqlite.database import Database

HIDDEN_NOTES_SQL = "SELECT notes FROM guild_hidden_notes WHERE guild_id = ?"


class GuildSettingsStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._hidden: HeldRows[int, tuple[str, ...]] = HeldRows(
            self._all_hidden, self._one_hidden, name="servers' hidden notes"
        )

    async def close(self) -> None:
        await self._hidden.close()

    async def get(self, guild_id: int) -> ModerationSettings:
        row = await self.db.fetchone(
            "SELECT mod_channel_id, mod_role_id FROM guild_settings WHERE guild_id = ?",
            (guild_id,),
        )
        if row is None:
            return ModerationSettings(guild_id, None, None)
        return ModerationSettings(guild_id, row[0], row[1])

    async def set_moderation(
        self, guild_id: int, channel_id: int | None, role_id: int | None, now: str
    ) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, mod_channel_id, mod_role_id, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
                "mod_channel_id = excluded.mod_channel_id, mod_role_id = excluded.mod_role_id, "
                "updated_at = excluded.updated_at",
                (guild_id, channel_id, role_id, now),
            )

    async def hidden_notes(self, guild_id: int) -> tuple[str, ...] | None:
        return await self._hidden.get(guild_id)

    async def _all_hidden(self) -> list[tuple[int, tuple[str, ...]]]:
        rows = await self.db.fetchall("SELECT guild_id, notes FROM guild_hidden_notes")
        return [(row[0], decode(row[1])) for row in rows]

    async def _one_hidden(self, guild_id: int) -> tuple[str, ...] | None:
        row = await self.db.fetchone(HIDDEN_NOTES_SQL, (guild_id,))
        return None if row is None else decode(row[0])

    async def set_hidden_notes(self, guild_id: int, notes: Sequence[str], now: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guild_hidden_notes (guild_id, notes, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET notes = excluded.notes, "
                "updated_at = excluded.updated_at",
                (guild_id, encode(notes), now),
            )
        self._hidden.put(guild_id, tuple(notes))

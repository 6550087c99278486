"""SQL for per-server settings."""

from __future__ import annotations

from bot.records import ModerationSettings
from bot.storage.postgres.database import PgDatabase


class GuildSettingsStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

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

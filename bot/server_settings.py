"""Per-server settings: where submissions wait, who may decide them, and what is hidden."""

from __future__ import annotations

from collections.abc import Iterable

from bot.clock import Clock
from bot.errors import DomainError
from bot.notes import DEFAULT_HIDDEN, known
from bot.records import ModerationSettings
from bot.stores import GuildSettingsStore


class ServerSettings:
    def __init__(self, store: GuildSettingsStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def moderation(self, guild_id: int) -> ModerationSettings:
        return await self._store.get(guild_id)

    async def mod_channel(self, guild_id: int) -> int | None:
        return (await self._store.get(guild_id)).mod_channel_id

    async def set_moderation(
        self,
        guild_id: int,
        channel_id: int,
        role_id: int | None = None,
        *,
        clear_role: bool = False,
    ) -> ModerationSettings:
        """Choose the moderator channel; the moderator role changes only when a new one is
        given or ``clear_role`` asks, so setting the channel again never drops it."""
        if role_id is not None and clear_role:
            raise DomainError(
                "Please either choose a moderator role or clear it, not both at once."
            )
        if role_id is None and not clear_role:
            role_id = (await self._store.get(guild_id)).mod_role_id
        await self._store.set_moderation(guild_id, channel_id, role_id, self._clock().isoformat())
        return ModerationSettings(guild_id, channel_id, role_id)

    async def hidden_notes(self, guild_id: int | None) -> frozenset[str]:
        """The notes whose stories go behind a spoiler here; outside a server, the default."""
        if guild_id is None:
            return DEFAULT_HIDDEN
        chosen = await self._store.hidden_notes(guild_id)
        return DEFAULT_HIDDEN if chosen is None else frozenset(chosen)

    async def set_hidden_notes(self, guild_id: int, notes: Iterable[str]) -> frozenset[str]:
        """Hide the stories with any of ``notes`` (unknown ones are dropped); what is now hidden."""
        chosen = known(notes)
        await self._store.set_hidden_notes(guild_id, chosen, self._clock().isoformat())
        return frozenset(chosen)

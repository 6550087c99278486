"""Members' own preferences: notes they never want drawn for them, and hidden or not.

Kept by member id alone, so a member chooses once for every server and DM; nobody else
sees or changes them. The defaults (nothing skipped, hidden as the server hides) change
nothing, so a member who never opens /preferences costs one missed lookup a story.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from bot.clock import Clock
from bot.notes import known
from bot.records import MemberPreferences
from bot.stores import PreferenceStore


class Preferences:
    def __init__(self, store: PreferenceStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def of(self, member_id: int) -> MemberPreferences:
        return await self._store.get(member_id)

    async def skip(self, member_id: int, notes: Iterable[str]) -> MemberPreferences:
        """Never draw a story with any of ``notes`` for this member (unknown ones dropped)."""
        current = await self._store.get(member_id)
        return await self._save(replace(current, skipped=frozenset(known(notes))))

    async def show_unhidden(self, member_id: int, unhidden: bool) -> MemberPreferences:
        current = await self._store.get(member_id)
        return await self._save(replace(current, show_unhidden=unhidden))

    async def _save(self, preferences: MemberPreferences) -> MemberPreferences:
        await self._store.save(preferences, self._clock().isoformat())
        return preferences

"""The SQLite engine: one file, one writer, read-only connections beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.storage.sqlite.database import CHECKPOINT_EVERY, open_database
from bot.storage.sqlite.gateway import GatewayStore
from bot.storage.sqlite.guild_settings import GuildSettingsStore
from bot.storage.sqlite.library import LibraryStore
from bot.storage.sqlite.preferences import PreferenceStore
from bot.storage.sqlite.reports import ReportStore
from bot.storage.sqlite.schedules import ScheduleStore
from bot.storage.sqlite.submissions import SubmissionStore
from bot.stores import Storage


@asynccontextmanager
async def open_sqlite(
    path: Path, *, checkpoint_every: float = CHECKPOINT_EVERY
) -> AsyncIterator[Storage]:
    """The stores on the database file at ``path`` (created and migrated if need be)."""
    async with open_database(path, checkpoint_every=checkpoint_every) as db:
        library = LibraryStore(db)
        guild_settings = GuildSettingsStore(db)
        preferences = PreferenceStore(db)
        try:
            yield Storage(
                engine="sqlite",
                library=library,
                schedules=ScheduleStore(db),
                submissions=SubmissionStore(db),
                guild_settings=guild_settings,
                preferences=preferences,
                reports=ReportStore(db, library),
                gateway=GatewayStore(db),
            )
        finally:
            await library.close()
            await guild_settings.close()
            await preferences.close()

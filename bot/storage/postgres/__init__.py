"""The PostgreSQL engine (asyncpg), for several shard processes on one database.

Import it only when DATABASE_URL asks for PostgreSQL: asyncpg is an optional extra
(``pip install "bedside-stories[postgres]"``), and the SQLite default must not need it.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.storage.errors import StorageUnavailable
from bot.storage.postgres.connecting import redact_url
from bot.storage.postgres.database import PgDatabase, open_postgres
from bot.storage.postgres.gateway import GatewayStore
from bot.storage.postgres.guild_settings import GuildSettingsStore
from bot.storage.postgres.library import LibraryStore
from bot.storage.postgres.listening import Listener
from bot.storage.postgres.preferences import PreferenceStore
from bot.storage.postgres.reports import ReportStore
from bot.storage.postgres.schedules import ScheduleStore
from bot.storage.postgres.submissions import SubmissionStore
from bot.stores import Storage


@asynccontextmanager
async def open_postgres_storage(url: str) -> AsyncIterator[Storage]:
    """The stores on the PostgreSQL database at ``url``, migrated to the newest schema."""
    async with open_postgres(url) as db:
        # One LISTEN connection for every store that hears of other processes' changes.
        listener = Listener(db.connect_listener)
        library = LibraryStore(db, listener)
        guild_settings = GuildSettingsStore(db, listener)
        preferences = PreferenceStore(db, listener)
        try:
            yield Storage(
                engine="postgresql",
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


__all__ = [
    "PgDatabase",
    "StorageUnavailable",
    "open_postgres",
    "open_postgres_storage",
    "redact_url",
]

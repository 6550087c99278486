"""The storage layer: the only code that knows the database engine or holds SQL.

Each engine lives in its own package and hands the core the same stores (bot.stores).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.settings import Settings
from bot.storage.errors import StorageUnavailable
from bot.stores import Storage


@asynccontextmanager
async def open_storage(settings: Settings) -> AsyncIterator[Storage]:
    """The stores of the database ``settings`` name, migrated to the newest schema."""
    if settings.database_url is not None:
        # Imported here: asyncpg is an optional extra that a SQLite bot need not have.
        from bot.storage.postgres import open_postgres_storage

        async with open_postgres_storage(settings.database_url) as storage:
            yield storage
        return
    from bot.storage.sqlite import open_sqlite

    assert settings.database_path is not None  # settings name one engine or the other
    async with open_sqlite(settings.database_path) as storage:
        yield storage


__all__ = ["StorageUnavailable", "open_storage"]

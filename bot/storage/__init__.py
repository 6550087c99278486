"""The storage layer: the only code that knows the database engine or holds SQL.

Each engine lives in its own package and hands the core the same stores (bot.stores).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.settings import Settings
from bot.stores import Storage


@asynccontextmanager
async def open_storage(settings: Settings) -> AsyncIterator[Storage]:
    """The stores of the database ``settings`` name, migrated to the newest schema."""
    from bot.storage.sqlite import open_sqlite

    async with open_sqlite(settings.database_path) as storage:
        yield storage


__all__ = ["open_storage"]

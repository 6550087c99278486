"""The storage layer: the only code that knows the database engine or holds SQL."""

from bot.storage.database import Database, open_database

__all__ = ["Database", "open_database"]

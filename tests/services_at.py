"""Open the real services on a real database in a test's folder, without Discord.

``database`` (the conftest fixture) is the settings that name one engine's fresh database:
a SQLite file in the test's folder, or a new database on the session's PostgreSQL server.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from bot.services import Services
from bot.settings import DEFAULT_DATA_DIR, Settings, load_settings
from bot.storage.sqlite.database import Database


def settings_at(database: dict[str, str], data_dir: Path = DEFAULT_DATA_DIR) -> Settings:
    return load_settings({**database, "DATA_DIR": str(data_dir)}, require_token=False)


def copy_bundled_data(folder: Path) -> Path:
    """A copy of ``data/`` a test may edit, as a maintainer would edit the real one."""
    shutil.copytree(DEFAULT_DATA_DIR, folder)
    return folder


def sqlite_db(services: Services) -> Database:
    """The SQLite engine's own connection, for tests of what only that engine does."""
    db = getattr(services.storage.library, "db", None)
    assert isinstance(db, Database), "this test is about the SQLite engine"
    return db


def _numbered(sql: str) -> str:
    counter = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


async def sql_rows(services: Services, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """What a test checks behind the stores' backs, on either engine (``?`` placeholders)."""
    db: Any = services.storage.library.db  # type: ignore[attr-defined]
    if services.storage.engine == "sqlite":
        async with db.transaction() as conn:
            rows = await conn.execute_fetchall(sql, params)
        return [tuple(r) for r in rows]
    async with db.transaction() as conn:
        return [tuple(r) for r in await conn.fetch(_numbered(sql), *params)]

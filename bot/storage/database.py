"""One owner of the aiosqlite connection, its transactions and its migrations."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.shuffle import permute

log = logging.getLogger(__name__)

MIGRATIONS_PACKAGE = "bot.storage"


def _split_statements(script: str) -> list[str]:
    """Split a migration into statements; sqlite3 knows where one really ends."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                statements.append(pending.strip())
            pending = ""
    if pending.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in pending.splitlines()
    ):
        raise ValueError("a migration ends with an incomplete statement")
    return statements


def migrations() -> list[tuple[int, str, str]]:
    """Every bundled migration as (version, name, sql), oldest first."""
    found = []
    folder = resources.files(MIGRATIONS_PACKAGE).joinpath("migrations")
    for entry in folder.iterdir():
        name = entry.name
        if not name.endswith(".sql"):
            continue
        version = int(name.split("_", 1)[0])
        found.append((version, name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError("two migrations share a version number")
    return found


class Database:
    """Owns the connection. Writes go through :meth:`transaction`, one at a time.

    aiosqlite runs every statement on one thread, so two coroutines writing at once would
    otherwise interleave their statements inside one SQLite transaction.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None

    @property
    def conn(self) -> aiosqlite.Connection:
        return self._conn

    def in_transaction(self) -> bool:
        """Whether the current task holds an open transaction (and so the write lock)."""
        task = asyncio.current_task()
        return task is not None and self._owner is task

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One transaction; a transaction opened inside it by the same task joins it.

        Joining lets a caller make several storage calls one atomic change (an import
        that fails half-way leaves nothing behind) without every method taking a flag.
        """
        task = asyncio.current_task()
        if task is not None and self._owner is task:
            yield self._conn
            return
        async with self._write_lock:
            self._owner = task
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                else:
                    await self._conn.execute("COMMIT")
            finally:
                self._owner = None

    # execute_fetchall is one trip to aiosqlite's thread; execute + fetch + close would be
    # three, and under load every trip waits for a turn of the event loop.
    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self._conn.execute_fetchall(sql, tuple(params))
        return next(iter(rows), None)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return list(await self._conn.execute_fetchall(sql, tuple(params)))

    async def write_returning(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """One statement (with RETURNING) as its own atomic change, in one trip.

        It waits for any open transaction of another task instead of joining it, and holds
        the write lock for that one trip only.
        """
        task = asyncio.current_task()
        if task is not None and self._owner is task:
            return list(await self._conn.execute_fetchall(sql, tuple(params)))
        async with self._write_lock:
            return list(await self._conn.execute_fetchall(sql, tuple(params)))

    async def schema_version(self) -> int:
        row = await self.fetchone("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(row[0]) if row else 0

    async def migrate(self) -> list[int]:
        """Apply every migration newer than the database, each in its own transaction."""
        await self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        current = await self.schema_version()
        applied: list[int] = []
        for version, name, sql in migrations():
            if version <= current:
                continue
            async with self.transaction() as conn:
                for statement in _split_statements(sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, datetime.now(UTC).isoformat()),
                )
            log.info("applied migration %s (%s)", version, name)
            applied.append(version)
        return applied

    async def close(self) -> None:
        await self._conn.close()


@asynccontextmanager
async def open_database(path: Path) -> AsyncIterator[Database]:
    """Open (creating if needed) the database at ``path``, migrated to the newest schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        # A checkpoint every ~40 MB of WAL instead of 4 MB: pages the scheduler and draws
        # change again and again are copied into the database file less often.
        await conn.execute("PRAGMA wal_autocheckpoint=10000")
        await conn.execute("PRAGMA foreign_keys=ON")
        # The draw statement walks the shuffled round inside SQLite (see DRAW_SQL).
        await conn.create_function("round_slot", 3, permute, deterministic=True)
        # A second process (or a racing scheduler) waits for the writer instead of failing.
        await conn.execute("PRAGMA busy_timeout=5000")
        db = Database(conn, path)
        await db.migrate()
        yield db
    finally:
        await conn.close()

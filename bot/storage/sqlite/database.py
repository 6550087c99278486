"""One owner of the aiosqlite connection, its transactions and its migrations."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.migration_files import Migration, bundled_migrations
from bot.tasks import cancel_and_wait

log = logging.getLogger(__name__)

MIGRATIONS_PACKAGE = "bot.storage.sqlite"
# How often the write-ahead log is copied into the database file, from a connection of
# its own (see Checkpointer).
CHECKPOINT_EVERY = 1.0
# Past this many pages (about 16 MB) the log is copied with our writes held back for a
# moment, so that the next write can start the log over instead of growing it.
WAL_RESET_PAGES = 4_000
# Only if all that falls behind does a commit copy the log itself, once it is this many
# pages (about 400 MB); SQLite's own default is 1,000.
WAL_SAFETY_PAGES = 100_000
# Read-only connections that read drawn stories side by side (see bot.storage.draws). On
# its own the disk here serves about eight reads at once before more stop helping, but
# every reader is one more thread taking the GIL from the event loop: serving /story at a
# million stories, four beat eight in seven runs out of seven (by 0.02-0.05 of the
# baseline's throughput), cold or warm, and two lose when the disk is cold.
READERS = 4
# Their reads land all over the file, so a page cache of their own saves little; the
# host's cache is shared by all of them.
READER_CACHE_KIB = 256


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


def migrations() -> list[Migration]:
    """Every bundled SQLite migration, oldest first."""
    return bundled_migrations(MIGRATIONS_PACKAGE)


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
        self.checkpointer: Checkpointer | None = None
        # Connections for reads that may run beside the writer and each other.
        self.readers: list[aiosqlite.Connection] = []

    @property
    def conn(self) -> aiosqlite.Connection:
        return self._conn

    def in_transaction(self) -> bool:
        """Whether the current task holds an open transaction (and so the write lock)."""
        task = asyncio.current_task()
        return task is not None and self._owner is task

    @asynccontextmanager
    async def writes_held(self) -> AsyncIterator[None]:
        """No write of this process starts until the block ends (the Checkpointer's)."""
        async with self._write_lock:
            yield

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

    async def open_readers(self, count: int) -> None:
        for _ in range(count):
            reader = await aiosqlite.connect(self.path, isolation_level=None)
            self.readers.append(reader)
            await reader.execute("PRAGMA query_only=1")
            await reader.execute(f"PRAGMA cache_size=-{READER_CACHE_KIB}")

    async def close(self) -> None:
        readers, self.readers = self.readers, []
        for reader in readers:
            await reader.close()
        await self._conn.close()


class Checkpointer:
    """Copies the write-ahead log into the database file in the background.

    A checkpoint ends in an fsync of the database file, which on a virtual disk can take
    tens of milliseconds. Left to SQLite, the commit that fills the log does it, in the
    middle of a /story draw, while every member waiting on that draw waits too; measured
    at a million stories, that cost a fifth of /story throughput. Here a second
    connection, on a thread of its own, does it every ``every`` seconds instead.
    PASSIVE never blocks the serving connection: it copies what no reader still needs.

    The log only starts over when a write begins with all of it copied, which under a
    steady stream of writes may never happen by chance. So once it is long, the copy is
    finished while :class:`Database` holds its writes back: what is left by then is the
    little written since the first copy began.
    """

    def __init__(self, path: Path, every: float, db: Database) -> None:
        self._path = path
        self._db = db
        self._every = every
        self._conn: aiosqlite.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        # (frames in the log, frames of them in the database file) at the last run.
        self.last: tuple[int, int] = (0, 0)

    async def start(self) -> None:
        self._conn = await aiosqlite.connect(self._path, isolation_level=None)
        await self._conn.execute("PRAGMA busy_timeout=5000")
        # Not named "bedside-...": the bench's settle() waits for those, and this never ends.
        self._task = asyncio.create_task(self._loop(), name="database-checkpoints")

    async def run_once(self) -> tuple[int, int]:
        """Copy what can be copied now: (frames in the log, frames of them copied)."""
        logged, _ = await self._copy()
        if logged >= WAL_RESET_PAGES:
            async with self._db.writes_held():
                await self._copy()
        return self.last

    async def _copy(self) -> tuple[int, int]:
        if self._conn is None:
            return self.last
        rows = await self._conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        _, logged, copied = next(iter(rows), (0, 0, 0))
        self.last = (int(logged), int(copied))
        return self.last

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await self.run_once()
            except Exception:
                log.exception("copying the write-ahead log into the database failed")

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


@asynccontextmanager
async def open_database(
    path: Path, *, checkpoint_every: float = CHECKPOINT_EVERY
) -> AsyncIterator[Database]:
    """Open (creating if needed) the database at ``path``, migrated to the newest schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(path, isolation_level=None)
    db: Database | None = None
    try:
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        # The Checkpointer copies the log into the file; a commit does only as a last resort.
        await conn.execute(f"PRAGMA wal_autocheckpoint={WAL_SAFETY_PAGES}")
        await conn.execute("PRAGMA foreign_keys=ON")
        # A second process (or a racing scheduler) waits for the writer instead of failing.
        await conn.execute("PRAGMA busy_timeout=5000")
        db = Database(conn, path)
        await db.migrate()
        db.checkpointer = Checkpointer(path, checkpoint_every, db)
        await db.checkpointer.start()
        await db.open_readers(READERS)
        yield db
    finally:
        if db is not None and db.checkpointer is not None:
            await db.checkpointer.close()
        if db is not None:
            await db.close()
        else:
            await conn.close()

"""One owner of the asyncpg pool, its transactions and the PostgreSQL migrations."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.storage.migration_files import Migration, bundled_migrations
from bot.storage.postgres.connecting import redact_url, unavailable

log = logging.getLogger(__name__)

MIGRATIONS_PACKAGE = "bot.storage.postgres"
# Any fixed number will do, as long as every process of the bot takes the same one. Advisory
# locks are per database, so two bots on one server but different databases never meet.
MIGRATION_LOCK = 0x6265_6473_6964_6501
# Shard processes share one server, so each keeps its share of max_connections small; the
# event loop, not the pool, is what limits one process.
POOL_MIN = 1
POOL_MAX = 10
# Nothing here is for outages: asyncpg replaces a connection the server dropped (a restart)
# at its next acquire, and a statement on one it has not noticed yet fails once and is
# given back closed. Only the LISTEN connection, outside the pool, needs help (listening.py).
# A statement that runs this long is a bug or a lock held by someone else; failing it
# frees the connection instead of stalling every member waiting behind it.
COMMAND_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0
APPLICATION_NAME = "bedside-stories"

CREATE_SCHEMA_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
)
# What connecting may raise; connecting.unavailable picks out those that whoever runs the
# bot can fix from DATABASE_URL or the server, and the rest go up as they are.
CONNECT_FAILURES = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    ValueError,
)

Connection = PoolConnectionProxy


def migrations() -> list[Migration]:
    """Every bundled PostgreSQL migration, oldest first."""
    return bundled_migrations(MIGRATIONS_PACKAGE)


class PgDatabase:
    """Owns the pool. A task's transaction has one connection; other work uses the pool.

    Unlike SQLite there is no write lock: PostgreSQL lets transactions run side by side,
    and a store that must be alone takes a row lock (``FOR UPDATE``) for it.
    """

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool = pool
        self._url = url
        # Keyed by task, not a ContextVar: a task started inside a transaction copies the
        # context, and two tasks on one connection would fail with "another operation is
        # in progress" (or worse, write inside a transaction they do not own).
        self._transactions: dict[asyncio.Task[Any], Connection] = {}

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool

    def _joined(self) -> Connection | None:
        task = asyncio.current_task()
        return None if task is None else self._transactions.get(task)

    def in_transaction(self) -> bool:
        """Whether the current task holds an open transaction."""
        return self._joined() is not None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """One transaction; a transaction opened inside it by the same task joins it.

        Joining lets a caller make several storage calls one atomic change, as with
        SQLite's ``Database.transaction``. A joined block opens no savepoint: if it fails,
        the whole transaction rolls back when the failure leaves the outer block.
        """
        joined = self._joined()
        if joined is not None:
            yield joined
            return
        task = asyncio.current_task()
        async with self._pool.acquire() as conn, conn.transaction():
            if task is not None:
                self._transactions[task] = conn
            try:
                yield conn
            finally:
                if task is not None:
                    self._transactions.pop(task, None)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """One connection for several statements: the task's transaction's, if it has one.

        Outside a transaction each statement commits on its own, as with the helpers below;
        keeping one connection saves acquiring and releasing it for each.
        """
        joined = self._joined()
        if joined is not None:
            yield joined
            return
        async with self._pool.acquire() as conn:
            yield conn

    # Each helper runs inside the current task's transaction if it has one, so a store
    # method reads its own uncommitted writes; otherwise the pool lends a connection for
    # that one statement.
    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self.connection() as conn:
            return await conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        async with self.connection() as conn:
            return await conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with self.connection() as conn:
            return await conn.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        """Run ``sql``; returns PostgreSQL's status line, e.g. ``UPDATE 3``."""
        async with self.connection() as conn:
            return await conn.execute(sql, *args)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """``sql`` once per row, all or none (asyncpg makes it atomic on its own)."""
        async with self.connection() as conn:
            await conn.executemany(sql, rows)

    async def schema_version(self) -> int:
        exists = await self.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
        if not exists:
            return 0
        return int(await self.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))

    async def migrate(self, bundled: Sequence[Migration] | None = None) -> list[int]:
        """Apply every migration newer than the database, each in its own transaction.

        Several shard processes may start at once on one fresh database. Each migration's
        transaction first takes one advisory lock, held until it commits; a second process
        waits there, then finds the version recorded and skips it. A migration file runs
        as one script, so it must not hold statements PostgreSQL refuses inside a
        transaction (``CREATE INDEX CONCURRENTLY``, ``VACUUM``).
        """
        applied: list[int] = []
        for migration in migrations() if bundled is None else bundled:
            async with self.transaction() as conn:
                await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                await conn.execute(CREATE_SCHEMA_MIGRATIONS)
                current = await conn.fetchval(
                    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"
                )
                if migration.version <= current:
                    continue
                # No parameters, so asyncpg sends the file as one simple-query script.
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    datetime.now(UTC).isoformat(),
                )
            log.info("applied PostgreSQL migration %s (%s)", migration.version, migration.name)
            applied.append(migration.version)
        return applied

    async def connect_listener(self) -> asyncpg.Connection:
        """A connection of its own for LISTEN: a pooled one would be lent to others."""
        return await asyncpg.connect(
            self._url,
            timeout=CONNECT_TIMEOUT,
            server_settings={"application_name": f"{APPLICATION_NAME}-listener"},
        )

    async def close(self) -> None:
        await self._pool.close()


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Nothing to reset when a connection goes back to the pool.

    asyncpg's default reset is one more round trip on every release, undoing what a session
    may have changed: settings, LISTEN, advisory locks held past a transaction, cursors.
    The stores change none of them (their advisory locks end with their transaction, and
    LISTEN has a connection of its own), and asyncpg still rolls back a transaction left
    open before it calls this.
    """


@asynccontextmanager
async def open_postgres(
    url: str,
    *,
    min_size: int = POOL_MIN,
    max_size: int = POOL_MAX,
    command_timeout: float = COMMAND_TIMEOUT,
    setting: str = "DATABASE_URL",
) -> AsyncIterator[PgDatabase]:
    """Open a pool on ``url``, migrated to the newest schema; closed when the block ends.

    Raises :class:`~bot.storage.errors.StorageUnavailable` if the server cannot be reached,
    refuses the login, or has no such database; its sentence names ``setting`` as where
    ``url`` came from.
    """
    shown = redact_url(url)
    try:
        pool = await asyncpg.create_pool(
            url,
            min_size=min_size,
            max_size=max_size,
            command_timeout=command_timeout,
            timeout=CONNECT_TIMEOUT,
            server_settings={"application_name": APPLICATION_NAME},
            reset=_keep_session,
        )
    except CONNECT_FAILURES as exc:
        problem = unavailable(exc, url, setting)
        if problem is None:
            raise
        # Only the type: the caller shows the sentence, and the driver's text may hold the URL.
        log.debug("cannot open PostgreSQL at %s: %s", shown, type(exc).__name__)
        # from None: the driver's message may quote the URL it was given, password and all.
        raise problem from None
    log.info("opened a PostgreSQL pool at %s (%s-%s connections)", shown, min_size, max_size)
    db = PgDatabase(pool, url)
    try:
        await db.migrate()
        yield db
    finally:
        await db.close()

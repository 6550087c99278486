"""Copying a SQLite database into an empty PostgreSQL one (``python -m bot copy-database``).

Every table both schemas have is copied as it is, ids and all, so that a bot started on
the copy carries on where the SQLite one stopped: each channel's round at its place, each
schedule with the days it already posted, each pending submission and draft. The tables
are found in the schemas, not listed here, so a table a later migration adds is copied
too, and one that only one engine's migrations create stops the copy before it starts.

The whole copy is one PostgreSQL transaction: a failure at any point leaves the target as
empty as it was. The source is read in one snapshot, a page at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg

from bot.database_url import redact_url
from bot.storage.errors import StorageUnavailable
from bot.storage.postgres.database import Connection, open_postgres
from bot.storage.sqlite.database import open_database

# Rows read from SQLite at a time, so a million-story library never sits in memory.
PAGE = 5_000
# One table's COPY may take minutes at a million stories; the pool's own time-out is
# meant for a member's statement, not for this.
COPY_TIMEOUT = 3600.0
# Each engine records its own migrations; the copy arrives with PostgreSQL's already run.
NOT_COPIED = frozenset({"schema_migrations"})
BUG = "this is a bug in the bot: please report it"

SQLITE_COLUMNS = (
    "SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p "
    "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
    "ORDER BY m.rowid, p.cid"
)
POSTGRES_COLUMNS = (
    "SELECT c.relname, a.attname FROM pg_class AS c "
    "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
    "JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
    "ORDER BY c.relname, a.attnum"
)
POSTGRES_REFERENCES = (
    "SELECT child.relname, parent.relname FROM pg_constraint AS k "
    "JOIN pg_class AS child ON child.oid = k.conrelid "
    "JOIN pg_class AS parent ON parent.oid = k.confrelid "
    "JOIN pg_namespace AS n ON n.oid = child.relnamespace "
    "WHERE k.contype = 'f' AND n.nspname = current_schema()"
)
POSTGRES_IDENTITIES = (
    "SELECT c.relname, a.attname FROM pg_class AS c "
    "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
    "JOIN pg_attribute AS a ON a.attrelid = c.oid "
    "WHERE n.nspname = current_schema() AND a.attidentity <> '' AND NOT a.attisdropped"
)


class CopyRefused(StorageUnavailable):
    """Nothing was copied; ``message`` is one sentence saying why and what to do."""


@dataclass(frozen=True, slots=True)
class CopiedTable:
    name: str
    rows: int


@dataclass(frozen=True, slots=True)
class CopyReport:
    source: Path
    # The target's URL with its password hidden.
    target: str
    tables: tuple[CopiedTable, ...]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def _quoted(name: str) -> str:
    """A table or column name as an SQL identifier (names come from the schemas)."""
    return '"' + name.replace('"', '""') + '"'


async def copy_sqlite_to_postgres(source: Path, url: str, *, setting: str = "--to") -> CopyReport:
    """Copy the SQLite database at ``source`` into the empty PostgreSQL database at ``url``.

    Both are migrated to the newest schema first. Raises :class:`CopyRefused` if the target
    holds any row, or the copy fails; :class:`StorageUnavailable` if it cannot be reached
    (naming ``setting`` as where ``url`` came from).
    """
    if not await asyncio.to_thread(source.is_file):
        # Opening it would create an empty database, and copy nothing with a straight face.
        raise CopyRefused(
            f"There is no SQLite database at {source} to copy; set DATABASE_PATH to the "
            "file the bot uses."
        )
    shown = redact_url(url)
    async with (
        open_postgres(url, min_size=1, max_size=1, setting=setting) as target,
        open_database(source) as lite,
    ):
        # A read-only connection of its own, so that the snapshot holds no write lock and
        # a bot still running on the file is not held up.
        reader = lite.readers[0]
        await reader.execute("BEGIN")
        try:
            async with target.transaction() as conn:
                tables = await _copy_tables(reader, conn, shown)
        finally:
            await reader.execute("ROLLBACK")
    return CopyReport(source, shown, tables)


async def _copy_tables(
    reader: aiosqlite.Connection, conn: Connection, shown: str
) -> tuple[CopiedTable, ...]:
    lite = _columns_by_table(await reader.execute_fetchall(SQLITE_COLUMNS))
    pg = _columns_by_table(await conn.fetch(POSTGRES_COLUMNS))
    _refuse_different_schemas(lite, pg)
    order = _parents_first(lite, await conn.fetch(POSTGRES_REFERENCES))
    # Nobody may write to the target until the copy commits, or a bot started on it too
    # early could slip a row in between the check below and the copy.
    await conn.execute(f"LOCK TABLE {', '.join(map(_quoted, order))} IN EXCLUSIVE MODE")
    occupied = [
        table
        for table in order
        if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {_quoted(table)})")
    ]
    if occupied:
        raise CopyRefused(
            f"The PostgreSQL database {shown} is not empty (rows in {', '.join(occupied)}), "
            "so nothing was copied; copy into a new, empty database (for example one made "
            "with `createdb`)."
        )
    copied = []
    for table in order:
        rows = await _copy_table(reader, conn, table, lite[table])
        copied.append(CopiedTable(table, rows))
    await _check_counts(reader, conn, copied)
    await _move_identities_on(reader, conn)
    return tuple(copied)


def _columns_by_table(rows: Iterable[Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for table, column in rows:
        if table not in NOT_COPIED:
            found.setdefault(table, []).append(column)
    return found


def _refuse_different_schemas(lite: Mapping[str, list[str]], pg: Mapping[str, list[str]]) -> None:
    """Stop if a table or column is in one schema only: copying the rest would lose it."""
    differences = [f"table {t} only in SQLite" for t in lite if t not in pg]
    differences += [f"table {t} only in PostgreSQL" for t in pg if t not in lite]
    for table in (t for t in lite if t in pg):
        differences += [f"{table}.{c} only in SQLite" for c in lite[table] if c not in pg[table]]
        differences += [
            f"{table}.{c} only in PostgreSQL" for c in pg[table] if c not in lite[table]
        ]
    if differences:
        raise CopyRefused(
            f"The SQLite and PostgreSQL schemas differ ({'; '.join(differences)}), so nothing "
            f"was copied; {BUG}."
        )


def _parents_first(tables: Iterable[str], references: Iterable[Any]) -> list[str]:
    """The tables in the SQLite schema's order, except that a table a foreign key points to
    comes before the tables that point to it (or the keys would refuse their rows)."""
    waiting = list(tables)
    parents: dict[str, set[str]] = {table: set() for table in waiting}
    for child, parent in references:
        if child != parent and child in parents:
            parents[child].add(parent)
    placed: list[str] = []
    while waiting:
        ready = next((t for t in waiting if parents[t] <= set(placed)), None)
        if ready is None:
            raise CopyRefused(
                f"The foreign keys of {', '.join(waiting)} point at each other in a circle, "
                f"so nothing was copied; {BUG}."
            )
        placed.append(ready)
        waiting.remove(ready)
    return placed


async def _copy_table(
    reader: aiosqlite.Connection, conn: Connection, table: str, columns: list[str]
) -> int:
    read = 0
    select = f"SELECT {', '.join(map(_quoted, columns))} FROM {_quoted(table)}"
    async with reader.execute(select) as cursor:

        async def pages() -> AsyncIterator[tuple[Any, ...]]:
            nonlocal read
            while page := await cursor.fetchmany(PAGE):
                read += len(page)
                for row in page:
                    yield tuple(row)

        # Closed here, before the cursor it reads: a copy that fails stops it mid-page.
        async with contextlib.aclosing(pages()) as records:
            try:
                await conn.copy_records_to_table(
                    table, records=records, columns=columns, timeout=COPY_TIMEOUT
                )
            except (asyncpg.PostgresError, TypeError, ValueError, OverflowError) as exc:
                # The server refused a row, or the driver could not encode a value as its
                # column's type (text in a number, a number past 64 bits). Either text names
                # the value or the column, never the URL.
                raise CopyRefused(
                    f"Copying the table {table} failed ({exc}), so nothing was copied and "
                    "the PostgreSQL database is still empty; the SQLite file holds a value "
                    "PostgreSQL cannot store there."
                ) from exc
    return read


async def _check_counts(
    reader: aiosqlite.Connection, conn: Connection, copied: list[CopiedTable]
) -> None:
    """Count every table again on both sides: the copy stands only if they all agree."""
    wrong = []
    for table in copied:
        [(in_sqlite,)] = await reader.execute_fetchall(
            f"SELECT count(*) FROM {_quoted(table.name)}"
        )
        in_postgres = await conn.fetchval(f"SELECT count(*) FROM {_quoted(table.name)}")
        if not in_sqlite == in_postgres == table.rows:
            wrong.append(f"{table.name}: {in_sqlite:,} in SQLite, {in_postgres:,} in PostgreSQL")
    if wrong:
        raise CopyRefused(
            f"The row counts differ after copying ({'; '.join(wrong)}), so nothing was "
            f"copied; {BUG}."
        )


async def _move_identities_on(reader: aiosqlite.Connection, conn: Connection) -> None:
    """Set every identity past the ids copied, so the next new row does not collide.

    SQLite's AUTOINCREMENT remembers ids of rows since deleted (a draft already sent), in
    sqlite_sequence; an id handed out there must not be handed out again here either.
    """
    remembered: dict[str, int] = {}
    if await reader.execute_fetchall(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
    ):
        remembered = {
            name: int(seq)
            for name, seq in await reader.execute_fetchall("SELECT name, seq FROM sqlite_sequence")
        }
    for table, column in await conn.fetch(POSTGRES_IDENTITIES):
        largest = await conn.fetchval(f"SELECT max({_quoted(column)}) FROM {_quoted(table)}")
        top = max(largest or 0, remembered.get(table, 0))
        if top:
            await conn.execute(
                "SELECT setval(pg_get_serial_sequence($1, $2), $3)", _quoted(table), column, top
            )

"""The PostgreSQL engine's foundation, on a real server: schema, migrations, transactions.

Every test gets a fresh, empty database of its own (tests/postgres.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import asyncpg
import pytest

import bot.storage.postgres.database as pg
from bot.storage.migration_files import Migration
from bot.storage.postgres import PgDatabase, StorageUnavailable, open_postgres, redact_url
from bot.storage.sqlite.database import Database, open_database
from tests.postgres import session_leftovers

# table -> column -> (type family, not null, default, primary-key position)
Shape = dict[str, dict[str, tuple[str, bool, str | None, int]]]


def _default(raw: str | None) -> str | None:
    # PostgreSQL spells DEFAULT '' as ''::text and DEFAULT -1 as '-1'::bigint; the meaning
    # is what must match.
    if raw is None:
        return None
    return re.sub(r"^'(-\d+)'$", r"\1", re.sub(r"::[a-z ]+$", "", raw))


async def sqlite_shape(db: Database) -> Shape:
    shape: Shape = {}
    tables = await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    for (table,) in tables:
        columns = await db.fetchall(f"PRAGMA table_info({table})")
        shape[table] = {
            name: ("integer" if kind == "INTEGER" else kind.lower(), bool(notnull or pk), dflt, pk)
            for _, name, kind, notnull, dflt, pk in columns
        }
    return shape


async def postgres_shape(db: PgDatabase) -> Shape:
    rows = await db.fetch(
        "SELECT c.table_name, c.column_name, c.data_type, c.is_nullable, c.column_default,"
        " COALESCE(k.ordinal_position, 0) AS pk"
        " FROM information_schema.columns c"
        " LEFT JOIN information_schema.table_constraints t"
        "  ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
        "  AND t.constraint_type = 'PRIMARY KEY'"
        " LEFT JOIN information_schema.key_column_usage k"
        "  ON k.constraint_name = t.constraint_name AND k.table_schema = t.table_schema"
        "  AND k.column_name = c.column_name"
        " WHERE c.table_schema = 'public'"
    )
    shape: Shape = {}
    for r in rows:
        family = "integer" if r["data_type"] in ("integer", "bigint") else r["data_type"]
        shape.setdefault(r["table_name"], {})[r["column_name"]] = (
            family,
            r["is_nullable"] == "NO",
            _default(r["column_default"]),
            r["pk"],
        )
    return shape


async def test_a_fresh_database_has_the_sqlite_schema(tmp_path: Path, postgres_url: str):
    # One set of logical queries serves both engines only if the tables, columns, keys,
    # nullability and defaults are the same on both.
    async with open_database(tmp_path / "fresh.sqlite3") as lite:
        expected = await sqlite_shape(lite)
        lite_indexes = {
            row[0]
            for row in await lite.fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
    async with open_postgres(postgres_url) as db:
        actual = await postgres_shape(db)
        pg_indexes = {r[0] for r in await db.fetch("SELECT indexname FROM pg_indexes")}
    assert set(actual) == set(expected)
    for table, columns in expected.items():
        assert actual[table] == columns, table
    # Those indexes keep the serving queries off sequential scans.
    assert lite_indexes, "the SQLite schema has indexes to compare"
    assert lite_indexes <= pg_indexes


async def test_ids_snowflakes_seeds_and_times_are_64_bit(postgres_db: PgDatabase):
    rows = await postgres_db.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name <> 'schema_migrations'"
    )
    wide = re.compile(r"^(id|.*_id|.*_by|seed|hash|.*_at|next_due|ordinal|next_ordinal)$")
    narrow = {
        (r["table_name"], r["column_name"])
        for r in rows
        if wide.match(r["column_name"]) and r["data_type"] not in ("bigint", "text")
    }
    assert not narrow, "these hold snowflakes, seeds or unix seconds: make them BIGINT"
    snowflake, seed = 1_180_000_000_000_000_000, (1 << 62) - 1
    await postgres_db.execute(
        "INSERT INTO rounds (channel_id, theme_id, seed, size, bundled_size, position)"
        " VALUES ($1, 0, $2, 5, 5, 0)",
        snowflake,
        seed,
    )
    row = await postgres_db.fetchrow("SELECT channel_id, seed FROM rounds")
    assert row is not None and tuple(row) == (snowflake, seed)


async def test_migrating_again_applies_nothing(postgres_url: str):
    async with open_postgres(postgres_url) as db:
        newest = await db.schema_version()
        assert newest == max(m.version for m in pg.migrations())
    async with open_postgres(postgres_url) as db:
        assert await db.migrate() == []
        rows = await db.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
        assert [(r["version"], r["name"]) for r in rows] == [
            (m.version, m.name) for m in pg.migrations()
        ]


async def _until_queued(admin: asyncpg.Connection, starts: list[asyncio.Task[int]]) -> None:
    """Until every start waits on the migration lock, or one has already finished."""
    for _ in range(2000):
        if any(start.done() for start in starts):
            return
        waiting = await admin.fetchval(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        if waiting >= len(starts):
            return
        await asyncio.sleep(0.005)
    pytest.fail("the starts neither queued on the migration lock nor finished")


async def test_two_processes_starting_at_once_migrate_once(postgres_url: str):
    # Shard processes start together on one fresh database. Holding the migration lock
    # until both wait on it makes them truly meet; without the lock both would create the
    # tables and one would fail.
    async def start_one() -> int:
        async with open_postgres(postgres_url) as db:
            return await db.schema_version()

    admin = await asyncpg.connect(postgres_url)
    starts: list[asyncio.Task[int]] = []
    try:
        held = admin.transaction()
        await held.start()
        await admin.execute("SELECT pg_advisory_xact_lock($1)", pg.MIGRATION_LOCK)
        starts = [asyncio.create_task(start_one()) for _ in range(2)]
        await _until_queued(admin, starts)
        await held.rollback()
        versions = await asyncio.gather(*starts)
        rows = await admin.fetch("SELECT version FROM schema_migrations ORDER BY version")
    finally:
        for start in starts:
            start.cancel()
        await admin.close()
    newest = max(m.version for m in pg.migrations())
    assert versions == [newest, newest]
    assert [r["version"] for r in rows] == [m.version for m in pg.migrations()]


async def test_each_migration_is_applied_by_exactly_one_of_two(postgres_url: str):
    extra = [
        Migration(90, "0090_a.sql", "CREATE TABLE extra_a (id BIGINT PRIMARY KEY);"),
        Migration(91, "0091_b.sql", "CREATE TABLE extra_b (id BIGINT PRIMARY KEY);"),
    ]
    bundled = [*pg.migrations(), *extra]
    pools = [await asyncpg.create_pool(postgres_url, min_size=1, max_size=2) for _ in range(2)]
    try:
        results = await asyncio.gather(
            *(PgDatabase(p, postgres_url).migrate(bundled) for p in pools)
        )
    finally:
        for p in pools:
            await p.close()
    applied = sorted(v for result in results for v in result)
    assert applied == [m.version for m in bundled]


async def test_a_failing_migration_leaves_no_trace(postgres_url: str):
    async with open_postgres(postgres_url) as db:
        newest = await db.schema_version()
        broken = Migration(
            newest + 1,
            "broken.sql",
            "CREATE TABLE half_done (id BIGINT);\nINSERT INTO no_such_table VALUES (1);",
        )
        with pytest.raises(asyncpg.UndefinedTableError):
            await db.migrate([*pg.migrations(), broken])
        assert await db.fetchval("SELECT to_regclass('half_done')") is None
        assert await db.schema_version() == newest


async def test_a_nested_transaction_joins_and_a_failure_rolls_back_the_whole(
    postgres_db: PgDatabase,
):
    insert = "INSERT INTO data_files (path, digest) VALUES ($1, 'd')"
    with pytest.raises(RuntimeError, match="half-way"):
        async with postgres_db.transaction() as outer:
            await outer.execute(insert, "outer")
            async with postgres_db.transaction() as inner:
                assert inner is outer
                await postgres_db.execute(insert, "inner")
                # Another task has its own connection: it must not see or join this work.
                seen = await asyncio.create_task(
                    postgres_db.fetchval("SELECT COUNT(*) FROM data_files")
                )
                assert seen == 0
                assert await postgres_db.fetchval("SELECT COUNT(*) FROM data_files") == 2
                raise RuntimeError("half-way")
    assert await postgres_db.fetchval("SELECT COUNT(*) FROM data_files") == 0
    assert not postgres_db.in_transaction()

    async with postgres_db.transaction(), postgres_db.transaction():
        await postgres_db.execute(insert, "kept")
    assert await postgres_db.fetch("SELECT path FROM data_files") == [("kept",)]


def _assert_one_kind_sentence(problem: StorageUnavailable, secret: str) -> None:
    text = str(problem)
    assert "DATABASE_URL" in text
    assert secret not in text
    # One sentence: ends once, and nothing chained underneath repeats the URL.
    assert text.endswith(".") and ". " not in text.removesuffix(".")
    assert problem.__cause__ is None and problem.__suppress_context__
    assert secret not in repr(problem.args)


async def test_an_unreachable_server_is_one_sentence_without_the_password(
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.DEBUG)
    url = "postgresql://bot:s3cret@127.0.0.1:1/x"
    with pytest.raises(StorageUnavailable) as caught:
        async with open_postgres(url):
            pass
    _assert_one_kind_sentence(caught.value, "s3cret")
    assert "s3cret" not in caplog.text
    assert "start the server" in str(caught.value)
    assert "bot:***@127.0.0.1:1" in str(caught.value)


async def test_a_missing_database_is_one_sentence_naming_it(postgres_url: str):
    missing = postgres_url.replace("/t_", "/gone_", 1)
    with pytest.raises(StorageUnavailable) as caught:
        async with open_postgres(missing):
            pass
    _assert_one_kind_sentence(caught.value, "s3cret")
    assert "does not exist" in str(caught.value)
    assert "gone_" in str(caught.value)


async def test_an_unknown_user_is_one_sentence_without_the_password(postgres_url: str):
    url = postgres_url.replace("postgres:@", "nobody:s3cret@", 1)
    assert "s3cret" in url, "the test server's URL names its user"
    with pytest.raises(StorageUnavailable) as caught:
        async with open_postgres(url):
            pass
    _assert_one_kind_sentence(caught.value, "s3cret")
    assert "refused" in str(caught.value)


async def test_a_url_that_is_not_one_says_how_to_write_it():
    with pytest.raises(StorageUnavailable) as caught:
        async with open_postgres("mysql://bot:s3cret@db/x"):
            pass
    _assert_one_kind_sentence(caught.value, "s3cret")
    assert "postgresql://user:password@host:5432/database" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://bot:s3cret@db:5432/x", "postgresql://bot:***@db:5432/x"),
        ("postgresql://bot:s3@cret@db/x", "postgresql://bot:***@db/x"),
        ("postgresql://bot@db/x?password=s3cret&sslmode=require", None),
        ("postgres://bot:s3cret@h1:5432,h2:5433/x", "postgres://bot:***@h1:5432,h2:5433/x"),
        ("host=db user=bot password=s3cret dbname=x", "host=db user=bot password=*** dbname=x"),
        ("host=db password='s3 cret' dbname=x", "host=db password=*** dbname=x"),
        (
            "postgresql://postgres:@/postgres?host=/tmp/pg",
            "postgresql://postgres:***@/postgres?host=/tmp/pg",
        ),
        ("postgresql://bot@db/x", "postgresql://bot@db/x"),
    ],
)
def test_redact_url_hides_the_password_wherever_it_is(url: str, shown: str | None):
    redacted = redact_url(url)
    assert "s3" not in redacted and "cret" not in redacted
    if shown is not None:
        assert redacted == shown
    else:
        assert "password=***" in redacted and "sslmode=require" in redacted


async def test_a_draw_reads_the_pool_key_alone(postgres_db: PgDatabase):
    # SQLite keeps pool members in their key's B-tree for one page read per draw; here the
    # key's index carries story_id, so a draw never needs to visit the table.
    await postgres_db.executemany(
        "INSERT INTO pool_members (theme_id, guild_id, ordinal, story_id) VALUES ($1, $2, $3, $4)",
        [(theme, 0, n, 1000 * theme + n) for theme in range(5) for n in range(200)],
    )
    # VACUUM marks the pages all-visible, as autovacuum does on a live server.
    await postgres_db.execute("VACUUM ANALYZE pool_members")
    async with postgres_db.transaction() as conn:
        # A table this small would otherwise be scanned whole, which proves nothing.
        await conn.execute("SET LOCAL enable_seqscan = off")
        plan = await conn.fetchval(
            "EXPLAIN (FORMAT JSON) SELECT story_id FROM pool_members"
            " WHERE theme_id = $1 AND guild_id = $2 AND ordinal = $3",
            3,
            0,
            7,
        )
        story = await conn.fetchval(
            "SELECT story_id FROM pool_members WHERE theme_id = 3 AND guild_id = 0 AND ordinal = 7"
        )
    assert story == 3007
    assert '"Index Only Scan"' in plan and '"pool_members_pkey"' in plan, plan


async def test_a_session_left_dirty_is_found(postgres_db: PgDatabase) -> None:
    """The check every PostgreSQL test ends with (tests/postgres.py) sees each thing a
    session can keep past its transaction, which the pool no longer resets."""
    pool = postgres_db.pool
    assert await session_leftovers(pool) == []
    conn = await pool.acquire()
    try:
        await conn.execute("SELECT pg_advisory_lock(7)")
        await conn.execute("LISTEN somewhere")
        await conn.execute("SET work_mem = '8MB'")
        await conn.execute("CREATE TEMP TABLE scratch (n int)")
        await conn.execute("DECLARE kept CURSOR WITH HOLD FOR SELECT 1")
    finally:
        await pool.release(conn)
    assert sorted(await session_leftovers(pool)) == [
        "1 LISTEN channels",
        "1 advisory locks",
        "1 open cursors",
        "1 temporary tables",
        "settings changed: work_mem",
    ]
    # Undone by hand as asyncpg's reset would (not DISCARD ALL: asyncpg keeps its prepared
    # statements), so the fixture's own check passes on the way out.
    async with pool.acquire() as conn:
        await conn.execute(
            "CLOSE ALL; UNLISTEN *; RESET ALL; DISCARD TEMP; SELECT pg_advisory_unlock_all()"
        )
    assert await session_leftovers(pool) == []

"""`copy-database` refusing: a target in use, schemas that differ, a copy that fails half-way,
and the command line's one sentence. Whatever is refused leaves the target as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot.services import open_services
from bot.storage.copying import CopyRefused, copy_sqlite_to_postgres
from bot.storage.postgres import redact_url
from tests.discord_bench.payloads import GUILD_ID
from tests.services_at import settings_at
from tests.test_command_line import output, run_bot

MOD_CHANNEL = 1300000000000000021


async def sqlite_in_use(folder: Path) -> Path:
    """A SQLite database as a bot leaves it: the library in, a server's settings saved."""
    path = folder / "bedside.sqlite3"
    async with open_services(settings_at({"DATABASE_PATH": str(path)})) as services:
        await services.server_settings.set_moderation(GUILD_ID, MOD_CHANNEL, None)
    return path


async def rows_in_postgres(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        names = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename <> 'schema_migrations'"
        )
        return {r[0]: await conn.fetchval(f'SELECT count(*) FROM "{r[0]}"') for r in names}
    finally:
        await conn.close()


async def test_a_target_a_bot_already_used_is_refused_and_left_as_it_was(
    tmp_path: Path, postgres_url: str
):
    source = await sqlite_in_use(tmp_path)
    async with open_services(settings_at({"DATABASE_URL": postgres_url})) as services:
        await services.server_settings.set_moderation(GUILD_ID + 1, MOD_CHANNEL + 1, None)
    before = await rows_in_postgres(postgres_url)

    with pytest.raises(CopyRefused) as refused:
        await copy_sqlite_to_postgres(source, postgres_url)

    sentence = refused.value.message
    assert sentence.startswith(f"The PostgreSQL database {redact_url(postgres_url)} is not empty")
    assert "guild_settings" in sentence and "stories" in sentence
    assert "nothing was copied" in sentence
    assert await rows_in_postgres(postgres_url) == before
    assert before["guild_settings"] == 1


async def test_copying_twice_is_refused_the_second_time(tmp_path: Path, postgres_url: str):
    source = await sqlite_in_use(tmp_path)
    first = await copy_sqlite_to_postgres(source, postgres_url)
    copied = await rows_in_postgres(postgres_url)
    assert copied == {t.name: t.rows for t in first.tables}

    with pytest.raises(CopyRefused, match="is not empty"):
        await copy_sqlite_to_postgres(source, postgres_url)
    assert await rows_in_postgres(postgres_url) == copied


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("CREATE TABLE visitors (id INTEGER PRIMARY KEY)", "table visitors only in SQLite"),
        ("ALTER TABLE rounds ADD COLUMN colour INTEGER", "rounds.colour only in SQLite"),
    ],
)
async def test_a_table_or_column_only_one_engine_has_stops_the_copy(
    tmp_path: Path, postgres_url: str, change: str, named: str
):
    # What a migration written for one engine only would leave: copying the rest would
    # lose that table's rows without a word.
    source = await sqlite_in_use(tmp_path)
    with sqlite3.connect(source) as conn:
        conn.execute(change)

    with pytest.raises(CopyRefused) as refused:
        await copy_sqlite_to_postgres(source, postgres_url)

    assert refused.value.message.startswith("The SQLite and PostgreSQL schemas differ (")
    assert named in refused.value.message
    assert set((await rows_in_postgres(postgres_url)).values()) == {0}


async def test_a_copy_that_fails_half_way_leaves_the_target_empty(
    tmp_path: Path, postgres_url: str
):
    source = await sqlite_in_use(tmp_path)
    # SQLite keeps text in an INTEGER column if told to; PostgreSQL cannot. daily_posts is
    # copied after the library, so the library's rows are in when it fails.
    with sqlite3.connect(source) as conn:
        conn.execute(
            "INSERT INTO daily_posts (guild_id, local_date, due_at, status, claimed_at) "
            "VALUES (1, '2026-03-02', 'soon', 'pending', 0)"
        )

    with pytest.raises(CopyRefused) as refused:
        await copy_sqlite_to_postgres(source, postgres_url)

    assert refused.value.message.startswith("Copying the table daily_posts failed (")
    assert "the PostgreSQL database is still empty" in refused.value.message
    assert set((await rows_in_postgres(postgres_url)).values()) == {0}
    # Nothing was left half-done either: the same target takes a good copy afterwards.
    with sqlite3.connect(source) as conn:
        conn.execute("DELETE FROM daily_posts")
    report = await copy_sqlite_to_postgres(source, postgres_url)
    assert report.rows == sum((await rows_in_postgres(postgres_url)).values()) > 0


async def test_the_command_prints_every_table_and_its_count(tmp_path: Path, postgres_url: str):
    source = await sqlite_in_use(tmp_path)
    result = run_bot(tmp_path, "copy-database", "--to", postgres_url, DATABASE_PATH=str(source))

    assert result.returncode == 0, output(result)
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"Copied the SQLite file {source} into the PostgreSQL database {redact_url(postgres_url)}:"
    )
    counted = await rows_in_postgres(postgres_url)
    shown = {line.split()[0]: int(line.split()[1].replace(",", "")) for line in lines[1:-2]}
    assert shown == counted
    assert shown["guild_settings"] == 1 and shown["stories"] > 0
    total = sum(counted.values())
    assert lines[-2] == (
        f"Every table has as many rows in PostgreSQL as in SQLite: {total:,} rows in "
        f"{len(counted)} tables."
    )


def test_a_server_that_does_not_answer_is_one_sentence_without_the_password(tmp_path: Path):
    secret = "s3cr3t-Pa55word"
    url = f"postgresql://bedside:{secret}@127.0.0.1:1/stories"
    source = tmp_path / "terminal.sqlite3"
    assert run_bot(tmp_path, "story").returncode == 0  # a SQLite database to copy

    result = run_bot(tmp_path, "copy-database", "--to", url)

    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "No PostgreSQL server answers at --to (postgresql://bedside:***@127.0.0.1:1/stories); "
        "start the server, or correct the host and port in --to."
    )
    assert secret not in output(result)
    assert source.is_file()


@pytest.mark.parametrize(
    ("args", "settings", "starts"),
    [
        (
            ["--to", "sqlite:///elsewhere.sqlite3"],
            {},
            "--to takes the URL of the PostgreSQL database to copy into",
        ),
        (
            ["--to", "postgresql://bedside:s3cr3t-Pa55word@127.0.0.1:1/stories"],
            {"DATABASE_URL": "postgresql://bedside:s3cr3t-Pa55word@127.0.0.1:1/other"},
            "copy-database copies a SQLite database, but DATABASE_URL names the PostgreSQL "
            "database postgresql://bedside:***@127.0.0.1:1/other",
        ),
        (
            ["--to", "postgresql://bedside:s3cr3t-Pa55word@127.0.0.1:1/stories"],
            {"DATABASE_PATH": "missing.sqlite3"},
            "There is no SQLite database at missing.sqlite3 to copy",
        ),
    ],
)
def test_what_cannot_be_copied_is_refused_in_one_sentence(
    tmp_path: Path, args: list[str], settings: dict[str, str], starts: str
):
    result = run_bot(tmp_path, "copy-database", *args, **settings)
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.startswith(starts)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "s3cr3t-Pa55word" not in output(result)
    assert not (tmp_path / "missing.sqlite3").exists()

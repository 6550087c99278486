from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.discord_bench.harness import Bench
from tests.postgres import postgres_db, postgres_server, postgres_url, session_leftovers

# Fixtures defined elsewhere and offered to every test from here.
__all__ = ["bench", "database", "postgres_db", "postgres_server", "postgres_url"]

ENGINES = ("sqlite", "postgresql")


@pytest.fixture(params=ENGINES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """Settings naming a fresh database of each engine in turn: every test that takes it
    runs once on SQLite and once on PostgreSQL, and must hold on both."""
    if request.param == "sqlite":
        return {"DATABASE_PATH": str(tmp_path / "bedside.sqlite3")}
    return {"DATABASE_URL": request.getfixturevalue("postgres_url")}


@pytest.fixture
async def bench(tmp_path: Path, database: dict[str, str]) -> AsyncIterator[Bench]:
    async with Bench(tmp_path, env=database) as running:
        yield running
        # Whatever the test had the bot do, PostgreSQL's pooled connections go on to the
        # next borrower as clean as asyncpg's reset (which the pool skips) would leave them.
        if running.services is not None and "DATABASE_URL" in database:
            db = running.services.storage.library.db  # type: ignore[attr-defined]
            left = await session_leftovers(db.pool)
            assert not left, f"pooled connections kept: {left}"

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.discord_bench.harness import Bench
from tests.postgres import postgres_db, postgres_server, postgres_url

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

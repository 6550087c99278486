from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.discord_bench.harness import Bench
from tests.postgres import postgres_db, postgres_server, postgres_url

# Fixtures defined elsewhere and offered to every test from here.
__all__ = ["bench", "postgres_db", "postgres_server", "postgres_url"]


@pytest.fixture
async def bench(tmp_path: Path) -> AsyncIterator[Bench]:
    async with Bench(tmp_path) as running:
        yield running

"""No statement on the serving path may scan a table: its cost must not grow with the library."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services import open_services
from bot.settings import load_settings
from bot.storage.sqlite.library import SERVING_QUERIES
from bot.storage.sqlite.schedules import SCHEDULER_QUERIES
from tests.services_at import sqlite_db

CHECKED = {**SERVING_QUERIES, **SCHEDULER_QUERIES}


@pytest.mark.parametrize("name", sorted(CHECKED))
async def test_serving_query_uses_an_index(tmp_path: Path, name: str):
    settings = load_settings(
        {"DATABASE_PATH": str(tmp_path / "plans.sqlite3")}, require_token=False
    )
    sql, params = CHECKED[name]
    async with open_services(settings) as services:
        plan = [
            row[3]
            for row in await sqlite_db(services).fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
        ]
    # These scan rows the statement makes itself (a SELECT without FROM, the draws asked
    # for, the slots whose stories are read, the posts ended), never a stored table; any other
    # scan grows with the library.
    one_row = (
        "SCAN CONSTANT ROW",
        "SCAN 2 CONSTANT ROWS",
        "SCAN (subquery-",
        "SCAN asked",
        "SCAN wanted",
        "SCAN ended",
    )
    scans = [step for step in plan if step.startswith("SCAN") and not step.startswith(one_row)]
    assert not scans, f"{name} scans a table: {plan}"
    if sql.lstrip().startswith("SELECT"):
        assert any(step.startswith("SEARCH") for step in plan), f"{name}: {plan}"

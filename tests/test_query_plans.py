"""No statement on the serving path may scan a table: its cost must not grow with the library.

Each engine's own planner is asked, on its own schema: SQLite's EXPLAIN QUERY PLAN, and
PostgreSQL's EXPLAIN with sequential scans priced out, so that a plan still holding one
has no index it could use instead (a small test table would otherwise be scanned whole,
which proves nothing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.services import open_services
from bot.settings import load_settings
from bot.storage.postgres import guild_settings as pg_guild_settings
from bot.storage.postgres import library_sql as pg_library
from bot.storage.postgres import preferences as pg_preferences
from bot.storage.postgres import reports as pg_reports
from bot.storage.postgres import schedules as pg_schedules
from bot.storage.postgres.database import PgDatabase
from bot.storage.sqlite.guild_settings import HIDDEN_NOTES_SQL
from bot.storage.sqlite.library import SERVING_QUERIES
from bot.storage.sqlite.preferences import PREFERENCES_SQL
from bot.storage.sqlite.reports import LETTER_QUERIES
from bot.storage.sqlite.schedules import SCHEDULER_QUERIES
from tests.services_at import sqlite_db

CHECKED = {
    **SERVING_QUERIES,
    **SCHEDULER_QUERIES,
    "hidden_notes": (HIDDEN_NOTES_SQL, (1,)),
    "preferences": (PREFERENCES_SQL, ("[1, 2]",)),
    **LETTER_QUERIES,
    "sketch_candidates": (
        "SELECT source, ref_id, COUNT(*) FROM text_sketches "
        "WHERE hash IN (1, 2, 3) AND guild_id IN (0, 5) GROUP BY source, ref_id",
        (),
    ),
}
PG_CHECKED: dict[str, tuple[str, tuple[Any, ...]]] = {
    **pg_library.SERVING_QUERIES,
    **pg_schedules.SCHEDULER_QUERIES,
    "hidden_notes": (pg_guild_settings.HIDDEN_NOTES_SQL, (1,)),
    "preferences": (pg_preferences.PREFERENCES_SQL, ([1, 2],)),
    **pg_reports.LETTER_QUERIES,
    "sketch_candidates": (
        "SELECT source, ref_id, COUNT(*) FROM text_sketches "
        "WHERE hash = ANY($1::bigint[]) AND guild_id IN (0, $2) GROUP BY source, ref_id",
        ([1, 2, 3], 5),
    ),
}


@pytest.mark.parametrize("name", sorted(CHECKED))
async def test_serving_query_uses_an_index_on_sqlite(tmp_path: Path, name: str):
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
    # for, the slots whose stories are read, the posts ended, the members or servers whose
    # settings are read), never a stored table; any other
    # scan grows with the library.
    one_row = (
        "SCAN CONSTANT ROW",
        "SCAN 2 CONSTANT ROWS",
        "SCAN (subquery-",
        "SCAN asked",
        "SCAN wanted",
        "SCAN ended",
        "SCAN json_each",
    )
    scans = [step for step in plan if step.startswith("SCAN") and not step.startswith(one_row)]
    assert not scans, f"{name} scans a table: {plan}"
    if sql.lstrip().startswith("SELECT"):
        assert any(step.startswith("SEARCH") for step in plan), f"{name}: {plan}"


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += _nodes(child)
    return found


@pytest.mark.parametrize("name", sorted(PG_CHECKED))
async def test_serving_query_uses_an_index_on_postgresql(postgres_db: PgDatabase, name: str):
    sql, params = PG_CHECKED[name]
    async with postgres_db.transaction() as conn:
        await conn.execute("SET LOCAL enable_seqscan = off")
        await conn.execute("ANALYZE")
        [top] = json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *params))
    nodes = _nodes(top["Plan"])
    scans = [n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"]
    assert not scans, f"{name} scans {scans}: {json.dumps(top['Plan'], indent=1)}"
    if sql.lstrip().startswith("SELECT"):
        assert any("Index" in n["Node Type"] for n in nodes), f"{name}: {top['Plan']}"

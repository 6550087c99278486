"""Bulk set-up and read-backs for the benchmarks (bench/), on SQLite.

Not a store: the bot never calls these, so they stay out of the store Protocols and out of
the serving stores. They write behind the stores' backs what would take a benchmark hours
to reach through the commands (a million channels' rounds, 100,000 schedules).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.records import PostStatus, Schedule
from bot.storage.sqlite.database import Database

# (channel_id, theme_id, seed, size, bundled_size, position)
RoundRow = tuple[int, int, int, int, int, int]


async def pool_extents(db: Database, guild_id: int) -> dict[int, int]:
    """theme -> how many ordinals ``guild_id``'s pool has handed out."""
    rows = await db.fetchall(
        "SELECT theme_id, next_ordinal FROM pool_sizes WHERE guild_id = ?", (guild_id,)
    )
    return {int(r[0]): int(r[1]) for r in rows}


async def put_rounds(db: Database, rounds: Sequence[RoundRow]) -> None:
    """Channels' rounds as given, each in place of any it had."""
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT OR REPLACE INTO rounds (channel_id, theme_id, seed, size, bundled_size, "
            "position) VALUES (?, ?, ?, ?, ?, ?)",
            rounds,
        )


async def save_schedules(db: Database, rows: Sequence[Schedule], by: int, now: int) -> None:
    """Many active schedules in one transaction."""
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO daily_schedules (guild_id, channel_id, local_minute, timezone, "
            "theme_id, active, next_due, next_local_date, updated_by, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
            [
                (
                    r.guild_id,
                    r.channel_id,
                    r.local_minute,
                    r.timezone,
                    r.theme_id,
                    r.next_due,
                    r.next_local_date,
                    by,
                    now,
                )
                for r in rows
            ],
        )


async def post_census(db: Database) -> dict[str, int]:
    """How many claimed posts are in each status."""
    rows = await db.fetchall("SELECT status, COUNT(*) FROM daily_posts GROUP BY status")
    return {row[0]: row[1] for row in rows}


async def sent_posts(db: Database) -> list[tuple[int, int, str, int]]:
    """(guild, channel, local date, due) of every sent post."""
    rows = await db.fetchall(
        "SELECT guild_id, channel_id, local_date, due_at FROM daily_posts WHERE status = ?",
        (PostStatus.SENT,),
    )
    return [(row[0], row[1], row[2], row[3]) for row in rows]

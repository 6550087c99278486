"""Bulk set-up for the benchmarks (bench/), on PostgreSQL.

Not a store: the bot never calls these, so they stay out of the store Protocols and out of
the serving stores. They write behind the stores' backs what would take a benchmark hours
to reach through the commands (the rounds of 50,000 channels).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.storage.postgres.database import PgDatabase

# (channel_id, theme_id, seed, size, bundled_size, position)
RoundRow = tuple[int, int, int, int, int, int]


async def pool_extents(db: PgDatabase, guild_id: int) -> dict[int, int]:
    """theme -> how many ordinals ``guild_id``'s pool has handed out."""
    rows = await db.fetch(
        "SELECT theme_id, next_ordinal FROM pool_sizes WHERE guild_id = $1", guild_id
    )
    return {int(r[0]): int(r[1]) for r in rows}


async def put_rounds(db: PgDatabase, rounds: Sequence[RoundRow]) -> None:
    """Channels' rounds as given, each in place of any it had."""
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO rounds (channel_id, theme_id, seed, size, bundled_size, position) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (channel_id, theme_id) DO UPDATE SET "
            "seed = excluded.seed, size = excluded.size, bundled_size = excluded.bundled_size, "
            "position = excluded.position",
            rounds,
        )

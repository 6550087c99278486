"""The SQL that keeps a scheduler to its own shards' servers, for either engine."""

from __future__ import annotations

from bot.sharding import ShardSlice


def shard_clause(column: str, shards: ShardSlice) -> str:
    """`` AND (column >> 22) % count IN (ids)``, or nothing when ``shards`` is every shard.

    The numbers are the process's own validated settings, never a member's input, and
    written into the text so a pass's statement stays one prepared statement."""
    if set(shards.ids) >= set(range(shards.count)):
        return ""
    ids = ", ".join(str(int(i)) for i in shards.ids)
    return f" AND ({column} >> 22) % {int(shards.count)} IN ({ids})"


def next_wake_sql(shards: ShardSlice) -> str:
    """The earliest due schedule and the earliest retry of ``shards``' servers, both
    found by walking an index from its low end."""
    return (
        "SELECT (SELECT next_due FROM daily_schedules WHERE next_due IS NOT NULL"
        f"{shard_clause('guild_id', shards)} ORDER BY next_due LIMIT 1), "
        "(SELECT retry_at FROM daily_posts WHERE retry_at IS NOT NULL"
        f"{shard_clause('guild_id', shards)} ORDER BY retry_at LIMIT 1)"
    )

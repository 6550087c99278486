"""SQL for the gateway's identify turns, shared by every process on the database."""

from __future__ import annotations

from bot.storage.postgres.database import PgDatabase

# The bucket's slot is the later of its next free moment and now; the next is 5 s on.
# The row lock of ON CONFLICT DO UPDATE makes processes asking at once take turns.
RESERVE = (
    "INSERT INTO identify_buckets (bucket, next_at) VALUES ($1, $2::bigint + $3::bigint) "
    "ON CONFLICT (bucket) DO UPDATE "
    "SET next_at = GREATEST(identify_buckets.next_at, $2::bigint) + $3::bigint "
    "RETURNING next_at"
)


class GatewayStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def reserve_identify(self, bucket: int, now: float, spacing: float) -> float:
        at, step = round(now * 1000), round(spacing * 1000)
        return (await self.db.fetchval(RESERVE, bucket, at, step) - step) / 1000

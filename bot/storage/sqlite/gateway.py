"""SQL for the gateway's identify turns, shared by the processes on one SQLite file."""

from __future__ import annotations

from bot.storage.sqlite.database import Database

# The bucket's slot is the later of its next free moment and now; the next is 5 s on.
RESERVE = (
    "INSERT INTO identify_buckets (bucket, next_at) VALUES (?, ? + ?) "
    "ON CONFLICT (bucket) DO UPDATE SET next_at = MAX(next_at, ?) + ? "
    "RETURNING next_at"
)


class GatewayStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def reserve_identify(self, bucket: int, now: float, spacing: float) -> float:
        at, step = round(now * 1000), round(spacing * 1000)
        # One statement under SQLite's single writer: two processes never get one slot.
        [row] = await self.db.write_returning(RESERVE, (bucket, at, step, at, step))
        return (row[0] - step) / 1000

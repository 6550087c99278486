"""SQL for daily stories on PostgreSQL: schedules, claimed posts and the scheduler's queue.

Times are unix seconds (UTC) in BIGINT columns; local dates are ISO ``YYYY-MM-DD`` text.
Several processes may run a scheduler on one database at once. Each pass locks the due
schedules and ready posts it takes with ``FOR UPDATE SKIP LOCKED``, so two passes share
the work out instead of waiting on each other, and the (guild, local date) key of a claim
stays the promise that a day is posted once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from bot.records import DailyPost, Job, Plan, PostOutcome, PostStatus, Schedule
from bot.sharding import ShardSlice
from bot.storage.postgres.database import PgDatabase
from bot.storage.rows import POST_COLUMNS, SCHEDULE_COLUMNS, post_from, schedule_from
from bot.storage.shards import next_wake_sql, shard_clause


# What a scheduler pass runs; named so tests can check that none scans a table.
@cache
def due_sql(shards: ShardSlice) -> str:
    return (
        f"SELECT {SCHEDULE_COLUMNS} FROM daily_schedules WHERE next_due <= $1"
        f"{shard_clause('guild_id', shards)} ORDER BY next_due LIMIT $2 FOR UPDATE SKIP LOCKED"
    )


CLAIM_SQL = (
    "INSERT INTO daily_posts (guild_id, local_date, due_at, status, attempts, retry_at, "
    "claimed_at, finished_at) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], "
    "$4::text[], $5::int[], $6::bigint[], $7::bigint[], $8::bigint[]) "
    "ON CONFLICT (guild_id, local_date) DO NOTHING RETURNING guild_id, local_date"
)
MOVE_SQL = (
    "UPDATE daily_schedules s SET next_due = m.due, next_local_date = m.day "
    "FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS m(due, day, guild) "
    "WHERE s.guild_id = m.guild"
)
# A post claimed before its schedule was turned off or paused is not sent.
CANCEL_STOPPED_SQL = (
    "UPDATE daily_posts SET status = $1, retry_at = NULL, finished_at = $2 "
    "WHERE retry_at <= $3 AND status = $4 AND EXISTS (SELECT 1 FROM daily_schedules s "
    "WHERE s.guild_id = daily_posts.guild_id AND (s.active = 0 OR s.paused_reason IS NOT NULL))"
)


# $1 the lease's end, $2 now, $3 pending, $4 how many at most.
@cache
def take_ready_sql(shards: ShardSlice) -> str:
    return (
        "UPDATE daily_posts p SET attempts = p.attempts + 1, retry_at = $1 "
        "FROM daily_schedules s WHERE s.guild_id = p.guild_id "
        "AND (p.guild_id, p.local_date) IN (SELECT r.guild_id, r.local_date FROM daily_posts r "
        "JOIN daily_schedules rs ON rs.guild_id = r.guild_id WHERE r.retry_at <= $2 "
        "AND r.status = $3 AND rs.active = 1 AND rs.paused_reason IS NULL"
        f"{shard_clause('r.guild_id', shards)} "
        "ORDER BY r.retry_at LIMIT $4 FOR UPDATE OF r SKIP LOCKED) "
        "RETURNING p.guild_id, p.local_date, p.due_at, p.attempts, p.story_id, s.channel_id, "
        "s.theme_id, p.claimed_at"
    )


FINISH_SQL = (
    "UPDATE daily_posts SET status = e.status, retry_at = e.retry, finished_at = e.finished, "
    "story_id = COALESCE(e.story, daily_posts.story_id), "
    "channel_id = COALESCE(e.channel, daily_posts.channel_id), "
    "message_id = COALESCE(e.message, daily_posts.message_id) "
    "FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], "
    "$6::bigint[], $7::bigint[], $8::bigint[]) "
    "AS e(guild, day, status, retry, finished, story, channel, message) "
    "WHERE daily_posts.guild_id = e.guild AND daily_posts.local_date = e.day "
    "AND daily_posts.status = $9"
)
_SOME = ShardSlice.of(4, (1, 2))
SCHEDULER_QUERIES: dict[str, tuple[str, tuple[object, ...]]] = {
    "due": (due_sql(ShardSlice.everything()), (1, 10)),
    "due_some_shards": (due_sql(_SOME), (1, 10)),
    "cancel_stopped": (CANCEL_STOPPED_SQL, ("c", 1, 1, "p")),
    "take_ready": (take_ready_sql(ShardSlice.everything()), (2, 1, "p", 10)),
    "take_ready_some_shards": (take_ready_sql(_SOME), (2, 1, "p", 10)),
    "next_wake": (next_wake_sql(ShardSlice.everything()), ()),
    "next_wake_some_shards": (next_wake_sql(_SOME), ()),
}


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows turned into one list per column, for ``unnest``: one statement, any count."""
    return [[row[i] for row in rows] for i in range(width)]


def _count(status: str) -> int:
    """The row count of a status line such as ``DELETE 3``."""
    return int(status.rsplit(" ", 1)[-1])


class ScheduleStore:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    # -- schedules ------------------------------------------------------------------------

    async def get(self, guild_id: int) -> Schedule | None:
        row = await self.db.fetchrow(
            f"SELECT {SCHEDULE_COLUMNS} FROM daily_schedules WHERE guild_id = $1", guild_id
        )
        return schedule_from(row) if row else None

    async def claimed_dates(self, guild_id: int, dates: Sequence[str]) -> set[str]:
        if not dates:
            return set()
        rows = await self.db.fetch(
            "SELECT local_date FROM daily_posts WHERE guild_id = $1 AND local_date = ANY($2)",
            guild_id,
            list(dates),
        )
        return {row[0] for row in rows}

    async def save(
        self,
        *,
        guild_id: int,
        channel_id: int,
        local_minute: int,
        timezone: str,
        theme_id: int | None,
        next_due: int,
        next_local_date: str,
        by: int,
        now: int,
    ) -> None:
        """Set up or change a schedule; saving it again also lifts a pause."""
        await self.db.execute(
            "INSERT INTO daily_schedules (guild_id, channel_id, local_minute, timezone, "
            "theme_id, active, paused_reason, paused_at, next_due, next_local_date, "
            "updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, 1, NULL, NULL, $6, $7, $8, $9) "
            "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, "
            "local_minute = excluded.local_minute, timezone = excluded.timezone, "
            "theme_id = excluded.theme_id, active = 1, paused_reason = NULL, "
            "paused_at = NULL, next_due = excluded.next_due, "
            "next_local_date = excluded.next_local_date, "
            "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            guild_id,
            channel_id,
            local_minute,
            timezone,
            theme_id,
            next_due,
            next_local_date,
            by,
            now,
        )

    async def turn_off(self, guild_id: int, by: int, now: int) -> bool:
        async with self.db.transaction() as conn:
            changed = await conn.fetchval(
                "UPDATE daily_schedules SET active = 0, next_due = NULL, updated_by = $1, "
                "updated_at = $2 WHERE guild_id = $3 AND active = 1 RETURNING true",
                by,
                now,
                guild_id,
            )
            await conn.execute(
                "UPDATE daily_posts SET status = $1, retry_at = NULL, finished_at = $2 "
                "WHERE guild_id = $3 AND status = $4",
                PostStatus.CANCELLED.value,
                now,
                guild_id,
                PostStatus.PENDING.value,
            )
        return bool(changed)

    async def pause(self, guild_id: int, reason: str, now: int) -> bool:
        changed = await self.db.fetchval(
            "UPDATE daily_schedules SET paused_reason = $1, paused_at = $2, next_due = NULL "
            "WHERE guild_id = $3 AND active = 1 AND paused_reason IS NULL RETURNING true",
            reason,
            now,
            guild_id,
        )
        return bool(changed)

    async def last_post(self, guild_id: int) -> DailyPost | None:
        row = await self.db.fetchrow(
            f"SELECT {POST_COLUMNS} FROM daily_posts WHERE guild_id = $1 AND status <> $2 "
            "ORDER BY due_at DESC LIMIT 1",
            guild_id,
            PostStatus.CANCELLED.value,
        )
        return post_from(row) if row else None

    async def posts(self, guild_id: int) -> list[DailyPost]:
        rows = await self.db.fetch(
            f"SELECT {POST_COLUMNS} FROM daily_posts WHERE guild_id = $1 ORDER BY due_at",
            guild_id,
        )
        return [post_from(row) for row in rows]

    # -- the scheduler --------------------------------------------------------------------

    async def next_wake(self, shards: ShardSlice) -> int | None:
        """The earliest moment anything of ``shards`` is due: a post or a claimed retry."""
        row = await self.db.fetchrow(next_wake_sql(shards))
        found = [v for v in (row[0], row[1]) if v] if row else []
        return min(found) if found else None

    async def claim_due(
        self,
        now: int,
        *,
        limit: int,
        lease: int,
        plan: Callable[[Schedule], Plan],
        shards: ShardSlice,
        ready_by: int | None = None,
    ) -> tuple[list[tuple[Schedule, Plan]], list[Job]]:
        """Claim every due post of ``shards``' servers and take the claimed posts ready for
        an attempt, in one transaction. ``plan`` (the core) decides the claims and the next
        post of a schedule.

        A schedule another pass holds is skipped, not waited for: that pass claims it. A
        claim is inserted only if absent, and only what this pass inserted is sent, so a
        post claimed once (by anyone, ever) is never claimed again.
        """
        pending = PostStatus.PENDING.value
        planned: list[tuple[Schedule, Plan]] = []
        async with self.db.transaction() as conn:
            due = [schedule_from(r) for r in await conn.fetch(due_sql(shards), now, limit)]
            claims: list[tuple[Any, ...]] = []
            to_send: dict[tuple[int, str], Job] = {}
            moves: list[tuple[Any, ...]] = []
            for row in due:
                decided = plan(row)
                planned.append((row, decided))
                for claim in decided.claims:
                    if claim.status == PostStatus.PENDING:
                        claims.append(
                            (row.guild_id, claim.local_date, claim.due_at, pending, 1,
                             now + lease, now, None)
                        )  # fmt: skip
                        to_send[(row.guild_id, claim.local_date)] = Job(
                            row.guild_id,
                            claim.local_date,
                            claim.due_at,
                            1,
                            None,
                            row.channel_id,
                            row.theme_id,
                            now,
                        )
                    else:
                        claims.append(
                            (row.guild_id, claim.local_date, claim.due_at, claim.status.value,
                             0, None, now, now)
                        )  # fmt: skip
                moves.append((decided.next_due, decided.next_local_date, row.guild_id))
            jobs: list[Job] = []
            if claims:
                made = await conn.fetch(CLAIM_SQL, *_columns(claims, 8))
                jobs = [to_send[key] for key in ((r[0], r[1]) for r in made) if key in to_send]
            if moves:
                await conn.execute(MOVE_SQL, *_columns(moves, 3))
            await conn.execute(CANCEL_STOPPED_SQL, PostStatus.CANCELLED.value, now, now, pending)
            jobs += [
                Job(*row)
                for row in await conn.fetch(
                    take_ready_sql(shards),
                    now + lease,
                    now if ready_by is None else ready_by,
                    pending,
                    limit,
                )
            ]
        jobs.sort(key=lambda job: (job.due_at, job.guild_id))
        return planned, jobs

    async def finish(self, outcomes: Sequence[PostOutcome], now: int) -> None:
        """Record how attempts ended: one statement for any number, and the pauses."""
        if not outcomes:
            return
        ended = [
            (
                o.guild_id,
                o.local_date,
                o.status.value,
                o.retry_at,
                None if o.status == PostStatus.PENDING else now,
                o.story_id,
                o.channel_id,
                o.message_id,
            )
            for o in outcomes
        ]
        paused = [
            (o.pause_reason, now, o.guild_id) for o in outcomes if o.status == PostStatus.PAUSED
        ]
        async with self.db.transaction() as conn:
            await conn.execute(FINISH_SQL, *_columns(ended, 8), PostStatus.PENDING.value)
            if paused:
                await conn.executemany(
                    "UPDATE daily_schedules SET paused_reason = $1, paused_at = $2, "
                    "next_due = NULL WHERE guild_id = $3",
                    paused,
                )

    async def prune(self, before: int) -> int:
        """Forget finished posts older than ``before``; a claim only matters near its day."""
        return _count(
            await self.db.execute(
                "DELETE FROM daily_posts WHERE due_at < $1 AND status <> $2",
                before,
                PostStatus.PENDING.value,
            )
        )

"""SQL for daily stories: schedules, claimed posts, and the scheduler's work queue.

Times are unix seconds (UTC) in INTEGER columns; local dates are ISO ``YYYY-MM-DD`` text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

from bot.records import DailyPost, Job, Plan, PostOutcome, PostStatus, Schedule
from bot.sharding import ShardSlice
from bot.storage.batching import padded
from bot.storage.rows import SCHEDULE_COLUMNS, post_from, schedule_from
from bot.storage.shards import next_wake_sql, shard_clause
from bot.storage.sqlite.database import Database


# What a scheduler pass runs; named so tests can check that none scans a table, since a
# pass runs every time a post is due and there may be 100,000 schedules.
@cache
def due_sql(shards: ShardSlice) -> str:
    return (
        f"SELECT {SCHEDULE_COLUMNS} FROM daily_schedules WHERE next_due <= ?"
        f"{shard_clause('guild_id', shards)} ORDER BY next_due LIMIT ?"
    )


# A post claimed before its schedule was turned off or paused is not sent. Driven from the
# few posts ready now, not from the schedules.
CANCEL_STOPPED_SQL = (
    "UPDATE daily_posts SET status = ?, retry_at = NULL, finished_at = ? "
    "WHERE retry_at <= ? AND status = ? AND EXISTS (SELECT 1 FROM daily_schedules s "
    "WHERE s.guild_id = daily_posts.guild_id AND (s.active = 0 OR s.paused_reason IS NOT NULL))"
)


# ?1 the lease's end, ?2 now, ?3 pending, ?4 how many at most.
@cache
def take_ready_sql(shards: ShardSlice) -> str:
    return (
        "UPDATE daily_posts SET attempts = attempts + 1, retry_at = ?1 WHERE rowid IN ("
        "SELECT p.rowid FROM daily_posts p JOIN daily_schedules s ON s.guild_id = p.guild_id "
        "WHERE p.retry_at <= ?2 AND p.status = ?3 AND s.active = 1 "
        f"AND s.paused_reason IS NULL{shard_clause('p.guild_id', shards)} "
        "ORDER BY p.retry_at LIMIT ?4) "
        "RETURNING guild_id, local_date, due_at, attempts, story_id, "
        "(SELECT channel_id FROM daily_schedules s WHERE s.guild_id = daily_posts.guild_id), "
        "(SELECT theme_id FROM daily_schedules s WHERE s.guild_id = daily_posts.guild_id), "
        "claimed_at"
    )


_ENDED_COLUMNS = 8
# Attempts recorded per statement: 2,048 values, far inside SQLite's limit of 32,766.
ENDED_PER_STATEMENT = 256


@cache
def finish_sql(rows: int) -> str:
    """How a pass's attempts ended, as one statement: ``rows`` of (guild, local date,
    status, retry at, finished at, story, channel, message), then the pending status."""
    values = ", ".join(["(" + ", ".join("?" * _ENDED_COLUMNS) + ")"] * rows)
    return (
        "WITH ended (guild, day, status, retry, finished, story, channel, message) AS "
        f"(VALUES {values}) UPDATE daily_posts SET status = ended.status, "
        "retry_at = ended.retry, finished_at = ended.finished, "
        "story_id = COALESCE(ended.story, daily_posts.story_id), "
        "channel_id = COALESCE(ended.channel, daily_posts.channel_id), "
        "message_id = COALESCE(ended.message, daily_posts.message_id) FROM ended "
        "WHERE daily_posts.guild_id = ended.guild AND daily_posts.local_date = ended.day "
        "AND daily_posts.status = ?"
    )


def _finish_statements(rows: Sequence[tuple[object, ...]]) -> list[tuple[str, list[object]]]:
    """:func:`finish_sql` with its parameters, a statement's worth of rows at a time, padded
    with rows of NULLs (which match nothing) to a power of two."""
    statements: list[tuple[str, list[object]]] = []
    for start in range(0, len(rows), ENDED_PER_STATEMENT):
        chunk = rows[start : start + ENDED_PER_STATEMENT]
        size = padded(len(chunk))
        params: list[object] = [value for row in chunk for value in row]
        params += [None] * (_ENDED_COLUMNS * (size - len(chunk)))
        statements.append((finish_sql(size), [*params, PostStatus.PENDING]))
    return statements


_SOME = ShardSlice.of(4, (1, 2))
SCHEDULER_QUERIES: dict[str, tuple[str, tuple[object, ...]]] = {
    "due": (due_sql(ShardSlice.everything()), (1, 10)),
    "due_some_shards": (due_sql(_SOME), (1, 10)),
    "cancel_stopped": (CANCEL_STOPPED_SQL, ("c", 1, 1, "p")),
    "take_ready": (take_ready_sql(ShardSlice.everything()), (2, 1, "p", 10)),
    "take_ready_some_shards": (take_ready_sql(_SOME), (2, 1, "p", 10)),
    "next_wake": (next_wake_sql(ShardSlice.everything()), ()),
    "next_wake_some_shards": (next_wake_sql(_SOME), ()),
    "finish": (finish_sql(2), (1, "d", "s", None, 1, 1, 1, 1, *[None] * 8, "p")),
}


_CLAIM_SQL = (
    "INSERT INTO daily_posts (guild_id, local_date, due_at, status, attempts, retry_at, "
    "claimed_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (guild_id, local_date) DO NOTHING"
)


class _AlreadyClaimed(Exception):
    """A pass's claims found a post claimed before; the pass is rolled back and redone."""


class ScheduleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- schedules ------------------------------------------------------------------------

    async def get(self, guild_id: int) -> Schedule | None:
        row = await self.db.fetchone(
            f"SELECT {SCHEDULE_COLUMNS} FROM daily_schedules WHERE guild_id = ?", (guild_id,)
        )
        return schedule_from(row) if row else None

    async def claimed_dates(self, guild_id: int, dates: Sequence[str]) -> set[str]:
        if not dates:
            return set()
        marks = ", ".join("?" for _ in dates)
        rows = await self.db.fetchall(
            f"SELECT local_date FROM daily_posts WHERE guild_id = ? AND local_date IN ({marks})",
            (guild_id, *dates),
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
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO daily_schedules (guild_id, channel_id, local_minute, timezone, "
                "theme_id, active, paused_reason, paused_at, next_due, next_local_date, "
                "updated_by, updated_at) VALUES (?, ?, ?, ?, ?, 1, NULL, NULL, ?, ?, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, "
                "local_minute = excluded.local_minute, timezone = excluded.timezone, "
                "theme_id = excluded.theme_id, active = 1, paused_reason = NULL, "
                "paused_at = NULL, next_due = excluded.next_due, "
                "next_local_date = excluded.next_local_date, "
                "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                (
                    guild_id,
                    channel_id,
                    local_minute,
                    timezone,
                    theme_id,
                    next_due,
                    next_local_date,
                    by,
                    now,
                ),
            )

    async def turn_off(self, guild_id: int, by: int, now: int) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE daily_schedules SET active = 0, next_due = NULL, updated_by = ?, "
                "updated_at = ? WHERE guild_id = ? AND active = 1",
                (by, now, guild_id),
            )
            changed = cursor.rowcount > 0
            await conn.execute(
                "UPDATE daily_posts SET status = ?, retry_at = NULL, finished_at = ? "
                "WHERE guild_id = ? AND status = ?",
                (PostStatus.CANCELLED, now, guild_id, PostStatus.PENDING),
            )
        return changed

    async def pause(self, guild_id: int, reason: str, now: int) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE daily_schedules SET paused_reason = ?, paused_at = ?, next_due = NULL "
                "WHERE guild_id = ? AND active = 1 AND paused_reason IS NULL",
                (reason, now, guild_id),
            )
            return cursor.rowcount > 0

    async def last_post(self, guild_id: int) -> DailyPost | None:
        row = await self.db.fetchone(
            "SELECT guild_id, local_date, due_at, status, attempts, finished_at, message_id, "
            "channel_id FROM daily_posts WHERE guild_id = ? AND status <> ? "
            "ORDER BY due_at DESC LIMIT 1",
            (guild_id, PostStatus.CANCELLED),
        )
        return post_from(row) if row else None

    async def posts(self, guild_id: int) -> list[DailyPost]:
        rows = await self.db.fetchall(
            "SELECT guild_id, local_date, due_at, status, attempts, finished_at, message_id, "
            "channel_id FROM daily_posts WHERE guild_id = ? ORDER BY due_at",
            (guild_id,),
        )
        return [post_from(row) for row in rows]

    # -- the scheduler --------------------------------------------------------------------

    async def next_wake(self, shards: ShardSlice) -> int | None:
        """The earliest moment anything of ``shards`` is due: a post or a claimed retry."""
        row = await self.db.fetchone(next_wake_sql(shards))
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
        an attempt: one transaction, so a second scheduler on the same database waits and
        then finds the work done. ``plan`` (the core) decides the claims and the next post
        of a schedule.

        A claim is a row keyed by (guild, local date) inserted only if absent, so a post
        claimed once is never claimed again. A taken post is leased for ``lease`` seconds:
        another scheduler leaves it alone unless this one dies holding it. A post claimed
        to send is taken as it is claimed; claimed posts whose retry is due are taken after.
        """
        ready = now if ready_by is None else ready_by
        try:
            return await self._claim_due(now, limit, lease, plan, shards, ready, one_by_one=False)
        except _AlreadyClaimed:
            # Some post of this pass had been claimed before (nothing in this process does
            # that): claim again one at a time, to send only what this pass claimed.
            return await self._claim_due(now, limit, lease, plan, shards, ready, one_by_one=True)

    async def _claim_due(
        self,
        now: int,
        limit: int,
        lease: int,
        plan: Callable[[Schedule], Plan],
        shards: ShardSlice,
        ready: int,
        *,
        one_by_one: bool,
    ) -> tuple[list[tuple[Schedule, Plan]], list[Job]]:
        planned: list[tuple[Schedule, Plan]] = []
        async with self.db.transaction() as conn:
            due = [
                schedule_from(r) for r in await conn.execute_fetchall(due_sql(shards), (now, limit))
            ]
            claims: list[tuple[object, ...]] = []
            to_send: list[Job | None] = []
            moves: list[tuple[object, ...]] = []
            for row in due:
                decided = plan(row)
                planned.append((row, decided))
                for claim in decided.claims:
                    if claim.status == PostStatus.PENDING:
                        claims.append(
                            (
                                row.guild_id,
                                claim.local_date,
                                claim.due_at,
                                PostStatus.PENDING,
                                1,
                                now + lease,
                                now,
                                None,
                            )
                        )
                        to_send.append(
                            Job(
                                row.guild_id,
                                claim.local_date,
                                claim.due_at,
                                1,
                                None,
                                row.channel_id,
                                row.theme_id,
                                now,
                            )
                        )
                    else:
                        claims.append(
                            (
                                row.guild_id,
                                claim.local_date,
                                claim.due_at,
                                claim.status,
                                0,
                                None,
                                now,
                                now,
                            )
                        )
                        to_send.append(None)
                moves.append((decided.next_due, decided.next_local_date, row.guild_id))
            jobs: list[Job] = []
            if claims and one_by_one:
                for claim, job in zip(claims, to_send, strict=True):
                    cursor = await conn.execute(_CLAIM_SQL, claim)
                    if cursor.rowcount == 1 and job is not None:
                        jobs.append(job)
            elif claims:
                cursor = await conn.executemany(_CLAIM_SQL, claims)
                if cursor.rowcount != len(claims):
                    raise _AlreadyClaimed
                jobs = [job for job in to_send if job is not None]
            if moves:
                await conn.executemany(
                    "UPDATE daily_schedules SET next_due = ?, next_local_date = ? "
                    "WHERE guild_id = ?",
                    moves,
                )
            await conn.execute(
                CANCEL_STOPPED_SQL, (PostStatus.CANCELLED, now, now, PostStatus.PENDING)
            )
            # Retries whose time has come, taken and leased in one statement; RETURNING
            # gives the attempt's number.
            jobs += [
                Job(*row)
                for row in await conn.execute_fetchall(
                    take_ready_sql(shards), (now + lease, ready, PostStatus.PENDING, limit)
                )
            ]
        jobs.sort(key=lambda job: (job.due_at, job.guild_id))
        return planned, jobs

    async def finish(self, outcomes: Sequence[PostOutcome], now: int) -> None:
        """Record how attempts ended: one statement, in one trip, unless a schedule is to
        be paused too (then one transaction)."""
        if not outcomes:
            return
        ended = [
            (
                o.guild_id,
                o.local_date,
                o.status,
                o.retry_at,
                None if o.status == PostStatus.PENDING else now,
                o.story_id,
                o.channel_id,
                o.message_id,
            )
            for o in outcomes
        ]
        statements = _finish_statements(ended)
        paused = [
            (o.pause_reason, now, o.guild_id) for o in outcomes if o.status == PostStatus.PAUSED
        ]
        if len(statements) == 1 and not paused:
            await self.db.write_returning(*statements[0])
            return
        async with self.db.transaction() as conn:
            for sql, params in statements:
                await conn.execute(sql, params)
            if paused:
                await conn.executemany(
                    "UPDATE daily_schedules SET paused_reason = ?, paused_at = ?, "
                    "next_due = NULL WHERE guild_id = ?",
                    paused,
                )

    async def prune(self, before: int) -> int:
        """Forget finished posts older than ``before``; a claim only matters near its day."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM daily_posts WHERE due_at < ? AND status <> ?",
                (before, PostStatus.PENDING),
            )
            return cursor.rowcount

"""Draws from the no-repeat rounds on PostgreSQL: take the next slots, then read them.

Taking is one INSERT ... ON CONFLICT DO UPDATE for a batch of asks: the row lock each
upsert takes is what keeps two members (in two processes, even) from sharing a slot, and
a conflicting upsert in another transaction waits for it and then moves on from what it
wrote. PostgreSQL lets one statement change a row once only, so asks for the same round
go in successive statements, each round once per statement.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.records import DrawAsk, Story
from bot.storage.postgres.database import Connection, PgDatabase
from bot.storage.rounds import Drawn, Slot, Taken, keep_ended_sql, taken
from bot.storage.rows import story_from

TAKE_SQL = (
    "INSERT INTO rounds (channel_id, theme_id, seed, size, bundled_size, position) "
    "SELECT a.channel, a.theme, a.seed, COALESCE(b.next_ordinal, 0) "
    "+ COALESCE(o.next_ordinal, 0), COALESCE(b.next_ordinal, 0), 1 "
    "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) "
    "AS a(theme, guild, channel, seed) "
    "LEFT JOIN pool_sizes b ON b.guild_id = 0 AND b.theme_id = a.theme "
    "LEFT JOIN pool_sizes o ON o.guild_id = a.guild AND o.theme_id = a.theme "
    "AND a.guild <> 0 "
    "WHERE COALESCE(b.live, 0) + COALESCE(o.live, 0) > 0 "
    # Rows are locked in the order they are inserted: one order for every statement means
    # two batches in flight at once (or a batch and the scheduler's draws) never deadlock.
    "ORDER BY a.channel, a.theme "
    "ON CONFLICT (channel_id, theme_id) DO UPDATE SET "
    "seed = CASE WHEN rounds.position >= rounds.size THEN excluded.seed ELSE rounds.seed END, "
    "size = CASE WHEN rounds.position >= rounds.size THEN excluded.size ELSE rounds.size END, "
    "bundled_size = CASE WHEN rounds.position >= rounds.size THEN excluded.bundled_size "
    "ELSE rounds.bundled_size END, "
    "position = CASE WHEN rounds.position >= rounds.size THEN 1 ELSE rounds.position + 1 END, "
    f"{keep_ended_sql('rounds.')} "
    "RETURNING channel_id, theme_id, seed, size, bundled_size, position, "
    "prev_seed, prev_size, prev_bundled_size"
)
# A story's primary theme is read only for a draw from every theme (theme 0): a card drawn
# for a theme shows that theme. A story hidden in the asking server reads as absent.
READ_SQL = (
    "SELECT w.k, s.id, s.guild_id, s.title, s.body, s.notes, s.credit, s.source_date, "
    "s.teller, CASE WHEN w.theme = 0 THEN (SELECT st.theme_id FROM story_themes st "
    "WHERE st.story_id = s.id ORDER BY st.position LIMIT 1) END "
    "FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) "
    "AS w(k, theme, guild, ordinal, viewer) "
    "JOIN pool_members pm ON pm.theme_id = w.theme AND pm.guild_id = w.guild "
    "AND pm.ordinal = w.ordinal "
    "JOIN stories s ON s.id = pm.story_id AND s.active = 1 "
    "WHERE NOT EXISTS (SELECT 1 FROM hidden_stories h WHERE h.guild_id = w.viewer "
    "AND h.story_id = s.id)"
)


def _waves(asks: Sequence[DrawAsk]) -> list[list[int]]:
    """Indexes of ``asks`` in statements that each name a round at most once."""
    waves: list[list[int]] = []
    seen: list[set[tuple[int, int]]] = []
    for i, ask in enumerate(asks):
        key = (ask.channel_id, ask.theme_id)
        for wave, keys in zip(waves, seen, strict=True):
            if key not in keys:
                wave.append(i)
                keys.add(key)
                break
        else:
            waves.append([i])
            seen.append({key})
    return waves


async def take_many(conn: Connection, asks: Sequence[DrawAsk]) -> list[Taken | None]:
    """Take a slot for every ask; None where the pool has no live story."""
    found: list[Taken | None] = [None] * len(asks)
    for wave in _waves(asks):
        chosen = [asks[i] for i in wave]
        rows = await conn.fetch(
            TAKE_SQL,
            [a.theme_id for a in chosen],
            [a.guild_id for a in chosen],
            [a.channel_id for a in chosen],
            [a.fresh_seed for a in chosen],
        )
        where = {(a.channel_id, a.theme_id): i for i, a in zip(wave, chosen, strict=True)}
        for channel_id, theme_id, seed, size, bundled_size, position, *ended in rows:
            i = where[(channel_id, theme_id)]
            found[i] = taken(
                theme_id, asks[i].guild_id, seed, size, bundled_size, position, tuple(ended)
            )
    return found


async def read_slots(conn: Connection, slots: Sequence[tuple[int, Slot]]) -> list[Story | None]:
    """The live story in each (asking server, slot), in order, in one statement."""
    found: list[Story | None] = [None] * len(slots)
    rows = await conn.fetch(
        READ_SQL,
        list(range(len(slots))),
        [s.theme_id for _, s in slots],
        [s.guild_id for _, s in slots],
        [s.ordinal for _, s in slots],
        [viewer for viewer, _ in slots],
    )
    for row in rows:
        found[row[0]] = story_from(tuple(row)[1:])
    return found


async def draw_many(db: PgDatabase, asks: Sequence[DrawAsk]) -> list[Drawn | None]:
    """Take and read for every ask: the takes, then one read for all their slots, on one
    connection."""
    stories: list[Story | None] = [None] * len(asks)
    async with db.connection() as conn:
        took = await take_many(conn, asks)
        wanted = [(i, (asks[i].guild_id, t.slot)) for i, t in enumerate(took) if t is not None]
        if wanted:
            found = await read_slots(conn, [slot for _, slot in wanted])
            for (i, _), story in zip(wanted, found, strict=True):
                stories[i] = story
    return [None if t is None else Drawn(t.size, stories[i]) for i, t in enumerate(took)]

"""Draws from the no-repeat rounds: take the next slot of a round, then read its story.

Taking is one write for any number of draws (draws asked for meanwhile share it, see
bot.storage.batching). Reading is spread over a few read-only connections at once: with a
library bigger than the host keeps in memory, a read mostly waits for the disk, and the
disk answers several reads at once nearly as fast as one. The batch is handed back whole:
handing back each reader's share as it came, so the first cards go out sooner, was
measured and lost, because the readers' turns with the GIL slowed the event loop more.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from functools import cache

import aiosqlite

from bot.records import DrawAsk, Story
from bot.storage.batching import padded
from bot.storage.rounds import Drawn, Slot, Taken, keep_ended_sql, taken
from bot.storage.rows import story_from
from bot.storage.sqlite.database import Database

log = logging.getLogger(__name__)

# Pad rows: no theme has id -1, so they take no slot and find no story.
_ASK_PAD = (-1, 0, 0, 0)
_SLOT_PAD = (-1, -1, 0, 0, 0)


# Every draw reads these tables (a rounds row, its index, the pool sizes, a pool member)
# at random. Read through once, they are in the host's cache before the first draws find
# them missing one page at a time: each statement walks a whole table or index.
PREWARM_SQL = (
    "SELECT count(*) FROM pool_members",
    "SELECT max(position) FROM rounds",
    "SELECT count(*) FROM rounds",
    "SELECT max(live) FROM pool_sizes",
    "SELECT count(*) FROM pool_sizes",
)


@cache
def take_sql(rows: int) -> str:
    """One statement taking a slot for ``rows`` asks of (theme, guild, channel, fresh seed).

    Each ask starts its channel's round for the theme, or moves it on by one slot (a new
    round with the fresh seed once it is through), and returns the round as it now is.
    Taking the slot and moving on in one write means two members asking at once never
    share a story. Asks for a pool with no live story return no row. Rows are processed
    in order, so two asks for one round take two slots.
    """
    values = ", ".join(["(?, ?, ?, ?)"] * rows)
    return (
        f"WITH asked (theme, guild, channel, seed) AS (VALUES {values}) "
        "INSERT INTO rounds (channel_id, theme_id, seed, size, bundled_size, position) "
        "SELECT channel, theme, seed, bundled + own, bundled, 1 FROM (SELECT channel, theme,"
        " seed,"
        " COALESCE((SELECT next_ordinal FROM pool_sizes WHERE guild_id = 0"
        " AND theme_id = asked.theme), 0) AS bundled,"
        " COALESCE((SELECT next_ordinal FROM pool_sizes WHERE guild_id = asked.guild"
        " AND theme_id = asked.theme AND asked.guild != 0), 0) AS own,"
        " COALESCE((SELECT live FROM pool_sizes WHERE guild_id = 0"
        " AND theme_id = asked.theme), 0)"
        " + COALESCE((SELECT live FROM pool_sizes WHERE guild_id = asked.guild"
        " AND theme_id = asked.theme AND asked.guild != 0), 0) AS live FROM asked) "
        "WHERE live > 0 "
        "ON CONFLICT (channel_id, theme_id) DO UPDATE SET"
        " seed = iif(position >= size, excluded.seed, seed),"
        " size = iif(position >= size, excluded.size, size),"
        " bundled_size = iif(position >= size, excluded.bundled_size, bundled_size),"
        " position = iif(position >= size, 1, position + 1), "
        f"{keep_ended_sql('')} "
        "RETURNING channel_id, theme_id, seed, size, bundled_size, position,"
        " prev_seed, prev_size, prev_bundled_size"
    )


@cache
def read_sql(rows: int) -> str:
    """The live story in each of ``rows`` slots (key, theme, pool's guild, ordinal, and
    the server asking), as that server sees it: a story hidden there reads as absent.

    A story's primary theme is read only for a draw from every theme (theme 0): a card
    drawn for a theme shows that theme, and the lookup is a page read of its own.
    """
    values = ", ".join(["(?, ?, ?, ?, ?)"] * rows)
    return (
        f"WITH wanted (k, theme, guild, ordinal, viewer) AS (VALUES {values}) "
        "SELECT wanted.k, s.id, s.guild_id, s.title, s.body, s.notes, s.credit,"
        " s.source_date, s.teller, iif(wanted.theme = 0, (SELECT st.theme_id"
        " FROM story_themes st WHERE st.story_id = s.id ORDER BY st.position LIMIT 1),"
        " NULL) FROM wanted"
        " JOIN pool_members pm ON pm.theme_id = wanted.theme AND pm.guild_id = wanted.guild"
        " AND pm.ordinal = wanted.ordinal"
        " JOIN stories s ON s.id = pm.story_id AND s.active = 1"
        " WHERE NOT EXISTS (SELECT 1 FROM hidden_stories h WHERE h.guild_id = wanted.viewer"
        " AND h.story_id = s.id)"
    )


async def take_many(db: Database, asks: Sequence[DrawAsk]) -> list[Taken | None]:
    """Take a slot for every ask in one statement; None where the pool has no live story."""
    rows = padded(len(asks))
    params: list[int] = []
    for ask in asks:
        params += (ask.theme_id, ask.guild_id, ask.channel_id, ask.fresh_seed)
    for _ in range(rows - len(asks)):
        params += _ASK_PAD
    returned = await db.write_returning(take_sql(rows), params)
    # A channel is in one guild, so its asks name one. Found here rather than by RETURNING,
    # where it would be a search of every ask for every row.
    guilds = {(ask.channel_id, ask.theme_id): ask.guild_id for ask in asks}
    # Asks for the same round are alike, so any slot of that round may go to any of them.
    slots: dict[tuple[int, int], list[Taken]] = {}
    for channel_id, theme_id, seed, size, bundled_size, position, *ended in returned:
        guild_id = guilds[(channel_id, theme_id)]
        slots.setdefault((channel_id, theme_id), []).append(
            taken(theme_id, guild_id, seed, size, bundled_size, position, tuple(ended))
        )
    found: list[Taken | None] = []
    for ask in asks:
        mine = slots.get((ask.channel_id, ask.theme_id))
        found.append(mine.pop(0) if mine else None)
    return found


async def read_slots(
    conn: aiosqlite.Connection, slots: Sequence[tuple[int, Slot]]
) -> list[Story | None]:
    """The live story in each (asking server, slot), in order, as one statement on ``conn``."""
    rows = padded(len(slots))
    params: list[int] = []
    for k, (viewer, slot) in enumerate(slots):
        params += (k, slot.theme_id, slot.guild_id, slot.ordinal, viewer)
    for _ in range(rows - len(slots)):
        params += _SLOT_PAD
    found: list[Story | None] = [None] * len(slots)
    for row in await conn.execute_fetchall(read_sql(rows), params):
        found[row[0]] = story_from(tuple(row)[1:])
    return found


async def draw_many(
    db: Database, asks: Sequence[DrawAsk], *, side_by_side: int = 1
) -> list[Drawn | None]:
    """Take and read for every ask: one write, then reads on up to ``side_by_side`` readers.

    Reading side by side saves waiting, not work: each reader is one more trip to a
    thread, so work that nobody waits for (the daily scheduler's) reads on one. Inside a
    transaction everything stays on its connection, which alone sees what the transaction
    wrote.
    """
    took = await take_many(db, asks)
    wanted = [(i, (asks[i].guild_id, t.slot)) for i, t in enumerate(took) if t is not None]
    if db.readers and not db.in_transaction():
        readers = db.readers[: max(1, min(side_by_side, len(wanted)))]
    else:
        readers = [db.conn]
    parts = [(conn, wanted[n :: len(readers)]) for n, conn in enumerate(readers)]
    parts = [(conn, part) for conn, part in parts if part]
    stories: list[Story | None] = [None] * len(asks)
    done = await asyncio.gather(
        *(read_slots(conn, [slot for _, slot in part]) for conn, part in parts)
    )
    for (_, part), found in zip(parts, done, strict=True):
        for (i, _), story in zip(part, found, strict=True):
            stories[i] = story
    return [None if t is None else Drawn(t.size, stories[i]) for i, t in enumerate(took)]


async def prewarm(db: Database) -> None:
    """Read the tables every draw needs once, on a connection of its own, like a
    database's prewarm at boot, so that early draws need not wait for the disk."""
    # aiosqlite opens on a thread of its own that cannot be stopped: cancelled meanwhile,
    # the opening is waited for and closed, or the thread would report to a closed loop.
    opening = asyncio.ensure_future(aiosqlite.connect(db.path, isolation_level=None))
    try:
        conn = await asyncio.shield(opening)
    except asyncio.CancelledError:
        await (await opening).close()
        raise
    try:
        await conn.execute("PRAGMA query_only=1")
        for sql in PREWARM_SQL:
            await conn.execute_fetchall(sql)
    except asyncio.CancelledError:
        # The statement runs on in aiosqlite's thread: stop it, so closing does not wait.
        await conn.interrupt()
        raise
    except Exception:  # only speed is lost; serving goes on
        log.warning("reading the draw tables ahead failed", exc_info=True)
    finally:
        await conn.close()

"""Draws from the no-repeat rounds, as one statement for any number of draws.

The statement is the whole draw, so a /story costs one trip to the database thread, and
draws asked for meanwhile share that trip (see bot.storage.batching).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from bot.storage.batching import padded
from bot.storage.database import Database

# A pad row: no theme has id -1, so it has no live story and draws nothing.
_PAD = (-1, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Ask:
    theme_id: int
    guild_id: int
    channel_id: int
    fresh_seed: int


@dataclass(frozen=True, slots=True)
class Drawn:
    """The slot a draw took and the story in it: None if that story has been retired."""

    seed: int
    size: int
    bundled_size: int
    position: int
    story: dict[str, Any] | None


@cache
def draw_sql(rows: int) -> str:
    """One statement drawing for ``rows`` asks of (theme, guild, channel, fresh seed).

    Each ask starts its channel's round for the theme, or moves it on by one slot (a new
    round with the fresh seed once it is through); RETURNING then reads the story in the
    slot taken. round_slot() is the round's Feistel permutation (bot.shuffle.permute,
    registered on the connection). Taking the slot and moving on in one write means two
    members asking at once never share a story. Asks for a pool with no live story return
    no row. Rows are processed in order, so two asks for one round take two slots.
    A story's primary theme is read only for a draw from every theme (theme 0): a card
    drawn for a theme shows that theme, and the lookup is a page read of its own.
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
        " position = iif(position >= size, 1, position + 1) "
        "RETURNING channel_id, theme_id, seed, size, bundled_size, position,"
        " (SELECT json_object('id', s.id, 'guild_id', s.guild_id, 'title', s.title,"
        " 'body', s.body, 'notes', s.notes, 'credit', s.credit, 'source_date', s.source_date,"
        " 'teller', s.teller, 'primary_theme', iif(rounds.theme_id = 0, (SELECT st.theme_id"
        " FROM story_themes st WHERE st.story_id = s.id ORDER BY st.position LIMIT 1), NULL))"
        " FROM (SELECT round_slot(rounds.position - 1, rounds.size, rounds.seed) AS slot)"
        " AS taken"
        " JOIN pool_members pm ON pm.theme_id = rounds.theme_id"
        " AND pm.guild_id = iif(taken.slot < rounds.bundled_size, 0,"
        " (SELECT guild FROM asked WHERE asked.channel = rounds.channel_id"
        " AND asked.theme = rounds.theme_id LIMIT 1))"
        " AND pm.ordinal = iif(taken.slot < rounds.bundled_size, taken.slot,"
        " taken.slot - rounds.bundled_size)"
        " JOIN stories s ON s.id = pm.story_id AND s.active = 1)"
    )


async def draw_many(db: Database, asks: Sequence[Ask]) -> list[Drawn | None]:
    """Draw for every ask in one statement; None where the pool has no live story."""
    rows = padded(len(asks))
    params: list[int] = []
    for ask in asks:
        params += (ask.theme_id, ask.guild_id, ask.channel_id, ask.fresh_seed)
    for _ in range(rows - len(asks)):
        params += _PAD
    returned = await db.write_returning(draw_sql(rows), params)
    # Asks for the same round are alike, so any slot of that round may go to any of them.
    slots: dict[tuple[int, int], list[Drawn]] = {}
    for channel_id, theme_id, seed, size, bundled_size, position, story in returned:
        slots.setdefault((channel_id, theme_id), []).append(
            Drawn(seed, size, bundled_size, position, json.loads(story) if story else None)
        )
    found: list[Drawn | None] = []
    for ask in asks:
        taken = slots.get((ask.channel_id, ask.theme_id))
        found.append(taken.pop(0) if taken else None)
    return found

"""Writing stories on PostgreSQL: new and changed stories into their pools, and the census
of bundled keys that retires the stories the data files no longer hold.

Apart from library.py, which serves: these run when the library is imported (and when an
approved submission becomes a story), lock the pools they grow, and hold a connection of
their own for the census; nothing a /story draws goes through them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from bot.records import ANY_THEME, NewStory
from bot.storage.postgres.database import PgDatabase


async def write_stories(
    conn: Any,
    guild_id: int,
    created_at: str,
    inserts: Sequence[NewStory],
    updates: Sequence[tuple[int, NewStory]],
) -> list[int]:
    """Insert new stories and update changed ones on ``conn``, inside the caller's
    transaction; return the new ids.

    The pools' next ordinals are locked for the transaction (in theme order, so two
    writers never wait on each other in a circle), so two processes adding stories to
    one server at once hand out different ordinals. Rows go in with COPY.
    """
    themes = {ANY_THEME}
    for story in [*inserts, *(s for _, s in updates)]:
        themes.update(story.themes)
    ordered = sorted(themes)
    await conn.execute(
        "INSERT INTO pool_sizes (guild_id, theme_id, next_ordinal, live) "
        "SELECT $1, t, 0, 0 FROM unnest($2::bigint[]) AS t ORDER BY t "
        "ON CONFLICT DO NOTHING",
        guild_id,
        ordered,
    )
    ordinals: dict[int, int] = {
        r[0]: r[1]
        for r in await conn.fetch(
            "SELECT theme_id, next_ordinal FROM pool_sizes WHERE guild_id = $1 "
            "AND theme_id = ANY($2::bigint[]) ORDER BY theme_id FOR UPDATE",
            guild_id,
            ordered,
        )
    }
    members: list[tuple[int, int, int, int]] = []
    links: list[tuple[int, int, int]] = []

    def join(story_id: int, theme_ids: Iterable[int]) -> None:
        for theme_id in theme_ids:
            members.append((theme_id, guild_id, ordinals[theme_id], story_id))
            ordinals[theme_id] += 1

    new_ids = [
        int(r[0])
        for r in await conn.fetch(
            "SELECT nextval(pg_get_serial_sequence('stories', 'id')) FROM generate_series(1, $1)",
            len(inserts),
        )
    ]
    await conn.copy_records_to_table(
        "stories",
        columns=[
            "id",
            "bundle_key",
            "guild_id",
            "title",
            "body",
            "notes",
            "credit",
            "source_date",
            "teller",
            "digest",
            "active",
            "created_at",
        ],
        records=[
            (
                story_id,
                story.bundle_key,
                guild_id,
                story.title,
                story.body,
                story.notes,
                story.credit,
                story.source_date,
                story.teller,
                story.digest,
                1,
                created_at,
            )
            for story_id, story in zip(new_ids, inserts, strict=True)
        ],
    )
    for story_id, story in zip(new_ids, inserts, strict=True):
        links.extend((story_id, t, i) for i, t in enumerate(story.themes))
        join(story_id, (ANY_THEME, *story.themes))
    joined = len(members)
    if updates:
        await _update_stories(conn, updates, links, join)
    await conn.copy_records_to_table(
        "story_themes", columns=["story_id", "theme_id", "position"], records=links
    )
    await conn.copy_records_to_table(
        "pool_members",
        columns=["theme_id", "guild_id", "ordinal", "story_id"],
        records=members,
    )
    # New stories are live at once, so an import in batches serves each as it lands;
    # what updates change is counted again when the import ends (recount_pools).
    fresh: dict[int, int] = {}
    for theme_id, _, _, _ in members[:joined]:
        fresh[theme_id] = fresh.get(theme_id, 0) + 1
    await conn.executemany(
        "UPDATE pool_sizes SET next_ordinal = $3, live = live + $4 "
        "WHERE guild_id = $1 AND theme_id = $2",
        [(guild_id, t, n, fresh.get(t, 0)) for t, n in ordinals.items()],
    )
    return new_ids


async def _update_stories(
    conn: Any,
    updates: Sequence[tuple[int, NewStory]],
    links: list[tuple[int, int, int]],
    join: Callable[[int, Iterable[int]], None],
) -> None:
    await conn.executemany(
        "UPDATE stories SET title = $1, body = $2, notes = $3, credit = $4, "
        "source_date = $5, teller = $6, digest = $7, active = 1 WHERE id = $8",
        [
            (s.title, s.body, s.notes, s.credit, s.source_date, s.teller, s.digest, story_id)
            for story_id, s in updates
        ],
    )
    ids = [story_id for story_id, _ in updates]
    old: dict[int, set[int]] = {}
    for story_id, theme_id in await conn.fetch(
        "SELECT story_id, theme_id FROM story_themes WHERE story_id = ANY($1::bigint[])", ids
    ):
        old.setdefault(story_id, set()).add(theme_id)
    await conn.execute("DELETE FROM story_themes WHERE story_id = ANY($1::bigint[])", ids)
    gone: list[tuple[int, int]] = []
    for story_id, story in updates:
        had = old.get(story_id, set())
        links.extend((story_id, t, i) for i, t in enumerate(story.themes))
        gone.extend((story_id, t) for t in had - set(story.themes))
        join(story_id, [t for t in story.themes if t not in had])
    if gone:
        await conn.executemany(
            "DELETE FROM pool_members WHERE story_id = $1 AND theme_id = $2", gone
        )


class KeyCensus:
    """Which bundled keys the data files still hold, counted through one import."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db
        self._conn: Any = None

    async def begin(self) -> None:
        """Start counting which bundled keys the data files still hold.

        The import commits batch by batch, so the keys live in a temporary table on a
        connection of the census's own, held from here to :meth:`end`.
        """
        await self.end()
        conn = await self.db.pool.acquire()
        self._conn = conn
        await conn.execute("CREATE TEMP TABLE IF NOT EXISTS census_keys (key TEXT PRIMARY KEY)")
        await conn.execute("TRUNCATE census_keys")

    def _connection(self) -> Any:
        if self._conn is None:
            raise RuntimeError("no key census is open")
        return self._conn

    async def count(self, keys: Sequence[str]) -> None:
        await self._connection().execute(
            "INSERT INTO census_keys (key) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
            list(keys),
        )

    async def retire_uncounted(self) -> int:
        """Stop serving bundled stories whose entry left the data files."""
        status = await self._connection().execute(
            "UPDATE stories SET active = 0 WHERE guild_id = 0 AND active = 1 "
            "AND NOT EXISTS (SELECT 1 FROM census_keys c WHERE c.key = stories.bundle_key)"
        )
        return int(status.rsplit(" ", 1)[-1])

    async def end(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.execute("DROP TABLE IF EXISTS census_keys")
            finally:
                await self.db.pool.release(conn)

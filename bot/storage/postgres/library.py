"""SQL for themes, stories, pools and no-repeat rounds on PostgreSQL.

Several processes serve one database here, so the counts each keeps in memory are told of
changes: a write that changes a pool's live count notifies every listening process (in
the same transaction, so the notice goes out when the change is visible), and each
reloads that one server's counts at once. The periodic full reload stays as a backstop,
and a listener that lost its connection reconnects and reloads them all (listening.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bot.records import BUNDLED, DataFile, DrawAsk, NewStory, Story, ThemeRecord
from bot.storage.batching import Coalescer
from bot.storage.counts import PoolCounts
from bot.storage.postgres.database import PgDatabase
from bot.storage.postgres.draws import draw_many, story_from
from bot.storage.postgres.library_sql import (
    ALL_HIDDEN_COUNTS_SQL,
    COUNTS_PAGE_SQL,
    GUILD_COUNTS_SQL,
    HIDDEN_COUNTS_SQL,
    RECOUNT_SQL,
    STORY_SQL,
)
from bot.storage.postgres.library_writes import KeyCensus, write_stories
from bot.storage.postgres.listening import Listener
from bot.storage.rounds import Drawn, draw_live

# The most draws one statement carries, and how many such statements are in flight at
# once, each on a connection of its own. Under load the members in flight reach their draw
# together: a few large batches took nearly all of them at once, so the event loop sat idle
# while those were away and their answers then left in a burst. Small batches, several at
# a time, keep some members in the database while the loop answers the others.
DRAW_BATCH = 16
DRAW_RUNNERS = 6
# The channel every process listens on for "this server's pools changed".
POOLS_CHANNEL = "bedside_pools"


class LibraryStore:
    def __init__(self, db: PgDatabase, listener: Listener) -> None:
        self.db = db
        self._draws: Coalescer[DrawAsk, Drawn | None] = Coalescer(
            lambda asks: draw_many(db, asks),
            max_batch=DRAW_BATCH,
            name="story-draws",
            runners=DRAW_RUNNERS,
        )
        self.counts = PoolCounts(
            self._counts_page, self._guild_counts, read_hidden=self._hidden_counts
        )
        self.listener = listener
        listener.subscribe(
            POOLS_CHANNEL, lambda guild: self.counts.heard(int(guild)), self.counts.load
        )
        self._census = KeyCensus(db)

    async def _counts_page(self, guild_id: int, theme_id: int, limit: int) -> list[Any]:
        return list(await self.db.fetch(COUNTS_PAGE_SQL, guild_id, theme_id, limit))

    async def _guild_counts(self, guild_id: int) -> list[Any]:
        return list(await self.db.fetch(GUILD_COUNTS_SQL, guild_id))

    async def _hidden_counts(self, guild_id: int | None) -> list[Any]:
        if guild_id is None:
            return list(await self.db.fetch(ALL_HIDDEN_COUNTS_SQL))
        return list(await self.db.fetch(HIDDEN_COUNTS_SQL, guild_id))

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """This task's storage calls inside the block are one change: all of it or none."""
        async with self.db.transaction():
            yield

    async def ready(self) -> None:
        """The bundled library is in: hold the counts, and hear of other processes' changes
        (to the library and to every store that subscribed to the listener)."""
        await self.counts.load()
        await self.listener.start()

    async def close(self) -> None:
        await self.counts.close()
        await self.listener.close()

    async def counts_changed(self, guild_id: int) -> None:
        """What a server may be served changed outside the pools (a story hidden there):
        read its counts again, here and (once this transaction commits) everywhere."""
        await self._pools_changed_in(guild_id)
        await self.counts.refresh(guild_id)

    async def _pools_changed_in(self, guild_id: int) -> None:
        """Tell every process (this one too) that ``guild_id``'s counts changed."""
        await self.db.execute("SELECT pg_notify($1, $2)", POOLS_CHANNEL, str(guild_id))

    # -- themes -------------------------------------------------------------------------

    async def themes(self) -> list[ThemeRecord]:
        rows = await self.db.fetch(
            "SELECT id, slug, title, emoji, colour, description FROM themes WHERE active = 1"
        )
        aliases: dict[int, list[str]] = {}
        for alias, theme_id in await self.db.fetch(
            "SELECT alias, theme_id FROM theme_aliases ORDER BY alias"
        ):
            aliases.setdefault(theme_id, []).append(alias)
        return [ThemeRecord(*r, tuple(aliases.get(r[0], ()))) for r in rows]

    async def replace_themes(self, themes: Sequence[ThemeRecord]) -> None:
        """Make the active themes exactly ``themes`` (matched by slug); ids never change."""
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE themes SET active = 0")
            await conn.execute("DELETE FROM theme_aliases")
            for theme in themes:
                theme_id = await conn.fetchval(
                    "INSERT INTO themes (slug, title, emoji, colour, description, active) "
                    "VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT (slug) DO UPDATE SET "
                    "title = excluded.title, emoji = excluded.emoji, colour = excluded.colour, "
                    "description = excluded.description, active = 1 RETURNING id",
                    theme.slug,
                    theme.title,
                    theme.emoji,
                    theme.colour,
                    theme.description,
                )
                await conn.executemany(
                    "INSERT INTO theme_aliases (alias, theme_id) VALUES ($1, $2)",
                    [(alias, theme_id) for alias in theme.aliases],
                )

    async def live_counts(self, guild_id: int) -> dict[int, int]:
        """Stories a member of ``guild_id`` can be served, per theme (0: all)."""
        return await self.counts.for_guild(guild_id)

    # -- data files ---------------------------------------------------------------------

    async def data_files(self) -> dict[str, DataFile]:
        rows = await self.db.fetch("SELECT path, digest, size, mtime_ns FROM data_files")
        return {r[0]: DataFile(r[1], r[2], r[3]) for r in rows}

    async def set_data_files(self, files: dict[str, DataFile]) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM data_files")
            await conn.executemany(
                "INSERT INTO data_files (path, digest, size, mtime_ns) VALUES ($1, $2, $3, $4)",
                [(path, f.digest, f.size, f.mtime_ns) for path, f in files.items()],
            )

    # -- bundled import -----------------------------------------------------------------

    async def bundled_digests(self, keys: Sequence[str]) -> dict[str, tuple[int, str, int]]:
        """key -> (id, digest, active) for the bundled stories among ``keys``."""
        rows = await self.db.fetch(
            "SELECT bundle_key, id, digest, active FROM stories WHERE bundle_key = ANY($1)",
            list(keys),
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    async def write_stories(
        self,
        guild_id: int,
        created_at: str,
        inserts: Sequence[NewStory],
        updates: Sequence[tuple[int, NewStory]],
    ) -> list[int]:
        """Insert new stories and update changed ones in one transaction; return new ids."""
        async with self.db.transaction() as conn:
            new_ids = await write_stories(conn, guild_id, created_at, inserts, updates)
            await self.counts.refresh(guild_id)
        return new_ids

    async def begin_key_census(self) -> None:
        await self._census.begin()

    async def count_keys(self, keys: Sequence[str]) -> None:
        await self._census.count(keys)

    async def retire_uncounted_bundled(self) -> int:
        """Stop serving bundled stories whose entry left the data files."""
        return await self._census.retire_uncounted()

    async def end_key_census(self) -> None:
        await self._census.end()

    async def recount_pools(self, guild_id: int) -> None:
        async with self.db.transaction():
            await self.db.execute(RECOUNT_SQL, guild_id)
            await self._pools_changed_in(guild_id)
            await self.counts.refresh(guild_id)

    async def retire_server_story(self, guild_id: int, story_id: int) -> bool:
        """Stop serving one story that ``guild_id`` owns; False if there is no such live story.

        Bundled stories (guild 0) are never retired here: they leave with the data files.
        """
        if guild_id == BUNDLED:
            return False
        async with self.db.transaction():
            retired = await self.db.fetchval(
                "UPDATE stories SET active = 0 WHERE id = $1 AND guild_id = $2 AND active = 1 "
                "RETURNING true",
                story_id,
                guild_id,
            )
            if retired:
                await self.recount_pools(guild_id)
        return bool(retired)

    # -- serving ------------------------------------------------------------------------

    async def story(self, story_id: int) -> Story | None:
        row = await self.db.fetchrow(STORY_SQL, story_id)
        return story_from(tuple(row)) if row else None

    async def draw(self, asks: Sequence[DrawAsk]) -> list[Story | None]:
        """The next live story of each ask's round; None where the pool has none."""
        return await draw_live(self._draw_once, asks)

    async def _draw_once(self, asks: Sequence[DrawAsk]) -> list[Drawn | None]:
        # As on SQLite: a member's draw shares statements with others asked meanwhile,
        # and inside a transaction everything stays on its connection.
        if self.db.in_transaction():
            return await draw_many(self.db, asks)
        if len(asks) == 1:
            return [await self._draws.ask(asks[0])]
        found: list[Drawn | None] = []
        for start in range(0, len(asks), DRAW_BATCH):
            found += await draw_many(self.db, asks[start : start + DRAW_BATCH])
        return found

    # -- command sync -------------------------------------------------------------------

    async def command_digest(self, scope: str) -> str | None:
        value = await self.db.fetchval("SELECT digest FROM command_sync WHERE scope = $1", scope)
        return str(value) if value is not None else None

    async def set_command_digest(self, scope: str, digest: str) -> None:
        await self.db.execute(
            "INSERT INTO command_sync (scope, digest) VALUES ($1, $2) "
            "ON CONFLICT (scope) DO UPDATE SET digest = excluded.digest",
            scope,
            digest,
        )

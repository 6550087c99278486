"""SQL for themes, stories, pools and no-repeat rounds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import partial

from bot.records import ANY_THEME, BUNDLED, DataFile, DrawAsk, NewStory, Story, ThemeRecord
from bot.storage.batching import Coalescer
from bot.storage.counts import PoolCounts
from bot.storage.rounds import Drawn, draw_live
from bot.storage.rows import story_from
from bot.storage.sqlite.database import Database
from bot.storage.sqlite.draws import draw_many, prewarm, read_sql, take_sql
from bot.tasks import cancel_and_wait

_STORY_COLUMNS = (
    "s.id, s.guild_id, s.title, s.body, s.notes, s.credit, s.source_date, s.teller, "
    "(SELECT st.theme_id FROM story_themes st WHERE st.story_id = s.id "
    " ORDER BY st.position LIMIT 1) AS primary_theme"
)


# The statements a /story, "Another story", /themes or autocomplete runs. Named here so
# tests can check that none of them scans a table (their cost must not grow with the library).
# The most draws one batch carries (see bot.storage.batching). A batch takes every draw
# waiting: smaller batches would let the database work while the event loop answers, but
# measured at a million stories their threads' turns with the GIL cost the loop more than
# the wait they hid.
DRAW_BATCH = 128
STORY_SQL = f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.id = ?"
COUNTS_PAGE_SQL = (
    "SELECT guild_id, theme_id, live FROM pool_sizes WHERE (guild_id, theme_id) > (?, ?) "
    "ORDER BY guild_id, theme_id LIMIT ?"
)
GUILD_COUNTS_SQL = "SELECT theme_id, live FROM pool_sizes WHERE guild_id = ? AND live > 0"
# Live stories hidden in a server (by a report), per pool theme: counted out of its counts.
_HIDDEN_COUNTS = (
    "SELECT h.guild_id, pm.theme_id, COUNT(*) FROM hidden_stories h "
    "JOIN stories s ON s.id = h.story_id AND s.active = 1 "
    "JOIN pool_members pm ON pm.story_id = h.story_id "
)
HIDDEN_COUNTS_SQL = _HIDDEN_COUNTS + "WHERE h.guild_id = ? GROUP BY h.guild_id, pm.theme_id"
ALL_HIDDEN_COUNTS_SQL = _HIDDEN_COUNTS + "GROUP BY h.guild_id, pm.theme_id"
SERVING_QUERIES: dict[str, tuple[str, tuple[int, ...]]] = {
    "guild_counts": (GUILD_COUNTS_SQL, (1,)),
    "hidden_counts": (HIDDEN_COUNTS_SQL, (1,)),
    "take": (take_sql(2), (1, 1, 1, 1) * 2),
    "read_slots": (read_sql(2), (0, 1, 1, 1, 1) * 2),
    "story": (STORY_SQL, (1,)),
}


class LibraryStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._draws: Coalescer[DrawAsk, Drawn | None] = Coalescer(
            partial(draw_many, db, side_by_side=len(db.readers)),
            max_batch=DRAW_BATCH,
            name="story-draws",
        )
        self.counts = PoolCounts(
            self._counts_page, self._guild_counts, read_hidden=self._hidden_counts
        )
        self._warming: asyncio.Task[None] | None = None

    async def _counts_page(self, guild_id: int, theme_id: int, limit: int) -> list[tuple[int, ...]]:
        return [
            tuple(r) for r in await self.db.fetchall(COUNTS_PAGE_SQL, (guild_id, theme_id, limit))
        ]

    async def _guild_counts(self, guild_id: int) -> list[tuple[int, ...]]:
        return [tuple(r) for r in await self.db.fetchall(GUILD_COUNTS_SQL, (guild_id,))]

    async def _hidden_counts(self, guild_id: int | None) -> list[tuple[int, ...]]:
        if guild_id is None:
            return [tuple(r) for r in await self.db.fetchall(ALL_HIDDEN_COUNTS_SQL)]
        return [tuple(r) for r in await self.db.fetchall(HIDDEN_COUNTS_SQL, (guild_id,))]

    async def counts_changed(self, guild_id: int) -> None:
        """What a server may be served changed outside the pools (a story hidden there)."""
        await self.counts.refresh(guild_id)

    async def ready(self) -> None:
        """The bundled library is in: hold the counts, and read the draw tables ahead."""
        # Now, not on the first autocomplete: at a million stories it is a fifth of a second.
        await self.counts.load()
        # In the background: start-up need not wait for it, only the first draws gain.
        self._warming = asyncio.create_task(prewarm(self.db), name="database-prewarm")

    async def close(self) -> None:
        await self.counts.close()
        await cancel_and_wait(self._warming)

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """This task's storage calls inside the block are one change: all of it or none."""
        async with self.db.transaction():
            yield

    # -- themes -------------------------------------------------------------------------

    async def themes(self) -> list[ThemeRecord]:
        rows = await self.db.fetchall(
            "SELECT id, slug, title, emoji, colour, description FROM themes WHERE active = 1"
        )
        aliases: dict[int, list[str]] = {}
        for alias, theme_id in await self.db.fetchall(
            "SELECT alias, theme_id FROM theme_aliases ORDER BY alias"
        ):
            aliases.setdefault(theme_id, []).append(alias)
        return [
            ThemeRecord(r[0], r[1], r[2], r[3], r[4], r[5], tuple(aliases.get(r[0], ())))
            for r in rows
        ]

    async def replace_themes(self, themes: Sequence[ThemeRecord]) -> None:
        """Make the active themes exactly ``themes`` (matched by slug); ids never change."""
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE themes SET active = 0")
            await conn.execute("DELETE FROM theme_aliases")
            for theme in themes:
                await conn.execute(
                    "INSERT INTO themes (slug, title, emoji, colour, description, active) "
                    "VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (slug) DO UPDATE SET "
                    "title = excluded.title, emoji = excluded.emoji, colour = excluded.colour, "
                    "description = excluded.description, active = 1",
                    (theme.slug, theme.title, theme.emoji, theme.colour, theme.description),
                )
                row = await (
                    await conn.execute("SELECT id FROM themes WHERE slug = ?", (theme.slug,))
                ).fetchone()
                await conn.executemany(
                    "INSERT INTO theme_aliases (alias, theme_id) VALUES (?, ?)",
                    [(alias, row[0]) for alias in theme.aliases],
                )

    async def live_counts(self, guild_id: int) -> dict[int, int]:
        """Stories a member of ``guild_id`` can be served, per theme (0: all)."""
        return await self.counts.for_guild(guild_id)

    # -- data files ---------------------------------------------------------------------

    async def data_files(self) -> dict[str, DataFile]:
        rows = await self.db.fetchall("SELECT path, digest, size, mtime_ns FROM data_files")
        return {r[0]: DataFile(r[1], r[2], r[3]) for r in rows}

    async def set_data_files(self, files: dict[str, DataFile]) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM data_files")
            await conn.executemany(
                "INSERT INTO data_files (path, digest, size, mtime_ns) VALUES (?, ?, ?, ?)",
                [(path, f.digest, f.size, f.mtime_ns) for path, f in files.items()],
            )

    # -- bundled import -----------------------------------------------------------------

    async def bundled_digests(self, keys: Sequence[str]) -> dict[str, tuple[int, str, int]]:
        """key -> (id, digest, active) for the bundled stories among ``keys``."""
        found: dict[str, tuple[int, str, int]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, story_id, digest, active in await self.db.fetchall(
                f"SELECT bundle_key, id, digest, active FROM stories WHERE bundle_key IN ({marks})",
                chunk,
            ):
                found[key] = (story_id, digest, active)
        return found

    async def write_stories(
        self,
        guild_id: int,
        created_at: str,
        inserts: Sequence[NewStory],
        updates: Sequence[tuple[int, NewStory]],
    ) -> list[int]:
        """Insert new stories and update changed ones in one transaction; return new ids.

        Rows go in with executemany and ids chosen up front (the transaction holds the
        write lock): a million-story import is a few thousand statements, not millions.
        """
        async with self.db.transaction() as conn:
            pools = {(ANY_THEME, guild_id)}
            for story in [*inserts, *(s for _, s in updates)]:
                pools.update((t, guild_id) for t in story.themes)
            ordinals: dict[tuple[int, int], int] = {}
            for theme_id, guild in pools:
                row = await self.db.fetchone(
                    "SELECT next_ordinal FROM pool_sizes WHERE guild_id = ? AND theme_id = ?",
                    (guild, theme_id),
                )
                ordinals[(theme_id, guild)] = int(row[0]) if row else 0
            members: list[tuple[int, int, int, int]] = []
            links: list[tuple[int, int, int]] = []

            def join(story_id: int, theme_ids: Iterable[int]) -> None:
                for theme_id in theme_ids:
                    pool = (theme_id, guild_id)
                    members.append((theme_id, guild_id, ordinals[pool], story_id))
                    ordinals[pool] += 1

            row = await self.db.fetchone("SELECT COALESCE(MAX(id), 0) FROM stories")
            first_id = int(row[0]) + 1 if row else 1
            new_ids = list(range(first_id, first_id + len(inserts)))
            await conn.executemany(
                "INSERT INTO stories (id, bundle_key, guild_id, title, body, notes, credit, "
                "source_date, teller, digest, active, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                [
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
                        created_at,
                    )
                    for story_id, story in zip(new_ids, inserts, strict=True)
                ],
            )
            for story_id, story in zip(new_ids, inserts, strict=True):
                links.extend((story_id, t, i) for i, t in enumerate(story.themes))
                join(story_id, (ANY_THEME, *story.themes))
            for story_id, story in updates:
                await conn.execute(
                    "UPDATE stories SET title = ?, body = ?, notes = ?, credit = ?, "
                    "source_date = ?, teller = ?, digest = ?, active = 1 WHERE id = ?",
                    (
                        story.title,
                        story.body,
                        story.notes,
                        story.credit,
                        story.source_date,
                        story.teller,
                        story.digest,
                        story_id,
                    ),
                )
                old = {
                    r[0]
                    for r in await self.db.fetchall(
                        "SELECT theme_id FROM story_themes WHERE story_id = ?", (story_id,)
                    )
                }
                await conn.execute("DELETE FROM story_themes WHERE story_id = ?", (story_id,))
                links.extend((story_id, t, i) for i, t in enumerate(story.themes))
                for gone in old - set(story.themes):
                    await conn.execute(
                        "DELETE FROM pool_members WHERE story_id = ? AND theme_id = ?",
                        (story_id, gone),
                    )
                join(story_id, [t for t in story.themes if t not in old])
            await conn.executemany(
                "INSERT INTO story_themes (story_id, theme_id, position) VALUES (?, ?, ?)", links
            )
            await conn.executemany(
                "INSERT INTO pool_members (theme_id, guild_id, ordinal, story_id) "
                "VALUES (?, ?, ?, ?)",
                members,
            )
            # New stories are live at once, so an import in batches serves each as it lands;
            # what updates change is counted again when the import ends (recount_pools).
            fresh: dict[tuple[int, int], int] = {}
            for theme_id, guild, _, story_id in members:
                if story_id >= first_id:
                    fresh[(theme_id, guild)] = fresh.get((theme_id, guild), 0) + 1
            await conn.executemany(
                "INSERT INTO pool_sizes (guild_id, theme_id, next_ordinal, live) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, theme_id) "
                "DO UPDATE SET next_ordinal = excluded.next_ordinal, "
                "live = pool_sizes.live + excluded.live",
                [(g, t, n, fresh.get((t, g), 0)) for (t, g), n in ordinals.items()],
            )
            # After the write: a read on this connection now sees the new counts.
            await self.counts.refresh(guild_id)
        return new_ids

    async def begin_key_census(self) -> None:
        """Start counting which bundled keys the data files still hold."""
        async with self.db.transaction() as conn:
            await conn.execute("CREATE TEMP TABLE IF NOT EXISTS census_keys (key TEXT PRIMARY KEY)")
            await conn.execute("DELETE FROM temp.census_keys")

    async def count_keys(self, keys: Sequence[str]) -> None:
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT OR IGNORE INTO temp.census_keys (key) VALUES (?)", [(k,) for k in keys]
            )

    async def retire_uncounted_bundled(self) -> int:
        """Stop serving bundled stories whose entry left the data files."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE stories SET active = 0 WHERE guild_id = 0 AND active = 1 "
                "AND bundle_key NOT IN (SELECT key FROM temp.census_keys)"
            )
            return cursor.rowcount

    async def end_key_census(self) -> None:
        # A temporary table lives on the writing connection, across the import's batches.
        async with self.db.transaction() as conn:
            await conn.execute("DROP TABLE IF EXISTS temp.census_keys")

    async def recount_pools(self, guild_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE pool_sizes SET live = (SELECT COUNT(*) FROM pool_members pm "
                "JOIN stories s ON s.id = pm.story_id WHERE pm.theme_id = pool_sizes.theme_id "
                "AND pm.guild_id = pool_sizes.guild_id AND s.active = 1) WHERE guild_id = ?",
                (guild_id,),
            )
            await self.counts.refresh(guild_id)

    async def retire_server_story(self, guild_id: int, story_id: int) -> bool:
        """Stop serving one story that ``guild_id`` owns; False if there is no such live story.

        Bundled stories (guild 0) are never retired here: they leave with the data files.
        """
        if guild_id == BUNDLED:
            return False
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE stories SET active = 0 WHERE id = ? AND guild_id = ? AND active = 1",
                (story_id, guild_id),
            )
            retired = cursor.rowcount == 1
        if retired:
            await self.recount_pools(guild_id)
        return retired

    # -- serving ------------------------------------------------------------------------

    async def story(self, story_id: int) -> Story | None:
        row = await self.db.fetchone(STORY_SQL, (story_id,))
        return story_from(tuple(row)) if row else None

    async def draw(self, asks: Sequence[DrawAsk]) -> list[Story | None]:
        """The next live story of each ask's round; None where the pool has none."""
        return await draw_live(self._draw_once, asks)

    async def _draw_once(self, asks: Sequence[DrawAsk]) -> list[Drawn | None]:
        # A member's draw shares its statements with others asked meanwhile (see
        # bot.storage.batching); the scheduler's many draws go as their own batch. Inside
        # a transaction the runner would wait for it to end: draw on its connection.
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
        row = await self.db.fetchone("SELECT digest FROM command_sync WHERE scope = ?", (scope,))
        return str(row[0]) if row else None

    async def set_command_digest(self, scope: str, digest: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO command_sync (scope, digest) VALUES (?, ?) "
                "ON CONFLICT (scope) DO UPDATE SET digest = excluded.digest",
                (scope, digest),
            )

"""SQL for the text sketches on SQLite: what the near-duplicate check compares a text with.

The submission store's other half (SubmissionStore is built on :class:`Sketches`): the
sketches of waiting submissions and of library stories, and the mark that says whether the
library changed since it was last sketched. Apart from the drafts and decisions because
they are about every text the check can find, the library's as much as the members'.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.records import SketchSource
from bot.storage.sqlite.database import Database


class Sketches:
    """The sketch queries of the submission store, which is built on this class."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def sketch_candidates(
        self, sketch: Sequence[int], guild_id: int, min_shared: int
    ) -> list[tuple[SketchSource, int]]:
        """(source, ref_id) of texts visible in ``guild_id`` sharing hashes with ``sketch``:
        ``min_shared`` for a submission, one for a library story (which keeps only a few)."""
        if not sketch:
            return []
        marks = ",".join("?" * len(sketch))
        rows = await self.db.fetchall(
            f"SELECT source, ref_id, COUNT(*) AS shared FROM text_sketches "
            f"WHERE hash IN ({marks}) AND guild_id IN (0, ?) "
            "GROUP BY source, ref_id HAVING COUNT(*) >= iif(source = 'story', 1, ?) "
            "ORDER BY shared DESC LIMIT 20",
            [*sketch, guild_id, min_shared],
        )
        return [(SketchSource(r[0]), int(r[1])) for r in rows]

    async def sketch_of(self, source: SketchSource, ref_id: int) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT hash FROM text_sketches WHERE source = ? AND ref_id = ?", (source, ref_id)
        )
        return [int(r[0]) for r in rows]

    async def unsketched_stories(self, after: int, limit: int) -> list[tuple[int, int, str, str]]:
        """(id, guild_id, body, digest) of active stories past id ``after`` whose sketch is
        missing or old; called with the last id seen, so a pass reads the library once."""
        rows = await self.db.fetchall(
            "SELECT s.id, s.guild_id, s.body, s.digest FROM stories s "
            "LEFT JOIN sketched_stories k ON k.story_id = s.id "
            "WHERE s.id > ? AND s.active = 1 AND (k.digest IS NULL OR k.digest <> s.digest) "
            "ORDER BY s.id LIMIT ?",
            (after, limit),
        )
        return [(int(r[0]), int(r[1]), str(r[2]), str(r[3])) for r in rows]

    async def sketch_stories(self, batch: Sequence[tuple[int, int, str, Sequence[int]]]) -> None:
        """Store sketches of (story_id, guild_id, digest, hashes), a whole batch per statement:
        a statement per story was most of the cost of sketching a large library."""
        async with self.db.transaction() as conn:
            await conn.executemany(
                "DELETE FROM text_sketches WHERE source = 'story' AND ref_id = ?",
                [(story_id,) for story_id, _, _, _ in batch],
            )
            await conn.executemany(
                "INSERT OR IGNORE INTO text_sketches (hash, guild_id, source, ref_id) "
                "VALUES (?, ?, 'story', ?)",
                [
                    (h, guild_id, story_id)
                    for story_id, guild_id, _, hashes in batch
                    for h in hashes
                ],
            )
            await conn.executemany(
                "INSERT INTO sketched_stories (story_id, digest) VALUES (?, ?) "
                "ON CONFLICT (story_id) DO UPDATE SET digest = excluded.digest",
                [(story_id, digest) for story_id, _, digest, _ in batch],
            )

    async def _sketch_story(
        self, conn: object, story_id: int, guild_id: int, digest: str, sketch: Sequence[int]
    ) -> None:
        execute = conn.execute  # type: ignore[attr-defined]
        await execute(
            "DELETE FROM text_sketches WHERE source = 'story' AND ref_id = ?", (story_id,)
        )
        await conn.executemany(  # type: ignore[attr-defined]
            "INSERT OR IGNORE INTO text_sketches (hash, guild_id, source, ref_id) "
            "VALUES (?, ?, 'story', ?)",
            [(h, guild_id, story_id) for h in sketch],
        )
        await execute(
            "INSERT INTO sketched_stories (story_id, digest) VALUES (?, ?) "
            "ON CONFLICT (story_id) DO UPDATE SET digest = excluded.digest",
            (story_id, digest),
        )

    async def library_mark(self) -> tuple[str, str | None]:
        """(what the library looks like now, what it looked like at the last sketching)."""
        files = await self.db.fetchall("SELECT path, digest FROM data_files ORDER BY path")
        top = await self.db.fetchone("SELECT COALESCE(MAX(id), 0) FROM stories")
        now = ";".join(f"{p}={d}" for p, d in files) + f";max={top[0] if top else 0}"
        row = await self.db.fetchone("SELECT value FROM sketch_marks WHERE name = 'library'")
        return now, (str(row[0]) if row else None)

    async def set_library_mark(self, value: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO sketch_marks (name, value) VALUES ('library', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (value,),
            )

"""The story library: bundled import, the theme catalogue, and stories as plain values."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot import notes as content_notes
from bot.bundle import (
    THEMES_FILE,
    BundleError,
    Problem,
    StoryEntry,
    file_digest,
    iter_stories,
    load_themes,
)
from bot.records import BUNDLED, DataFile, NewStory, Story, ThemeRecord
from bot.stores import LibraryStore
from bot.themes import Theme, ThemeCatalogue

log = logging.getLogger(__name__)

IMPORT_BATCH = 2000


@dataclass(frozen=True, slots=True)
class ImportReport:
    skipped: bool
    added: int = 0
    updated: int = 0
    retired: int = 0


class Library:
    """Themes in memory, stories in the database."""

    def __init__(self, store: LibraryStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self._clock = clock
        self.catalogue = ThemeCatalogue(())

    async def refresh_catalogue(self) -> ThemeCatalogue:
        rows = await self.store.themes()
        self.catalogue = ThemeCatalogue(
            Theme(r.id, r.slug, r.title, r.emoji, r.colour, r.description, r.aliases) for r in rows
        )
        return self.catalogue

    async def story(self, story_id: int) -> Story | None:
        return await self.store.story(story_id)

    async def command_digest(self, scope: str) -> str | None:
        """What the application commands of ``scope`` were when last synced."""
        return await self.store.command_digest(scope)

    async def set_command_digest(self, scope: str, digest: str) -> None:
        await self.store.set_command_digest(scope, digest)

    async def counts(self, guild_id: int) -> dict[int, int]:
        return await self.store.live_counts(guild_id)

    async def import_bundle(self, data_dir: Path) -> ImportReport:
        """Bring the database in line with ``data_dir``; an unchanged folder costs a stat a file.

        Raises :class:`BundleError` naming every bad entry; nothing is imported then.
        """
        bundle = load_themes(data_dir)
        known = await self.store.data_files()
        files = {
            p.name: _as_now(p, known.get(p.name))
            for p in (data_dir / THEMES_FILE, *bundle.story_files)
        }
        if _digests(files) == _digests(known):
            if files != known:
                # Touched but the same: note the new times, so the next start reads nothing.
                await self.store.set_data_files(files)
            await self.refresh_catalogue()
            return ImportReport(skipped=True)

        slugs = {t.slug for t in bundle.themes}
        problems: list[Problem] = []
        added = updated = retired = 0
        try:
            # One pass and one transaction: a bad entry anywhere leaves the database as it was.
            async with self.store.atomic():
                await self.store.replace_themes(
                    [
                        ThemeRecord(0, t.slug, t.title, t.emoji, t.colour, t.description, t.aliases)
                        for t in bundle.themes
                    ]
                )
                catalogue = await self.refresh_catalogue()
                theme_ids = {t.slug: t.id for t in catalogue}
                await self.store.begin_key_census()
                for path in bundle.story_files:
                    batch: list[StoryEntry] = []
                    for item in iter_stories(path, slugs):
                        if isinstance(item, Problem):
                            problems.append(item)
                        elif not problems:
                            batch.append(item)
                            if len(batch) >= IMPORT_BATCH:
                                a, u = await self._import_batch(batch, theme_ids)
                                added, updated, batch = added + a, updated + u, []
                    if batch and not problems:
                        a, u = await self._import_batch(batch, theme_ids)
                        added, updated = added + a, updated + u
                if problems:
                    raise BundleError(problems)
                retired = await self.store.retire_uncounted_bundled()
                await self.store.recount_pools(BUNDLED)
                await self.store.set_data_files(files)
        except BundleError:
            await self.refresh_catalogue()
            raise
        log.info(
            "imported the bundled library from %s: %s added, %s updated, %s retired",
            data_dir,
            added,
            updated,
            retired,
        )
        return ImportReport(skipped=False, added=added, updated=updated, retired=retired)

    async def _import_batch(
        self, batch: list[StoryEntry], theme_ids: dict[str, int]
    ) -> tuple[int, int]:
        keys = [entry.key for entry in batch]
        await self.store.count_keys(keys)
        existing = await self.store.bundled_digests(keys)
        inserts: list[NewStory] = []
        updates: list[tuple[int, NewStory]] = []
        for entry in batch:
            story = NewStory(
                title=entry.title,
                body=entry.text,
                notes=content_notes.encode(entry.notes),
                credit=entry.credit,
                source_date=entry.date,
                teller=entry.teller,
                digest=entry.digest,
                themes=tuple(dict.fromkeys(theme_ids[s] for s in entry.themes)),
                bundle_key=entry.key,
            )
            known = existing.get(entry.key)
            if known is None:
                inserts.append(story)
            elif known[1] != entry.digest or not known[2]:
                updates.append((known[0], story))
        if inserts or updates:
            await self.store.write_stories(BUNDLED, self._clock().isoformat(), inserts, updates)
        return len(inserts), len(updates)


def _as_now(path: Path, known: DataFile | None) -> DataFile:
    """``path`` as it is now. Hashed only if its size or modification time moved since
    ``known``: an unchanged million-story folder is half a gigabyte to read."""
    # Stat before hashing: a write landing while the file is read leaves a newer time,
    # and the next start hashes the file again.
    stat = path.stat()
    if known is not None and (known.size, known.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
        return known
    return DataFile(file_digest(path), stat.st_size, stat.st_mtime_ns)


def _digests(files: dict[str, DataFile]) -> dict[str, str]:
    return {name: f.digest for name, f in files.items()}

"""The story library: bundled import, the theme catalogue, and stories as plain values."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

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
from bot.storage.library import BUNDLED, LibraryStore, NewStory, ThemeRow
from bot.themes import Theme, ThemeCatalogue

log = logging.getLogger(__name__)

IMPORT_BATCH = 2000


@dataclass(frozen=True, slots=True)
class Story:
    id: int
    guild_id: int
    title: str
    body: str
    notes: tuple[str, ...]
    credit: str
    date: str
    teller: str
    # The theme a card shows when the story was asked for without one; a draw for a
    # theme leaves it None, since the card shows the theme asked for.
    primary_theme_id: int | None

    @property
    def credit_line(self) -> str:
        """``#ShareAStoryInOneTweet · 2018-05 · told by a surgeon``"""
        line = " · ".join(part for part in (self.credit, self.date) if part)
        return f"{line} · told by {self.teller}" if self.teller else line

    @property
    def bundled(self) -> bool:
        return self.guild_id == BUNDLED

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Story:
        return cls(
            id=row["id"],
            guild_id=row["guild_id"],
            title=row["title"],
            body=row["body"],
            notes=content_notes.decode(row["notes"]),
            credit=row["credit"],
            date=row["source_date"],
            teller=row["teller"],
            primary_theme_id=row["primary_theme"],
        )


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
        row = await self.store.story(story_id)
        return Story.from_row(row) if row else None

    async def counts(self, guild_id: int) -> dict[int, int]:
        return await self.store.live_counts(guild_id)

    async def import_bundle(self, data_dir: Path) -> ImportReport:
        """Bring the database in line with ``data_dir``; an unchanged folder costs a hash.

        Raises :class:`BundleError` naming every bad entry; nothing is imported then.
        """
        bundle = load_themes(data_dir)
        files = [data_dir / THEMES_FILE, *bundle.story_files]
        digests = {p.name: file_digest(p) for p in files}
        if digests == await self.store.file_digests():
            await self.refresh_catalogue()
            return ImportReport(skipped=True)

        slugs = {t.slug for t in bundle.themes}
        problems: list[Problem] = []
        added = updated = retired = 0
        try:
            # One pass and one transaction: a bad entry anywhere leaves the database as it was.
            async with self.store.db.transaction():
                await self.store.replace_themes(
                    [
                        ThemeRow(0, t.slug, t.title, t.emoji, t.colour, t.description, t.aliases)
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
                await self.store.set_file_digests(digests)
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

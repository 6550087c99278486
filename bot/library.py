"""The story library: bundled import, the theme catalogue, and stories as plain values."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot import notes as content_notes
from bot.bundle import (
    THEMES_FILE,
    Bundle,
    BundleError,
    Problem,
    StoryEntry,
    file_digest,
    iter_stories,
    load_themes,
)
from bot.records import ANY_THEME, BUNDLED, DataFile, NewStory, Story, ThemeRecord
from bot.stores import LibraryStore
from bot.themes import Theme, ThemeCatalogue

log = logging.getLogger(__name__)

IMPORT_BATCH = 2000


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """How far an import is: entries read, of about ``total``."""

    done: int
    total: int


AfterBatch = Callable[[ImportProgress], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What :meth:`Library.prepare_import` found changed, for the stories' import."""

    data_dir: Path
    bundle: Bundle
    files: dict[str, DataFile]
    theme_ids: dict[str, int]


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

    async def import_bundle(
        self, data_dir: Path, after_batch: AfterBatch | None = None
    ) -> ImportReport:
        """Bring the database in line with ``data_dir``; an unchanged folder costs a stat a file.

        Raises :class:`BundleError` naming every bad entry, once every file was read.
        """
        plan = await self.prepare_import(data_dir)
        if plan is None:
            return ImportReport(skipped=True)
        return await self.import_stories(plan, after_batch)

    async def prepare_import(self, data_dir: Path) -> ImportPlan | None:
        """The quick part of an import, done before serving: the themes, in place at once.

        None when the folder is unchanged. A bad themes file raises :class:`BundleError`.
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
            return None
        await self.store.replace_themes(
            [
                ThemeRecord(0, t.slug, t.title, t.emoji, t.colour, t.description, t.aliases)
                for t in bundle.themes
            ]
        )
        catalogue = await self.refresh_catalogue()
        return ImportPlan(data_dir, bundle, files, {t.slug: t.id for t in catalogue})

    async def import_stories(
        self, plan: ImportPlan, after_batch: AfterBatch | None = None
    ) -> ImportReport:
        """The stories, in batches that each commit, so what is in is served at once.

        A bad entry is named, not imported, and the rest still goes in; but then nothing is
        retired and the folder is not noted as imported, so the next start tries again.
        """
        slugs = {t.slug for t in plan.bundle.themes}
        total = sum([await asyncio.to_thread(count_entries, p) for p in plan.bundle.story_files])
        problems: list[Problem] = []
        added = updated = retired = read = 0
        # Only a story live before the import can need retiring, and only if the files no
        # longer hold one of them: counted here (live ones seen, once each), the census of
        # keys and its scan of the library are skipped when none can be missing. At a
        # million stories that scan held every /story for seconds.
        live_before = (await self.counts(BUNDLED)).get(ANY_THEME, 0)
        census = live_before > 0
        seen = _SeenIds()

        async def flush(batch: list[StoryEntry]) -> None:
            nonlocal added, updated, read
            a, u = await self._import_batch(batch, plan.theme_ids, seen, census=census)
            added, updated, read = added + a, updated + u, read + len(batch)
            if after_batch is not None:
                await after_batch(ImportProgress(read, max(total, read)))

        if census:
            await self.store.begin_key_census()
        try:
            for path in plan.bundle.story_files:
                batch: list[StoryEntry] = []
                for item in iter_stories(path, slugs):
                    if isinstance(item, Problem):
                        problems.append(item)
                        continue
                    batch.append(item)
                    if len(batch) >= IMPORT_BATCH:
                        await flush(batch)
                        batch = []
                if batch:
                    await flush(batch)
            if census and not problems and seen.count < live_before:
                retired = await self.store.retire_uncounted_bundled()
        finally:
            if census:
                await self.store.end_key_census()
        # New stories were counted as they went in; what updates and retirements changed
        # is counted again here (a pass over every pool of the library).
        if updated or retired:
            await self.store.recount_pools(BUNDLED)
        if problems:
            raise BundleError(problems)
        await self.store.set_data_files(plan.files)
        log.info(
            "imported the bundled library from %s: %s added, %s updated, %s retired",
            plan.data_dir,
            added,
            updated,
            retired,
        )
        return ImportReport(skipped=False, added=added, updated=updated, retired=retired)

    async def _import_batch(
        self,
        batch: list[StoryEntry],
        theme_ids: dict[str, int],
        seen: _SeenIds,
        *,
        census: bool,
    ) -> tuple[int, int]:
        keys = [entry.key for entry in batch]
        if census:
            await self.store.count_keys(keys)
        existing = await self.store.bundled_digests(keys)
        for story_id, _, active in existing.values():
            if active:
                seen.add(story_id)
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


class _SeenIds:
    """Story ids seen, once each, in a bit apiece: a million ids are 125 KB."""

    def __init__(self) -> None:
        self._bits = bytearray()
        self.count = 0

    def add(self, story_id: int) -> None:
        byte, bit = divmod(story_id, 8)
        if byte >= len(self._bits):
            self._bits.extend(bytes(byte + 1 - len(self._bits)))
        if not self._bits[byte] >> bit & 1:
            self._bits[byte] |= 1 << bit
            self.count += 1


def count_entries(path: Path) -> int:
    """About how many entries a story file holds, for the import's progress: a JSON Lines
    file's lines (counted a megabyte at a time), a JSON file's list."""
    try:
        if path.suffix == ".jsonl":
            with path.open("rb") as handle:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return 0  # the import names what is wrong with it
    return len(data) if isinstance(data, list) else 0

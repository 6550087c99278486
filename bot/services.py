"""The application's resources, opened once at start-up and handed to the Bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.clock import Clock, system_clock
from bot.library import Library
from bot.selection import Selector
from bot.settings import Settings
from bot.storage import Database, open_database
from bot.storage.draws import prewarm
from bot.storage.guild_settings import GuildSettingsStore
from bot.storage.library import LibraryStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    db: Database
    library: Library
    selector: Selector
    guild_settings: GuildSettingsStore
    clock: Clock


@asynccontextmanager
async def open_services(settings: Settings, clock: Clock = system_clock) -> AsyncIterator[Services]:
    """Open the database, bring the bundled library in, and close it all on the way out."""
    async with open_database(settings.database_path) as db:
        library = Library(LibraryStore(db), clock)
        await library.import_bundle(settings.data_dir)
        # Now, not on the first autocomplete: at a million stories it is a fifth of a second.
        await library.store.counts.load()
        # In the background: start-up need not wait for it, only the first draws gain.
        warming = asyncio.create_task(prewarm(db), name="database-prewarm")
        try:
            yield Services(
                settings=settings,
                db=db,
                library=library,
                selector=Selector(library),
                guild_settings=GuildSettingsStore(db),
                clock=clock,
            )
        finally:
            warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await warming

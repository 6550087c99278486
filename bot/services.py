"""The application, assembled in one place: opened once at start-up and handed to the Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock, system_clock
from bot.library import AfterBatch, Library
from bot.library_sync import LibrarySync
from bot.preferences import Preferences
from bot.reports import ReportDesk
from bot.scheduler import Scheduler
from bot.schedules import DailySchedules, ZoneCache
from bot.selection import Selector
from bot.server_settings import ServerSettings
from bot.settings import Settings
from bot.storage import open_storage
from bot.stores import Storage
from bot.submissions import SubmissionDesk
from bot.thanks import Thanks


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    storage: Storage
    library: Library
    selector: Selector
    desk: SubmissionDesk
    schedules: DailySchedules
    scheduler: Scheduler
    server_settings: ServerSettings
    preferences: Preferences
    reports: ReportDesk
    thanks: Thanks
    clock: Clock
    library_sync: LibrarySync


@asynccontextmanager
async def open_services(
    settings: Settings,
    clock: Clock = system_clock,
    *,
    in_background: bool = False,
    after_batch: AfterBatch | None = None,
) -> AsyncIterator[Services]:
    """Open the database, bring the bundled library in, and close it all on the way out.

    ``in_background`` (the bot's start) yields once the themes are in place, while the
    stories are imported and sketched (bot.library_sync); otherwise that is done first.
    ``after_batch`` hears of each batch of the import as it commits.
    """
    async with open_storage(settings) as storage:
        library = Library(storage.library, clock)
        desk = SubmissionDesk(storage.submissions, library, settings, clock)
        sync = LibrarySync(library, desk, settings.data_dir, after_batch=after_batch)
        try:
            await sync.start(in_background=in_background)
            await storage.library.ready()
            selector = Selector(library)
            server_settings = ServerSettings(storage.guild_settings, clock)
            zones = ZoneCache()
            yield Services(
                settings=settings,
                storage=storage,
                library=library,
                selector=selector,
                desk=desk,
                schedules=DailySchedules(storage.schedules, clock, zones),
                scheduler=Scheduler(
                    storage.schedules,
                    selector,
                    clock,
                    grace=timedelta(minutes=settings.daily_grace_minutes),
                    mod_channel=server_settings.mod_channel,
                    hidden_notes=server_settings.hidden_notes,
                    zones=zones,
                    shards=settings.shard_slice,
                ),
                server_settings=server_settings,
                preferences=Preferences(storage.preferences, clock),
                reports=ReportDesk(storage.reports, library, clock, shards=settings.shard_slice),
                thanks=Thanks(storage.reports, clock),
                clock=clock,
                library_sync=sync,
            )
        finally:
            await sync.close()

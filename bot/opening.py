"""Opening the database, at the edge of start-up: a failure is one sentence naming the setting.

Settings check what can be checked without opening anything (a folder where a file
should be, a folder that cannot be written); what only opening shows (a file system
that refuses files, a file that is not a database, a database that is locked) is
caught here, where `python -m bot`, `story` and `check` open it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from bot.services import Services, open_services
from bot.settings import Settings, sqlite_fix
from bot.storage import StorageUnavailable, open_storage

OPEN_ERRORS = (sqlite3.Error, OSError)


class DatabaseUnavailable(Exception):
    """The database the settings name cannot be opened; the message is one sentence."""


def _is_about_the_database(settings: Settings, exc: BaseException) -> bool:
    """Whether ``exc``, raised while opening, is the database's and not the library's."""
    if isinstance(exc, sqlite3.Error) or settings.database_engine != "sqlite":
        return True
    filename = getattr(exc, "filename", None)
    if not filename or settings.database_path is None:
        return False
    database = settings.database_path.absolute()
    failed = Path(filename).absolute()
    # The file, its -wal and -shm companions, or a folder on the way to it.
    companion = failed.parent == database.parent and failed.name.startswith(database.name)
    return companion or failed in database.parents


def unavailable(settings: Settings, exc: BaseException) -> DatabaseUnavailable:
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    if settings.database_engine == "sqlite":
        return DatabaseUnavailable(
            f"{settings.database_setting} names {settings.database_path}, which cannot be "
            f"opened as a SQLite database ({reason}); {sqlite_fix(settings.database_setting)}."
        )
    return DatabaseUnavailable(
        f"{settings.database_setting} names {settings.describe_database()}, which cannot be "
        f"opened ({reason}); check that the server runs and that the host, port, user, "
        "password and database name are right."
    )


async def _let_the_driver_finish() -> None:
    """Wait for aiosqlite's worker threads to end after a connection failed to open.

    aiosqlite (0.22) stops the thread of a connection that failed to open without
    waiting for it, and the thread then hands its last result to the event loop: if
    asyncio.run has closed the loop by then, it prints a traceback of its own under our
    one sentence. The thread has nothing left to do but that, so this is short.
    """
    for thread in threading.enumerate():
        if thread.name.endswith("(_connection_worker_thread)"):
            await asyncio.to_thread(thread.join, 1.0)


@asynccontextmanager
async def database_failures(settings: Settings) -> AsyncIterator[None]:
    """A failure of the block to open the database ``settings`` name, as DatabaseUnavailable;
    anything else goes up as it is."""
    try:
        yield
    except StorageUnavailable as exc:
        # Already the one sentence, with the password left out.
        raise DatabaseUnavailable(exc.message) from None
    except OPEN_ERRORS as exc:
        if not _is_about_the_database(settings, exc):
            raise
        await _let_the_driver_finish()
        raise unavailable(settings, exc) from exc


@asynccontextmanager
async def opened_services(
    settings: Settings, *, in_background: bool = False
) -> AsyncIterator[Services]:
    """:func:`open_services`, with a failure to open the database as DatabaseUnavailable.

    Only opening is translated: what goes wrong once the services are in use is not a
    setting's fault and keeps its own traceback.
    """
    async with AsyncExitStack() as stack:
        async with database_failures(settings):
            services = await stack.enter_async_context(
                open_services(settings, in_background=in_background)
            )
        yield services


async def database_problem(settings: Settings) -> str | None:
    """Open the database as start-up would (creating and migrating it), then close it;
    the sentence saying why it cannot be opened, or None."""
    try:
        async with open_storage(settings):
            pass
    except StorageUnavailable as exc:
        return exc.message
    except OPEN_ERRORS as exc:
        if not _is_about_the_database(settings, exc):
            raise
        await _let_the_driver_finish()
        return str(unavailable(settings, exc))
    return None

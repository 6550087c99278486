"""What to tell whoever runs the bot when DATABASE_URL leads nowhere, without its password."""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg

from bot.database_url import redact_url
from bot.storage.errors import StorageUnavailable

URL_SHAPE = "postgresql://user:password@host:5432/database"


def _database_name(url: str) -> str:
    try:
        path = urlsplit(url).path.lstrip("/")
    except ValueError:
        return "the database"
    return path or "the database"


def unavailable(
    exc: BaseException, url: str, setting: str = "DATABASE_URL"
) -> StorageUnavailable | None:
    """The one sentence for a failure to connect, or None if ``exc`` is not one.

    ``setting`` is where the URL came from (``--to`` for copy-database), named so the
    reader knows what to correct. Only the redacted URL goes into the sentence; the caller
    raises it ``from None`` so that the driver's own message (which may quote the URL) is
    not chained under it.
    """
    shown = redact_url(url)
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        name = _database_name(url)
        return StorageUnavailable(
            f"The database named in {setting} ({shown}) does not exist on that server; "
            f"create it (for example `createdb {name}`) or correct the name in {setting}."
        )
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError):
        return StorageUnavailable(
            f"The PostgreSQL server at {setting} ({shown}) refused that user name or "
            f"password; correct them in {setting} or grant that user access."
        )
    if isinstance(exc, asyncpg.CannotConnectNowError | asyncpg.TooManyConnectionsError):
        return StorageUnavailable(
            f"The PostgreSQL server at {setting} ({shown}) is not taking connections now "
            "(starting, stopping or full); try again in a moment or raise the "
            "server's max_connections."
        )
    if isinstance(exc, OSError | TimeoutError | asyncpg.PostgresConnectionError):
        return StorageUnavailable(
            f"No PostgreSQL server answers at {setting} ({shown}); start the server, or "
            f"correct the host and port in {setting}."
        )
    if isinstance(exc, asyncpg.ClientConfigurationError | ValueError):
        return StorageUnavailable(
            f"{setting} is not a PostgreSQL URL that can be read; write it as {URL_SHAPE}."
        )
    return None

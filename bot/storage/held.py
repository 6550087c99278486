"""Every row of a small table that every /story reads, held in this process.

Most servers never change what they hide and most members never set a preference, so a
read of either for each /story mostly found nothing, and it was one more round trip
before every draw. Held here, it costs a dict lookup. Writes in this process update what
is held at once; PostgreSQL tells the other processes, and each reads that one row again;
SQLite processes sharing a file see each other's writes at the next reload, at most
``RELOAD_AFTER`` seconds later, as the story counts do (bot.storage.counts).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

from bot.storage.counts import RELOAD_AFTER

log = logging.getLogger(__name__)

Key = TypeVar("Key")
Value = TypeVar("Value")


class HeldRows(Generic[Key, Value]):
    """``read_all`` gives every (key, value); ``read_one`` one key's value, or None."""

    def __init__(
        self,
        read_all: Callable[[], Awaitable[Iterable[tuple[Key, Value]]]],
        read_one: Callable[[Key], Awaitable[Value | None]],
        *,
        name: str,
    ) -> None:
        self._read_all = read_all
        self._read_one = read_one
        self._name = name
        self._rows: dict[Key, Value] | None = None
        self._loaded_at = 0.0
        self._loading: asyncio.Task[None] | None = None
        self._refreshing: set[asyncio.Task[None]] = set()

    async def get(self, key: Key) -> Value | None:
        if self._rows is None:
            await self._first_load()
        elif time.monotonic() - self._loaded_at > RELOAD_AFTER:
            self._reload_in_background()
        assert self._rows is not None
        return self._rows.get(key)

    def put(self, key: Key, value: Value) -> None:
        """This process wrote ``value`` for ``key``."""
        if self._rows is not None:
            self._rows[key] = value

    async def refresh(self, key: Key) -> None:
        """Another process changed ``key``: read its row again."""
        value = await self._read_one(key)
        if self._rows is None:
            return
        if value is None:
            self._rows.pop(key, None)
        else:
            self._rows[key] = value

    def heard(self, key: Key) -> None:
        """Another process said it changed ``key``: read it again, in the background (the
        listener that calls this must not wait)."""
        task = asyncio.get_running_loop().create_task(
            self._refresh_quietly(key), name=f"{self._name}-refresh"
        )
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)

    async def _refresh_quietly(self, key: Key) -> None:
        try:
            await self.refresh(key)
        except Exception:
            log.warning("could not reload the %s for %s", self._name, key, exc_info=True)

    async def close(self) -> None:
        tasks = [*self._refreshing, *([self._loading] if self._loading else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def load(self) -> None:
        """Read every row again (at the first read, now and then, and after missed news)."""
        started = time.monotonic()
        rows = dict(await self._read_all())
        self._rows, self._loaded_at = rows, started

    async def _first_load(self) -> None:
        # Everyone asking before the first load is done waits for that one load.
        if self._loading is None or self._loading.done():
            self._loading = asyncio.create_task(self.load(), name=f"{self._name}-load")
        await asyncio.shield(self._loading)

    def _reload_in_background(self) -> None:
        if self._loading is not None and not self._loading.done():
            return
        self._loaded_at = time.monotonic()  # one reload at a time, even if it fails
        self._loading = asyncio.create_task(self._reload_quietly(), name=f"{self._name}-reload")

    async def _reload_quietly(self) -> None:
        try:
            await self.load()
        except Exception:
            log.exception("could not reload the %s; keeping the rows held", self._name)

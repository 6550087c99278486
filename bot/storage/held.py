"""Every row of a small table that every /story reads, held in this process.

Most servers never change what they hide and most members never set a preference, so a
read of either for each /story mostly found nothing, and it was one more round trip
before every draw. Held here, it costs a dict lookup. Writes in this process update what
is held at once; PostgreSQL tells the other processes, and each reads that one row again;
SQLite processes sharing a file see each other's writes at the next reload, at most
``RELOAD_AFTER`` seconds later (bot.storage.background), as the story counts do.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

from bot.storage.background import Background

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
        self._loading: asyncio.Task[None] | None = None
        self._background = Background(name)

    async def get(self, key: Key) -> Value | None:
        if self._rows is None:
            await self._first_load()
        self._background.reload_when_due(self.load)
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
        self._background.run(self.refresh(key), f"could not reload the {self._name} for {key}")

    async def close(self) -> None:
        await self._background.close()
        if self._loading is not None:
            self._loading.cancel()
            await asyncio.gather(self._loading, return_exceptions=True)

    async def load(self) -> None:
        """Read every row again (at the first read, now and then, and after missed news)."""
        started = time.monotonic()
        rows = dict(await self._read_all())
        self._rows = rows
        self._background.loaded_from(started)

    async def _first_load(self) -> None:
        # Everyone asking before the first load is done waits for that one load.
        if self._loading is None or self._loading.done():
            self._loading = asyncio.create_task(self.load(), name=f"{self._name}-load")
        await asyncio.shield(self._loading)

"""Requests that arrive while the database is busy go to it together, as one batch.

Each trip to aiosqlite's thread costs far more than the index lookups it carries, and under
load that hand-off is most of what a /story or an autocomplete costs. So requests queue
here and one runner sends everything queued as one call, the way a database groups
commits. A request alone still goes at once, in one trip.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Key = TypeVar("Key")
Value = TypeVar("Value")


def padded(count: int) -> int:
    """``count`` rounded up to a power of two: statements are built per batch size, and a
    few sizes keep the distinct statements (and SQLite's prepared copies) to a few."""
    size = 1
    while size < count:
        size *= 2
    return size


class Coalescer(Generic[Key, Value]):
    """Runs ``run`` over every request queued meanwhile, ``runners`` runs at a time."""

    def __init__(
        self,
        run: Callable[[Sequence[Key]], Awaitable[Sequence[Value]]],
        *,
        max_batch: int,
        name: str,
        runners: int = 1,
    ) -> None:
        self._run_batch = run
        self._max_batch = max_batch
        self._name = name
        self._max_runners = runners
        self._waiting: list[tuple[Key, asyncio.Future[Value]]] = []
        self._runners: set[asyncio.Task[None]] = set()

    async def ask(self, key: Key) -> Value:
        future: asyncio.Future[Value] = asyncio.get_running_loop().create_future()
        self._waiting.append((key, future))
        # A runner that found the queue empty is done before its callback drops it.
        if sum(not runner.done() for runner in self._runners) < self._max_runners:
            runner = asyncio.create_task(self._run(), name=self._name)
            self._runners.add(runner)
            runner.add_done_callback(self._runners.discard)
        return await future

    async def _run(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._max_batch]
            self._waiting = self._waiting[self._max_batch :]
            try:
                found = await self._run_batch([key for key, _ in batch])
            except Exception as error:  # noqa: BLE001 - each waiter hears of it; the runner goes on
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), value in zip(batch, found, strict=True):
                if not future.done():
                    future.set_result(value)

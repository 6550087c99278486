"""Requests that arrive while the database is busy go to it together, as one batch.

Each trip to aiosqlite's thread costs far more than the index lookups it carries, and under
load that hand-off is most of what a /story or an autocomplete costs. So requests queue
here and one runner sends everything queued as one call, the way a database groups
commits. A request alone still goes at once, in one trip.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar

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


class InTransaction(Protocol):
    def in_transaction(self) -> bool: ...


class Lookup(Generic[Key, Value]):
    """A read of one key that every /story makes (a member's preferences, a server's hidden
    notes), sent together with the others asked meanwhile as one read of many keys.

    Inside a transaction the read stays on the asking task, so that it sees what the
    transaction wrote; a coalesced read runs on a task of its own.
    """

    def __init__(
        self,
        db: InTransaction,
        read_many: Callable[[Sequence[Key]], Awaitable[Sequence[Value]]],
        *,
        name: str,
        runners: int = 1,
        max_batch: int = 256,
    ) -> None:
        self._db = db
        self._read_many = read_many
        self._coalescer: Coalescer[Key, Value] = Coalescer(
            read_many, max_batch=max_batch, name=name, runners=runners
        )

    async def get(self, key: Key) -> Value:
        if self._db.in_transaction():
            [value] = await self._read_many([key])
            return value
        return await self._coalescer.ask(key)

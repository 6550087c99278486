"""Work a store starts and nobody waits for: a reload of what it holds in memory, or one
row read again when another process says it changed.

Nobody awaits it, so a failure is logged rather than raised (what is held stays as it
was), a reload runs one at a time, and closing the store stops whatever is left.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

# Writes in this process update what a store holds at once. Another process's writes (a
# second bot on the same SQLite file, a shard process on PostgreSQL whose notice was missed)
# are seen at the next reload, in the background, at most this many seconds later.
RELOAD_AFTER = 60.0


class Background:
    def __init__(self, name: str) -> None:
        self._name = name
        self._tasks: set[asyncio.Task[None]] = set()
        self._reload: asyncio.Task[None] | None = None
        self._loaded_at: float | None = None
        self._closed = False

    @property
    def loaded(self) -> bool:
        """Whether what the store holds was ever read."""
        return self._loaded_at is not None

    def loaded_from(self, started: float) -> None:
        """What is held is now as of ``started`` (``time.monotonic()`` when its read began:
        a change made during the read is read again at the next reload)."""
        self._loaded_at = started

    def reload_when_due(self, load: Callable[[], Awaitable[None]]) -> None:
        """Run ``load`` in the background once what is held is ``RELOAD_AFTER`` old."""
        if self._loaded_at is None or time.monotonic() - self._loaded_at <= RELOAD_AFTER:
            return
        self._loaded_at = time.monotonic()  # one reload a period, even if it fails
        self.reload(load)

    def reload(self, load: Callable[[], Awaitable[None]]) -> None:
        """Run ``load`` unless a reload is already running."""
        if self._closed or (self._reload is not None and not self._reload.done()):
            return
        self._reload = self._start(self._quietly(load(), f"could not reload the {self._name}"))

    def run(self, work: Coroutine[Any, Any, None], failure: str) -> None:
        """Run ``work``; ``failure`` is the log line if it fails."""
        if self._closed:
            # A notice heard while the store closes: nothing is left to keep up to date.
            work.close()
            return
        self._start(self._quietly(work, failure))

    def _start(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work, name=self._name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _quietly(self, work: Awaitable[None], failure: str) -> None:
        try:
            await work
        except Exception:
            log.warning("%s; keeping what is held", failure, exc_info=True)

    async def close(self) -> None:
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

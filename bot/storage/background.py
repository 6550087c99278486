"""Work a store starts and nobody waits for: a reload of what it holds in memory, or one
row read again when another process says it changed.

Nobody awaits it, so a failure is logged rather than raised (what is held stays as it
was), a reload runs one at a time, and closing the store stops whatever is left.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Background:
    def __init__(self, name: str) -> None:
        self._name = name
        self._tasks: set[asyncio.Task[None]] = set()
        self._reload: asyncio.Task[None] | None = None

    def reload(self, load: Callable[[], Awaitable[None]]) -> None:
        """Run ``load`` unless a reload is already running."""
        if self._reload is not None and not self._reload.done():
            return
        self._reload = self._start(self._quietly(load(), f"could not reload the {self._name}"))

    def run(self, work: Coroutine[Any, Any, None], failure: str) -> None:
        """Run ``work``; ``failure`` is the log line if it fails."""
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
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

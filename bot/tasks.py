"""Stopping a task the bot started in the background and now closes."""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and return once it has finished; an error it ended with is raised.

    ``with suppress(CancelledError): await task`` reads the same, but it also swallows a
    cancellation of the caller that arrives while it waits: a shutdown that is itself
    cancelled (a second Ctrl-C, a timeout around closing) would carry on as if it had not
    been. ``asyncio.wait`` raises only for its caller, never for the task it waits on.
    """
    if task is None:
        return
    task.cancel()
    await asyncio.wait([task])
    if not task.cancelled():
        task.result()

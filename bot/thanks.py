""" "This helped me": a reader's thanks, and a weekly letter to the member who shared it.

Thanks are counted once per reader and story, never shown on a card and never ranked: the
member who shared a story hears, at most once a week, how many people it helped since the
last letter, with no names, unless they turned the letters off. One small background task
sends them; a letter is claimed in the database first, so two processes never send one
twice, and closed DMs are recorded, not retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.clock import Clock
from bot.errors import DomainError
from bot.records import Letter
from bot.scheduler import Nap, real_nap
from bot.stores import ReportStore
from bot.tasks import cancel_and_wait

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
# The longest nap between passes: a new thank-you waits at most this long for its letter.
MAX_NAP = 3600.0
BATCH = 100
NOT_HERE = "Thanks can be given inside a server."

# Deliver one letter; the DM's outcome: "sent", "closed" (DMs closed) or "failed".
Send = Callable[[Letter], Awaitable[str]]


class Thanks:
    def __init__(self, store: ReportStore, clock: Clock, *, nap: Nap = real_nap) -> None:
        self._store = store
        self._clock = clock
        self._nap = nap
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pass_lock = asyncio.Lock()

    async def thank(self, *, story_id: int, member_id: int, guild_id: int | None) -> bool:
        """Count the reader's thanks for the story; False if they had thanked it before."""
        if guild_id is None:
            raise DomainError(NOT_HERE)
        return await self._store.thank(
            story_id=story_id,
            member_id=member_id,
            guild_id=guild_id,
            at=self._clock().isoformat(),
        )

    async def wants_letters(self, member_id: int) -> bool:
        return await self._store.wants_letters(member_id)

    async def set_wants_letters(self, member_id: int, wanted: bool) -> None:
        await self._store.set_wants_letters(member_id, wanted)

    # -- the weekly letters ---------------------------------------------------------------

    async def send_due(self, send: Send) -> int:
        """Claim every letter due now and send it; how many went out."""
        async with self._pass_lock:
            sent = 0
            while True:
                now = self._clock()
                letters = await self._store.claim_letters(
                    int(now.timestamp()), int((now + WEEK).timestamp()), BATCH
                )
                for letter in letters:
                    status = await send(letter)
                    await self._store.set_letter_status(letter.member_id, status)
                    if status == "sent":
                        sent += 1
                    else:
                        log.info(
                            "could not send member %s their thanks (%s)", letter.member_id, status
                        )
                if len(letters) < BATCH:
                    return sent

    def start(self, send: Send) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(send), name="thanks-letters")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _run(self, send: Send) -> None:
        while True:
            self._wake.clear()
            try:
                await self.send_due(send)
                due = await self._store.next_letter_at()
            except Exception:
                log.exception("a pass of thanks letters failed; trying again in a minute")
                await self._nap(60.0, self._wake)
                continue
            seconds = MAX_NAP if due is None else due - self._clock().timestamp()
            await self._nap(min(max(seconds, 1.0), MAX_NAP), self._wake)

"""The scheduler: one background task that sleeps until the earliest daily post is due.

Each pass (:meth:`Scheduler.run_due`, which tests call directly) claims what is due and
takes claimed posts ready for an attempt in one transaction, then sends them through a
:class:`Poster`. Between passes it sleeps until the earliest due moment the database knows,
or until :meth:`Scheduler.wake` (a schedule changed). It never scans every server.

A post is sent once even through a crash. Every post carries a key of the bot's own
(:func:`post_key`), and an attempt after the first, whose predecessor may have reached
Discord without being recorded, first looks for the post by that key in its channel and
records it if it is there (bot.posting). The first pass after start takes every pending
post at once, leased or not: a process that died mid-send held them, and waiting out its
lease would only make them late.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bot.clock import Clock
from bot.delivery import Poster
from bot.posting import BACKOFF_MAX, PostSender
from bot.records import Job, PostOutcome, PostStatus, Story
from bot.schedules import ZoneCache, plan_due, to_unix
from bot.selection import Selector
from bot.sharding import ShardSlice
from bot.stores import ScheduleStore
from bot.tasks import cancel_and_wait

log = logging.getLogger(__name__)

# A post taken for an attempt is this scheduler's for this long (seconds), and a scheduler
# that dies holding it is covered after it. A pass's sends still under way after
# SEND_DEADLINE are cut short and retried, well inside the lease, so a slow Discord can
# never let a second scheduler take a post this one is still sending.
LEASE = 120
SEND_DEADLINE = 60.0
BATCH = 1000
CONCURRENT_SENDS = 8
# The longest nap: a wall clock that jumps (suspend, NTP) is noticed within this.
MAX_NAP = 3600.0
# Claims are kept this long, then pruned: they only matter around their own day.
KEEP_CLAIMS = timedelta(days=3)


Nap = Callable[[float, asyncio.Event], Awaitable[None]]


async def real_nap(seconds: float, wake: asyncio.Event) -> None:
    # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that arrives just
    # after the event was set, so a bot stopping right after a schedule changed waited
    # for its scheduler forever. asyncio.timeout lets the cancellation through.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()


@dataclass
class PassReport:
    """What one pass did; tests and the benchmark read it."""

    claimed: int = 0
    skipped: int = 0
    sent: list[Job] = field(default_factory=list)
    retried: int = 0
    paused: int = 0
    missed: int = 0


class Scheduler:
    def __init__(
        self,
        store: ScheduleStore,
        selector: Selector,
        clock: Clock,
        *,
        grace: timedelta,
        poster: Poster | None = None,
        mod_channel: Callable[[int], Awaitable[int | None]] | None = None,
        hidden_notes: Callable[[int], Awaitable[frozenset[str]]] | None = None,
        nap: Nap = real_nap,
        zones: ZoneCache | None = None,
        send_deadline: float = SEND_DEADLINE,
        shards: ShardSlice | None = None,
    ) -> None:
        self.store = store
        self.selector = selector
        self.poster = poster
        self.clock = clock
        self.grace = int(grace.total_seconds())
        self._mod_channel = mod_channel
        self._sender = PostSender(selector, clock, grace=self.grace, hidden_notes=hidden_notes)
        self._nap = nap
        self._send_deadline = send_deadline
        self.zones = zones or ZoneCache()
        # The servers whose posts this process sends: those on its own shards, whose
        # gateway it holds. Another process serves the rest, each claim deciding who posts.
        self.shards = shards or ShardSlice.everything()
        self._wake = asyncio.Event()
        self._pass_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._last_prune = 0
        # Set once the first pass after start has settled the posts a crash left uncertain.
        self.settled = asyncio.Event()

    # -- life cycle -----------------------------------------------------------------------

    def start(self, poster: Poster | None = None) -> None:
        """Post through ``poster`` (Discord, once the bot is up) from now on."""
        if poster is not None:
            self.poster = poster
        if self.poster is None:
            raise RuntimeError("the scheduler has nowhere to post")
        if self._task is None or self._task.done():
            # Not named "bedside-...": the bench's settle() waits for those, and this never ends.
            self._task = asyncio.create_task(self._loop(), name="daily-scheduler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    def wake(self) -> None:
        """A schedule changed: look again at what is due first."""
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_due(at_start=not self.settled.is_set())
                self.settled.set()
                wake_at = await self.store.next_wake(self.shards)
            except Exception:
                log.exception("daily scheduler pass failed; trying again in a minute")
                await self._nap(60.0, self._wake)
                continue
            now = self.clock()
            seconds = MAX_NAP if wake_at is None else wake_at - now.timestamp()
            await self._nap(min(max(seconds, 0.0), MAX_NAP), self._wake)

    # -- one pass -------------------------------------------------------------------------

    async def run_due(self, *, at_start: bool = False) -> PassReport:
        """Claim every due post and send the claimed ones ready for an attempt; ``at_start``,
        every pending post is ready, whatever its lease or back-off."""
        async with self._pass_lock:
            now = to_unix(self.clock())
            planned, jobs = await self.store.claim_due(
                now,
                limit=BATCH,
                lease=LEASE,
                plan=lambda row: plan_due(row, now, self.grace, self.zones),
                shards=self.shards,
                ready_by=now + LEASE + BACKOFF_MAX if at_start else now,
            )
            report = PassReport()
            for _, plan in planned:
                for claim in plan.claims:
                    if claim.status == PostStatus.SKIPPED:
                        report.skipped += 1
                    else:
                        report.claimed += 1
            if jobs:
                await self._attempt(jobs, report)
            await self._maybe_prune(now)
            return report

    async def _attempt(self, jobs: list[Job], report: PassReport) -> None:
        # Every story of the pass is drawn before any is sent, so the draws go to the
        # database together, as one batch, instead of a few at a time behind the gate.
        drawn = await self._stories(jobs)
        # A few senders share the pass's posts, rather than a task per post.
        outcomes: list[PostOutcome | None] = [None] * len(jobs)
        turns = iter(range(len(jobs)))

        async def sender() -> None:
            for n in turns:
                outcomes[n] = await self._sender.send(self.poster, jobs[n], drawn[n])

        senders = [asyncio.ensure_future(sender()) for _ in range(min(CONCURRENT_SENDS, len(jobs)))]
        # One deadline for the pass rather than a timer per send: it is the lease that
        # must not run out, and the lease covers the whole pass.
        try:
            _, late = await asyncio.wait(senders, timeout=self._send_deadline)
        except asyncio.CancelledError:
            # The pass is stopped (the bot is closing): its sends stop with it, rather than
            # running on behind a scheduler that will never record how they went.
            for task in senders:
                task.cancel()
            raise
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
        # A post whose send was cut short, or never began, is tried again later.
        ended = [
            outcome
            if outcome is not None
            else self._sender.retry(
                job, story if isinstance(story, Story) else None, TimeoutError()
            )
            for outcome, job, story in zip(outcomes, jobs, drawn, strict=True)
        ]
        now = to_unix(self.clock())
        await self.store.finish(ended, now)
        for job, outcome in zip(jobs, ended, strict=True):
            if outcome.status == PostStatus.SENT:
                report.sent.append(job)
            elif outcome.status == PostStatus.PENDING:
                report.retried += 1
            elif outcome.status == PostStatus.MISSED:
                report.missed += 1
            elif outcome.status == PostStatus.PAUSED:
                report.paused += 1
                await self._tell_moderators(job, outcome.pause_reason or "")

    async def _stories(self, jobs: list[Job]) -> list[Story | BaseException | None]:
        """The story of each job; an error in place of a story fails that post alone."""
        found: list[Story | BaseException | None] = [None] * len(jobs)
        fresh: list[int] = []
        for n, job in enumerate(jobs):
            # A retry posts the story the first attempt drew, so the round moves once a post.
            if job.story_id is None:
                fresh.append(n)
                continue
            try:
                found[n] = await self.selector.library.story(job.story_id)
            except Exception as error:  # noqa: BLE001 - reported as that post's failure
                found[n] = error
            if found[n] is None:
                fresh.append(n)
        try:
            drawn = await self.selector.next_stories(
                [(jobs[n].channel_id, jobs[n].guild_id, jobs[n].theme_id) for n in fresh]
            )
        except Exception as error:  # noqa: BLE001 - reported as each post's failure
            drawn = [error] * len(fresh)  # type: ignore[list-item]
        for n, story in zip(fresh, drawn, strict=True):
            found[n] = story
        return found

    async def _tell_moderators(self, job: Job, reason: str) -> None:
        if self._mod_channel is None:
            return
        try:
            channel_id = await self._mod_channel(job.guild_id)
            if channel_id is None or channel_id == job.channel_id:
                return
            assert self.poster is not None
            await self.poster.notify(
                job.guild_id,
                channel_id,
                f"The daily story is paused: {reason} Fix it, then run `/daily set` again "
                "to resume; `/daily show` has the details.",
            )
        except Exception:
            log.exception("guild %s: could not tell the moderators about a pause", job.guild_id)

    async def _maybe_prune(self, now: int) -> None:
        if now - self._last_prune < 3600:
            return
        self._last_prune = now
        removed = await self.store.prune(now - int(KEEP_CLAIMS.total_seconds()))
        if removed:
            log.info("pruned %s old daily post claims", removed)

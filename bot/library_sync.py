"""Bringing the bundled library in at start-up, and sketching it, while the bot serves.

A million-story data file takes minutes to import and more to sketch for the near-duplicate
checks; a bot that waited for both before logging in was offline for eight minutes. So
only the themes are put in place before serving (one small transaction), and the stories
are imported in batches that each commit, then sketched, in one background task that logs
how far it is. ``/story`` serves what is in meanwhile, and the database as it was. A
submission waits for the sketches (``SubmissionDesk.library_sketched``), so it is checked
against every story the library holds, never waved through.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from bot.bundle import BundleError
from bot.library import AfterBatch, ImportPlan, ImportProgress, Library
from bot.records import ANY_THEME, BUNDLED
from bot.submissions import SubmissionDesk
from bot.tasks import cancel_and_wait

log = logging.getLogger(__name__)

# A progress line at most this often, in seconds: enough to see it move, not a flood.
PROGRESS_EVERY = 10.0
# A sketch pass that failed (the database away) is tried again after this many seconds:
# submissions wait for it, so it must not simply stop.
SKETCH_RETRY = 30.0


class Progress:
    """Logs how far a long pass is: how many done, of about how many, and the time left."""

    def __init__(self, what: str, every: float = PROGRESS_EVERY) -> None:
        self._what = what
        self._every = every
        self._started = time.monotonic()
        self._last = self._started

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < self._every:
            return
        self._last = now
        elapsed = now - self._started
        left = elapsed / done * max(total - done, 0) if done else float("nan")
        log.info("%s: %s of about %s stories, about %.0f s left", self._what, done, total, left)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started


class LibrarySync:
    """The start-up import and sketch pass, run once, in line or in the background."""

    def __init__(
        self,
        library: Library,
        desk: SubmissionDesk,
        data_dir: Path,
        *,
        after_batch: AfterBatch | None = None,
    ) -> None:
        self._library = library
        self._desk = desk
        self._data_dir = data_dir
        self._after_batch = after_batch
        self._task: asyncio.Task[None] | None = None
        self.imported = asyncio.Event()

    async def start(self, *, in_background: bool) -> None:
        """Put the themes in place now (a bad themes file raises :class:`BundleError`),
        then import the stories and sketch them: awaited, or in a task of its own."""
        plan = await self._library.prepare_import(self._data_dir)
        # From here until the sketches are complete a submission waits for them.
        self._desk.library_sketched.clear()
        if not in_background:
            await self._run(plan, raise_problems=True)
            return
        # Not named "bedside-...": the test bench's settle() waits for those.
        self._task = asyncio.create_task(self._run(plan), name="library-sync")

    async def _run(self, plan: ImportPlan | None, *, raise_problems: bool = False) -> None:
        if plan is not None:
            try:
                await self._import(plan)
            except BundleError as exc:
                if raise_problems:
                    raise
                # Every problem, once the files were read; what was right is served.
                log.error("the bundled library was imported in part: %s", exc)
        self.imported.set()
        await self._sketch()

    async def _import(self, plan: ImportPlan) -> None:
        progress = Progress("importing the bundled library")

        async def after_batch(step: ImportProgress) -> None:
            progress(step.done, step.total)
            if self._after_batch is not None:
                await self._after_batch(step)

        report = await self._library.import_stories(plan, after_batch)
        log.info(
            "the bundled library is in after %.1f s (%s added, %s updated)",
            progress.elapsed,
            report.added,
            report.updated,
        )

    async def _sketch(self) -> None:
        while True:
            try:
                await self._sketch_once()
            except Exception:
                log.exception("sketching the library failed; trying again in %.0f s", SKETCH_RETRY)
                await asyncio.sleep(SKETCH_RETRY)
                continue
            self._desk.library_sketched.set()
            return

    async def _sketch_once(self) -> None:
        progress = Progress("sketching the library for near-duplicate checks")
        # Bundled stories are numbered in import order, so the highest is about how many
        # there are; stories already sketched are passed over, so the ids gone by less
        # those done is what was left out.
        top = (await self._library.counts(BUNDLED)).get(ANY_THEME, 0)
        done = await self._desk.sketch_library(
            lambda done, last: progress(done, max(top, last) - (last - done))
        )
        if done:
            log.info("the library's sketches are complete after %.1f s", progress.elapsed)

    async def close(self) -> None:
        await cancel_and_wait(self._task)

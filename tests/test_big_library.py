"""A start on a large new data file: the bot serves while the library comes in behind it.

"Large" here is a few thousand stories, with the import held after its first batch (its
``after_batch`` hook), so what is served meanwhile can be seen without timing anything.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from functools import partial
from pathlib import Path

from bot.library import IMPORT_BATCH, ImportProgress
from bot.services import open_services
from bot.settings import DEFAULT_DATA_DIR
from tests.discord_bench import payloads
from tests.discord_bench.harness import Bench
from tests.discord_bench.payloads import MEMBER, Where
from tests.library_data import story
from tests.test_submissions_steps import STORIES, cards, form_values, turn_on

# Two and a half batches: the import is seen half-way, with more to come.
LARGE = IMPORT_BATCH * 5 // 2
WAIT = 30.0


def large_library(folder: Path) -> Path:
    """The bundled themes and ``LARGE`` stories in one JSON Lines file; the first story
    is a member's story from the submission tests, to be copied."""
    folder.mkdir(parents=True)
    shutil.copy(DEFAULT_DATA_DIR / "themes.json", folder / "themes.json")
    with (folder / "stories.jsonl").open("w", encoding="utf-8") as out:
        for n in range(LARGE):
            entry = story(f"large-{n:05d}", "nicu", text=STORIES[0] if n == 0 else None)
            out.write(json.dumps(entry) + "\n")
    return folder


class HeldImport:
    """Holds the import after its first batch, until released."""

    def __init__(self) -> None:
        self.held = asyncio.Event()
        self._release = asyncio.Event()
        self.batches: list[ImportProgress] = []

    async def after_batch(self, progress: ImportProgress) -> None:
        self.batches.append(progress)
        if len(self.batches) == 1:
            self.held.set()
            await self._release.wait()

    def release(self) -> None:
        self._release.set()


def bench_on(tmp_path: Path, database: dict[str, str], held: HeldImport) -> Bench:
    data = large_library(tmp_path / "data")
    return Bench(
        tmp_path,
        env={**database, "DATA_DIR": str(data)},
        make_services=partial(open_services, in_background=True, after_batch=held.after_batch),
    )


async def test_a_large_new_library_serves_story_while_it_is_still_imported(
    tmp_path: Path, database: dict[str, str]
):
    held = HeldImport()
    async with bench_on(tmp_path, database, held) as bench:
        await asyncio.wait_for(held.held.wait(), WAIT)
        assert bench.services is not None
        sync = bench.services.library_sync

        served = [await bench.slash("story", theme="nicu") for _ in range(3)]

        assert not sync.imported.is_set()  # the import is still held
        assert held.batches == [ImportProgress(IMPORT_BATCH, LARGE)]
        first_batch = {f"Story large-{n:05d}" for n in range(IMPORT_BATCH)}
        titles = [reply.embeds[0]["title"] for reply in served]
        assert set(titles) <= first_batch, titles
        assert len(set(titles)) == 3  # a round, as ever

        held.release()
        await asyncio.wait_for(sync.imported.wait(), WAIT)
        counts = await bench.services.library.counts(0)
        assert counts[0] == LARGE


async def test_a_submission_before_the_sketches_are_done_is_still_refused_as_a_copy(
    tmp_path: Path, database: dict[str, str]
):
    held = HeldImport()
    async with bench_on(tmp_path, database, held) as bench:
        await asyncio.wait_for(held.held.wait(), WAIT)
        assert bench.services is not None
        await turn_on(bench)
        opened = await bench.slash("submit")

        # The first story, imported already, copied word for word, while nothing is
        # sketched yet: the check waits, and the member sees the bot thinking.
        sending = await bench.send(
            payloads.modal_submit(opened.data, form_values(bench, STORIES[0]), MEMBER, Where()),
            wait=False,
        )
        await asyncio.wait_for(asyncio.shield(sending.state.responded), WAIT)
        assert sending.type == 5  # deferred: "thinking"
        assert sending.ephemeral

        held.release()
        await asyncio.wait_for(bench.services.desk.library_sketched.wait(), WAIT)
        await bench.settle()

        assert sending.state.original is not None
        answer = sending.state.original["content"]
        assert "nearly the same as “Story large-00000”" in answer, answer
        assert "so it was not sent" in answer
        assert cards(bench) == []  # nothing reached the moderators

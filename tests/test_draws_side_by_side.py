"""Batches of draws in flight at once, as a busy bot (or the daily scheduler beside it) sends
them: none fails, and no round serves a story twice."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.services import open_services
from bot.settings import DEFAULT_DATA_DIR
from tests.services_at import settings_at

GUILD = 1300000000000000001
CHANNELS = [2000 + n for n in range(60)]
PASSES = 12


BUNDLED = len(json.loads((DEFAULT_DATA_DIR / "stories.json").read_text("utf-8")))


async def test_batches_over_the_same_rounds_in_opposite_orders_all_answer(
    database: dict[str, str], tmp_path: Path
):
    # Two batches that name the same rounds in opposite orders lock them in opposite
    # orders unless every statement takes its rows in one order; PostgreSQL would then end
    # one of them with a deadlock error, and every member in that batch would get an
    # apology instead of a story.
    async with open_services(settings_at(database)) as services:
        forward = [(channel, GUILD, None) for channel in CHANNELS]
        backward = list(reversed(forward))
        served: dict[int, list[str]] = {channel: [] for channel in CHANNELS}
        for _ in range(PASSES):
            ahead, behind = await asyncio.gather(
                services.selector.next_stories(forward),
                services.selector.next_stories(backward),
            )
            for (channel, _, _), story in [
                *zip(forward, ahead, strict=True),
                *zip(backward, behind, strict=True),
            ]:
                assert story is not None
                served[channel].append(story.title)
        per_round = min(BUNDLED, 2 * PASSES)
        for channel, titles in served.items():
            assert len(set(titles[:per_round])) == per_round, (channel, titles)

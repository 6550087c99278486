"""Each benchmark in bench/ starts: someone measuring the bot gets its usage, not an ImportError."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.serve import FIXED_STORY, add_baseline, check_answer
from tests.discord_bench import payloads
from tests.discord_bench.harness import Bench
from tests.discord_bench.payloads import MEMBER, Where

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["run", "scheduler", "shards", "startup"])
def test_benchmark_answers_help(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


async def test_the_benchmark_baseline_answers_its_card(bench: Bench) -> None:
    # Every /story ratio in BENCHMARKS.md is against this command: if it fails, it answers
    # with the apology, which is quicker than a card, and every ratio is of the wrong thing.
    add_baseline(bench.bot.tree)
    payload = payloads.command("baseline", {"theme": "nicu"}, MEMBER, Where())
    reply = await bench.send(payload)
    check_answer(payload, reply.state.response)
    assert reply.embeds[0]["title"] == FIXED_STORY.title
    assert not reply.ephemeral
    choices = payloads.command("baseline", {"theme": "ni"}, MEMBER, Where(), focused="theme")
    completed = await bench.send(choices)
    check_answer(choices, completed.state.response)

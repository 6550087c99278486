"""One serving process, measured whole: start-up, latency against a baseline, memory.

Run by bench/run.py as ``python -m bench.serve WORK DATA_DIR PAIRS_FILE DATABASE LAUNCHED_AT``
(DATABASE: a SQLite file or a PostgreSQL URL; LAUNCHED_AT: the launcher's time.time() just
before it started this process); prints one JSON line.
The bot runs exactly as in the end-to-end tests: the real discord.py client and command tree
against the stand-in Discord of tests/discord_bench, interactions in through the gateway
handler, answers out through discord.py's HTTP client. The baseline is a command on the same
tree that answers a story card built from one fixed story, so both go through the same path,
machine noise cancels, and the ratio is what the library adds.
"""

from __future__ import annotations

import time

PROCESS_START = time.perf_counter()

import asyncio  # noqa: E402 - the clock above must start before the imports it measures
import json  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import discord  # noqa: E402
from discord import app_commands  # noqa: E402

from bot.records import Story  # noqa: E402
from cogs.cards import story_embed  # noqa: E402
from cogs.stories import story_controls  # noqa: E402
from tests.discord_bench import payloads  # noqa: E402
from tests.discord_bench.harness import Bench  # noqa: E402
from tests.discord_bench.payloads import MEMBER, Where  # noqa: E402

IMPORTED = time.perf_counter()

IN_FLIGHT = 100
ROUNDS = 12
PER_ROUND = 600

# The baseline answers a story card built from this one fixed story: the same embed and
# the same "Another story" button as /story, so the ratio measures what /story adds to
# answering (the library), not the size of the message. A plain embed with no button,
# as before, made the baseline cheaper than any card the bot sends.
FIXED_STORY = Story(
    id=0,
    guild_id=0,
    title="A fixed card",
    body="The baseline answers this card: same path, no library work. " * 3,
    notes=(),
    credit="bench",
    date="2020-01",
    teller="the benchmark",
    primary_theme_id=None,
)


def add_baseline(tree: app_commands.CommandTree) -> None:
    @tree.command(name="baseline", description="Benchmark baseline: a fixed card")
    @app_commands.describe(theme="ignored")
    async def baseline(interaction: discord.Interaction, theme: str | None = None) -> None:
        await interaction.response.send_message(
            embed=story_embed(FIXED_STORY, None, hidden=False),
            view=story_controls(0, FIXED_STORY.id),
        )

    @baseline.autocomplete("theme")
    async def baseline_complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f"choice {n}", value=f"v{n}") for n in range(25)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def drive(bench: Bench, make_payload, count: int) -> tuple[list[float], float, float]:
    """Keep IN_FLIGHT interactions in flight until ``count`` were answered: the latencies,
    the rate, and how busy the event loop's thread was (its CPU time over the wall time;
    below 1, it sat waiting, for the database or the disk)."""
    latencies: list[float] = []
    queue = iter(range(count))

    async def worker() -> None:
        for _ in queue:
            payload = make_payload()
            sent = time.perf_counter()
            reply = await bench.send(payload, wait=False)
            await asyncio.wait_for(reply.state.responded, timeout=10)
            latencies.append(reply.state.answered_at - sent)
            bench.discord.forget(reply.state)

    started, cpu = time.perf_counter(), time.thread_time()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    # A round is over when what it wrote is in the database file: copying the log is
    # done in the background, and would otherwise land in (and slow) a later round.
    # (SQLite's: PostgreSQL's server writes its own log out; the sharded benchmark's bot runs
    # in a process of its own, with no services here.)
    checkpointer = None
    if bench.services is not None:
        db = bench.services.storage.library.db  # type: ignore[attr-defined]
        checkpointer = getattr(db, "checkpointer", None)
    if checkpointer is not None:
        await checkpointer.run_once()
    wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
    # A rejected answer would mean the numbers are of a failing path, not of serving.
    assert not bench.discord.rejections, bench.discord.rejections[:3]
    return latencies, count / wall, cpu / wall


async def main(
    work: Path, data_dir: Path, pairs: list[tuple[int, int]], database: str, launched_at: float
) -> dict[str, float]:
    from bench.run import database_env

    rng = random.Random(5)
    env = {**database_env(database), "DATA_DIR": str(data_dir)}
    bench = Bench(work, env=env)
    bench.discord.record = False
    await bench.discord.start()
    discord.http.Route.BASE = bench.discord.base_url
    # The first start after an import also sketches the new stories for the submissions'
    # near-duplicate check, once; the target is about every start after that.
    first = time.perf_counter()
    await bench.start_bot()
    first_ready = time.perf_counter()
    # The operator's view of a start: from launching the process to a member's answer.
    here = Where(guild_id=pairs[0][0], channel_id=pairs[0][1])
    reply = await bench.send(payloads.command("story", {}, MEMBER, here), wait=False)
    await asyncio.wait_for(reply.state.responded, timeout=30)
    first_answer = time.time() - launched_at
    bench.discord.forget(reply.state)
    await bench.stop_bot()
    started = time.perf_counter()
    await bench.start_bot()
    ready = time.perf_counter()
    add_baseline(bench.bot.tree)
    # Start-up reads the draw tables ahead in the background (bot.storage.draws.prewarm):
    # the targets are about serving once started, so measuring begins when that is done.
    for task in asyncio.all_tasks():
        if task.get_name() == "database-prewarm":
            await task
    slugs = [t.slug for t in bench.services.library.catalogue]

    def where() -> Where:
        guild, channel = rng.choice(pairs)
        return Where(guild_id=guild, channel_id=channel)

    def story() -> dict:
        return payloads.command("story", {"theme": rng.choice(slugs)}, MEMBER, where())

    def baseline() -> dict:
        return payloads.command("baseline", {"theme": rng.choice(slugs)}, MEMBER, where())

    def complete() -> dict:
        prefix = rng.choice(slugs)[: rng.randint(2, 12)]
        return payloads.command("story", {"theme": prefix}, MEMBER, where(), focused="theme")

    def complete_baseline() -> dict:
        prefix = rng.choice(slugs)[: rng.randint(2, 12)]
        return payloads.command("baseline", {"theme": prefix}, MEMBER, where(), focused="theme")

    results: dict[str, list[float]] = {k: [] for k in ("story", "base", "ac", "ac_base")}
    rates: dict[str, list[float]] = {k: [] for k in results}
    busy: dict[str, list[float]] = {k: [] for k in results}
    for make in (baseline, story, complete_baseline, complete):  # warm up every path alike
        await drive(bench, make, 200)
    # Alternate so drift in the machine hits both sides alike.
    for _ in range(ROUNDS):
        for key, make in (
            ("base", baseline),
            ("story", story),
            ("ac_base", complete_baseline),
            ("ac", complete),
        ):
            latencies, rate, loop_busy = await drive(bench, make, PER_ROUND)
            results[key] += latencies
            rates[key].append(rate)
            busy[key].append(loop_busy)
    await bench.stop_bot()
    await bench.discord.stop()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out: dict[str, float] = {
        "import_s": IMPORTED - PROCESS_START,
        "startup_s": ready - started,
        "first_start_s": first_ready - first,
        "process_to_ready_s": first_ready - PROCESS_START,
        "process_to_answer_s": first_answer,
        "peak_mb": peak_mb,
    }
    for key, values in results.items():
        out[f"{key}_p50_ms"] = percentile(values, 0.50) * 1000
        out[f"{key}_p99_ms"] = percentile(values, 0.99) * 1000
        out[f"{key}_max_ms"] = max(values) * 1000
        out[f"{key}_per_s"] = percentile(rates[key], 0.50)
        out[f"{key}_loop_busy"] = percentile(busy[key], 0.50)
    return out


if __name__ == "__main__":
    work_dir, data, pairs_path = (Path(a) for a in sys.argv[1:4])
    pairs_read = [(int(g), int(c)) for g, c in json.loads(pairs_path.read_text())]
    result = main(work_dir, data, pairs_read, sys.argv[4], float(sys.argv[5]))
    print(json.dumps(asyncio.run(result)))

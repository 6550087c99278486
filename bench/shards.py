"""The bot at the size of a public bot, through the gateway: ``python -m bench.shards``.

20,000 servers of 20 channels (with permission overwrites) and 10 roles, over 20 shards in
one process. This process runs the stand-in Discord (REST and gateway, tests/discord_bench)
and two bot processes connect to it, each alone in its own process so its memory is its
own (bench/shard_side.py): the bot, and a baseline, a plain discord.py AutoShardedBot with
the ``guilds`` intent and default caches answering ``/story`` with a fixed card. Measured:
time from starting the process to every shard having handled its servers, peak memory, and
``/story`` latency and throughput with bench/serve.py's load loop, interactions sent over
each side's own gateway sessions, the sides taking turns round by round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.report import machine, write_block
from bench.run import ROOT, WORK
from bench.serve import IN_FLIGHT, PER_ROUND, ROUNDS, drive, percentile
from bench.shard_side import SHARDS
from bot.services import open_services
from bot.settings import load_settings
from bot.sharding import shard_of
from tests.discord_bench import payloads
from tests.discord_bench.gateway import FakeGateway, Session
from tests.discord_bench.guilds import JOINED_AT, own_member
from tests.discord_bench.harness import FAKE_TOKEN, Reply
from tests.discord_bench.payloads import MEMBER, Where
from tests.discord_bench.server import (
    BOT_DEFAULT_PERMISSIONS,
    BOT_USER_ID,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeDiscord,
)

SERVERS = 20_000
CHANNELS = 20
ROLES = 10
# A server's first channel (its id plus one) is where /story is asked.
START_LIMIT = 600.0
SIDES = ("baseline", "bot")
MARKERS = ("<!-- shards:start -->", "<!-- shards:end -->")
ROLE_NAMES = ["Moderator", "Nurse", "Doctor", "Midwife", "Student", "Porter", "Night shift"]


def _role(role_id: int, name: str, permissions: int, position: int) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0x3498DB if position else 0,
        "hoist": position % 3 == 1,
        "position": position,
        "permissions": str(permissions),
        "managed": name == "Bedside Stories",
        "mentionable": position % 2 == 0,
        "flags": 0,
        "icon": None,
        "unicode_emoji": None,
    }


def _overwrite(target: int, kind: int, allow: int, deny: int) -> dict[str, Any]:
    return {"id": str(target), "type": kind, "allow": str(allow), "deny": str(deny)}


def guild_payload(guild_id: int) -> dict[str, Any]:
    """A GUILD_CREATE as a community server sends it with the guilds intent: 10 roles,
    20 channels in two categories, most with overwrites for roles and one for the bot."""
    bot_role, moderator = guild_id + 100, guild_id + 101
    roles = [
        _role(guild_id, "@everyone", VIEW_CHANNEL | SEND_MESSAGES | (1 << 16), 0),
        _role(bot_role, "Bedside Stories", BOT_DEFAULT_PERMISSIONS, ROLES - 1),
        *(
            _role(guild_id + 101 + n, name, VIEW_CHANNEL | SEND_MESSAGES | (1 << 13), n + 1)
            for n, name in enumerate(ROLE_NAMES)
        ),
        _role(guild_id + 120, "Muted", 0, ROLES - 2),
    ]
    channels: list[dict[str, Any]] = []
    categories = (guild_id + 50, guild_id + 51)
    for n in range(CHANNELS):
        kind = 4 if n in (18, 19) else (2 if n in (16, 17) else 0)
        overwrites = [
            _overwrite(guild_id, 0, 0, SEND_MESSAGES if n % 4 == 3 else 0),
            _overwrite(moderator, 0, VIEW_CHANNEL | SEND_MESSAGES | (1 << 13), 0),
            _overwrite(guild_id + 120, 0, 0, SEND_MESSAGES),
        ]
        if n % 5 == 0:
            overwrites.append(_overwrite(BOT_USER_ID, 1, BOT_DEFAULT_PERMISSIONS, 0))
        channel_id = categories[n - 18] if kind == 4 else guild_id + 1 + n
        channels.append(
            {
                "id": str(channel_id),
                "type": kind,
                "guild_id": str(guild_id),
                "name": f"ward-{n}" if kind == 0 else f"room-{n}",
                "position": n,
                "parent_id": None if kind == 4 else str(categories[n % 2]),
                "nsfw": False,
                "topic": "Stories from the ward, one shift at a time." if kind == 0 else None,
                "last_message_id": str(guild_id + 999) if kind == 0 else None,
                "rate_limit_per_user": 0,
                "bitrate": 64000 if kind == 2 else None,
                "user_limit": 0 if kind == 2 else None,
                "permission_overwrites": overwrites,
            }
        )
    return {
        "id": str(guild_id),
        "name": f"Ward {guild_id % 100_000}",
        "icon": None,
        "owner_id": str(guild_id + 7),
        "unavailable": False,
        "member_count": 250,
        "large": False,
        "features": ["COMMUNITY", "NEWS"],
        "verification_level": 1,
        "explicit_content_filter": 2,
        "default_message_notifications": 1,
        "mfa_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-GB",
        "system_channel_id": str(guild_id + 1),
        "rules_channel_id": str(guild_id + 2),
        "joined_at": JOINED_AT,
        "emojis": [],
        "stickers": [],
        "roles": roles,
        "channels": channels,
        "threads": [],
        "members": [own_member(bot_role)],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


class ThroughGateway:
    """What serve.drive needs of a bench: interactions go in over one side's own gateway
    sessions, answers are read from the REST stand-in."""

    services = None

    def __init__(self, world: FakeDiscord, gateway: FakeGateway, sessions: dict[int, Session]):
        self.discord = world
        self.gateway = gateway
        self.sessions = sessions

    async def send(self, payload: dict[str, Any], *, wait: bool = False) -> Reply:
        state = self.discord.register_interaction(
            int(payload["id"]), payload["token"], int(payload["channel_id"])
        )
        shard = shard_of(int(payload["guild_id"]), SHARDS)
        await self.gateway.deliver("INTERACTION_CREATE", payload, self.sessions[shard])
        return Reply(state)


class Side:
    """One bot process, started and timed until every shard has handled its servers."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.process: asyncio.subprocess.Process | None = None
        self.ready_s = 0.0
        self.load: ThroughGateway | None = None

    async def start(self, world: FakeDiscord, gateway: FakeGateway, db: Path) -> None:
        shards = list(range(SHARDS))
        gateway.expect_identify(shards)
        started = time.perf_counter()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.shard_side",
            self.name,
            world.base_url,
            gateway.url,
            str(db),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        every = asyncio.gather(*(gateway.ready(i) for i in shards))
        await asyncio.wait_for(every, timeout=START_LIMIT)
        self.ready_s = time.perf_counter() - started
        self.load = ThroughGateway(world, gateway, {i: gateway.session_of(i) for i in shards})

    async def stop(self) -> float:
        """Close the process; its peak memory in MB."""
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.close()
        out, _ = await asyncio.wait_for(self.process.communicate(), timeout=120)
        if self.process.returncode != 0:
            raise SystemExit(f"the {self.name} process failed (exit {self.process.returncode})")
        return float(json.loads(out.decode().strip().splitlines()[-1])["peak_mb"])


async def prepare(db: Path) -> list[str]:
    """The bot's database, created and its library imported as at any start after the
    first; the theme slugs /story is asked for."""
    for old in WORK.glob(db.name + "*"):
        old.unlink()
    settings = load_settings({"DATABASE_PATH": str(db)}, require_token=False)
    async with open_services(settings) as services:
        return [t.slug for t in services.library.catalogue]


async def measure(servers: int) -> dict[str, Any]:
    WORK.mkdir(parents=True, exist_ok=True)
    db = WORK / "shards.sqlite3"
    slugs = await prepare(db)
    world = FakeDiscord()
    world.record = False
    gateway = FakeGateway(world, FAKE_TOKEN, guild_payload)
    gateway.replay = False
    guilds = [payloads.GUILD_ID + (n << 22) for n in range(servers)]
    gateway.add_guilds(guilds)
    await world.start()
    await gateway.start()
    rng = random.Random(14)

    def story() -> dict[str, Any]:
        guild = rng.choice(guilds)
        where = Where(guild_id=guild, channel_id=guild + 1)
        return payloads.command("story", {"theme": rng.choice(slugs)}, MEMBER, where)

    sides = {name: Side(name) for name in SIDES}
    latencies: dict[str, list[float]] = {name: [] for name in SIDES}
    rates: dict[str, list[float]] = {name: [] for name in SIDES}
    peaks: dict[str, float] = {}
    try:
        for side in sides.values():
            await side.start(world, gateway, db)
        for side in sides.values():  # warm up both alike
            assert side.load is not None
            await drive(side.load, story, 200)  # type: ignore[arg-type]
        # Alternate so drift in the machine hits both sides alike.
        for _ in range(ROUNDS):
            for name, side in sides.items():
                assert side.load is not None
                taken, rate, _ = await drive(side.load, story, PER_ROUND)  # type: ignore[arg-type]
                latencies[name] += taken
                rates[name].append(rate)
        for name, side in sides.items():
            peaks[name] = await side.stop()
    finally:
        for side in sides.values():
            if side.process is not None and side.process.returncode is None:
                side.process.kill()
        await gateway.stop()
        await world.stop()
    row: dict[str, Any] = {"servers": servers}
    for name, side in sides.items():
        row[f"{name}_ready_s"] = side.ready_s
        row[f"{name}_peak_mb"] = peaks[name]
        row[f"{name}_p50_ms"] = percentile(latencies[name], 0.50) * 1000
        row[f"{name}_p99_ms"] = percentile(latencies[name], 0.99) * 1000
        row[f"{name}_per_s"] = percentile(rates[name], 0.50)
    return row


def verdicts(row: dict[str, Any]) -> list[tuple[str, float, float, bool]]:
    """(target, measured ratio, limit, met)."""

    def ratio(key: str) -> float:
        return row[f"bot_{key}"] / row[f"baseline_{key}"]

    return [
        ("peak memory ≤ 0.5 × baseline", ratio("peak_mb"), 0.5, ratio("peak_mb") <= 0.5),
        ("time to ready ≤ 1.2 × baseline", ratio("ready_s"), 1.2, ratio("ready_s") <= 1.2),
        ("/story throughput ≥ 0.8 × baseline", ratio("per_s"), 0.8, ratio("per_s") >= 0.8),
        ("/story p99 ≤ 1.5 × baseline", ratio("p99_ms"), 1.5, ratio("p99_ms") <= 1.5),
    ]


def report(row: dict[str, Any], took: float) -> str:
    start, end = MARKERS
    lines = [
        start,
        "## Sharded, at the size of a public bot",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d} on {machine()}, with `python -m bench.shards` "
        f"({took / 60:.1f} minutes in all). {row['servers']:,} servers of {CHANNELS} channels "
        f"(two categories, two voice, most with permission overwrites for roles and some for "
        f"the bot) and {ROLES} roles, over {SHARDS} shards in one process, sent by a stand-in "
        "gateway (zlib-stream, as discord.py asks) in another process. The baseline is a "
        "plain discord.py `AutoShardedBot` with the `guilds` intent and default caches whose "
        "`/story` answers a fixed card; each side runs in a process of its own, so its peak "
        "memory (`ru_maxrss`) is its own. Time to ready is from starting the process to every "
        "shard having handled all its GUILD_CREATEs; discord.py on its own waits 5 s before "
        "every identify but the first, while the bot waits only for its bucket's turn "
        "(Discord's stand-in gives `max_concurrency` 16). `/story` is sent over each side's "
        f"own gateway sessions, {IN_FLIGHT} in flight, {ROUNDS} rounds of {PER_ROUND} "
        "per side, the sides taking turns; a rate is the median round's.",
        "",
        "| side | time to ready s | peak MB | /story p50 / p99 ms | /story per s |",
        "|---|---:|---:|---|---:|",
    ]
    for name in SIDES:
        lines.append(
            f"| {name} | {row[f'{name}_ready_s']:.1f} | {row[f'{name}_peak_mb']:.0f} | "
            f"{row[f'{name}_p50_ms']:.1f} / {row[f'{name}_p99_ms']:.1f} | "
            f"{row[f'{name}_per_s']:.0f} |"
        )
    lines += ["", "| target | measured | met |", "|---|---:|:---:|"]
    for target, measured, _, met in verdicts(row):
        lines.append(f"| {target} | {measured:.2f}× | {'yes' if met else 'no'} |")
    lines += ["", end]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=SERVERS)
    parser.add_argument("--no-write", action="store_true", help="print, leave BENCHMARKS.md")
    args = parser.parse_args()
    began = time.perf_counter()
    row = asyncio.run(measure(args.servers))
    block = report(row, time.perf_counter() - began)
    print(block)
    if not args.no_write:
        write_block(ROOT / "BENCHMARKS.md", block, *MARKERS)


if __name__ == "__main__":
    main()

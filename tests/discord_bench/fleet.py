"""Several bot processes on one database, against one stand-in Discord.

    async with Fleet(tmp_path, database, guilds, shard_count=4) as fleet:
        low = await fleet.start("low", "0-1")
        high = await fleet.start("high", "2-3")

Each "process" is a :class:`ShardedBench` with its own services (its own connections to the
one database), its own ``StoryBot`` and its own ``SHARD_IDS``; they share the one REST
stand-in and the one gateway stand-in, as processes of one bot share Discord. Every request
a process sends names it (``Request.agent``), so a test can tell which process sent what.
"""

from __future__ import annotations

from pathlib import Path

import discord.gateway
import discord.http
import yarl

from tests.discord_bench.gateway import FakeGateway
from tests.discord_bench.harness import FAKE_TOKEN, BenchClock
from tests.discord_bench.server import FakeDiscord, Request
from tests.discord_bench.sharded import ShardedBench


class Fleet:
    def __init__(
        self,
        tmp_path: Path,
        database: dict[str, str],
        guilds: list[int],
        *,
        shard_count: int,
        clock: BenchClock | None = None,
    ) -> None:
        self.tmp_path = tmp_path
        self.database = database
        self.shard_count = shard_count
        self.clock = clock or BenchClock()
        self.discord = FakeDiscord(self.clock)
        self.gateway = FakeGateway(self.discord, FAKE_TOKEN)
        self.gateway.add_guilds(guilds)
        for guild_id in guilds:
            # Each server has a channel of the same number plus one, as in ShardedBench.
            self.discord.add_channel(guild_id + 1, guild_id)
        self.processes: list[ShardedBench] = []
        self._old = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)

    async def __aenter__(self) -> Fleet:
        await self.discord.start()
        await self.gateway.start()
        discord.http.Route.BASE = self.discord.base_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            for process in self.processes:
                await process.stop_bot()
        finally:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._old
            await self.gateway.stop()
            await self.discord.stop()
        if exc[0] is None:
            assert not self.discord.rejections, "Discord would have rejected:\n" + "\n".join(
                str(r) for r in self.discord.rejections
            )

    async def start(self, name: str, shard_ids: str, **env: str) -> ShardedBench:
        """A process named ``name`` serving ``shard_ids``, connected and ready."""
        process = ShardedBench(
            self.tmp_path,
            env={
                **self.database,
                "SHARD_COUNT": str(self.shard_count),
                "SHARD_IDS": shard_ids,
                **env,
            },
            clock=self.clock,
            world=self.discord,
            gateway=self.gateway,
            name=name,
        )
        await process.start_bot()
        self.processes.append(process)
        return process

    def sent_by(self, request: Request) -> str:
        """The name of the process that sent ``request``."""
        _, found, name = request.agent.rpartition(" process/")
        assert found, f"a request from no process of the fleet: {request.agent!r}"
        return name

    def posters(self, channel_id: int) -> set[str]:
        """The processes that sent a message to ``channel_id``."""
        path = f"/channels/{channel_id}/messages"
        return {
            self.sent_by(r) for r in self.discord.requests if r.method == "POST" and r.path == path
        }

"""The bench with a gateway: the bot connects its shards to :class:`FakeGateway`.

    async with ShardedBench(tmp_path, env={"SHARD_COUNT": "3"}, guilds=[a, b, c]) as bench:
        reply = await bench.slash("story", where=Where(guild_id=b, channel_id=...))
        assert bench.last_shard == shard_of(b, 3)

Everything the plain :class:`Bench` offers works the same; the difference is the way in.
The bot runs ``connect()`` as ``python -m bot`` does: discord.py asks ``/gateway/bot``
when SHARD_COUNT is empty, identifies each shard, and learns each shard's servers from
its GUILD_CREATEs. Interactions are sent by the gateway to the shard of their server.
Start-up waits until every shard has handled its servers (see ``FakeGateway.synced``),
so a test begins with the bot as a real one is once Discord has sent it everything.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import discord.gateway
import yarl

from bot.client import StoryBot
from tests.discord_bench.gateway import FakeGateway, Session
from tests.discord_bench.harness import FAKE_TOKEN, Bench

# Start-up is a few local round trips per shard; this only stops a broken one hanging.
START_LIMIT = 30.0


class ShardedBench(Bench):
    def __init__(
        self,
        tmp_path: Path,
        *,
        guilds: Sequence[int] = (),
        gateway: FakeGateway | None = None,
        name: str = "",
        **options: Any,
    ) -> None:
        super().__init__(tmp_path, **options)
        # A gateway given is shared by several bots (fleet.py), and its owner runs it.
        self._owns_gateway = gateway is None
        self.gateway = gateway or FakeGateway(self.discord, FAKE_TOKEN)
        self.gateway.add_guilds(list(guilds))
        for guild_id in guilds:
            # Each server has a channel of the same number plus one, for its stories.
            self.discord.add_channel(guild_id + 1, guild_id)
        self.name = name
        self._old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        self._connecting: asyncio.Task[None] | None = None
        # This bot's own session on each of its shards, once connected.
        self.sessions: dict[int, Session] = {}
        # The session the last interaction went through.
        self.last_session: Session | None = None

    @property
    def last_shard(self) -> int | None:
        return None if self.last_session is None else self.last_session.shard_id

    def shard_ids(self) -> list[int]:
        settings = self.settings
        if settings.shard_count is None:
            # What /gateway/bot recommends (server.py).
            return list(range(max(1, -(-len(self.gateway.guild_ids) // 1000))))
        return list(settings.shard_slice.ids)

    async def __aenter__(self) -> ShardedBench:
        if self._owns_gateway:
            await self.gateway.start()
            # With SHARD_COUNT set discord.py skips /gateway/bot and dials this address.
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway.url)
        try:
            await super().__aenter__()
        except BaseException:
            await self._stop_gateway()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await super().__aexit__(*exc)
        finally:
            await self._stop_gateway()

    async def _stop_gateway(self) -> None:
        if self._owns_gateway:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._old_gateway
            await self.gateway.stop()

    async def start_bot(self) -> StoryBot:
        bot = await super().start_bot()
        if self.name:
            # Every request names its process, for tests of several (server.Request.agent).
            bot.http.user_agent += f" process/{self.name}"
        self.gateway.expect_identify(self.shard_ids())
        self._connecting = asyncio.create_task(bot.connect(), name="bench-connect")
        every_shard = asyncio.ensure_future(
            asyncio.gather(*(self.gateway.ready(i) for i in self.shard_ids()))
        )
        done, _ = await asyncio.wait(
            [every_shard, self._connecting],
            timeout=START_LIMIT,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if every_shard not in done:
            every_shard.cancel()
            if self._connecting in done:
                self._connecting.result()  # raises what stopped the bot
            raise AssertionError(f"the shards were not ready after {START_LIMIT}s")
        self.sessions = {i: self.gateway.session_of(i) for i in self.shard_ids()}
        return bot

    async def stop_bot(self) -> None:
        await super().stop_bot()
        if self._connecting is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
            self._connecting = None

    async def kill(self) -> None:
        """Stop as a process killed in the middle of its work stops: the daily pass is cut
        off wherever it was, nothing the bot started is waited for, and its shards'
        connections simply go."""
        assert self.bot is not None and self.services is not None, "the bot is not running"
        await self.services.scheduler.stop()
        await self.bot.close()
        self.bot = None
        await self.stop_bot()

    async def deliver(self, payload: dict[str, Any]) -> None:
        shard = self.gateway.shard_for(payload)
        via = self.sessions.get(shard)
        # Discord sends a server's interactions on a session of its shard: this bot's own.
        assert via is not None, f"this process does not hold shard {shard}"
        self.last_session = await self.gateway.deliver("INTERACTION_CREATE", payload, via)

"""The bench: the real bot, the real discord.py client, a stand-in Discord.

    async with Bench(tmp_path) as bench:
        reply = await bench.slash("story", theme="nicu")
        assert reply.embeds[0]["author"]["name"].endswith("Neonatal intensive care")

Interactions go in through discord.py's gateway handler (``parse_interaction_create``),
exactly as a gateway INTERACTION_CREATE event would; everything the bot sends leaves
through discord.py's HTTP client to :class:`FakeDiscord`, which records it and answers
or rejects it as Discord would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord.http

from bot.client import StoryBot
from bot.services import Services, open_services
from bot.settings import Settings, load_settings
from tests.discord_bench import payloads
from tests.discord_bench.payloads import ADMIN, MEMBER, User, Where
from tests.discord_bench.server import FakeDiscord, InteractionState, Rejection

# Shaped like a real token, and never a real one.
FAKE_TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.GbEnch.bench-token-not-real-0000000000000"

# Tasks discord.py starts for one interaction, and the bot's own short-lived work.
_INTERACTION_TASKS = ("CommandTree-invoker", "discord-ui-", "discord.py: ", "bedside-")


class BenchClock:
    """A clock the test moves; it starts at a fixed, ordinary moment."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class Reply:
    """What Discord received in answer to one interaction."""

    def __init__(self, state: InteractionState) -> None:
        self.state = state

    @property
    def body(self) -> dict[str, Any]:
        assert self.state.response is not None, "the bot never answered this interaction"
        return self.state.response

    @property
    def type(self) -> int:
        return int(self.body["type"])

    @property
    def data(self) -> dict[str, Any]:
        return self.body.get("data") or {}

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & (1 << 6))

    @property
    def content(self) -> str:
        return self.data.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.data.get("embeds") or []

    @property
    def message(self) -> dict[str, Any]:
        """The message this answer created (for pressing its buttons)."""
        assert self.state.original is not None, "this answer created no message"
        return self.state.original

    @property
    def followups(self) -> list[dict[str, Any]]:
        return self.state.followups

    @property
    def pings(self) -> set[str]:
        from tests.discord_bench.limits import pings

        return pings(self.data)

    @property
    def text(self) -> str:
        return message_text(self.data)

    @property
    def custom_ids(self) -> list[str]:
        return custom_ids(self.data.get("components") or [])

    @property
    def choices(self) -> list[dict[str, Any]]:
        assert self.type == 8, f"expected autocomplete choices, got callback type {self.type}"
        return self.data["choices"]


def custom_ids(components: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for component in components:
        if component.get("custom_id"):
            found.append(component["custom_id"])
        found += custom_ids(component.get("components") or [])
        if component.get("component"):
            found += custom_ids([component["component"]])
        if component.get("accessory"):
            found += custom_ids([component["accessory"]])
    return found


def message_text(message: dict[str, Any]) -> str:
    """Everything a reader sees in a message, as one string."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [
            (embed.get("author") or {}).get("name", ""),
            embed.get("title") or "",
            embed.get("description") or "",
        ]
        for field in embed.get("fields") or []:
            parts += [field.get("name", ""), field.get("value", "")]
        parts.append((embed.get("footer") or {}).get("text", ""))

    def walk(components: list[dict[str, Any]]) -> None:
        for component in components:
            for key in ("content", "label", "title"):
                if component.get(key):
                    parts.append(component[key])
            walk(component.get("components") or [])
            if component.get("component"):
                walk([component["component"]])

    walk(message.get("components") or [])
    return "\n".join(p for p in parts if p)


class Bench:
    def __init__(
        self,
        tmp_path: Path,
        *,
        env: dict[str, str] | None = None,
        clock: BenchClock | None = None,
        make_services: Callable[..., Any] = open_services,
        world: FakeDiscord | None = None,
    ) -> None:
        self.tmp_path = tmp_path
        # Several bots (processes, fleet.py) share one stand-in Discord; its owner runs it.
        self.clock = clock or BenchClock()
        self._owns_world = world is None
        self.discord = world or FakeDiscord(self.clock)
        env = env or {}
        # A test names its engine's database, or gets a SQLite file in its folder.
        chosen = {"DATABASE_PATH", "DATABASE_URL"} & env.keys()
        self.env = {
            "DISCORD_TOKEN": FAKE_TOKEN,
            **({} if chosen else {"DATABASE_PATH": str(tmp_path / "bedside.sqlite3")}),
            **env,
        }
        self._make_services = make_services
        self.bot: StoryBot | None = None
        self.services: Services | None = None
        self._services_cm: Any = None
        self._old_base = discord.http.Route.BASE
        self.expected_rejections = 0
        # Guilds the bot has joined (join_guild); replayed as GUILD_CREATE after a restart.
        self.joined_guilds: list[int] = []

    @property
    def settings(self) -> Settings:
        return load_settings(self.env)

    async def __aenter__(self) -> Bench:
        if self._owns_world:
            await self.discord.start()
            discord.http.Route.BASE = self.discord.base_url
            self.discord.add_channel(payloads.CHANNEL_ID, payloads.GUILD_ID)
        await self.start_bot()
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.stop_bot()
        finally:
            if self._owns_world:
                discord.http.Route.BASE = self._old_base
                await self.discord.stop()
        if exc[0] is None and self._owns_world:
            unexpected = self.discord.rejections[self.expected_rejections :]
            assert not unexpected, "Discord would have rejected:\n" + "\n".join(
                str(r) for r in unexpected
            )

    def expect_rejection(self) -> Rejection:
        """Accept the newest rejection as intended by the test, and return it."""
        assert len(self.discord.rejections) > self.expected_rejections, "nothing was rejected"
        self.expected_rejections = len(self.discord.rejections)
        return self.discord.rejections[-1]

    async def start_bot(self) -> StoryBot:
        self._services_cm = self._make_services(self.settings, self.clock)
        self.services = await self._services_cm.__aenter__()
        self.bot = StoryBot(self.services)
        await self.bot.login(FAKE_TOKEN)
        for guild_id in self.joined_guilds:
            self._guild_create(guild_id)
        return self.bot

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.settle()
            await self.bot.close()
            self.bot = None
        if self._services_cm is not None:
            await self._services_cm.__aexit__(None, None, None)
            self._services_cm = None
            self.services = None

    async def crash(self) -> None:
        """Stop the bot as a killed process stops: what it was doing ends where it waits,
        and nothing after that point runs (no write, no request); then close what is left."""
        busy = [
            t
            for t in asyncio.all_tasks()
            if t is not asyncio.current_task()
            and not t.done()
            and t.get_name().startswith(_INTERACTION_TASKS)
        ]
        for task in busy:
            task.cancel()
        await asyncio.gather(*busy, return_exceptions=True)
        await self.stop_bot()

    async def restart(self) -> StoryBot:
        """Stop the bot and its database as a process exit would, and start afresh."""
        await self.stop_bot()
        return await self.start_bot()

    # -- sending interactions -------------------------------------------------------------

    async def settle(self, limit: float = 5.0) -> None:
        """Wait until the bot has finished everything the last interactions started."""
        deadline = asyncio.get_running_loop().time() + limit
        while True:
            pending = [
                t
                for t in asyncio.all_tasks()
                if t is not asyncio.current_task()
                and not t.done()
                and t.get_name().startswith(_INTERACTION_TASKS)
            ]
            if not pending:
                return
            remaining = deadline - asyncio.get_running_loop().time()
            assert remaining > 0, f"the bot was still busy after {limit}s: {pending}"
            await asyncio.wait(pending, timeout=remaining)

    async def deliver(self, payload: dict[str, Any]) -> None:
        """Hand the bot an INTERACTION_CREATE: here straight to discord.py's gateway
        handler; the sharded bench (sharded.py) sends it over a real gateway instead."""
        assert self.bot is not None, "the bot is not running"
        self.bot._connection.parse_interaction_create(payload)

    async def send(self, payload: dict[str, Any], *, wait: bool = True) -> Reply:
        assert self.bot is not None, "the bot is not running"
        channel_id = int(payload["channel_id"]) if payload.get("channel_id") else None
        source = (payload.get("message") or {}).get("id")
        state = self.discord.register_interaction(
            int(payload["id"]), payload["token"], channel_id, source
        )
        await self.deliver(payload)
        if wait:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(state.responded), timeout=4.0)
            await self.settle()
        return Reply(state)

    async def slash(
        self, path: str, *, user: User = MEMBER, where: Where | None = None, **options: Any
    ) -> Reply:
        return await self.send(payloads.command(path, options, user, where or Where()))

    async def autocomplete(
        self,
        path: str,
        focused: str,
        *,
        user: User = MEMBER,
        where: Where | None = None,
        **options: Any,
    ) -> Reply:
        return await self.send(
            payloads.command(path, options, user, where or Where(), focused=focused)
        )

    async def press(
        self,
        message: dict[str, Any],
        custom_id: str,
        *,
        user: User = MEMBER,
        where: Where | None = None,
        values: list[str] | None = None,
    ) -> Reply:
        assert custom_id in custom_ids(message.get("components") or []), (
            f"{custom_id!r} is not on that message: {custom_ids(message.get('components') or [])}"
        )
        found = _find_component(message.get("components") or [], custom_id)
        place = where or Where(channel_id=int(message["channel_id"]) or payloads.CHANNEL_ID)
        return await self.send(
            payloads.component(
                message, custom_id, user, place, component_type=found["type"], values=values
            )
        )

    async def submit(
        self,
        modal_reply: Reply,
        values: dict[str, Any],
        *,
        user: User = MEMBER,
        where: Where | None = None,
    ) -> Reply:
        assert modal_reply.type == 9, f"expected a modal, got callback type {modal_reply.type}"
        return await self.send(
            payloads.modal_submit(modal_reply.data, values, user, where or Where())
        )

    def channel_messages(self, channel_id: int = payloads.CHANNEL_ID) -> list[dict[str, Any]]:
        return self.discord.messages.get(channel_id, [])

    # -- the gateway's guild cache (optional; see guilds.py) ------------------------------

    def join_guild(self, guild_id: int = payloads.GUILD_ID) -> None:
        """Send the bot a GUILD_CREATE for ``guild_id`` built from FakeDiscord's channels,
        as the gateway does when the bot joins or starts; repeated after every restart.

        Without it the bot knows no server (the default); it keeps no more than the
        bare server either way (bot/guild_cache.py)."""
        if guild_id not in self.joined_guilds:
            self.joined_guilds.append(guild_id)
        self._guild_create(guild_id)

    def _guild_create(self, guild_id: int) -> None:
        from tests.discord_bench.guilds import guild_create

        self._gateway_event("GUILD_CREATE", guild_create(self.discord, guild_id))

    def _gateway_event(self, event: str, data: dict[str, Any]) -> None:
        """Hand the bot a gateway event as its connection would: through discord.py's
        parser for it, as the bot replaced or wrapped it (bot/guild_cache.py)."""
        assert self.bot is not None, "the bot is not running"
        self.bot._connection.parsers[event](data)

    def delete_channel(self, channel_id: int) -> None:
        """Delete a channel in FakeDiscord and tell the bot (CHANNEL_DELETE), as Discord
        does when a server admin deletes it."""
        from tests.discord_bench.guilds import channel_json

        deleted = channel_json(self.discord.channels[channel_id])
        self.discord.delete_channel(channel_id)
        self._gateway_event("CHANNEL_DELETE", deleted)


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any]:
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        for key in ("components",):
            with contextlib.suppress(LookupError):
                return _find_component(component.get(key) or [], custom_id)
        if component.get("accessory"):
            with contextlib.suppress(LookupError):
                return _find_component([component["accessory"]], custom_id)
    raise LookupError(custom_id)


__all__ = ["ADMIN", "MEMBER", "Bench", "BenchClock", "Reply", "User", "Where"]

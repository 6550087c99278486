"""The Bot subclass: one error path for every interaction, and command sync on change."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import importlib
import json
import logging
import pkgutil
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self

import discord
from discord import app_commands
from discord.ext import commands

import cogs
from bot import guild_cache
from bot.errors import DomainError
from bot.services import Services
from bot.sharding import SHARD_TAG
from bot.stores import GatewayStore

log = logging.getLogger(__name__)


def extensions() -> list[str]:
    """Every module in cogs/ with a ``setup``: a new feature needs no edit here."""
    found = []
    for module in pkgutil.iter_modules(cogs.__path__):
        name = f"cogs.{module.name}"
        if hasattr(importlib.import_module(name), "setup"):
            found.append(name)
    return sorted(found)


APOLOGY = (
    "Sorry, something went wrong on my side. It has been logged; please try again in a moment."
)
NO_PERMISSION = "You need the Manage Server permission to do that."


def _describe_failure(error: BaseException) -> str | None:
    """The sentence a member sees for an expected failure, or None for a bug."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        error = error.__cause__ or error
    if isinstance(error, DomainError):
        return error.message
    if isinstance(error, app_commands.MissingPermissions):
        return NO_PERMISSION
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That only works inside a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Please wait {error.retry_after:.0f} seconds and try again."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that here."
    return None


async def answer_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the member what went wrong in one ephemeral sentence; log what was unexpected."""
    text = _describe_failure(error)
    if text is None:
        command = interaction.command.qualified_name if interaction.command else None
        custom_id = (interaction.data or {}).get("custom_id")
        log.error(
            "unexpected error: command=%s custom_id=%s guild=%s channel=%s user=%s",
            command,
            custom_id,
            interaction.guild_id,
            interaction.channel_id,
            interaction.user.id,
            exc_info=error,
        )
        text = APOLOGY
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning(
            "could not tell user %s in guild %s about an error",
            interaction.user.id,
            interaction.guild_id,
            exc_info=True,
        )


class ErrorPathItem:
    """Mix into a component (before ``ui.DynamicItem``) and implement :meth:`run`.

    discord.py only logs what a dynamic item's callback raises, so the member would see
    "This interaction failed"; this sends such failures down the one error path instead.
    """

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.run(interaction)
        except Exception as error:  # noqa: BLE001 - one error path for every interaction
            await answer_error(interaction, error)

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """The item again, from its custom id: the template's groups, in order, are the
        constructor's arguments, digits as numbers. An item whose id says it otherwise
        overrides this."""
        return cls(*(int(part) if part.isdigit() else part for part in match.groups()))


class StoryTree(app_commands.CommandTree["StoryBot"]):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        await answer_error(interaction, error)


# Discord lets one IDENTIFY per rate-limit bucket (shard id % max_concurrency) every 5 s.
IDENTIFY_SPACING = 5.0


class IdentifyGate:
    """Spaces identifies per bucket, as Discord asks, across every process of the bot.

    discord.py waits 5 s before every identify of its own process but the first, whatever
    the bucket: a bot given max_concurrency 16 could start 16 shards at once instead of one
    every 5 s, and processes started together (a fleet restart) would not wait for each
    other at all, and get the token rate-limited. Each identify takes its bucket's next
    turn in the database, then sleeps until it.
    """

    def __init__(
        self,
        store: GatewayStore,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.max_concurrency: int | None = None
        # The wall clock: every process, on any host, reads the turns the same way.
        self._clock = clock
        self._sleep = sleep

    async def wait(self, shard_id: int) -> None:
        assert self.max_concurrency is not None
        bucket = shard_id % self.max_concurrency
        turn = await self.store.reserve_identify(bucket, self._clock(), IDENTIFY_SPACING)
        delay = turn - self._clock()
        if delay > 0:
            log.info("shard %s waits %.1f s for its turn to identify", shard_id, delay)
            await self._sleep(delay)


class StoryBot(commands.AutoShardedBot):
    def __init__(self, services: Services, **options: Any) -> None:
        settings = services.settings
        options.setdefault("intents", discord.Intents(guilds=True))
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            tree_cls=StoryTree,
            # Story and submission text is written by people: it must never ping anyone.
            allowed_mentions=discord.AllowedMentions.none(),
            # None: discord.py asks /gateway/bot for Discord's recommendation.
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids) if settings.shard_ids is not None else None,
            # Memory must not grow with the servers' members and messages: the bot reads
            # neither. Of each server it keeps the bare guild (bot/guild_cache.py).
            member_cache_flags=discord.MemberCacheFlags.none(),
            max_messages=None,
            chunk_guilds_at_startup=False,
            **options,
        )
        self.services = services
        self.identify_gate = IdentifyGate(services.storage.gateway)
        # The servers' cache would be most of the bot's memory: keep only what it reads.
        guild_cache.install(self)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        gate = self.identify_gate
        if gate.max_concurrency is None:
            limits = await self.fetch_session_start_limits()
            gate.max_concurrency = max(1, limits.max_concurrency)
            log.info(
                "starting shards %s of %s; Discord allows %s more session starts today, "
                "%s at a time",
                self.shard_ids or f"0-{(self.shard_count or 1) - 1}",
                self.shard_count,
                limits.remaining,
                gate.max_concurrency,
            )
        # Known by now, even when Discord chose it, so log lines can name their shard.
        SHARD_TAG.count = self.shard_count
        await gate.wait(shard_id or 0)

    async def setup_hook(self) -> None:
        for extension in extensions():
            await self.load_extension(extension)
        await self.sync_commands()
        # What start-up made (modules, commands, the theme catalogue) lives as long as the
        # process, yet every full collection walked it again: measured serving /story at a
        # million stories, that was about a tenth of the time. Frozen, it is left alone.
        gc.freeze()

    async def close(self) -> None:
        # Hand it back to the collector, for a process that starts another bot.
        gc.unfreeze()
        await super().close()

    def command_payload(self, guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
        return [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]

    async def sync_commands(self) -> bool:
        """Sync only when the definitions changed: Discord allows 200 creates a day."""
        dev_guild = self.services.settings.dev_guild_id
        guild = discord.Object(dev_guild) if dev_guild else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        scope = f"guild:{dev_guild}" if dev_guild else "global"
        payload = json.dumps(self.command_payload(guild), sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        library = self.services.library
        if await library.command_digest(scope) == digest:
            log.info("application commands unchanged (%s); not syncing", scope)
            return False
        await self.tree.sync(guild=guild)
        await library.set_command_digest(scope, digest)
        log.info("synced application commands (%s)", scope)
        return True

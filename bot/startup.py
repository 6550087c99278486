"""Start-up: settings, logging, resources, and the Bot, closed in reverse on the way out."""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import aiohttp
import discord

from bot.bundle import BundleError
from bot.cli import say_error
from bot.client import StoryBot
from bot.opening import DatabaseUnavailable, opened_services
from bot.services import Services
from bot.settings import Settings, SettingsError, load_settings
from bot.sharding import SHARD_TAG
from bot.storage.sqlite.sharing import sentence as sharing_sentence
from bot.storage.sqlite.sharing import serving

log = logging.getLogger(__name__)


# LOG_LEVEL=DEBUG is for the bot's own lines. Libraries stay at INFO even then (or as
# quiet as LOG_LEVEL asks): aiosqlite logs every statement twice at DEBUG, hundreds of
# lines a start, and discord.py's HTTP debug lines carry request bodies.
OWN_LOGGERS = ("bot", "cogs")
# The bot has no voice, so discord.py's warning at every start that the voice libraries
# are missing is noise; exactly these two lines are dropped, nothing else it says.
VOICE_WARNINGS = frozenset(
    {
        "PyNaCl is not installed, voice will NOT be supported",
        "davey is not installed, voice will NOT be supported",
    }
)


def _not_about_voice(record: logging.LogRecord) -> bool:
    return record.getMessage() not in VOICE_WARNINGS


def configure_logging(level: str) -> None:
    """Log lines to standard error: the bot's own at ``level``, libraries' at INFO or above."""
    own = logging.getLevelName(level)
    logging.basicConfig(
        level=max(own, logging.INFO),
        format="%(asctime)s %(levelname)-7s %(name)s%(shard)s: %(message)s",
        stream=sys.stderr,
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(SHARD_TAG)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(own)
    logging.getLogger("discord.client").addFilter(_not_about_voice)


# Discord out of reach at start (no network yet, DNS not answering, Discord down) is
# waited out, not a reason to exit: a bot started at boot often comes up before the
# network does, and not every host runs it under a supervisor that would start it again.
# Waiting here also keeps the database open and the library imported. Once logged in,
# discord.py reconnects the gateway with its own back-off; a refused token is no passing
# failure and still ends start-up at once.
FIRST_RETRY_SECONDS = 1.0
LONGEST_RETRY_SECONDS = 120.0
UNREACHABLE = (
    aiohttp.ClientConnectionError,  # refused, reset, DNS (ClientConnectorDNSError)
    ConnectionError,
    TimeoutError,
    discord.DiscordServerError,  # a 5xx, after discord.py's own retries
)


def retry_delays() -> Iterator[float]:
    """1, 2, 4 ... seconds, then every two minutes."""
    delay = FIRST_RETRY_SECONDS
    while True:
        yield delay
        delay = min(delay * 2, LONGEST_RETRY_SECONDS)


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


@contextmanager
def _marked_serving(settings: Settings) -> Iterator[None]:
    """On SQLite, mark this process as serving the file while it runs, and say so when
    another process already is and this one runs some of the shards."""
    if settings.database_path is None:
        yield
        return
    with serving(settings.database_path) as shared:
        if shared and settings.shard_ids is not None:
            log.warning(sharing_sentence(settings.database_path))
        yield


async def serve(settings: Settings) -> None:
    # The database opens first: a file that cannot be opened is the sentence to give. The
    # library comes in behind the bot: it logs in and serves meanwhile.
    async with opened_services(settings, in_background=True) as services:
        with _marked_serving(settings):
            await _connect(services, settings)


async def _connect(services: Services, settings: Settings) -> None:
    delays = retry_delays()
    for attempt in itertools.count(1):
        # A fresh client for every try: discord.py's login opens a new HTTP session
        # each time and would leave the last one open.
        async with StoryBot(services) as bot:
            try:
                await bot.login(settings.token)
            except UNREACHABLE as exc:
                delay = next(delays)
                log.warning(
                    "Discord cannot be reached on try %s (%s); trying again in %.0f s.",
                    attempt,
                    _reason(exc),
                    delay,
                )
            else:
                if attempt > 1:
                    log.info("reached Discord on try %s", attempt)
                await bot.connect()
                return
        await asyncio.sleep(delay)


# Discord closes a shard holding more than 2,500 servers with this code; discord.py
# raises ConnectionClosed with it (it has no error of its own for it).
SHARDING_REQUIRED = 4011


def too_many_servers(shard_id: int | None) -> str:
    return (
        f"Discord closed shard {shard_id} because it holds more than 2,500 servers: raise "
        "SHARD_COUNT (about one shard per 1,000 servers), or leave it empty to use "
        "Discord's recommendation."
    )


def run(env: Mapping[str, str]) -> int:
    try:
        settings = load_settings(env)
    except SettingsError as exc:
        say_error(str(exc))
        return 2
    configure_logging(settings.log_level)
    try:
        asyncio.run(serve(settings))
    except DatabaseUnavailable as exc:
        say_error(str(exc))
        return 2
    except BundleError as exc:
        say_error(f"The bundled library could not be loaded: {exc}")
        return 2
    except discord.LoginFailure:
        say_error(
            "Discord refused the token in DISCORD_TOKEN: reset it in the Developer Portal "
            "(Bot > Reset Token) and paste the new one into .env."
        )
        return 2
    except discord.ConnectionClosed as exc:
        if exc.code != SHARDING_REQUIRED:
            raise
        say_error(too_many_servers(exc.shard_id))
        return 2
    except discord.PrivilegedIntentsRequired:
        say_error("Discord asked for a privileged intent this bot does not need; please report it.")
        return 2
    except KeyboardInterrupt:
        log.info("stopped by keyboard interrupt")
    return 0

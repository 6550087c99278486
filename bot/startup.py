"""Start-up: settings, logging, resources, and the Bot, closed in reverse on the way out."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator, Mapping

import aiohttp
import discord

from bot.bundle import BundleError
from bot.client import StoryBot
from bot.opening import DatabaseUnavailable, opened_services
from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger(__name__)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # discord.py's HTTP debug lines carry request bodies; keep them out of INFO logs.
    logging.getLogger("discord.http").setLevel(max(logging.INFO, logging.getLevelName(level)))


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


async def serve(settings: Settings) -> None:
    async with opened_services(settings) as services:
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


def run(env: Mapping[str, str]) -> int:
    try:
        settings = load_settings(env)
    except SettingsError as exc:
        print(exc)
        return 2
    configure_logging(settings.log_level)
    try:
        asyncio.run(serve(settings))
    except DatabaseUnavailable as exc:
        print(exc)
        return 2
    except BundleError as exc:
        print(f"The bundled library could not be loaded: {exc}")
        return 2
    except discord.LoginFailure:
        print(
            "Discord refused the token in DISCORD_TOKEN: reset it in the Developer Portal "
            "(Bot > Reset Token) and paste the new one into .env."
        )
        return 2
    except discord.PrivilegedIntentsRequired:
        print("Discord asked for a privileged intent this bot does not need; please report it.")
        return 2
    except KeyboardInterrupt:
        log.info("stopped by keyboard interrupt")
    return 0

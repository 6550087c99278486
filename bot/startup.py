"""Start-up: settings, logging, resources, and the Bot, closed in reverse on the way out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

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


async def serve(settings: Settings) -> None:
    async with opened_services(settings) as services, StoryBot(services) as bot:
        await bot.start(settings.token)


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

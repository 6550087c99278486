"""One typed, frozen settings object, built once at start-up from the environment."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"

# Three dot-separated base64url parts; checked only for shape, never echoed back.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{18,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable and the fix."""


@dataclass(frozen=True, slots=True)
class Settings:
    token: str = field(repr=False)
    database_path: Path
    data_dir: Path
    dev_guild_id: int | None
    log_level: str
    daily_grace_minutes: int
    submission_min_chars: int
    submission_max_chars: int
    submission_max_pending: int
    submission_max_per_day: int


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(
            f"{name} must be a whole number from {low} to {high}; fix it in .env or unset it "
            f"to use {default}."
        ) from None
    if not low <= value <= high:
        raise SettingsError(
            f"{name} must be from {low} to {high}; fix it in .env or unset it to use {default}."
        )
    return value


def load_settings(env: Mapping[str, str], *, require_token: bool = True) -> Settings:
    """Build the settings from ``env``; raise :class:`SettingsError` on the first problem."""
    token = env.get("DISCORD_TOKEN", "").strip()
    if require_token:
        if not token:
            raise SettingsError(
                "DISCORD_TOKEN is not set: copy .env.example to .env and paste your bot's token "
                "from the Discord Developer Portal (Bot > Reset Token)."
            )
        if not TOKEN_RE.match(token):
            raise SettingsError(
                "DISCORD_TOKEN does not look like a bot token: paste the whole token from the "
                "Discord Developer Portal (Bot > Reset Token), with no quotes or spaces."
            )

    database = env.get("DATABASE_PATH", "").strip() or "bedside-stories.sqlite3"
    data_dir = Path(env.get("DATA_DIR", "").strip() or DEFAULT_DATA_DIR)
    if not (data_dir / "themes.json").is_file():
        raise SettingsError(
            f"DATA_DIR points to {data_dir}, which has no themes.json; unset DATA_DIR to use "
            "the bundled library."
        )

    guild_raw = env.get("DEV_GUILD_ID", "").strip()
    dev_guild: int | None = None
    if guild_raw:
        if not guild_raw.isdigit() or not 15 <= len(guild_raw) <= 21:
            raise SettingsError(
                "DEV_GUILD_ID must be a server id (a number of 17 to 20 digits: right-click the "
                "server with Developer Mode on, Copy Server ID), or empty to sync globally."
            )
        dev_guild = int(guild_raw)

    level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}; got {level!r}.")
    logging.getLevelName(level)

    min_chars = _integer(env, "SUBMISSION_MIN_CHARS", 80, 1, 4000)
    max_chars = _integer(env, "SUBMISSION_MAX_CHARS", 2000, 1, 4000)
    if min_chars > max_chars:
        raise SettingsError(
            "SUBMISSION_MIN_CHARS is larger than SUBMISSION_MAX_CHARS; lower the first or "
            "raise the second."
        )
    return Settings(
        token=token,
        database_path=Path(database),
        data_dir=data_dir,
        dev_guild_id=dev_guild,
        log_level=level,
        daily_grace_minutes=_integer(env, "DAILY_GRACE_MINUTES", 120, 0, 24 * 60),
        submission_min_chars=min_chars,
        submission_max_chars=max_chars,
        submission_max_pending=_integer(env, "SUBMISSION_MAX_PENDING", 3, 1, 100),
        submission_max_per_day=_integer(env, "SUBMISSION_MAX_PER_DAY", 5, 1, 1000),
    )

"""One typed, frozen settings object, built once at start-up from the environment."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

from bot.database_url import DEFAULT_DATABASE, DatabaseChoice, choose_database, redact_url
from bot.sharding import ShardSlice, parse_shard_ids

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"

# Three dot-separated base64url parts; checked only for shape, never echoed back.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{18,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True, slots=True)
class SettingProblem:
    """One thing wrong with the settings: the variables it is about, and the sentence."""

    names: tuple[str, ...]
    sentence: str

    def __str__(self) -> str:
        return self.sentence


class SettingsError(Exception):
    """Settings are missing or malformed; each problem is one sentence naming the variable
    and the fix, and all of them are carried so that nobody fixes one to meet the next."""

    def __init__(self, problems: Sequence[SettingProblem]) -> None:
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            text = self.problems[0].sentence
        else:
            lines = "\n".join(f"  - {p.sentence}" for p in self.problems)
            text = f"The settings have {len(self.problems)} problems:\n{lines}"
        super().__init__(text)

    @property
    def names(self) -> frozenset[str]:
        """Every variable some problem is about."""
        return frozenset(name for p in self.problems for name in p.names)


@dataclass(frozen=True, slots=True, repr=False)
class Settings:
    token: str
    # The SQLite file, or None when the database is PostgreSQL.
    database_path: Path | None
    # The PostgreSQL URL (with its password), or None when the database is SQLite.
    database_url: str | None
    # The variable that chose the database, so a failure to open it can name it.
    database_setting: str
    data_dir: Path
    dev_guild_id: int | None
    log_level: str
    daily_grace_minutes: int
    submission_min_chars: int
    submission_max_chars: int
    submission_max_pending: int
    submission_max_per_day: int
    # None: as many shards as Discord recommends (asked at start-up).
    shard_count: int | None = None
    # None: every shard of shard_count; else the ones this process runs.
    shard_ids: tuple[int, ...] | None = None

    @property
    def database_engine(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return "postgresql" if self.database_url is not None else "sqlite"

    @property
    def shard_slice(self) -> ShardSlice:
        """The servers this process serves, as shards; all of them without SHARD_COUNT
        (SHARD_IDS needs it, so such a process runs every shard there is)."""
        if self.shard_count is None:
            return ShardSlice.everything()
        return ShardSlice.of(self.shard_count, self.shard_ids)

    def describe_database(self) -> str:
        """The database in words, for people: the password is never part of it."""
        if self.database_url is not None:
            return f"the PostgreSQL database {redact_url(self.database_url)}"
        return f"the SQLite file {self.database_path}"

    def __repr__(self) -> str:
        # Settings end up in logs and tracebacks: neither the token nor a database
        # password may ride along.
        shown = []
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "token":
                shown.append("token=<hidden>")
            elif item.name == "database_url" and value is not None:
                shown.append(f"database_url={redact_url(value)!r}")
            else:
                shown.append(f"{item.name}={value!r}")
        return f"Settings({', '.join(shown)})"


@dataclass(slots=True)
class _Reader:
    """Reads the environment and notes every problem instead of stopping at the first."""

    env: Mapping[str, str]
    problems: list[SettingProblem] = field(default_factory=list)

    def raw(self, name: str) -> str:
        return self.env.get(name, "").strip()

    def refuse(self, sentence: str, *names: str) -> None:
        self.problems.append(SettingProblem(names, sentence))

    def integer(self, name: str, default: int, low: int, high: int) -> int | None:
        """The number, ``default`` when unset, or None (and a problem) when it is wrong."""
        raw = self.raw(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.refuse(
                f"{name} must be a whole number from {low} to {high}; fix it in .env or unset "
                f"it to use {default}.",
                name,
            )
            return None
        if not low <= value <= high:
            self.refuse(
                f"{name} must be from {low} to {high}; fix it in .env or unset it to use "
                f"{default}.",
                name,
            )
            return None
        return value


def _token(r: _Reader) -> str:
    token = r.raw("DISCORD_TOKEN")
    if not token:
        r.refuse(
            "DISCORD_TOKEN is not set: copy .env.example to .env and paste your bot's token "
            "from the Discord Developer Portal (Bot > Reset Token).",
            "DISCORD_TOKEN",
        )
    elif not TOKEN_RE.match(token):
        r.refuse(
            "DISCORD_TOKEN does not look like a bot token: paste the whole token from the "
            "Discord Developer Portal (Bot > Reset Token), with no quotes or spaces.",
            "DISCORD_TOKEN",
        )
    return token


def _database(r: _Reader) -> DatabaseChoice:
    choice = choose_database(r.raw("DATABASE_PATH"), r.raw("DATABASE_URL"))
    if choice.problem is not None:
        r.refuse(choice.problem, *choice.names)
    elif choice.path is not None:
        problem = sqlite_file_problem(choice.path, choice.setting)
        if problem is not None:
            r.refuse(problem, choice.setting)
    return choice


def sqlite_fix(setting: str) -> str:
    """How to name a SQLite file that will do, in the words of the variable used."""
    if setting == "DATABASE_PATH":
        return (
            "point it at a file in a folder this user can write to, or unset it to use the "
            f"default {DEFAULT_DATABASE}"
        )
    return f"name a file in a folder this user can write to, such as sqlite:///{DEFAULT_DATABASE}"


def sqlite_file_problem(path: Path, setting: str) -> str | None:
    """What stops SQLite from keeping its file at ``path``, as far as can be told unopened.

    SQLite writes its log and lock files beside the database, so the folder must be
    writable even when the file exists. A folder that is missing is created on open, so
    the question is whether the nearest one that exists lets us. What this cannot see
    (a file system that refuses files, such as /proc) the opener reports instead.
    """
    fix = sqlite_fix(setting)
    try:
        if path.is_dir():
            return f"{setting} names {path}, which is a folder, not a file; {fix}."
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            return f"{setting} names {path}, which this user cannot read and write; {fix}."
        folder = path.absolute().parent
        while not folder.exists():
            folder = folder.parent
    except OSError as exc:  # a folder on the way that this user may not look into
        return f"{setting} names {path}, which cannot be reached ({exc.strerror}); {fix}."
    if not folder.is_dir():
        return f"{setting} names {path}, but {folder} is a file, not a folder; {fix}."
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"{setting} names {path}, but this user cannot write in {folder}; {fix}."
    return None


def _data_dir(r: _Reader) -> Path:
    data_dir = Path(r.raw("DATA_DIR") or DEFAULT_DATA_DIR)
    if not (data_dir / "themes.json").is_file():
        r.refuse(
            f"DATA_DIR points to {data_dir}, which has no themes.json; unset DATA_DIR to use "
            "the bundled library.",
            "DATA_DIR",
        )
    return data_dir


def _dev_guild(r: _Reader) -> int | None:
    raw = r.raw("DEV_GUILD_ID")
    if not raw:
        return None
    if not raw.isdigit() or not 15 <= len(raw) <= 21:
        r.refuse(
            "DEV_GUILD_ID must be a server id (a number of 17 to 20 digits: right-click the "
            "server with Developer Mode on, Copy Server ID), or empty to sync globally.",
            "DEV_GUILD_ID",
        )
        return None
    return int(raw)


def _log_level(r: _Reader) -> str:
    level = r.raw("LOG_LEVEL").upper() or "INFO"
    if level not in LOG_LEVELS:
        r.refuse(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}; got {level!r}.", "LOG_LEVEL")
        return "INFO"
    logging.getLevelName(level)
    return level


# Discord's own ceiling is far above any bot this serves; a typo such as 10000 is caught.
MAX_SHARDS = 1024


def _shards(r: _Reader) -> tuple[int | None, tuple[int, ...] | None]:
    count: int | None = None
    raw_count = r.raw("SHARD_COUNT")
    if raw_count.isdigit() and 1 <= int(raw_count) <= MAX_SHARDS:
        count = int(raw_count)
    elif raw_count:
        r.refuse(
            f"SHARD_COUNT must be a whole number from 1 to {MAX_SHARDS}; fix it in .env or "
            "leave it empty to use the number Discord recommends.",
            "SHARD_COUNT",
        )
    raw = r.raw("SHARD_IDS")
    if not raw:
        return count, None
    try:
        ids = parse_shard_ids(raw)
    except ValueError:
        r.refuse(
            f"SHARD_IDS must be shard numbers or ranges such as 0-3 or 4,5,7; got {raw!r}.",
            "SHARD_IDS",
        )
        return count, None
    if not raw_count:
        r.refuse(
            "SHARD_IDS needs SHARD_COUNT: set SHARD_COUNT to the total number of shards "
            "across all processes, or unset SHARD_IDS to run every shard here.",
            "SHARD_IDS",
            "SHARD_COUNT",
        )
    elif count is not None and max(ids) >= count:
        r.refuse(
            f"SHARD_IDS names shard {max(ids)}, but shards are numbered 0 to {count - 1} "
            f"when SHARD_COUNT is {count}; remove it or raise SHARD_COUNT.",
            "SHARD_IDS",
            "SHARD_COUNT",
        )
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        r.refuse(
            f"SHARD_IDS names shard {twice[0]} more than once; list each shard once.",
            "SHARD_IDS",
        )
    return count, tuple(ids)


def load_settings(env: Mapping[str, str], *, require_token: bool = True) -> Settings:
    """Build the settings from ``env``; raise :class:`SettingsError` naming every problem."""
    r = _Reader(env)
    token = _token(r) if require_token else r.raw("DISCORD_TOKEN")
    database = _database(r)
    data_dir = _data_dir(r)
    dev_guild = _dev_guild(r)
    level = _log_level(r)
    shard_count, shard_ids = _shards(r)
    grace = r.integer("DAILY_GRACE_MINUTES", 120, 0, 24 * 60)
    min_chars = r.integer("SUBMISSION_MIN_CHARS", 80, 1, 4000)
    max_chars = r.integer("SUBMISSION_MAX_CHARS", 2000, 1, 4000)
    max_pending = r.integer("SUBMISSION_MAX_PENDING", 3, 1, 100)
    max_per_day = r.integer("SUBMISSION_MAX_PER_DAY", 5, 1, 1000)
    if min_chars is not None and max_chars is not None and min_chars > max_chars:
        r.refuse(
            "SUBMISSION_MIN_CHARS is larger than SUBMISSION_MAX_CHARS; lower the first or "
            "raise the second.",
            "SUBMISSION_MIN_CHARS",
            "SUBMISSION_MAX_CHARS",
        )
    if r.problems:
        raise SettingsError(r.problems)
    # Every None above came with a problem, so none is left by now.
    assert grace is not None and min_chars is not None and max_chars is not None
    assert max_pending is not None and max_per_day is not None
    return Settings(
        token=token,
        database_path=database.path,
        database_url=database.url,
        database_setting=database.setting,
        data_dir=data_dir,
        dev_guild_id=dev_guild,
        log_level=level,
        daily_grace_minutes=grace,
        submission_min_chars=min_chars,
        submission_max_chars=max_chars,
        submission_max_pending=max_pending,
        submission_max_per_day=max_per_day,
        shard_count=shard_count,
        shard_ids=shard_ids,
    )

"""The terminal commands: `story` to read one offline, `themes` to see what there is,
`check` to validate settings and data, and `copy-database` to move up to PostgreSQL."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import textwrap
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.bundle import BundleError, validate
from bot.errors import DomainError, NoStories, UnknownTheme
from bot.notes import describe
from bot.opening import (
    DatabaseUnavailable,
    database_failures,
    database_problem,
    opened_services,
)
from bot.services import open_services
from bot.settings import Settings, SettingsError, load_settings
from bot.words import counted

if TYPE_CHECKING:
    from bot.storage.copying import CopyReport

TERMINAL_CHANNEL = 1
THEMES_COMMAND = "`python -m bot themes`"
DATABASE_SETTINGS = frozenset({"DATABASE_PATH", "DATABASE_URL"})
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
POSTGRES_SHAPE = "postgresql://user:password@host:5432/database"


def say_error(text: str) -> None:
    """What stopped the command, for the person at the terminal: on standard error, so
    that standard output keeps only what was asked for (a story, "in order")."""
    print(text, file=sys.stderr)


def render_story(title: str, theme: str, body: str, notes: str, credit: str) -> str:
    lines = [f"{theme}", f"{title}", ""]
    if notes:
        lines += [f"Content note: {notes}.", ""]
    lines += [*textwrap.wrap(body, width=78), "", f"— {credit}"]
    return "\n".join(lines)


async def story_in_terminal(settings: Settings, theme_query: str | None) -> str:
    async with opened_services(settings) as services:
        catalogue = services.library.catalogue
        theme = catalogue.resolve(theme_query) if theme_query else None
        story = await services.selector.next_story(
            channel_id=TERMINAL_CHANNEL, guild_id=None, theme_id=theme.id if theme else None
        )
        if story is None:
            raise NoStories(theme.title if theme else None)
        shown = theme or (catalogue.get(story.primary_theme_id) if story.primary_theme_id else None)
        return render_story(
            story.title,
            f"{shown.emoji} {shown.title}" if shown else "A story",
            story.body,
            describe(story.notes),
            story.credit_line,
        )


async def themes_in_terminal(settings: Settings) -> str:
    """Every theme by title, with its slug, description and number of stories."""
    async with opened_services(settings) as services:
        catalogue = services.library.catalogue
        counts = await services.library.counts(0)
    lines = [
        f"{counted(len(catalogue), 'theme')}, {counted(counts.get(0, 0), 'story', 'stories')} "
        "in all. `python -m bot story <theme>` prints one.",
    ]
    for theme in catalogue:
        stories = counted(counts.get(theme.id, 0), "story", "stories")
        lines += ["", f"{theme.emoji} {theme.title} · {theme.slug} · {stories}"]
        lines += textwrap.wrap(theme.description, width=78, initial_indent="  ")
    return "\n".join(lines)


async def copy_in_terminal(settings: Settings, target: str) -> str:
    """Copy the SQLite database the settings name into the PostgreSQL one at ``target``."""
    # The target is never repeated back: whatever was typed there may hold a password.
    if not target.strip().lower().startswith(POSTGRES_SCHEMES):
        raise DatabaseUnavailable(
            f"--to takes the URL of the PostgreSQL database to copy into, such as "
            f"{POSTGRES_SHAPE}; the SQLite database copied is the one DATABASE_PATH names."
        )
    if settings.database_path is None:
        raise DatabaseUnavailable(
            f"copy-database copies a SQLite database, but {settings.database_setting} names "
            f"{settings.describe_database()}; set DATABASE_PATH to the SQLite file to copy."
        )
    try:
        from bot.storage.copying import copy_sqlite_to_postgres
    except ModuleNotFoundError as exc:
        if exc.name != "asyncpg":
            raise
        raise DatabaseUnavailable(
            "copy-database needs the PostgreSQL driver, which is not installed; install it "
            "with pip install -e '.[postgres]'."
        ) from None
    async with database_failures(settings):
        report = await copy_sqlite_to_postgres(settings.database_path, target.strip())
    return render_copy(report)


def render_copy(report: CopyReport) -> str:
    """What was copied, table by table, and that every count was checked."""
    name_width = max(len(t.name) for t in report.tables)
    count_width = max(len(f"{t.rows:,}") for t in report.tables)
    lines = [
        f"Copied the SQLite file {report.source} into the PostgreSQL database {report.target}:"
    ]
    lines += [f"  {t.name:<{name_width}}  {t.rows:>{count_width},}" for t in report.tables]
    lines += [
        f"Every table has as many rows in PostgreSQL as in SQLite: "
        f"{counted(report.rows, 'row')} in {counted(len(report.tables), 'table')}.",
        "To serve from the copy, set DATABASE_URL to it and remove DATABASE_PATH.",
    ]
    return "\n".join(lines)


def _run(env: Mapping[str, str], make: Callable[[Settings], Awaitable[str]]) -> int:
    """Print what ``make`` writes, or the one sentence that says why it could not."""
    try:
        settings = load_settings(env, require_token=False)
        print(asyncio.run(make(settings)))
    except UnknownTheme as exc:
        say_error(exc.sentence(THEMES_COMMAND))
        return 2
    except (SettingsError, DatabaseUnavailable) as exc:
        say_error(str(exc))
        return 2
    except DomainError as exc:
        say_error(exc.message)
        return 2
    except BundleError as exc:
        say_error(f"The bundled library could not be loaded: {exc}")
        return 2
    return 0


def run_story(env: Mapping[str, str], theme: str | None) -> int:
    return _run(env, lambda settings: story_in_terminal(settings, theme))


def run_themes(env: Mapping[str, str]) -> int:
    return _run(env, themes_in_terminal)


def run_copy_database(env: Mapping[str, str], target: str) -> int:
    return _run(env, lambda settings: copy_in_terminal(settings, target))


def run_check(env: Mapping[str, str]) -> int:
    """Report every problem with the settings and the bundled data; 0 when all is well."""
    failures: list[str] = []
    bad: frozenset[str] = frozenset()
    try:
        load_settings(env)
    except SettingsError as exc:
        failures.extend(p.sentence for p in exc.problems)
        bad = exc.names
    # The rest is checked with the settings that are right: a bad token must not hide a
    # bad library.
    base: Settings | None
    try:
        base = load_settings({k: v for k, v in env.items() if k not in bad}, require_token=False)
    except SettingsError:
        base = None  # a default that cannot be used either, already reported above
    if base is not None and "DATA_DIR" not in bad:
        problems = [str(p) for p in validate(base.data_dir)]
        failures.extend(problems)
        if not problems:
            failures.extend(asyncio.run(_check_import(base)))
    # A database setting that is wrong would be replaced by the default here: check only
    # the database that was asked for, not one in the working folder nobody wanted.
    if base is not None and not bad & DATABASE_SETTINGS:
        problem = asyncio.run(database_problem(base))
        if problem is not None:
            failures.append(problem)
    if failures:
        say_error(f"{counted(len(failures), 'problem')}:")
        for failure in failures:
            say_error(f"  - {failure}")
        return 1
    assert base is not None  # no failures, so the settings were read
    print("Settings and data are in order.")
    print(f"The database is {base.describe_database()}.")
    return 0


async def _check_import(settings: Settings) -> list[str]:
    """Import the data into a throw-away database, as start-up would."""
    with tempfile.TemporaryDirectory() as folder:
        trial = replace(
            settings,
            database_path=Path(folder) / "check.sqlite3",
            database_url=None,
            database_setting="DATABASE_PATH",
        )
        try:
            async with open_services(trial) as services:
                if not len(services.library.catalogue):
                    return ["the data has no themes"]
        except Exception as exc:  # noqa: BLE001 - reported to the person running check
            return [f"importing the data failed: {exc}"]
    return []

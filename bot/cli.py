"""The terminal commands: `story` to read one offline, `check` to validate settings and data."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import textwrap
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from bot.bundle import BundleError, validate
from bot.errors import DomainError, NoStories
from bot.notes import describe
from bot.opening import DatabaseUnavailable, database_problem, opened_services
from bot.services import open_services
from bot.settings import Settings, SettingsError, load_settings

TERMINAL_CHANNEL = 1
DATABASE_SETTINGS = frozenset({"DATABASE_PATH", "DATABASE_URL"})


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


def run_story(env: Mapping[str, str], theme: str | None) -> int:
    try:
        settings = load_settings(env, require_token=False)
        print(asyncio.run(story_in_terminal(settings, theme)))
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
        say_error(f"{len(failures)} problem(s):")
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

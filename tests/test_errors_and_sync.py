"""The one error path for the unexpected, and command sync only when definitions change."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest

from bot.client import APOLOGY
from tests.discord_bench.harness import Bench
from tests.discord_bench.payloads import CHANNEL_ID, GUILD_ID, MEMBER, OTHER_MEMBER
from tests.services_at import sql_rows

DEV_GUILD = 1300000000000000099
# discord.py fills in this when a command or option has no help text.
NO_HELP = "…"


def error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.client" and r.levelno == logging.ERROR]


async def break_the_rounds(bench: Bench) -> None:
    """An unexpected failure for real: the table that holds every channel's round is gone."""
    assert bench.services is not None
    await sql_rows(bench.services, "DROP TABLE rounds")


async def test_an_unexpected_failure_gets_a_short_private_apology_and_a_full_log(
    bench: Bench, caplog: pytest.LogCaptureFixture
):
    await break_the_rounds(bench)
    with caplog.at_level(logging.ERROR, logger="bot.client"):
        reply = await bench.slash("story", theme="nicu")

    assert reply.ephemeral
    assert reply.content == APOLOGY
    assert reply.embeds == []
    for leak in ("Traceback", "OperationalError", "rounds", "sqlite"):
        assert leak not in reply.text

    [record] = error_records(caplog)
    line = record.getMessage()
    assert "command=story" in line
    assert f"guild={GUILD_ID}" in line
    assert f"channel={CHANNEL_ID}" in line
    assert f"user={MEMBER.id}" in line
    assert record.exc_info is not None  # the traceback goes to the log, not the member
    # Each engine's own words for the missing table.
    assert re.search(r"no such table: rounds|relation \"rounds\" does not exist", caplog.text)


async def test_a_button_that_fails_unexpectedly_apologises_the_same_way(
    bench: Bench, caplog: pytest.LogCaptureFixture
):
    card = await bench.slash("story", theme="nicu")
    await break_the_rounds(bench)
    with caplog.at_level(logging.ERROR, logger="bot.client"):
        reply = await bench.press(card.message, card.custom_ids[0], user=OTHER_MEMBER)

    assert reply.ephemeral and reply.content == APOLOGY
    [record] = error_records(caplog)
    line = record.getMessage()
    assert f"custom_id={card.custom_ids[0]}" in line
    assert f"user={OTHER_MEMBER.id}" in line and f"guild={GUILD_ID}" in line


async def test_commands_are_synced_once_and_not_again_after_a_restart(bench: Bench):
    assert bench.discord.command_puts == {"global": 1}
    await bench.restart()
    await bench.restart()
    assert bench.discord.command_puts == {"global": 1}
    assert {c["name"] for c in bench.discord.commands["global"]} >= {"story", "themes"}


async def test_a_dev_guild_gets_the_commands_instead_of_everyone(
    database: dict[str, str], tmp_path: Path
):
    async with Bench(tmp_path, env={**database, "DEV_GUILD_ID": str(DEV_GUILD)}) as bench:
        scope = f"guild:{DEV_GUILD}"
        assert bench.discord.command_puts == {scope: 1}
        assert {c["name"] for c in bench.discord.commands[scope]} >= {"story", "themes"}
        await bench.restart()
        assert bench.discord.command_puts == {scope: 1}

        # Leaving development: the commands go global once, the guild is not synced again.
        del bench.env["DEV_GUILD_ID"]
        await bench.restart()
        assert bench.discord.command_puts == {scope: 1, "global": 1}


def all_options(options: list[dict[str, Any]], path: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for option in options:
        here = f"{path} {option['name']}"
        found.append((here, option))
        found += all_options(option.get("options") or [], here)
    return found


async def test_every_synced_command_and_option_has_help_text(bench: Bench):
    commands = bench.discord.commands["global"]
    assert commands
    missing = []
    for command in commands:
        if command.get("type", 1) != 1:
            continue
        if command.get("description", NO_HELP) == NO_HELP:
            missing.append(f"/{command['name']}")
        for path, option in all_options(command.get("options") or [], f"/{command['name']}"):
            if option.get("description", NO_HELP) == NO_HELP:
                missing.append(path)
    assert not missing, f"commands or options without help text: {missing}"

"""A database setting that cannot work says so in one sentence, on start, `story` and `check`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.discord_bench.harness import FAKE_TOKEN
from tests.test_command_line import output, run_bot

# Start-up, a story in the terminal, and check: every way in opens the database.
COMMANDS = [(), ("story", "nicu"), ("check",)]
COMMAND_IDS = ["start", "story", "check"]


def assert_refused_in_one_sentence(result, *needles: str) -> None:
    text = output(result)
    assert result.returncode != 0, text
    assert "Traceback" not in text
    assert FAKE_TOKEN not in text
    sentence = [line for line in text.strip().splitlines() if "DATABASE_" in line]
    assert len(sentence) == 1, text
    for needle in needles:
        assert needle in sentence[0], text
    assert sentence[0].endswith(".")


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_a_folder_as_the_database_is_named(tmp_path: Path, command: tuple[str, ...]):
    folder = tmp_path / "stories"
    folder.mkdir()
    result = run_bot(tmp_path, *command, DISCORD_TOKEN=FAKE_TOKEN, DATABASE_PATH=str(folder))
    assert_refused_in_one_sentence(
        result, f"DATABASE_PATH names {folder}, which is a folder, not a file;"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_a_place_that_refuses_files_is_named(tmp_path: Path, command: tuple[str, ...]):
    # /proc takes no new files, not even from root: only opening can tell.
    result = run_bot(tmp_path, *command, DISCORD_TOKEN=FAKE_TOKEN, DATABASE_PATH="/proc/x.db")
    assert_refused_in_one_sentence(
        result, "DATABASE_PATH names /proc/x.db, which cannot be opened as a SQLite database"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_a_folder_that_cannot_be_made_is_named(tmp_path: Path, command: tuple[str, ...]):
    (tmp_path / "notes.txt").write_text("not a folder\n", encoding="utf-8")
    wanted = tmp_path / "notes.txt" / "db" / "bot.sqlite3"
    result = run_bot(tmp_path, *command, DISCORD_TOKEN=FAKE_TOKEN, DATABASE_PATH=str(wanted))
    assert_refused_in_one_sentence(
        result, f"but {tmp_path / 'notes.txt'} is a file, not a folder", "unset it"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_a_file_that_is_not_a_database_is_named(tmp_path: Path, command: tuple[str, ...]):
    notes = tmp_path / "notes.sqlite3"
    notes.write_text("shopping list: milk, bread, eggs, and more of them\n" * 200, "utf-8")
    result = run_bot(tmp_path, *command, DISCORD_TOKEN=FAKE_TOKEN, DATABASE_PATH=str(notes))
    assert_refused_in_one_sentence(result, "(file is not a database)")


def test_a_missing_folder_is_created(tmp_path: Path):
    wanted = tmp_path / "var" / "lib" / "bedside" / "stories.sqlite3"
    result = run_bot(tmp_path, "story", "nicu", DATABASE_PATH=str(wanted))
    assert result.returncode == 0, output(result)
    assert wanted.is_file()


def test_check_opens_the_database_and_says_which(tmp_path: Path):
    result = run_bot(tmp_path, "check", DISCORD_TOKEN=FAKE_TOKEN, DATABASE_PATH="db/b.sqlite3")
    assert result.returncode == 0, output(result)
    assert result.stdout.splitlines() == [
        "Settings and data are in order.",
        "The database is the SQLite file db/b.sqlite3.",
    ]
    # Opened as start-up opens it: created and migrated.
    with sqlite3.connect(tmp_path / "db" / "b.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] > 0


@pytest.mark.parametrize("command", [("story",), ("check",)], ids=["story", "check"])
def test_the_default_database_is_made_in_the_working_folder(
    tmp_path: Path, command: tuple[str, ...]
):
    # As the README says: the terminal commands create the bot's database where they run.
    result = run_bot(tmp_path, *command, DISCORD_TOKEN=FAKE_TOKEN, DATABASE_PATH="")
    assert result.returncode == 0, output(result)
    assert (tmp_path / "bedside-stories.sqlite3").is_file()


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_a_postgresql_server_that_does_not_answer_is_one_sentence(
    tmp_path: Path, command: tuple[str, ...]
):
    # Nothing listens on port 1: the bot must say so, naming DATABASE_URL, without the password.
    url = "postgresql://bedside:s3cr3t-Pa55word@127.0.0.1:1/stories"
    result = run_bot(tmp_path, *command, DISCORD_TOKEN=FAKE_TOKEN, DATABASE_URL=url)
    assert_refused_in_one_sentence(result, "No PostgreSQL server answers at DATABASE_URL")
    assert "s3cr3t-Pa55word" not in output(result)

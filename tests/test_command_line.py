"""`python -m bot` as someone at a terminal meets it: one clear line, never a traceback or token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.settings import DEFAULT_DATA_DIR
from tests.discord_bench.harness import FAKE_TOKEN
from tests.services_at import copy_bundled_data

SETTING_NAMES = {
    "DISCORD_TOKEN",
    "DATABASE_PATH",
    "DATABASE_URL",
    "DATA_DIR",
    "DEV_GUILD_ID",
    "LOG_LEVEL",
    "DAILY_GRACE_MINUTES",
    "SUBMISSION_MIN_CHARS",
    "SUBMISSION_MAX_CHARS",
    "SUBMISSION_MAX_PENDING",
    "SUBMISSION_MAX_PER_DAY",
}


def run_bot(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot`` in ``tmp_path`` with only the given settings in the environment."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(PYTHONIOENCODING="utf-8")
    if "DATABASE_URL" not in settings:
        env.update(DATABASE_PATH=str(tmp_path / "terminal.sqlite3"))
    env.update(settings)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def test_without_a_token_the_bot_says_so_in_one_line(tmp_path: Path):
    result = run_bot(tmp_path)
    assert result.returncode != 0
    lines = output(result).strip().splitlines()
    assert len(lines) == 1, lines
    assert "DISCORD_TOKEN" in lines[0]
    assert ".env" in lines[0]
    assert "Traceback" not in output(result)


def test_a_malformed_token_is_never_echoed(tmp_path: Path):
    secret = FAKE_TOKEN.replace(".", ":")
    result = run_bot(tmp_path, DISCORD_TOKEN=secret)
    assert result.returncode != 0
    assert "DISCORD_TOKEN" in output(result)
    assert secret not in output(result)
    for part in secret.split(":"):
        assert part not in output(result)
    assert "Traceback" not in output(result)


def test_the_env_file_in_the_working_folder_is_read(tmp_path: Path):
    (tmp_path / ".env").write_text("DISCORD_TOKEN=pasted-the-wrong-thing\n", encoding="utf-8")
    result = run_bot(tmp_path)
    assert result.returncode != 0
    assert "does not look like a bot token" in output(result)
    assert "pasted-the-wrong-thing" not in output(result)


def test_story_nicu_prints_a_nicu_story_with_its_credit(tmp_path: Path):
    result = run_bot(tmp_path, "story", "nicu")
    assert result.returncode == 0, output(result)
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "🍼 Neonatal intensive care"
    assert lines[-1].startswith("— #ShareAStoryInOneTweet · 2018-05")
    assert "Traceback" not in output(result)


def test_story_with_an_unknown_theme_suggests_others(tmp_path: Path):
    result = run_bot(tmp_path, "story", "care")
    assert result.returncode != 0
    assert output(result).strip().startswith("I don't know a theme called “care”. Did you mean ")
    assert len(output(result).strip().splitlines()) == 1
    assert "Traceback" not in output(result)


def test_story_with_a_theme_close_to_nothing_points_to_the_themes_command(tmp_path: Path):
    result = run_bot(tmp_path, "story", "dentistry")
    assert result.returncode != 0
    assert output(result).strip() == (
        "I don't know a theme called “dentistry”, and none is close to it. "
        "`python -m bot themes` lists them all."
    )


def test_themes_lists_every_theme_by_title_with_slug_description_and_count(tmp_path: Path):
    themes = json.loads((DEFAULT_DATA_DIR / "themes.json").read_text(encoding="utf-8"))
    stories = json.loads((DEFAULT_DATA_DIR / "stories.json").read_text(encoding="utf-8"))
    result = run_bot(tmp_path, "themes")
    assert result.returncode == 0, output(result)
    lines = result.stdout.strip().splitlines()
    assert lines[0] == (
        f"{len(themes)} themes, {len(stories)} stories in all. "
        "`python -m bot story <theme>` prints one."
    )
    nicu = sum("nicu" in s["themes"] for s in stories)
    assert f"🍼 Neonatal intensive care · nicu · {nicu} stories" in lines
    assert "  Tiny patients, long NICU stays and the families who wait beside them" in lines
    titles = [line.split(" · ")[0].split(" ", 1)[1] for line in lines if " · " in line]
    assert titles == sorted((t["title"] for t in themes), key=str.casefold)
    assert "Traceback" not in output(result)


def test_check_says_all_is_in_order(tmp_path: Path):
    result = run_bot(tmp_path, "check", DISCORD_TOKEN=FAKE_TOKEN)
    assert result.returncode == 0, output(result)
    assert result.stdout.splitlines()[0] == "Settings and data are in order."


def test_errors_go_to_standard_error_and_answers_to_standard_output(tmp_path: Path):
    refused = run_bot(tmp_path)
    assert refused.stdout == ""
    assert refused.stderr.startswith("DISCORD_TOKEN is not set")

    unknown = run_bot(tmp_path, "story", "xyz")
    assert unknown.stdout == ""
    assert unknown.stderr.startswith("I don't know a theme called")

    problems = run_bot(tmp_path, "check", LOG_LEVEL="LOUD")
    assert problems.stdout == ""
    assert problems.stderr.splitlines()[0] == "2 problems:"

    story = run_bot(tmp_path, "story", "nicu")
    assert story.stdout.startswith("🍼 Neonatal intensive care")
    in_order = run_bot(tmp_path, "check", DISCORD_TOKEN=FAKE_TOKEN)
    assert in_order.stdout.startswith("Settings and data are in order.")
    assert (story.stderr, in_order.stderr) == ("", "")


def test_check_names_every_bad_setting_at_once(tmp_path: Path):
    result = run_bot(
        tmp_path, "check", DISCORD_TOKEN=FAKE_TOKEN, LOG_LEVEL="LOUD", DAILY_GRACE_MINUTES="-5"
    )
    assert result.returncode == 1
    text = output(result)
    assert "2 problems:" in text
    assert "  - LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR; got 'LOUD'." in text
    assert "  - DAILY_GRACE_MINUTES must be from 0 to 1440" in text
    assert "Traceback" not in text


def test_start_names_every_bad_setting_at_once(tmp_path: Path):
    result = run_bot(tmp_path, LOG_LEVEL="LOUD", DAILY_GRACE_MINUTES="-5")
    assert result.returncode != 0
    lines = output(result).strip().splitlines()
    assert lines[0] == "The settings have 3 problems:"
    assert [line.split()[1] for line in lines[1:]] == [
        "DISCORD_TOKEN",
        "LOG_LEVEL",
        "DAILY_GRACE_MINUTES",
    ]


def test_check_names_a_malformed_database_url_without_its_password(tmp_path: Path):
    secret = "s3cr3t-Pa55word"
    url = f"postgresql://bedside:{secret}@localhost:port/stories"
    result = run_bot(tmp_path, "check", DISCORD_TOKEN=FAKE_TOKEN, DATABASE_URL=url)
    assert result.returncode == 1
    assert "  - DATABASE_URL has a port that is not a number" in output(result)
    assert secret not in output(result)


def test_check_lists_every_problem_in_a_broken_library(tmp_path: Path):
    data = copy_bundled_data(tmp_path / "data")
    stories = json.loads((data / "stories.json").read_text(encoding="utf-8"))
    stories[0]["themes"].append("astrology")
    stories[2]["notes"] = ["sadness"]
    (data / "stories.json").write_text(json.dumps(stories), encoding="utf-8")
    key0, key2 = stories[0]["key"], stories[2]["key"]

    result = run_bot(tmp_path, "check", DISCORD_TOKEN=FAKE_TOKEN, DATA_DIR=str(data))
    assert result.returncode == 1
    text = output(result)
    assert "2 problems:" in text
    assert f"stories.json: entry #1 ({key0}): field 'themes': 'astrology'" in text
    assert f"stories.json: entry #3 ({key2}): field 'notes': 'sadness'" in text
    assert "Traceback" not in text
    assert FAKE_TOKEN not in text


def test_check_names_a_bad_token_and_a_bad_library_together(tmp_path: Path):
    data = copy_bundled_data(tmp_path / "data")
    themes = json.loads((data / "themes.json").read_text(encoding="utf-8"))
    themes[0]["colour"] = "pink"
    (data / "themes.json").write_text(json.dumps(themes), encoding="utf-8")

    result = run_bot(tmp_path, "check", DISCORD_TOKEN="nope", DATA_DIR=str(data))
    assert result.returncode == 1
    text = output(result)
    assert "DISCORD_TOKEN" in text
    assert "themes.json: entry #1 (nicu): field 'colour'" in text


def test_story_with_a_broken_library_names_the_problem_without_a_traceback(tmp_path: Path):
    data = copy_bundled_data(tmp_path / "data")
    themes = json.loads((data / "themes.json").read_text(encoding="utf-8"))
    themes[0]["colour"] = "pink"
    (data / "themes.json").write_text(json.dumps(themes), encoding="utf-8")

    result = run_bot(tmp_path, "story", "nicu", DATA_DIR=str(data))
    assert result.returncode != 0
    assert "Traceback" not in output(result)
    assert "themes.json: entry #1 (nicu): field 'colour'" in output(result)


def test_check_counts_one_problem_in_the_singular(tmp_path: Path):
    data = copy_bundled_data(tmp_path / "data")
    stories = json.loads((data / "stories.json").read_text(encoding="utf-8"))
    stories[0]["notes"] = ["sadness"]
    (data / "stories.json").write_text(json.dumps(stories), encoding="utf-8")

    result = run_bot(tmp_path, "check", DISCORD_TOKEN=FAKE_TOKEN, DATA_DIR=str(data))
    assert result.returncode == 1
    assert output(result).splitlines()[0] == "1 problem:"

"""Settings fail fast in one sentence naming the variable and the fix, and never show the token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import DEFAULT_DATA_DIR, PROJECT_ROOT, Settings, SettingsError, load_settings
from tests.discord_bench.harness import FAKE_TOKEN

ENV_EXAMPLE = PROJECT_ROOT / ".env.example"


def refusal(env: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    return str(caught.value)


def assert_one_sentence(message: str) -> None:
    assert "\n" not in message
    assert message.endswith(".")
    # A full stop followed by a new capitalised sentence means more than one sentence.
    assert not re.search(r"[.!?]\s+[A-Z][a-z]", message), message


@pytest.mark.parametrize(
    ("env", "secret"),
    [
        ({}, None),
        ({"DISCORD_TOKEN": ""}, None),
        ({"DISCORD_TOKEN": "   "}, None),
        ({"DISCORD_TOKEN": "not-a-token-at-all"}, "not-a-token-at-all"),
        ({"DISCORD_TOKEN": f'"{FAKE_TOKEN}"'}, FAKE_TOKEN),
        ({"DISCORD_TOKEN": f"Bot {FAKE_TOKEN}"}, FAKE_TOKEN),
        ({"DISCORD_TOKEN": FAKE_TOKEN.rsplit(".", 1)[0]}, FAKE_TOKEN.rsplit(".", 1)[0]),
    ],
    ids=["missing", "empty", "blank", "garbage", "quoted", "prefixed", "two-parts"],
)
def test_a_missing_or_malformed_token_is_named_with_the_fix(
    env: dict[str, str], secret: str | None
):
    message = refusal(env)
    assert message.startswith("DISCORD_TOKEN ")
    assert "Reset Token" in message  # where to get a good one
    assert_one_sentence(message)
    if secret is not None:
        assert secret not in message
        for part in secret.split("."):
            if len(part) > 5:
                assert part not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEV_GUILD_ID", "my-server"),
        ("DEV_GUILD_ID", "12345"),
        ("DEV_GUILD_ID", "-1300000000000000001"),
        ("LOG_LEVEL", "LOUD"),
        ("DAILY_GRACE_MINUTES", "two hours"),
        ("DAILY_GRACE_MINUTES", "-5"),
        ("DAILY_GRACE_MINUTES", "100000"),
        ("SUBMISSION_MIN_CHARS", "0"),
        ("SUBMISSION_MAX_CHARS", "5000"),
        ("SUBMISSION_MAX_PENDING", "many"),
        ("SUBMISSION_MAX_PER_DAY", "1.5"),
    ],
)
def test_a_malformed_setting_is_named(name: str, value: str):
    message = refusal({"DISCORD_TOKEN": FAKE_TOKEN, name: value})
    assert message.startswith(name)
    assert_one_sentence(message)
    assert FAKE_TOKEN not in message


def test_a_minimum_above_the_maximum_names_both():
    message = refusal(
        {"DISCORD_TOKEN": FAKE_TOKEN, "SUBMISSION_MIN_CHARS": "900", "SUBMISSION_MAX_CHARS": "500"}
    )
    assert "SUBMISSION_MIN_CHARS" in message and "SUBMISSION_MAX_CHARS" in message
    assert_one_sentence(message)


def test_a_data_dir_without_themes_is_named(tmp_path: Path):
    message = refusal({"DISCORD_TOKEN": FAKE_TOKEN, "DATA_DIR": str(tmp_path)})
    assert message.startswith("DATA_DIR")
    assert "unset DATA_DIR" in message


def documented_values() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_env_example_documents_every_setting():
    documented = {name.lower() for name in documented_values()} - {"discord_token"}
    assert "DISCORD_TOKEN" in documented_values()
    assert documented == set(Settings.__slots__) - {"token"}


def test_the_defaults_are_the_values_env_example_shows():
    example = {**documented_values(), "DISCORD_TOKEN": FAKE_TOKEN}
    assert load_settings(example) == load_settings({"DISCORD_TOKEN": FAKE_TOKEN})


def test_every_default_in_an_env_example_comment_is_the_real_default():
    defaults = load_settings({"DISCORD_TOKEN": FAKE_TOKEN})
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    blocks = re.findall(r"Defaults?: ([^\n]+)\n((?:[A-Z_]+=.*\n)+)", text)
    checked = set()
    for said, lines in blocks:
        names = [line.split("=", 1)[0] for line in lines.splitlines()]
        if names == ["DATA_DIR"]:
            assert "data/" in said and defaults.data_dir == DEFAULT_DATA_DIR
        else:
            shown = said.rstrip(".").split(" and ")
            assert len(shown) == len(names), said
            for name, value in zip(names, shown, strict=True):
                actual = getattr(defaults, name.lower())
                assert str("empty" if actual is None else actual) == value, name
        checked.update(names)
    assert checked == set(documented_values()) - {"DISCORD_TOKEN"}


def test_the_token_never_appears_in_the_settings_repr():
    settings = load_settings({"DISCORD_TOKEN": FAKE_TOKEN})
    assert settings.token == FAKE_TOKEN
    for shown in (repr(settings), str(settings), f"{settings!r}"):
        assert FAKE_TOKEN not in shown
        assert FAKE_TOKEN.split(".")[0] not in shown


def test_surrounding_spaces_around_a_token_are_forgiven():
    assert load_settings({"DISCORD_TOKEN": f"  {FAKE_TOKEN}\n"}).token == FAKE_TOKEN


def test_every_bad_setting_is_named_at_once():
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {"DISCORD_TOKEN": FAKE_TOKEN, "LOG_LEVEL": "LOUD", "DAILY_GRACE_MINUTES": "-5"}
        )
    problems = caught.value.problems
    assert [p.names for p in problems] == [("LOG_LEVEL",), ("DAILY_GRACE_MINUTES",)]
    for problem in problems:
        assert_one_sentence(problem.sentence)
    text = str(caught.value)
    assert text.splitlines()[0] == "The settings have 2 problems:"
    assert "LOG_LEVEL must be one of" in text and "DAILY_GRACE_MINUTES must be from" in text


def test_a_missing_token_does_not_hide_the_other_settings():
    with pytest.raises(SettingsError) as caught:
        load_settings({"SUBMISSION_MIN_CHARS": "900", "SUBMISSION_MAX_CHARS": "500"})
    assert caught.value.names == {"DISCORD_TOKEN", "SUBMISSION_MIN_CHARS", "SUBMISSION_MAX_CHARS"}

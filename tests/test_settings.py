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


def documented_names() -> set[str]:
    """Every variable .env.example shows, set or as a commented-out example."""
    return set(re.findall(r"^#? ?([A-Z][A-Z_]+)=", ENV_EXAMPLE.read_text("utf-8"), re.M))


def test_env_example_documents_every_setting():
    documented = {name.lower() for name in documented_names()} - {"discord_token"}
    assert "DISCORD_TOKEN" in documented_values()
    # database_setting only records which of DATABASE_PATH and DATABASE_URL was used.
    assert documented == set(Settings.__slots__) - {"token", "database_setting"}


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


SECRET = "s3cr3t-Pa55word"


@pytest.mark.parametrize(
    ("env", "path"),
    [
        ({}, Path("bedside-stories.sqlite3")),
        ({"DATABASE_PATH": "data/bot.sqlite3"}, Path("data/bot.sqlite3")),
        ({"DATABASE_URL": "sqlite:///data/bot.sqlite3"}, Path("data/bot.sqlite3")),
        ({"DATABASE_URL": "sqlite:///{tmp}/bot.sqlite3"}, Path("{tmp}/bot.sqlite3")),
        ({"DATABASE_URL": "SQLite:///my%20bot.sqlite3"}, Path("my bot.sqlite3")),
    ],
    ids=["default", "path", "relative-url", "absolute-url", "encoded-url"],
)
def test_sqlite_is_chosen_by_path_or_url(env: dict[str, str], path: Path, tmp_path: Path):
    # tmp_path is absolute, so "sqlite:///{tmp}" has the four slashes of an absolute path.
    env = {name: value.format(tmp=tmp_path) for name, value in env.items()}
    path = Path(str(path).format(tmp=tmp_path))
    assert path.is_absolute() == env.get("DATABASE_URL", "").startswith("sqlite:////")
    settings = load_settings({"DISCORD_TOKEN": FAKE_TOKEN, **env})
    assert settings.database_engine == "sqlite"
    assert settings.database_path == path
    assert settings.database_url is None


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "PostgreSQL"])
def test_postgresql_is_chosen_by_url(scheme: str):
    url = f"{scheme}://bedside:{SECRET}@db.example.org:5433/stories?sslmode=require"
    settings = load_settings({"DISCORD_TOKEN": FAKE_TOKEN, "DATABASE_URL": url})
    assert settings.database_engine == "postgresql"
    assert settings.database_path is None
    assert settings.database_url == url.replace(f"{scheme}://", "postgresql://")


def test_a_postgresql_password_is_never_shown():
    url = f"postgresql://bedside:{SECRET}@db.example.org/stories?password={SECRET}"
    settings = load_settings({"DISCORD_TOKEN": FAKE_TOKEN, "DATABASE_URL": url})
    assert settings.database_url == url
    for shown in (repr(settings), str(settings), settings.describe_database()):
        assert SECRET not in shown
        assert FAKE_TOKEN not in shown
    assert "postgresql://bedside:***@db.example.org/stories" in settings.describe_database()


def test_database_path_and_url_together_ask_for_one():
    message = refusal(
        {
            "DISCORD_TOKEN": FAKE_TOKEN,
            "DATABASE_PATH": "bot.sqlite3",
            "DATABASE_URL": f"postgresql://bedside:{SECRET}@localhost/stories",
        }
    )
    assert message.startswith("DATABASE_PATH and DATABASE_URL are both set; keep one of them")
    assert_one_sentence(message)
    assert SECRET not in message


@pytest.mark.parametrize(
    "url",
    [
        f"bedside:{SECRET}@localhost/stories",
        f"mysql://bedside:{SECRET}@localhost/stories",
        f"postgresql+asyncpg://bedside:{SECRET}@localhost/stories",
        "sqlite://bot.sqlite3",
        "sqlite:///",
        "sqlite:///bot.sqlite3?mode=ro",
        "sqlite:///:memory:",
        f"postgresql://bedside:{SECRET}@localhost:port/stories",
        f"postgresql://bedside:{SECRET}@localhost:99999/stories",
        f"postgresql://bedside:{SECRET}@/stories",
        f"postgresql://bedside:{SECRET}@localhost",
        f"postgresql://bedside:{SECRET}@localhost/stories/more",
        f"postgresql://bedside:{SECRET[:4]}#{SECRET[5:]}@localhost/stories",
        f"postgresql://bedside:{SECRET[:4]}/{SECRET[5:]}@localhost/stories",
    ],
)
def test_a_malformed_or_unsupported_database_url_is_named_without_its_password(url: str):
    message = refusal({"DISCORD_TOKEN": FAKE_TOKEN, "DATABASE_URL": url})
    assert message.startswith("DATABASE_URL ")
    assert_one_sentence(message)
    assert "sqlite:///" in message or "postgresql://user:password@host:5432/dbname" in message
    for secret in (SECRET, SECRET[:4], SECRET[5:]):
        assert secret not in message


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

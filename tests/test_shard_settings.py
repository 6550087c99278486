"""Shard settings fail fast in one sentence naming the variable and the fix."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError, load_settings
from bot.sharding import ShardSlice, shard_of
from tests.discord_bench.harness import FAKE_TOKEN
from tests.test_settings import assert_one_sentence


def settings(**env: str) -> Settings:
    return load_settings({"DISCORD_TOKEN": FAKE_TOKEN, **env})


def test_unset_asks_discord_and_runs_every_shard() -> None:
    chosen = settings()
    assert (chosen.shard_count, chosen.shard_ids) == (None, None)


@pytest.mark.parametrize(
    ("ids", "expected"),
    [("0-3", (0, 1, 2, 3)), ("4,5,7", (4, 5, 7)), ("0-1, 6", (0, 1, 6)), ("2", (2,))],
)
def test_lists_and_ranges(ids: str, expected: tuple[int, ...]) -> None:
    chosen = settings(SHARD_COUNT="8", SHARD_IDS=ids)
    assert (chosen.shard_count, chosen.shard_ids) == (8, expected)


@pytest.mark.parametrize(
    ("env", "names", "words"),
    [
        ({"SHARD_COUNT": "zero"}, {"SHARD_COUNT"}, "whole number"),
        ({"SHARD_COUNT": "0"}, {"SHARD_COUNT"}, "from 1"),
        ({"SHARD_IDS": "0-1"}, {"SHARD_IDS", "SHARD_COUNT"}, "needs SHARD_COUNT"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "3-4"}, {"SHARD_IDS", "SHARD_COUNT"}, "0 to 3"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0-2,2"}, {"SHARD_IDS"}, "more than once"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "3-1"}, {"SHARD_IDS"}, "ranges such as 0-3"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "one"}, {"SHARD_IDS"}, "ranges such as 0-3"),
    ],
    ids=["words", "zero", "ids-alone", "too-high", "duplicate", "backwards", "garbage"],
)
def test_invalid_shard_settings_give_one_sentence(
    env: dict[str, str], names: set[str], words: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        settings(**env)
    assert caught.value.names == names
    assert len(caught.value.problems) == 1
    message = str(caught.value)
    assert words in message
    assert_one_sentence(message)


def test_a_slice_serves_the_servers_discord_sends_it() -> None:
    # Snowflakes made at different moments land on different shards.
    guilds = [(n << 22) | 5 for n in range(12)]
    mine = ShardSlice.of(4, [1, 3])
    assert [g for g in guilds if mine.serves(g)] == [g for g in guilds if shard_of(g, 4) in (1, 3)]
    assert all(ShardSlice.everything().serves(g) for g in guilds)

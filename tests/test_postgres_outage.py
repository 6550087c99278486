"""PostgreSQL going away while the bot serves, and coming back: kind answers, nothing lost.

These tests stop and start a server, so they have one of their own (a second embedded
server, started once for this module), not the session's, which other tests share.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.client import APOLOGY
from bot.services import open_services
from bot.storage.postgres import listening
from bot.storage.postgres.database import APPLICATION_NAME, open_postgres
from bot.storage.postgres.library import LibraryStore
from bot.storage.postgres.listening import Listener
from tests.discord_bench.harness import FAKE_TOKEN, Bench, Reply
from tests.discord_bench.payloads import GUILD_ID, MEMBER
from tests.postgres import EmbeddedServer, PostgresTestServer, embedded_server, new_database
from tests.services_at import settings_at, sql_rows
from tests.test_command_line import output, run_bot
from tests.test_database_setting import assert_refused_in_one_sentence
from tests.test_submissions_steps import MODERATOR, STORIES, approve, card_of, submit, turn_on

# Two bundled NICU stories, and the member's once approved.
NICU_BUNDLED = 2
# The longest a change may take to reach another process once the server is back: the
# listener's retries start at half a second and double, and a restart takes about one.
HEARD_WITHIN = 10.0


@pytest.fixture(scope="module")
def restartable() -> Iterator[EmbeddedServer]:
    with embedded_server("bedside-pg-restart-") as server:
        yield server


@pytest.fixture
def server(restartable: EmbeddedServer) -> Iterator[EmbeddedServer]:
    """The module's server, running, and running again after the test whatever it did."""
    if not restartable.running:
        restartable.start()
    yield restartable
    if not restartable.running:
        restartable.start()


async def stop(server: EmbeddedServer) -> None:
    # In a thread, so the event loop hears every connection drop as it happens.
    await asyncio.to_thread(server.stop)


async def start(server: EmbeddedServer) -> None:
    await asyncio.to_thread(server.start)


async def nicu_count(bench: Bench) -> str:
    reply = await bench.autocomplete("story", "theme", theme="nicu")
    return reply.choices[0]["name"].rsplit("· ", 1)[-1]


async def until_nicu_count(bench: Bench, wanted: str, within: float = HEARD_WITHIN) -> None:
    """Ask autocomplete until it shows ``wanted`` NICU stories, for at most ``within`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    shown = await nicu_count(bench)
    while shown != wanted:
        assert loop.time() < deadline, f"autocomplete still shows {shown}, not {wanted}"
        await asyncio.sleep(0.05)
        shown = await nicu_count(bench)


def apology_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.client" and r.getMessage().startswith("unexpected error")
    ]


def assert_served(reply: Reply) -> None:
    assert not reply.ephemeral, reply.content
    assert reply.embeds and reply.embeds[0]["title"], reply.content


async def test_a_restart_while_serving_is_apologised_for_and_loses_nothing(
    tmp_path: Path, server: EmbeddedServer, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger=listening.__name__)
    url = await new_database(PostgresTestServer(server.url))
    async with Bench(tmp_path, env={"DATABASE_URL": url}) as bench:
        await turn_on(bench)
        assert_served(await bench.slash("story", theme="nicu"))
        sent = await submit(bench, STORIES[0], theme="nicu")
        assert "submission #1" in sent.content
        assert card_of(bench, 1)["embeds"][0]["title"] == "Submission #1 · waiting for a decision"

        await stop(server)
        with caplog.at_level(logging.ERROR, logger="bot.client"):
            down = await bench.slash("story", theme="nicu")
        assert down.ephemeral
        assert down.content == APOLOGY
        [line] = apology_lines(caplog)
        assert "command=story" in line
        assert f"guild={GUILD_ID}" in line
        assert f"user={MEMBER.id}" in line
        # What members see of a theme is held in memory, so autocomplete still answers.
        assert await nicu_count(bench) == f"{NICU_BUNDLED} stories"

        await start(server)
        # The same bot, not restarted: the pool replaces the connections the server dropped.
        assert_served(await bench.slash("story", theme="nicu"))
        waiting = await bench.slash("submissions pending", user=MODERATOR)
        assert "#1" in waiting.text
        approved = await approve(bench, 1)
        assert approved.ephemeral and "is approved as" in approved.text
        assert card_of(bench, 1)["embeds"][0]["title"] == "Submission #1 · approved"
        assert await nicu_count(bench) == f"{NICU_BUNDLED + 1} stories"

        # Another process on the same database retires the story: its notice reaches this
        # one again, over a listener that had to reconnect by itself.
        assert bench.services is not None
        [(story_id,)] = await sql_rows(
            bench.services, "SELECT id FROM stories WHERE guild_id = ?", GUILD_ID
        )
        async with open_services(settings_at({"DATABASE_URL": url})) as other:
            assert await other.storage.library.retire_server_story(GUILD_ID, story_id)
            await until_nicu_count(bench, f"{NICU_BUNDLED} stories")

    # Whoever runs the bot reads one line a try, and none of them a traceback.
    said = [r for r in caplog.records if r.name == listening.__name__]
    assert said[0].getMessage().startswith("lost the PostgreSQL connection listening on")
    *failed, back = said[1:]
    for number, line in enumerate(failed, 1):
        assert f"on try {number} (" in line.getMessage()
    assert f"is back on try {len(failed) + 1}" in back.getMessage()
    assert not any(r.exc_info for r in said)


async def test_a_lost_listener_reconnects_and_reads_what_it_missed(
    tmp_path: Path, server: EmbeddedServer, caplog: pytest.LogCaptureFixture
):
    url = await new_database(PostgresTestServer(server.url))
    async with Bench(tmp_path, env={"DATABASE_URL": url}) as bench:
        await turn_on(bench)
        await submit(bench, STORIES[1], theme="nicu")
        await approve(bench, 1)
        assert await nicu_count(bench) == f"{NICU_BUNDLED + 1} stories"

        # Another process, with a pool and no listener, cuts this one's listener off (as a
        # network blip would) and retires the story before it can be back: the notice goes
        # to nobody, and only reading everything again once back brings the change.
        async with open_postgres(url) as db:
            other = LibraryStore(db, Listener(db.connect_listener))
            [(pid, story_id)] = await db.fetch(
                "SELECT a.pid, s.id FROM pg_stat_activity a, stories s "
                "WHERE a.application_name = $1 AND a.datname = current_database() "
                "AND s.guild_id = $2",
                f"{APPLICATION_NAME}-listener",
                GUILD_ID,
            )
            with caplog.at_level(logging.INFO, logger=listening.__name__):
                assert await db.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)
                assert await other.retire_server_story(GUILD_ID, story_id)
                await until_nicu_count(bench, f"{NICU_BUNDLED} stories")
            await other.close()

    said = [r for r in caplog.records if r.name == listening.__name__]
    assert [r.levelname for r in said] == ["WARNING", "INFO"]
    assert said[0].getMessage().startswith("lost the PostgreSQL connection listening on")
    assert "is back on try 1" in said[1].getMessage()


def test_starting_while_the_server_is_down_is_one_sentence(tmp_path: Path, server: EmbeddedServer):
    url = server.url
    server.stop()
    result = run_bot(tmp_path, DISCORD_TOKEN=FAKE_TOKEN, DATABASE_URL=url)
    # Said once, and the process ends: no traceback, no loop of tries.
    assert_refused_in_one_sentence(result, "No PostgreSQL server answers at DATABASE_URL")
    assert result.returncode == 2, output(result)

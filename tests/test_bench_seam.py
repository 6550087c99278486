"""The bench rejects what Discord rejects, so a test fails where Discord would.

Each test registers a throw-away command on the running bot's tree that breaks one of
Discord's rules, and checks the bench answered with Discord's own error code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import discord
import pytest
from discord import app_commands

from bot.client import APOLOGY
from tests.discord_bench import payloads
from tests.discord_bench.harness import Bench
from tests.discord_bench.payloads import MEMBER, Where

Handler = Callable[[discord.Interaction], Awaitable[None]]


def add_command(bench: Bench, name: str, handler: Handler) -> app_commands.Command:
    assert bench.bot is not None
    command = app_commands.Command(
        name=name, description="A command only this test knows.", callback=handler
    )
    bench.bot.tree.add_command(command)
    return command


async def test_a_second_answer_is_rejected_as_already_acknowledged(bench: Bench):
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        # A second, independent responder: discord.py's own guard does not see it.
        await discord.InteractionResponse(interaction).send_message("second")

    add_command(bench, "twice", twice)
    reply = await bench.slash("twice")

    rejection = bench.expect_rejection()
    assert (rejection.status, rejection.code) == (400, 40060)
    assert reply.content == "first"
    assert [m["content"] for m in reply.followups] == [APOLOGY]


async def test_an_answer_after_three_seconds_is_an_unknown_interaction(bench: Bench):
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(3.2)
        await interaction.response.send_message("too late")

    add_command(bench, "slow", slow)
    await bench.send(payloads.command("slow", {}, MEMBER, Where()), wait=False)
    await bench.settle()

    rejection = bench.expect_rejection()
    assert (rejection.status, rejection.code) == (404, 10062)
    assert {r.code for r in bench.discord.rejections} == {10062}
    assert bench.channel_messages() == []


async def test_content_over_2000_characters_is_an_invalid_form_body(bench: Bench):
    async def long(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("x" * 2001)

    add_command(bench, "long", long)
    reply = await bench.slash("long")

    rejection = bench.expect_rejection()
    assert rejection.code == 50035
    assert any(e.startswith("content:") for e in rejection.errors)
    assert reply.content == APOLOGY and reply.ephemeral


async def test_exactly_2000_characters_are_accepted(bench: Bench):
    async def full(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("x" * 2000)

    add_command(bench, "full", full)
    reply = await bench.slash("full")
    assert len(reply.content) == 2000
    assert bench.discord.rejections == []


async def test_an_embed_description_over_4096_characters_is_rejected(bench: Bench):
    async def wordy(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=discord.Embed(description="y" * 4097))

    add_command(bench, "wordy", wordy)
    await bench.slash("wordy")

    rejection = bench.expect_rejection()
    assert rejection.code == 50035
    assert any(e.startswith("embeds.0.description") for e in rejection.errors)


async def test_twenty_six_autocomplete_choices_are_rejected(bench: Bench):
    async def pick(interaction: discord.Interaction, word: str) -> None:
        await interaction.response.send_message(word)

    command = add_command(bench, "pick", pick)

    @command.autocomplete("word")
    async def too_many(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f"choice {n}", value=str(n)) for n in range(26)]

    payload = payloads.command("pick", {"word": ""}, MEMBER, Where(), focused="word")
    reply = await bench.send(payload, wait=False)
    await bench.settle()

    rejection = bench.expect_rejection()
    assert rejection.code == 50035
    assert any("at most 25 choices" in e for e in rejection.errors)
    assert reply.state.response is None  # the member saw no suggestions at all


async def test_a_custom_id_over_100_characters_is_rejected(bench: Bench):
    async def button(interaction: discord.Interaction) -> None:
        view = discord.ui.View()
        view.add_item(discord.ui.Button(label="Press", custom_id="b" * 101))
        await interaction.response.send_message("A button", view=view)

    add_command(bench, "button", button)
    await bench.slash("button")

    rejection = bench.expect_rejection()
    assert rejection.code == 50035
    assert any(".custom_id" in e for e in rejection.errors)


async def test_a_rejection_the_test_did_not_expect_fails_the_test(tmp_path: Path):
    with pytest.raises(AssertionError, match="Discord would have rejected") as caught:
        async with Bench(tmp_path) as inner:

            async def long(interaction: discord.Interaction) -> None:
                await interaction.response.send_message("z" * 2001)

            add_command(inner, "long", long)
            await inner.slash("long")
    assert "50035" in str(caught.value)


async def test_expect_rejection_itself_fails_when_nothing_was_rejected(bench: Bench):
    await bench.slash("story", theme="nicu")
    with pytest.raises(AssertionError, match="nothing was rejected"):
        bench.expect_rejection()

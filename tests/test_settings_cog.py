"""`/settings moderation` and `/settings show`, as a server admin and a member see them."""

from __future__ import annotations

from tests.discord_bench.harness import Bench
from tests.discord_bench.payloads import ADMIN, GUILD_ID, MEMBER, ChannelRef, RoleRef
from tests.discord_bench.server import MANAGE_GUILD, SEND_MESSAGES, VIEW_CHANNEL
from tests.test_submissions_steps import MOD_CHANNEL, MOD_ROLE, STORIES, submit, turn_on


def fields(reply) -> dict[str, str]:
    return {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}


async def test_settings_are_for_manage_server_by_default_and_in_code(bench: Bench):
    [settings] = [c for c in bench.discord.commands["global"] if c["name"] == "settings"]
    assert int(settings["default_member_permissions"]) == MANAGE_GUILD
    assert {o["name"] for o in settings["options"]} == {"moderation", "notes", "show"}
    bench.discord.add_channel(MOD_CHANNEL, GUILD_ID)

    for path, options in (
        ("settings moderation", {"channel": ChannelRef(MOD_CHANNEL)}),
        ("settings notes", {}),
        ("settings show", {}),
    ):
        refused = await bench.slash(path, user=MEMBER, **options)
        assert refused.ephemeral
        assert refused.content == "You need the Manage Server permission to do that."
    assert (await bench.slash("submit")).content.startswith("This server has not turned")


async def test_moderation_turns_submissions_on_and_says_so_in_the_channel(bench: Bench):
    reply = await turn_on(bench)

    assert reply.ephemeral
    assert f"<#{MOD_CHANNEL}>" in reply.content and f"<@&{MOD_ROLE}>" in reply.content
    assert reply.pings == set()
    [note] = bench.channel_messages(MOD_CHANNEL)
    assert "will wait here for a moderator's decision" in note["content"]
    assert (await bench.slash("submit")).type == 9


async def test_show_lists_every_setting_of_the_server(bench: Bench):
    before = await bench.slash("settings show", user=ADMIN)
    assert before.ephemeral
    shown = fields(before)
    assert shown["Submissions"].startswith("Off.")
    assert shown["Moderator role"].startswith("None set")
    assert "80 to 2,000 characters" in shown["Submission rules (set for the whole bot)"]
    assert (
        "at most 3 waiting per member and 5 sent per member a day"
        in shown["Submission rules (set for the whole bot)"]
    )
    assert shown["Daily story"].startswith("Off.")

    await turn_on(bench)
    await submit(bench, STORIES[0])
    after = fields(await bench.slash("settings show", user=ADMIN))

    assert after["Submissions"] == (
        f"On. Cards go to <#{MOD_CHANNEL}>; 1 waiting (`/submissions pending`)."
    )
    assert after["Moderator role"] == f"<@&{MOD_ROLE}> and members with Manage Server"


async def test_a_channel_without_embed_links_is_refused_naming_it(bench: Bench):
    bench.discord.add_channel(MOD_CHANNEL, GUILD_ID, bot_permissions=VIEW_CHANNEL | SEND_MESSAGES)

    reply = await turn_on(bench)

    assert reply.ephemeral
    assert reply.content == (
        f"I can't post submission cards in <#{MOD_CHANNEL}>: I need the Embed Links "
        "permission there. Add it in the channel's settings, then try again."
    )
    assert bench.channel_messages(MOD_CHANNEL) == []
    assert (await bench.slash("submit")).content.startswith("This server has not turned")


async def test_setting_the_channel_again_keeps_the_role_and_introduces_it_once(bench: Bench):
    await turn_on(bench)

    again = await turn_on(bench, role=None)

    assert again.content == (
        f"Submissions now go to <#{MOD_CHANNEL}>; members with <@&{MOD_ROLE}> or the Manage "
        "Server permission still decide them. `/submit` is on."
    )
    assert len(bench.channel_messages(MOD_CHANNEL)) == 1
    role_only = await bench.slash("settings moderation", user=ADMIN, role=RoleRef(MOD_ROLE + 1))
    assert f"<#{MOD_CHANNEL}>" in role_only.content and f"<@&{MOD_ROLE + 1}>" in role_only.content
    assert fields(await bench.slash("settings show", user=ADMIN))["Moderator role"] == (
        f"<@&{MOD_ROLE + 1}> and members with Manage Server"
    )

    cleared = await bench.slash("settings moderation", user=ADMIN, clear_role=True)

    assert cleared.content == (
        f"Submissions now go to <#{MOD_CHANNEL}>; members with the Manage Server permission "
        f"decide them (the moderator role <@&{MOD_ROLE + 1}> is cleared). `/submit` is on."
    )
    assert fields(await bench.slash("settings show", user=ADMIN))["Moderator role"].startswith(
        "None set"
    )
    assert len(bench.channel_messages(MOD_CHANNEL)) == 1
    both = await bench.slash(
        "settings moderation", user=ADMIN, role=RoleRef(MOD_ROLE), clear_role=True
    )
    assert both.content == "Please either choose a moderator role or clear it, not both at once."

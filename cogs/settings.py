"""`/settings`: where this server's moderators work, and everything the bot does here."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import NO_PERMISSION, ErrorPathItem, StoryBot
from bot.errors import DomainError
from bot.records import ModerationSettings
from bot.timeparse import format_time
from cogs.daily import TextChannelOption, check_channel
from cogs.notes_ui import notes_said, notes_select

log = logging.getLogger(__name__)

COLOUR = 0x8FB9A8
CHANNEL_NOTE = (
    "Stories that members send with `/submit` will wait here for a moderator's decision. "
    "Each card has Approve, Reject and Edit; nothing a member writes will ping anyone."
)


def moderation_said(before: ModerationSettings, channel_id: int, role_id: int | None) -> str:
    """The answer to /settings moderation: where cards go, and who decides, and what changed."""
    if role_id is None:
        who = "members with the Manage Server permission decide them"
        if before.mod_role_id is not None:
            who += f" (the moderator role <@&{before.mod_role_id}> is cleared)"
    else:
        kept = " still" if role_id == before.mod_role_id else ""
        who = f"members with <@&{role_id}> or the Manage Server permission{kept} decide them"
    return f"Submissions now go to <#{channel_id}>; {who}. `/submit` is on."


def require_manage_server(interaction: discord.Interaction) -> int:
    # default_member_permissions only hides the command; server admins can override that.
    if interaction.guild_id is None:
        raise DomainError("That only works inside a server.")
    if not interaction.permissions.manage_guild:
        raise DomainError(NO_PERMISSION)
    return interaction.guild_id


async def daily_summary(bot: StoryBot, guild_id: int) -> str:
    """The daily story's schedule, read-only (``/daily`` changes it)."""
    schedule = await bot.services.schedules.get(guild_id)
    if schedule is None or not schedule.active:
        return "Off. `/daily` sets a story a day in a channel."
    line = f"<#{schedule.channel_id}> at {format_time(schedule.local_minute)} ({schedule.timezone})"
    if schedule.paused_reason:
        line += f"\nPaused: {schedule.paused_reason}"
    return line


def hidden_summary(hidden: frozenset[str]) -> str:
    """What the server hides, in the words of /settings show and /settings notes."""
    if not hidden:
        return "Nothing: every story is shown with its content note first, none behind a spoiler."
    return (
        f"{notes_said(hidden)}: a story with one of these notes is behind a spoiler, its "
        "note first. Other notes are shown before the story, which is shown with them."
    )


def notes_message(hidden: frozenset[str]) -> tuple[str, discord.ui.View]:
    """The /settings notes message: what is hidden now, and the picker that changes it."""
    view = discord.ui.View(timeout=None)
    view.add_item(HiddenNotesSelect(hidden))
    text = (
        f"**Hidden in this server:** {hidden_summary(hidden)}\n\n"
        "Choose the notes whose stories stay hidden here, in `/story`, the daily story and "
        "moderators' cards; it is saved as soon as you choose. Members can also choose for "
        "themselves in `/preferences`."
    )
    return text, view


class HiddenNotesSelect(
    ErrorPathItem,
    discord.ui.DynamicItem[discord.ui.Select[discord.ui.View]],
    template=r"bs:settings:notes",
):
    """Only members with Manage Server may change it: checked on every choice, since the
    message may outlive their permission."""

    def __init__(self, hidden: frozenset[str] = frozenset()) -> None:
        super().__init__(
            notes_select("bs:settings:notes", hidden, "Notes whose stories are hidden here")
        )

    async def run(self, interaction: discord.Interaction[StoryBot]) -> None:  # type: ignore[override]
        guild_id = require_manage_server(interaction)
        hidden = await interaction.client.services.server_settings.set_hidden_notes(
            guild_id, self.item.values
        )
        log.info(
            "guild %s: hidden notes set by %s to %s",
            guild_id,
            interaction.user.id,
            ",".join(sorted(hidden)) or "none",
        )
        text, view = notes_message(hidden)
        await interaction.response.edit_message(content=text, view=view)


@app_commands.guild_only()
@app_commands.allowed_installs(guilds=True, users=False)
@app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
@app_commands.default_permissions(manage_guild=True)
class Settings(
    commands.GroupCog, group_name="settings", group_description="How the bot works in this server"
):
    def __init__(self, bot: StoryBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(HiddenNotesSelect)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(HiddenNotesSelect)

    @app_commands.command(name="notes")
    async def notes(self, interaction: discord.Interaction[StoryBot]) -> None:
        """Choose which content notes hide a story here (its note is always shown first)."""
        guild_id = require_manage_server(interaction)
        hidden = await self.bot.services.server_settings.hidden_notes(guild_id)
        text, view = notes_message(hidden)
        await interaction.response.send_message(text, view=view, ephemeral=True)

    @app_commands.command(name="moderation")
    @app_commands.describe(
        channel="Where members' submissions wait for a decision (leave empty to keep it)",
        role="Who may decide them (members with Manage Server always may); kept if empty",
        clear_role="True: no moderator role, only members with Manage Server decide",
    )
    async def moderation(
        self,
        interaction: discord.Interaction[StoryBot],
        channel: app_commands.Transform[app_commands.AppCommandChannel, TextChannelOption]
        | None = None,
        role: discord.Role | None = None,
        clear_role: bool = False,
    ) -> None:
        """Choose the moderator channel and role; this turns /submit on for the server."""
        guild_id = require_manage_server(interaction)
        services = self.bot.services
        before = await services.server_settings.moderation(guild_id)
        channel_id = channel.id if channel is not None else before.mod_channel_id
        if channel_id is None:
            raise DomainError(
                "Please choose the channel where submissions should wait for the moderators."
            )
        # The same check as /daily set: a channel whose every card would fail is refused.
        await check_channel(self.bot, channel_id, "submission cards")
        after = await services.server_settings.set_moderation(
            guild_id, channel_id, role.id if role else None, clear_role=clear_role
        )
        text = moderation_said(before, channel_id, after.mod_role_id)
        if channel_id != before.mod_channel_id and not await self._introduce(guild_id, channel_id):
            text += (
                f"\n\nBut Discord didn't let me post in <#{channel_id}> just now. Submissions "
                "are kept and their cards appear once I can; run this command again then."
            )
        log.info(
            "guild %s: moderation set by %s to channel %s role %s",
            guild_id,
            interaction.user.id,
            channel_id,
            after.mod_role_id,
        )
        await interaction.response.send_message(text, ephemeral=True)
        # The submissions feature posts the cards that waited for a working channel.
        self.bot.dispatch("moderation_channel_set", guild_id, channel_id)

    async def _introduce(self, guild_id: int, channel_id: int) -> bool:
        """Tell a new moderator channel what it is for, once: when it becomes the channel."""
        try:
            await self.bot.get_partial_messageable(channel_id, guild_id=guild_id).send(CHANNEL_NOTE)
            return True
        except discord.HTTPException as error:
            log.warning(
                "guild %s: cannot post in moderator channel %s (%s %s)",
                guild_id,
                channel_id,
                error.status,
                error.code,
            )
            return False

    @app_commands.command(name="show")
    async def show(self, interaction: discord.Interaction[StoryBot]) -> None:
        """See every setting of this server in one place."""
        guild_id = require_manage_server(interaction)
        services = self.bot.services
        settings = services.settings
        moderation = await services.server_settings.moderation(guild_id)
        embed = discord.Embed(title="Settings of this server", colour=COLOUR)
        if moderation.mod_channel_id is None:
            embed.add_field(
                name="Submissions",
                value="Off. `/settings moderation` chooses a moderator channel and turns "
                "`/submit` on.",
                inline=False,
            )
        else:
            _, waiting = await services.desk.pending(guild_id, 0)
            embed.add_field(
                name="Submissions",
                value=(
                    f"On. Cards go to <#{moderation.mod_channel_id}>; {waiting} waiting "
                    "(`/submissions pending`)."
                ),
                inline=False,
            )
        embed.add_field(
            name="Moderator role",
            value=f"<@&{moderation.mod_role_id}> and members with Manage Server"
            if moderation.mod_role_id
            else "None set: members with Manage Server decide.",
            inline=False,
        )
        embed.add_field(
            name="Submission rules (set for the whole bot)",
            value=(
                f"{settings.submission_min_chars:,} to {settings.submission_max_chars:,} "
                f"characters; at most {settings.submission_max_pending} waiting per member and "
                f"{settings.submission_max_per_day} sent per member a day."
            ),
            inline=False,
        )
        embed.add_field(
            name="Daily story", value=await daily_summary(self.bot, guild_id), inline=False
        )
        hidden = await services.server_settings.hidden_notes(guild_id)
        embed.add_field(
            name="Hidden stories (`/settings notes`)", value=hidden_summary(hidden), inline=False
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: StoryBot) -> None:
    await bot.add_cog(Settings(bot))

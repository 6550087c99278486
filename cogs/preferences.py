"""`/preferences`: what each member chooses for themselves, in every server and DM.

Only the member sees the message (it is ephemeral) and every control changes the
preferences of whoever presses it, so there is nobody else to keep out.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ErrorPathItem, StoryBot
from bot.records import MemberPreferences
from cogs.notes_ui import notes_said, notes_select

log = logging.getLogger(__name__)


def preferences_message(
    preferences: MemberPreferences, wants_notes: bool
) -> tuple[str, discord.ui.View]:
    """What the member chose, in words, and the controls that change it."""
    if preferences.skipped:
        skipped = (
            f"{notes_said(preferences.skipped)}. Stories with these notes are never drawn for "
            "you by `/story` or **Another story**; others in the channel still get them."
        )
    else:
        skipped = "Nothing: any story may come to you."
    if preferences.show_unhidden:
        unhidden = (
            "Shown to you unhidden, as a card only you can see. Their note still comes first."
        )
    else:
        unhidden = "Behind a spoiler, as the server hides them, their note first."
    if wants_notes:
        thanks = "At most once a week, a note saying how many people they helped (no names)."
    else:
        thanks = "No notes."
    text = (
        "**Your preferences** (only you see them, and they go with you to every server)\n\n"
        f"**Notes you skip:** {skipped}\n"
        f"**Stories the server hides, when you ask for them:** {unhidden}\n"
        f"**When readers say a story you shared helped them:** {thanks}\n\n"
        "Changes are saved as soon as you make them."
    )
    view = discord.ui.View(timeout=None)
    view.add_item(SkippedNotesSelect(preferences.skipped))
    view.add_item(ToggleButton("unhidden", 0 if preferences.show_unhidden else 1))
    view.add_item(ToggleButton("thanks", 0 if wants_notes else 1))
    return text, view


async def current_message(
    interaction: discord.Interaction[StoryBot], preferences: MemberPreferences | None = None
) -> tuple[str, discord.ui.View]:
    """The message as the member's choices now stand."""
    services = interaction.client.services
    member_id = interaction.user.id
    if preferences is None:
        preferences = await services.preferences.of(member_id)
    return preferences_message(preferences, await services.thanks.wants_letters(member_id))


class SkippedNotesSelect(
    ErrorPathItem,
    discord.ui.DynamicItem[discord.ui.Select[discord.ui.View]],
    template=r"bs:prefs:skip",
):
    def __init__(self, skipped: frozenset[str] = frozenset()) -> None:
        super().__init__(notes_select("bs:prefs:skip", skipped, "Notes to skip"))

    async def run(self, interaction: discord.Interaction[StoryBot]) -> None:  # type: ignore[override]
        preferences = await interaction.client.services.preferences.skip(
            interaction.user.id, self.item.values
        )
        text, view = await current_message(interaction, preferences)
        await interaction.response.edit_message(content=text, view=view)


# Each on/off choice: (its label to turn it on, its label to turn it off).
TOGGLE_LABELS = {
    "unhidden": ("Show me hidden stories unhidden", "Hide them from me again, as the server does"),
    "thanks": ("Send me the weekly thank-you notes", "No more thank-you notes, please"),
}


class ToggleButton(
    ErrorPathItem,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"bs:prefs:(?P<choice>unhidden|thanks):(?P<on>[01])",
):
    """Sets what its custom id says rather than flipping, so an older copy of the message
    still does what its label promises."""

    def __init__(self, choice: str, on: int) -> None:
        turn_on, turn_off = TOGGLE_LABELS[choice]
        super().__init__(
            discord.ui.Button(
                label=turn_on if on else turn_off,
                style=discord.ButtonStyle.secondary,
                custom_id=f"bs:prefs:{choice}:{on}",
            )
        )
        self.choice = choice
        self.on = bool(on)

    async def run(self, interaction: discord.Interaction[StoryBot]) -> None:  # type: ignore[override]
        services = interaction.client.services
        member_id = interaction.user.id
        preferences: MemberPreferences | None = None
        if self.choice == "unhidden":
            preferences = await services.preferences.show_unhidden(member_id, self.on)
        else:
            await services.thanks.set_wants_letters(member_id, self.on)
        text, view = await current_message(interaction, preferences)
        await interaction.response.edit_message(content=text, view=view)


@app_commands.allowed_installs(guilds=True, users=True)
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
class PreferencesCog(commands.Cog):
    def __init__(self, bot: StoryBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SkippedNotesSelect, ToggleButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SkippedNotesSelect, ToggleButton)

    @app_commands.command(name="preferences")
    async def preferences(self, interaction: discord.Interaction[StoryBot]) -> None:
        """Notes to skip, hidden stories unhidden, thank-you notes: your own choices."""
        text, view = await current_message(interaction)
        await interaction.response.send_message(text, view=view, ephemeral=True)


async def setup(bot: StoryBot) -> None:
    await bot.add_cog(PreferencesCog(bot))

"""Report a story, and "This helped me": the two buttons every story card carries.

A report hides the story in that server at once and puts a case before its moderators
(a card in the moderator channel, and `/reports`); thanks are counted once per reader and
reach the member who shared the story as one weekly note, with no names and no counts on
any card.
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ErrorPathItem, StoryBot
from bot.errors import DomainError
from bot.records import Filed, Letter, ReportReason, ReportRecord
from bot.reports import DETAIL_MAX, REASON_WORDS, AlreadyDecided
from bot.tasks import cancel_and_wait
from cogs.reports.cards import case_embeds
from cogs.submissions.cards import jump_url, require_moderator
from cogs.submissions.forms import Form, FormDone, answer_orphaned_form, answers

log = logging.getLogger(__name__)

CLOSED_DMS = 50007
REPORTED = (
    "Thank you for telling us. The story is hidden in this server now and a moderator will "
    "look at it; nobody is told who reported it."
)
ALREADY_DOWN = "Thank you for looking out. That story has already been taken down in this server."
NO_REASON = "Please choose why the story should come down, so a moderator knows what to look at."
REPORT_FORM = "report"
# Cards posted at once when a moderator channel is set; any beyond wait in /reports, so
# setting the channel does not fill it for minutes.
WAITING_CARDS = 50
THANKED = (
    "Thank you for saying so. If a member here shared it, they will hear that it helped "
    "someone, never who."
)
THANKED_BEFORE = "You have already said this story helped you. Thank you, again."
NOTHING_WAITING = "Nothing is waiting: no story is reported in this server."


def _cog(interaction: discord.Interaction) -> Reports:
    cog = interaction.client.get_cog("Reports")  # type: ignore[attr-defined]
    if not isinstance(cog, Reports):
        raise RuntimeError("the Reports cog is not loaded")
    return cog


def letter_text(count: int) -> str:
    people = "1 person" if count == 1 else f"{count} people"
    return (
        f"💚 Since my last note, {people} said a story you shared helped them. "
        "Thank you for sharing it.\n-# `/preferences` turns these notes off."
    )


# -- the story card's buttons: their state (the story) lives in the custom_id ---------------


class ThanksButton(
    ErrorPathItem,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"bs:story:helped:(?P<story>[0-9]{1,18})",
):
    """Anyone who reads a story may say it helped them, once."""

    def __init__(self, story_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="This helped me",
                emoji="💚",
                style=discord.ButtonStyle.secondary,
                custom_id=f"bs:story:helped:{story_id}",
            )
        )
        self.story_id = story_id

    async def run(self, interaction: discord.Interaction[StoryBot]) -> None:  # type: ignore[override]
        counted = await interaction.client.services.thanks.thank(
            story_id=self.story_id, member_id=interaction.user.id, guild_id=interaction.guild_id
        )
        await interaction.response.send_message(
            THANKED if counted else THANKED_BEFORE, ephemeral=True
        )


class ReportButton(
    ErrorPathItem,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"bs:story:report:(?P<story>[0-9]{1,18})",
):
    """Anyone who reads a story may ask for it to be taken down."""

    def __init__(self, story_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Report",
                emoji="🚩",
                style=discord.ButtonStyle.secondary,
                custom_id=f"bs:story:report:{story_id}",
            )
        )
        self.story_id = story_id

    async def run(self, interaction: discord.Interaction[StoryBot]) -> None:  # type: ignore[override]
        if interaction.guild_id is None:
            raise DomainError("Stories can be reported inside a server.")
        form = ReportForm(self.story_id, _cog(interaction).form_done)
        await interaction.response.send_modal(form)


def story_buttons(story_id: int) -> list[discord.ui.Item[discord.ui.View]]:
    """The buttons a story card adds for one story."""
    return [ThanksButton(story_id), ReportButton(story_id)]


class ReportForm(Form, title="Report this story"):
    """Its custom id names the story, so a form sent across a restart is still filed."""

    def __init__(self, story_id: int, on_done: FormDone) -> None:
        super().__init__(REPORT_FORM, story_id, on_done)
        self.reason: discord.ui.RadioGroup[ReportForm] = discord.ui.RadioGroup(
            custom_id="reason", required=True
        )
        for reason, words in REASON_WORDS.items():
            self.reason.add_option(label=words, value=reason.value)
        self.add_item(discord.ui.Label(text="Why should it come down?", component=self.reason))
        self.detail: discord.ui.TextInput[ReportForm] = discord.ui.TextInput(
            custom_id="detail",
            style=discord.TextStyle.paragraph,
            max_length=DETAIL_MAX,
            required=False,
        )
        self.add_item(
            discord.ui.Label(
                text="Anything to add?",
                description="Needed for “Something else”. Only this server's moderators read it.",
                component=self.detail,
            )
        )


# -- the moderator card ------------------------------------------------------------------


class DecisionButton(
    ErrorPathItem,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"bs:report:(?P<action>restore|remove):(?P<id>[0-9]{1,18})",
):
    """Restore or Remove on a report's card; only moderators may press them."""

    def __init__(self, action: str, report_id: int) -> None:
        restore = action == "restore"
        super().__init__(
            discord.ui.Button(
                label="Restore" if restore else "Remove",
                style=discord.ButtonStyle.success if restore else discord.ButtonStyle.danger,
                custom_id=f"bs:report:{action}:{report_id}",
            )
        )
        self.restore = restore
        self.report_id = report_id

    async def run(self, interaction: discord.Interaction[StoryBot]) -> None:  # type: ignore[override]
        await _cog(interaction).decide(interaction, self.report_id, restore=self.restore)


class DecisionCard(discord.ui.View):
    def __init__(self, report_id: int) -> None:
        super().__init__(timeout=None)
        self.add_item(DecisionButton("restore", report_id))
        self.add_item(DecisionButton("remove", report_id))


# -- the cog ---------------------------------------------------------------------------------


class Reports(commands.Cog):
    def __init__(self, bot: StoryBot) -> None:
        self.bot = bot
        self.services = bot.services
        self._catching_up: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ThanksButton, ReportButton, DecisionButton)
        self.services.thanks.start(self.send_letter)
        self._catching_up = asyncio.get_running_loop().create_task(
            self._catch_up(), name="bedside-reports-waiting-cards"
        )

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ThanksButton, ReportButton, DecisionButton)
        await cancel_and_wait(self._catching_up)
        await self.services.thanks.stop()

    # -- reports ----------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await answer_orphaned_form(interaction, (REPORT_FORM,), self.form_done)

    async def form_done(self, interaction: discord.Interaction, kind: str, story_id: int) -> None:
        """A report form came back, from a live modal or (after a restart) from its data."""
        await self.filed(interaction, story_id)

    async def filed(self, interaction: discord.Interaction, story_id: int) -> None:
        answered = answers(interaction)
        try:
            reason = ReportReason(str(answered.get("reason") or ""))
        except ValueError:
            raise DomainError(NO_REASON) from None
        filing = await self.services.reports.report(
            guild_id=interaction.guild_id,
            story_id=story_id,
            reporter_id=interaction.user.id,
            reason=reason,
            detail=str(answered.get("detail") or ""),
        )
        text = ALREADY_DOWN if filing.filed is Filed.ALREADY_DOWN else REPORTED
        await interaction.response.send_message(text, ephemeral=True)
        if filing.report is None:
            return
        if filing.filed is Filed.OPENED:
            await self.post_card(filing.report)
        else:
            await self.update_card(filing.report, await self._embeds(filing.report))

    async def _embeds(self, report: ReportRecord) -> list[discord.Embed]:
        story = await self.services.library.story(report.story_id)
        reports = await self.services.reports.case_size(report) if report.open else 1
        hidden = await self.services.server_settings.hidden_notes(report.guild_id)
        return case_embeds(report, story, reports, self.services.library.catalogue, hidden)

    @commands.Cog.listener()
    async def on_moderation_channel_set(self, guild_id: int, channel_id: int) -> None:
        await self.post_waiting_cards(guild_id)

    async def _catch_up(self) -> None:
        """At start-up: post the cards that could not be posted before (Discord refused
        them, or the bot stopped between filing a report and posting its card)."""
        try:
            for guild_id in await self.services.reports.guilds_with_waiting_cards():
                await self.post_waiting_cards(guild_id)
        except Exception:
            log.exception("posting waiting report cards at start-up failed")

    async def post_waiting_cards(self, guild_id: int) -> None:
        """Post the cards of the cases that wait for one, if the server has a moderator
        channel. Stops at the first failure, as the submissions' cards do: Discord bans
        bots that keep failing.
        """
        try:
            cases, _ = await self.services.reports.open_cases(guild_id, WAITING_CARDS)
            for case in cases:
                if case.card_message_id is None and not await self.post_card(case):
                    break
        except Exception:
            log.exception("guild %s: posting waiting report cards failed", guild_id)

    async def post_card(self, report: ReportRecord) -> bool:
        """Put the case before the moderators; without a channel it waits in /reports.
        False when there is no channel or Discord refused the card."""
        settings = await self.services.server_settings.moderation(report.guild_id)
        if settings.mod_channel_id is None:
            return False
        channel = self.bot.get_partial_messageable(
            settings.mod_channel_id, guild_id=report.guild_id
        )
        try:
            message = await channel.send(
                embeds=await self._embeds(report), view=DecisionCard(report.id)
            )
        except discord.HTTPException as error:
            log.warning(
                "guild %s: could not post the card of report %s in channel %s (%s %s); "
                "it waits in /reports",
                report.guild_id,
                report.id,
                settings.mod_channel_id,
                error.status,
                error.code,
            )
            return False
        await self.services.reports.set_card(report.id, settings.mod_channel_id, message.id)
        return True

    async def decide(
        self, interaction: discord.Interaction[StoryBot], report_id: int, *, restore: bool
    ) -> None:
        guild_id = await require_moderator(interaction)
        refusal: str | None = None
        try:
            report = await self.services.reports.decide(
                report_id,
                guild_id,
                restore=restore,
                by=interaction.user.id,
                by_name=interaction.user.display_name,
            )
        except AlreadyDecided as error:
            report, refusal = error.report, error.message
        embeds = await self._embeds(report)
        await interaction.response.edit_message(embeds=embeds, view=None)
        if refusal is not None:
            await interaction.followup.send(refusal, ephemeral=True)
        pressed = interaction.message.id if interaction.message else None
        if report.card_message_id != pressed:
            await self.update_card(report, embeds)

    async def update_card(self, report: ReportRecord, embeds: list[discord.Embed]) -> None:
        """Show the case as it now is on its card in the moderator channel, if it has one."""
        if report.card_channel_id is None or report.card_message_id is None:
            return
        card = self.bot.get_partial_messageable(
            report.card_channel_id, guild_id=report.guild_id
        ).get_partial_message(report.card_message_id)
        try:
            await card.edit(embeds=embeds, view=DecisionCard(report.id) if report.open else None)
        except discord.HTTPException:
            log.warning(
                "guild %s: could not update the card of report %s", report.guild_id, report.id
            )

    @app_commands.command(name="reports")
    @app_commands.guild_only()
    @app_commands.allowed_installs(guilds=True, users=False)
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    @app_commands.default_permissions(manage_guild=True)
    async def reports(self, interaction: discord.Interaction[StoryBot]) -> None:
        """See the oldest reported story waiting for a decision, and restore or remove it."""
        guild_id = await require_moderator(interaction)
        cases, total = await self.services.reports.open_cases(guild_id, 1)
        if not cases:
            await interaction.response.send_message(NOTHING_WAITING, ephemeral=True)
            return
        head = cases[0]
        waits = "1 reported story waits" if total == 1 else f"{total} reported stories wait"
        text = f"{waits} for a decision; here is the oldest."
        if head.card_channel_id and head.card_message_id:
            text += f" Its card: {jump_url(guild_id, head.card_channel_id, head.card_message_id)}"
        await interaction.response.send_message(
            text, embeds=await self._embeds(head), view=DecisionCard(head.id), ephemeral=True
        )

    async def send_letter(self, letter: Letter) -> str:
        """One weekly note by DM: "sent", "closed" (the member's DMs are closed) or "failed"."""
        try:
            channel = await self.bot.create_dm(discord.Object(letter.member_id))
            await channel.send(letter_text(letter.count))
        except discord.Forbidden as error:
            return "closed" if error.code == CLOSED_DMS else "failed"
        except discord.HTTPException:
            return "failed"
        return "sent"


async def setup(bot: StoryBot) -> None:
    await bot.add_cog(Reports(bot))

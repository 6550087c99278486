"""`/submit` and `/submissions`: members share stories; moderators decide what joins the library.

A submission is stored before anything is posted, so a deleted moderator channel or a lost
permission only delays its card: cards that could not be posted wait in the database and go
out when the channel is set again or the bot starts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Coroutine
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ErrorPathItem, StoryBot, answer_error
from bot.errors import DomainError
from bot.submission_values import (
    Draft,
    Outcome,
    Submission,
    SubmissionRefused,
)
from cogs.submissions.cards import (
    STATUS_WORDS,
    actor,
    findings_embed,
    jump_url,
    require_moderator,
    returned_text_embed,
    theme_name,
)
from cogs.submissions.forms import (
    ANONYMOUSLY,
    FORM_ID,
    HANDLED,
    SubmitForm,
    answers,
    chosen_notes,
    chosen_theme,
)
from cogs.submissions.moderation import Moderation, ModeratorButton

log = logging.getLogger(__name__)

NOT_TURNED_ON = (
    "This server has not turned submissions on yet: a moderator needs to choose where they "
    "go with `/settings moderation`."
)
LIST_LIMIT = 15


def _cog(interaction: discord.Interaction) -> Submissions:
    cog = interaction.client.get_cog("Submissions")  # type: ignore[attr-defined]
    if not isinstance(cog, Submissions):
        raise RuntimeError("the Submissions cog is not loaded")
    return cog


async def _respond(
    interaction: discord.Interaction,
    content: str,
    *,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
) -> None:
    """Answer in place on a button of an ephemeral message, or with a new ephemeral one."""
    if interaction.response.is_done():  # deferred while the library is sketched
        await interaction.edit_original_response(content=content, embeds=embeds or [], view=view)
        return
    if interaction.type == discord.InteractionType.component:
        await interaction.response.edit_message(content=content, embeds=embeds or [], view=view)
        return
    extra: dict[str, Any] = {"view": view} if view is not None else {}
    await interaction.response.send_message(content, embeds=embeds or [], ephemeral=True, **extra)


class DraftButton(
    ErrorPathItem,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"bs:draft:(?P<action>send|edit):(?P<id>[0-9]{1,18})",
):
    """Send anyway / Edit on the member's own ephemeral answer; the draft holds the text."""

    def __init__(self, action: str, draft_id: int) -> None:
        label, style = (
            ("Send anyway", discord.ButtonStyle.primary)
            if action == "send"
            else ("Edit", discord.ButtonStyle.secondary)
        )
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"bs:draft:{action}:{draft_id}")
        )
        self.action = action
        self.draft_id = draft_id

    async def run(self, interaction: discord.Interaction[StoryBot]) -> None:  # type: ignore[override]
        cog = _cog(interaction)
        draft = await cog.desk.draft(self.draft_id, interaction.user.id)
        if draft is None:
            raise DomainError(
                "That draft is no longer here (it was sent, replaced or is over a week "
                "old). Use `/submit` to start again."
            )
        if self.action == "edit":
            await interaction.response.send_modal(cog.form(draft))
        else:
            await cog.send_draft(interaction, draft, confirmed=True)


def draft_controls(draft_id: int, *, can_send: bool) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if can_send:
        view.add_item(DraftButton("send", draft_id))
    view.add_item(DraftButton("edit", draft_id))
    return view


class WithdrawButton(
    ErrorPathItem,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"bs:sub:withdraw:(?P<id>[0-9]{1,18})",
):
    """On `/submissions mine`: the member takes back a submission still waiting."""

    def __init__(self, submission_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Withdraw #{submission_id}",
                style=discord.ButtonStyle.secondary,
                custom_id=f"bs:sub:withdraw:{submission_id}",
            )
        )
        self.submission_id = submission_id

    async def run(self, interaction: discord.Interaction[StoryBot]) -> None:  # type: ignore[override]
        if interaction.guild_id is None:
            raise DomainError("That only works inside a server.")
        cog = _cog(interaction)
        submission = await cog.desk.withdraw(
            self.submission_id, interaction.guild_id, actor(interaction)
        )
        embed, view = await cog.mine_page(interaction.guild_id, interaction.user.id)
        await interaction.response.edit_message(
            content=f"Submission #{submission.id} is withdrawn.", embed=embed, view=view
        )
        await cog.moderation.refresh_card(submission)


# -- the cog ---------------------------------------------------------------------------------


@app_commands.guild_only()
@app_commands.allowed_installs(guilds=True, users=False)
@app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
class Submissions(commands.Cog):
    submissions = app_commands.Group(
        name="submissions",
        description="Stories members have sent to this server's moderators",
        guild_only=True,
    )

    def __init__(self, bot: StoryBot) -> None:
        self.bot = bot
        services = bot.services
        self.desk = services.desk
        self.moderation = Moderation(bot, self.form_done)
        self._tasks: set[asyncio.Task[None]] = set()

    def _spawn(self, name: str, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work, name=f"bedside-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ModeratorButton, DraftButton, WithdrawButton)
        # The library's sketches are made at start-up in bot.library_sync; a submission
        # waits for them there.
        unfinished = await self.desk.finish_interrupted()
        self._spawn("submissions-waiting-cards", self._catch_up(unfinished))

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ModeratorButton, DraftButton, WithdrawButton)

    async def _catch_up(self, unfinished: list[Submission]) -> None:
        """At start-up: finish the decisions a crash cut short (their stories are in the
        library already), and post the cards that could not be posted before."""
        try:
            await self.moderation.finish(unfinished)
            for guild_id in await self.desk.guilds_with_unposted_cards():
                await self.moderation.post_waiting_cards(guild_id)
        except Exception:
            log.exception("finishing decisions and posting waiting cards at start-up failed")

    # -- the member's form ------------------------------------------------------------------

    def form(self, draft: Draft | None) -> SubmitForm:
        settings = self.bot.services.settings
        return SubmitForm(
            catalogue=self.bot.services.library.catalogue,
            min_chars=settings.submission_min_chars,
            max_chars=settings.submission_max_chars,
            draft=draft,
            on_done=self.form_done,
        )

    async def form_done(self, interaction: discord.Interaction, kind: str, ref: int) -> None:
        """A form came back, from a live modal or (after a restart) from its data alone."""
        answered = answers(interaction)
        if kind == "submit":
            await self.form_sent(interaction, answered, ref)
        elif kind == "approve":
            await self.moderation.approved(interaction, answered, ref)
        elif kind == "reject":
            await self.moderation.rejected(interaction, answered, ref)
        else:
            await self.moderation.edited(interaction, answered, ref)

    async def form_sent(
        self, interaction: discord.Interaction, answered: dict[str, Any], replaces: int
    ) -> None:
        if interaction.guild_id is None:
            raise DomainError("That only works inside a server.")
        draft = Draft(
            guild_id=interaction.guild_id,
            member_id=interaction.user.id,
            member_name=interaction.user.display_name,
            body=str(answered.get("story") or ""),
            theme_id=chosen_theme(answered, self.bot.services.library.catalogue),
            notes=chosen_notes(answered),
            anonymous=answered.get("credit") == ANONYMOUSLY,
            consent=answered.get("consent") is True,
        )
        # Kept before any rule is checked: whatever happens next, the text is not lost.
        draft_id = await self.desk.save_draft(draft)
        if replaces and await self.desk.draft(replaces, interaction.user.id) is not None:
            await self.desk.delete_draft(replaces)
        await self.send_draft(interaction, dataclasses.replace(draft, id=draft_id), False)

    async def send_draft(
        self, interaction: discord.Interaction, draft: Draft, confirmed: bool
    ) -> None:
        settings = await self.bot.services.server_settings.moderation(draft.guild_id)
        try:
            if settings.mod_channel_id is None:
                raise SubmissionRefused(NOT_TURNED_ON, draft.id)
            if not self.desk.library_sketched.is_set():
                # Its check waits for the library's sketches, longer than Discord's 3 s.
                await interaction.response.defer(ephemeral=True, thinking=True)
            outcome = await self.desk.send(draft, confirmed=confirmed)
        except SubmissionRefused as refusal:
            await _respond(
                interaction,
                refusal.message,
                embeds=[returned_text_embed(draft)],
                view=draft_controls(draft.id, can_send=False),
            )
            return
        await self._answer_outcome(interaction, draft, outcome)

    async def _answer_outcome(
        self, interaction: discord.Interaction, draft: Draft, outcome: Outcome
    ) -> None:
        submission = outcome.submission
        if submission is None:
            await _respond(
                interaction,
                "Your story is saved but not sent yet.",
                embeds=[findings_embed(outcome.findings)],
                view=draft_controls(draft.id, can_send=True),
            )
            return
        await _respond(
            interaction,
            f"Thank you. Your story is with this server's moderators (submission "
            f"#{submission.id}). I'll send you a direct message when they decide; "
            "`/submissions mine` shows where it is.",
        )
        await self.moderation.post_waiting_cards(submission.guild_id)

    # -- moderators' decisions ----------------------------------------------------------------

    # -- lists ------------------------------------------------------------------------------

    async def mine_page(
        self, guild_id: int, member_id: int
    ) -> tuple[discord.Embed, discord.ui.View | None]:
        submissions = await self.desk.of_member(guild_id, member_id, LIST_LIMIT)
        catalogue = self.bot.services.library.catalogue
        lines = []
        view = discord.ui.View(timeout=None)
        for submission in submissions:
            line = (
                f"**#{submission.id}** · “{submission.title}” · "
                f"{theme_name(catalogue, submission.theme_id)} · "
                f"{STATUS_WORDS.get(submission.status, submission.status)}"
            )
            if submission.reason:
                line += f"\nReason: {submission.reason}"
            lines.append(line)
            if submission.pending and len(view.children) < 25:
                view.add_item(WithdrawButton(submission.id))
        embed = discord.Embed(
            title="Your submissions in this server",
            description="\n\n".join(lines)
            or "You haven't shared a story here yet. Whenever you'd like to, `/submit` opens "
            "the form.",
            colour=0x8FB9A8,
        )
        return embed, view if view.children else None

    # -- commands -----------------------------------------------------------------------------

    @app_commands.command(name="submit")
    async def submit(self, interaction: discord.Interaction[StoryBot]) -> None:
        """Share a true healthcare story of your own with this server's moderators."""
        if interaction.guild_id is None:
            raise DomainError("That only works inside a server.")
        settings = await self.bot.services.server_settings.moderation(interaction.guild_id)
        if settings.mod_channel_id is None:
            raise DomainError(NOT_TURNED_ON)
        await self.desk.check_limits(interaction.guild_id, interaction.user.id)
        await interaction.response.send_modal(self.form(None))

    @submissions.command(name="pending")
    async def pending(self, interaction: discord.Interaction[StoryBot]) -> None:
        """Moderators: the stories waiting for a decision, with links to their cards."""
        guild_id = await require_moderator(interaction)
        waiting, total = await self.desk.pending(guild_id, LIST_LIMIT)
        catalogue = self.bot.services.library.catalogue
        lines = []
        for submission in waiting:
            channel_id, message_id = submission.card_channel_id, submission.card_message_id
            if channel_id is not None and message_id is not None:
                where = f"[card]({jump_url(guild_id, channel_id, message_id)})"
            else:
                where = "card not posted yet: I can't post in the moderator channel"
            lines.append(
                f"**#{submission.id}** · “{submission.title}” · "
                f"{theme_name(catalogue, submission.theme_id)} · "
                f"sent {submission.created_at[:10]} · {where}"
            )
        if total > len(waiting):
            lines.append(f"…and {total - len(waiting)} more.")
        embed = discord.Embed(
            title=f"Waiting for a decision: {total}",
            description="\n".join(lines) or "Nothing is waiting. Thank you!",
            colour=0xE3C16F,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @submissions.command(name="mine")
    async def mine(self, interaction: discord.Interaction[StoryBot]) -> None:
        """See the stories you sent here, and withdraw one that is still waiting."""
        if interaction.guild_id is None:
            raise DomainError("That only works inside a server.")
        embed, view = await self.mine_page(interaction.guild_id, interaction.user.id)
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        await interaction.response.send_message(embed=embed, ephemeral=True, **extra)

    @submissions.command(name="retire")
    @app_commands.describe(story="One of this server's own stories (start typing its title)")
    async def retire(self, interaction: discord.Interaction[StoryBot], story: str) -> None:
        """Moderators: stop serving one of this server's own stories with /story."""
        guild_id = await require_moderator(interaction)
        if not story.strip().isdigit():
            raise DomainError("Please choose a story from the list as you type its title.")
        retired = await self.desk.retire(guild_id, int(story.strip()))
        await interaction.response.send_message(
            f"“{retired.title}” is retired: `/story` no longer serves it here.", ephemeral=True
        )

    @retire.autocomplete("story")
    async def retire_autocomplete(
        self, interaction: discord.Interaction[StoryBot], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        stories = await self.desk.server_stories(interaction.guild_id, current)
        return [
            app_commands.Choice(name=f"#{s.id} · {s.title}"[:100], value=str(s.id)) for s in stories
        ]

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answer a form whose modal object a restart took away; discord.py drops those."""
        if interaction.type != discord.InteractionType.modal_submit:
            return
        if interaction.extras.get(HANDLED):
            return
        match = FORM_ID.fullmatch(str((interaction.data or {}).get("custom_id", "")))
        if match is None:
            return
        log.info(
            "guild %s: answering form %s of user %s from its data (its modal is gone)",
            interaction.guild_id,
            match["kind"],
            interaction.user.id,
        )
        try:
            await self.form_done(interaction, match["kind"], int(match["ref"]))
        except Exception as error:  # noqa: BLE001 - one error path for every interaction
            await answer_error(interaction, error)

    @commands.Cog.listener()
    async def on_moderation_channel_set(self, guild_id: int, channel_id: int) -> None:
        """The moderator channel changed or was set again: post every card still waiting."""
        try:
            await self.moderation.post_waiting_cards(guild_id)
        except Exception:
            log.exception("guild %s: posting waiting cards in %s failed", guild_id, channel_id)


async def setup(bot: StoryBot) -> None:
    await bot.add_cog(Submissions(bot))

"""`/submit` and `/submissions`: members share stories; moderators decide what joins the library.

A submission is stored before anything is posted, so a deleted moderator channel or a lost
permission only delays its card: cards that could not be posted wait in the database and go
out when the channel is set again or the bot starts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ErrorPathItem, StoryBot
from bot.errors import DomainError
from bot.submission_values import Submission
from cogs.submissions.cards import (
    STATUS_WORDS,
    actor,
    jump_url,
    require_moderator,
    theme_name,
)
from cogs.submissions.drafts import NOT_TURNED_ON, DraftButton, Drafting
from cogs.submissions.forms import answer_orphaned_form, answers
from cogs.submissions.moderation import Moderation, ModeratorButton

log = logging.getLogger(__name__)

LIST_LIMIT = 15
# The forms this cog answers, live or after a restart (see form_done).
SUBMISSION_FORMS = ("submit", "edit", "approve", "reject")


def _cog(interaction: discord.Interaction) -> Submissions:
    cog = interaction.client.get_cog("Submissions")  # type: ignore[attr-defined]
    if not isinstance(cog, Submissions):
        raise RuntimeError("the Submissions cog is not loaded")
    return cog


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
        self.drafting = Drafting(bot, self.moderation, self.form_done)
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

    async def form_done(self, interaction: discord.Interaction, kind: str, ref: int) -> None:
        """A form came back, from a live modal or (after a restart) from its data alone."""
        answered = answers(interaction)
        if kind == "submit":
            await self.drafting.form_sent(interaction, answered, ref)
        elif kind == "approve":
            await self.moderation.approved(interaction, answered, ref)
        elif kind == "reject":
            await self.moderation.rejected(interaction, answered, ref)
        else:
            await self.moderation.edited(interaction, answered, ref)

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
        await interaction.response.send_modal(self.drafting.form(None))

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
        await answer_orphaned_form(interaction, SUBMISSION_FORMS, self.form_done)

    @commands.Cog.listener()
    async def on_moderation_channel_set(self, guild_id: int, channel_id: int) -> None:
        """The moderator channel changed or was set again: post every card still waiting."""
        try:
            await self.moderation.post_waiting_cards(guild_id)
        except Exception:
            log.exception("guild %s: posting waiting cards in %s failed", guild_id, channel_id)


async def setup(bot: StoryBot) -> None:
    await bot.add_cog(Submissions(bot))

"""The moderator card: its buttons, posting and updating it, and telling the member.

The card is a view of the database: the buttons find the submission by the id in their
custom id, and whatever a decision changed is drawn again from the stored submission.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import discord

from bot.client import ErrorPathItem, StoryBot
from bot.records import SubmissionStatus
from bot.submission_values import NotPending, Submission
from cogs.channel_access import LookupFailed
from cogs.sent_once import CannotLook, find_own, send_once
from cogs.submissions.cards import (
    actor,
    card_embed,
    card_key,
    cog_part,
    outcome_dm,
    require_moderator,
)
from cogs.submissions.forms import ApproveForm, EditForm, RejectForm, chosen_notes, chosen_theme

log = logging.getLogger(__name__)

CLOSED_DMS = 50007
# dm_status while the DM goes out; see Moderation.tell_member.
SENDING = "sending"
# A card or DM is looked for from a little before its try began (the host's clock and
# Discord's may disagree a little), among at most this many messages: far more than a
# moderator channel sees between a crash and the restart.
CLOCK_SKEW = timedelta(seconds=60)
LOOK_BACK = 500
MODERATOR_BUTTONS = {
    "approve": ("Approve", discord.ButtonStyle.success),
    "reject": ("Reject", discord.ButtonStyle.danger),
    "edit": ("Edit", discord.ButtonStyle.secondary),
}
# What a form calls back with when it comes back: (interaction, kind, submission or draft id).
FormDone = Callable[[discord.Interaction, str, int], Awaitable[None]]


class ModeratorButton(
    ErrorPathItem,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"bs:mod:(?P<action>approve|reject|edit):(?P<id>[0-9]{1,18})",
):
    """Approve, Reject or Edit on a moderator card; only moderators may press them."""

    def __init__(self, action: str, submission_id: int) -> None:
        label, style = MODERATOR_BUTTONS[action]
        super().__init__(
            discord.ui.Button(
                label=label, style=style, custom_id=f"bs:mod:{action}:{submission_id}"
            )
        )
        self.action = action
        self.submission_id = submission_id

    async def run(self, interaction: discord.Interaction[StoryBot]) -> None:  # type: ignore[override]
        guild_id = await require_moderator(interaction)
        moderation = cog_part(interaction, "moderation", Moderation)
        submission = await moderation.desk.in_guild(self.submission_id, guild_id)
        if not submission.pending:
            raise NotPending(submission)
        catalogue = moderation.bot.services.library.catalogue
        if self.action == "approve":
            form: discord.ui.Modal = ApproveForm(submission, catalogue, moderation.form_done)
        elif self.action == "reject":
            form = RejectForm(submission.id, moderation.form_done)
        else:
            form = EditForm(submission, catalogue, moderation.form_done)
        await interaction.response.send_modal(form)


class ModeratorCard(discord.ui.View):
    def __init__(self, submission_id: int) -> None:
        super().__init__(timeout=None)
        for action in ("approve", "reject", "edit"):
            self.add_item(ModeratorButton(action, submission_id))


class Moderation:
    """What happens on the moderator channel's side, for the Submissions cog."""

    def __init__(self, bot: StoryBot, form_done: FormDone) -> None:
        self.bot = bot
        self.desk = bot.services.desk
        self.form_done = form_done
        self._posting = asyncio.Lock()

    async def card(self, submission: Submission) -> discord.Embed:
        """The card, its text hidden or not by the server's hide list, as /story would."""
        services = self.bot.services
        hidden = await services.server_settings.hidden_notes(submission.guild_id)
        return card_embed(submission, services.library.catalogue, hidden)

    async def post_card(self, submission: Submission, channel_id: int) -> bool:
        """Post one card; False (logged) when the channel is gone or closed to the bot.

        A try that began and recorded nothing (``card_attempt_at``) may have reached
        Discord before a crash: the card is looked for first, by the key in its footer,
        and recorded if it is there instead of being posted twice.
        """
        key = card_key(submission.id)
        try:
            message_id = None
            if submission.card_attempt_at is not None:
                since = datetime.fromisoformat(submission.card_attempt_at) - CLOCK_SKEW
                message_id = await find_own(self.bot, channel_id, key, since, LOOK_BACK)
            if message_id is None:
                await self.desk.begin_card(submission.id)
                message_id = await send_once(
                    self.bot,
                    channel_id,
                    f"card{submission.id}",
                    embed=await self.card(submission),
                    view=ModeratorCard(submission.id),
                )
            else:
                log.info(
                    "guild %s: an earlier try had posted the card of submission %s in "
                    "channel %s (message %s); recorded it instead of posting again",
                    submission.guild_id,
                    submission.id,
                    channel_id,
                    message_id,
                )
        except CannotLook as cannot:
            log.warning(
                "guild %s: the card of submission %s waits: I lack %s in channel %s, so I "
                "can't see whether an earlier try posted it",
                submission.guild_id,
                submission.id,
                cannot.permission,
                channel_id,
            )
            return False
        except LookupFailed:
            log.warning(
                "guild %s: the card of submission %s waits: Discord didn't answer when I "
                "checked whether I may read channel %s",
                submission.guild_id,
                submission.id,
                channel_id,
            )
            return False
        except discord.HTTPException as error:
            log.warning(
                "guild %s: could not post the card of submission %s in channel %s (%s %s); "
                "it waits for the channel to work again",
                submission.guild_id,
                submission.id,
                channel_id,
                error.status,
                error.code,
            )
            if error.status < 500:
                await self.desk.card_refused(submission.id)
            return False
        await self.desk.record_card(submission.id, channel_id, message_id)
        return True

    async def post_waiting_cards(self, guild_id: int) -> tuple[int, int]:
        """Post every pending card not yet in the moderator channel: (posted, still waiting).

        Stops at the first failure: a channel that answered 403 or 404 is not retried in a
        loop (Discord bans bots that keep failing).
        """
        async with self._posting:
            settings = await self.bot.services.server_settings.moderation(guild_id)
            if settings.mod_channel_id is None:
                return 0, 0
            waiting = await self.desk.cards_to_post(guild_id, settings.mod_channel_id)
            posted = 0
            for submission in waiting:
                if not await self.post_card(submission, settings.mod_channel_id):
                    break
                posted += 1
            if posted:
                log.info("guild %s: posted %s waiting cards", guild_id, posted)
            return posted, len(waiting) - posted

    async def refresh_card(self, submission: Submission) -> None:
        """Show the submission's state on its card; the card is a view, the database decides.
        A decided card, once drawn (or refused for good), is recorded as done."""
        if submission.card_channel_id is None or submission.card_message_id is None:
            if submission.pending:
                await self.post_waiting_cards(submission.guild_id)
            else:
                await self.desk.record_card_decided(submission.id)  # nothing to draw
            return
        view = ModeratorCard(submission.id) if submission.pending else None
        message = self.bot.get_partial_messageable(
            submission.card_channel_id, guild_id=submission.guild_id
        ).get_partial_message(submission.card_message_id)
        try:
            await message.edit(embed=await self.card(submission), view=view)
        except discord.HTTPException as error:
            log.warning(
                "guild %s: could not update the card of submission %s (%s %s)",
                submission.guild_id,
                submission.id,
                error.status,
                error.code,
            )
            if error.status >= 500:
                return  # passing: the next start draws it again
        if not submission.pending:
            await self.desk.record_card_decided(submission.id)

    async def tell_member(self, submission: Submission) -> None:
        """DM the outcome once; closed DMs (50007) are recorded and change nothing else.

        "sending" is recorded before the DM goes out. Found so at the next start, a crash
        came between that and recording how it went, and the DM may have reached the member:
        their DM channel with the bot tells (a member cannot delete the bot's messages
        there), so it is sent only if it is not there. Should that look fail, the DM is not
        sent and the card says the member was not told: a member told twice of one
        decision is worse than a moderator who tells them by hand.
        """
        if submission.dm_status not in (None, SENDING):
            return
        guild = self.bot.get_guild(submission.guild_id)
        key = card_key(submission.id)
        try:
            channel = await self.bot.create_dm(discord.Object(submission.member_id))
            found = None
            if submission.dm_status == SENDING:
                since = datetime.fromisoformat(submission.decided_at or submission.created_at)
                found = await find_own(
                    self.bot, channel.id, key, since - CLOCK_SKEW, LOOK_BACK, dm=True
                )
            if found is None:
                await self.desk.record_dm(submission.id, SENDING)
                await send_once(
                    self.bot,
                    channel.id,
                    f"dm{submission.id}",
                    embed=outcome_dm(submission, guild.name if guild else None),
                )
            status = "sent"
        except discord.Forbidden as error:
            status = "closed" if error.code == CLOSED_DMS else "failed"
        except discord.HTTPException:
            status = "failed"
        if status != "sent":
            log.info(
                "guild %s: could not DM member %s about submission %s (%s)",
                submission.guild_id,
                submission.member_id,
                submission.id,
                status,
            )
        await self.desk.record_dm(submission.id, status)

    async def decided(self, submission: Submission) -> None:
        """Finish a decision on Discord: tell the member, then show the decision on the
        card (with whether they were told). Each step is recorded when done, so after a
        crash the next start (:meth:`finish`) does only the steps still missing."""
        if submission.status in (SubmissionStatus.APPROVED, SubmissionStatus.REJECTED):
            await self.tell_member(submission)
        submission = await self.desk.get(submission.id)
        if not submission.card_decided:
            await self.refresh_card(submission)

    async def finish(self, unfinished: list[Submission]) -> None:
        """At start-up: finish the decisions a crash cut short, each step once."""
        for submission in unfinished:
            log.info(
                "guild %s: finishing the decision on submission %s that a restart cut short",
                submission.guild_id,
                submission.id,
            )
            await self.decided(submission)

    async def approved(
        self, interaction: discord.Interaction, answered: dict[str, Any], submission_id: int
    ) -> None:
        guild_id = await require_moderator(interaction)
        submission = await self.desk.approve(
            submission_id,
            guild_id,
            actor(interaction),
            title=str(answered.get("title") or ""),
            theme_id=chosen_theme(answered, self.bot.services.library.catalogue),
        )
        await interaction.response.send_message(
            f"Submission #{submission.id} is approved as “{submission.title}”, story "
            f"#{submission.story_id} of this server's library; I'll tell the member who sent it.",
            ephemeral=True,
        )
        await self.decided(submission)

    async def rejected(
        self, interaction: discord.Interaction, answered: dict[str, Any], submission_id: int
    ) -> None:
        guild_id = await require_moderator(interaction)
        submission = await self.desk.reject(
            submission_id, guild_id, actor(interaction), str(answered.get("reason") or "")
        )
        await interaction.response.send_message(
            f"Submission #{submission.id} is rejected; I'll tell the member who sent it.",
            ephemeral=True,
        )
        await self.decided(submission)

    async def edited(
        self, interaction: discord.Interaction, answered: dict[str, Any], submission_id: int
    ) -> None:
        guild_id = await require_moderator(interaction)
        submission = await self.desk.edit(
            submission_id,
            guild_id,
            actor(interaction),
            title=str(answered.get("title") or ""),
            body=str(answered.get("story") or ""),
            theme_id=chosen_theme(answered, self.bot.services.library.catalogue),
            notes=chosen_notes(answered),
        )
        await interaction.response.send_message(
            f"Your edit is saved, and the card of submission #{submission.id} now shows it.",
            ephemeral=True,
        )
        await self.refresh_card(submission)

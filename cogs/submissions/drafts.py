"""The member's side of `/submit`: the form, its draft, and the answer once it is sent.

Apart from the cog because it is one conversation with one member, from the form to
"Thank you" (or to the findings and the draft's Send anyway / Edit buttons), as the
moderator card's is in moderation.py; the cog routes the forms that come back.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import discord

from bot.client import ErrorPathItem, StoryBot
from bot.errors import DomainError
from bot.submission_values import Draft, Outcome, SubmissionRefused
from cogs.submissions.cards import cog_part, findings_embed, returned_text_embed
from cogs.submissions.forms import ANONYMOUSLY, SubmitForm, chosen_notes, chosen_theme
from cogs.submissions.moderation import FormDone, Moderation

NOT_TURNED_ON = (
    "This server has not turned submissions on yet: a moderator needs to choose where they "
    "go with `/settings moderation`."
)


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
        drafting = cog_part(interaction, "drafting", Drafting)
        draft = await drafting.desk.draft(self.draft_id, interaction.user.id)
        if draft is None:
            raise DomainError(
                "That draft is no longer here (it was sent, replaced or is over a week "
                "old). Use `/submit` to start again."
            )
        if self.action == "edit":
            await interaction.response.send_modal(drafting.form(draft))
        else:
            await drafting.send_draft(interaction, draft, confirmed=True)


def draft_controls(draft_id: int, *, can_send: bool) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if can_send:
        view.add_item(DraftButton("send", draft_id))
    view.add_item(DraftButton("edit", draft_id))
    return view


class Drafting:
    """What happens on the member's side of a submission, for the Submissions cog."""

    def __init__(self, bot: StoryBot, moderation: Moderation, form_done: FormDone) -> None:
        self.bot = bot
        self.desk = bot.services.desk
        self._moderation = moderation
        self._form_done = form_done

    def form(self, draft: Draft | None) -> SubmitForm:
        settings = self.bot.services.settings
        return SubmitForm(
            catalogue=self.bot.services.library.catalogue,
            min_chars=settings.submission_min_chars,
            max_chars=settings.submission_max_chars,
            draft=draft,
            on_done=self._form_done,
        )

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
        await self._moderation.post_waiting_cards(submission.guild_id)

"""The modals: the member's form, a moderator's edit and approval, and a rejection's reason.

Every form of the bot is a :class:`Form`, a report's too (cogs/reports), so an answer sent
across a restart is read from its data the same way for all of them.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import discord

from bot.client import answer_error
from bot.decisions import REASON_LIMIT
from bot.notes import NOTE_LABELS, known
from bot.submission_values import Draft, Submission
from bot.themes import ThemeCatalogue
from bot.titles import TITLE_MAX

NOT_SURE = "0"
BY_NAME = "name"
ANONYMOUSLY = "anonymous"
TEXT_INPUT_LIMIT = 4000
SELECT_OPTIONS = 25


log = logging.getLogger(__name__)

FORM_ID = re.compile(
    r"bs:form:(?P<kind>submit|edit|approve|reject|report):(?P<ref>[0-9]{1,18}):[0-9a-f]{8}"
)
# Set on an interaction when a live modal object took it, so the restart path leaves it alone.
HANDLED = "bs-form-handled"
FormDone = Callable[[discord.Interaction, str, int], Awaitable[None]]


class Form(discord.ui.Modal):
    """A modal whose custom_id says what it is for, so its answer can be read without it.

    discord.py drops a modal submit whose modal object is gone (after a restart); the cog
    reads such answers from the interaction data instead, so what was typed is not lost.
    Failures take the one error path instead of vanishing into a log.
    """

    def __init__(self, kind: str, ref: int, on_done: FormDone) -> None:
        super().__init__(timeout=60 * 60, custom_id=f"bs:form:{kind}:{ref}:{secrets.token_hex(4)}")
        self.kind = kind
        self.ref = ref
        self._on_done = on_done

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        interaction.extras[HANDLED] = True
        return True

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        await self._on_done(interaction, self.kind, self.ref)

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        await answer_error(interaction, error)


async def answer_orphaned_form(
    interaction: discord.Interaction, kinds: Collection[str], on_done: FormDone
) -> None:
    """Answer a form of one of ``kinds`` whose modal object a restart took away (discord.py
    drops those), from its data; anything else is left to whoever handles it."""
    if interaction.type != discord.InteractionType.modal_submit:
        return
    if interaction.extras.get(HANDLED):
        return
    match = FORM_ID.fullmatch(str((interaction.data or {}).get("custom_id", "")))
    if match is None or match["kind"] not in kinds:
        return
    log.info(
        "guild %s: answering form %s of user %s from its data (its modal is gone)",
        interaction.guild_id,
        match["kind"],
        interaction.user.id,
    )
    try:
        await on_done(interaction, match["kind"], int(match["ref"]))
    except Exception as error:  # noqa: BLE001 - one error path for every interaction
        await answer_error(interaction, error)


def answers(interaction: discord.Interaction) -> dict[str, Any]:
    """custom_id -> what was typed (str), chosen (list) or ticked (bool), from the data."""
    found: dict[str, Any] = {}

    def walk(components: list[dict[str, Any]]) -> None:
        for component in components:
            if component.get("type") == 18:
                walk([component.get("component") or {}])
            elif component.get("type") == 1:
                walk(component.get("components") or [])
            elif component.get("custom_id"):
                key = "values" if "values" in component else "value"
                found[component["custom_id"]] = component.get(key)

    walk(list((interaction.data or {}).get("components") or []))
    return found


def theme_select(
    catalogue: ThemeCatalogue, chosen: int | None, *, not_sure: bool = True
) -> discord.ui.Select[Form]:
    select: discord.ui.Select[Form] = discord.ui.Select(
        custom_id="theme", min_values=1, max_values=1, required=True
    )
    if not_sure:
        select.add_option(label="Not sure", value=NOT_SURE, default=not chosen)
    # The catalogue lists themes by title, the order members read them in.
    for theme in list(catalogue)[: SELECT_OPTIONS - 1]:
        select.add_option(
            label=theme.title[:100],
            value=str(theme.id),
            emoji=theme.emoji or None,
            default=theme.id == chosen,
        )
    return select


def notes_group(chosen: tuple[str, ...]) -> discord.ui.CheckboxGroup[Form]:
    group: discord.ui.CheckboxGroup[Form] = discord.ui.CheckboxGroup(
        custom_id="notes", required=False, min_values=0, max_values=len(NOTE_LABELS)
    )
    for key, label in NOTE_LABELS.items():
        group.add_option(label=label.capitalize(), value=key, default=key in chosen)
    return group


def chosen_theme(answered: dict[str, Any], catalogue: ThemeCatalogue) -> int | None:
    chosen = answered.get("theme") or [NOT_SURE]
    value = str(chosen[0])
    if not value.isdigit() or value == NOT_SURE:
        return None
    theme = catalogue.get(int(value))
    return theme.id if theme else None


def chosen_notes(answered: dict[str, Any]) -> tuple[str, ...]:
    return known(answered.get("notes") or [])


class SubmitForm(Form, title="Share a story"):
    """The member's form. Prefilled from a draft when a member edits or resends."""

    def __init__(
        self,
        *,
        catalogue: ThemeCatalogue,
        min_chars: int,
        max_chars: int,
        draft: Draft | None,
        on_done: FormDone,
    ) -> None:
        super().__init__("submit", draft.id if draft else 0, on_done)
        self.story: discord.ui.TextInput[Form] = discord.ui.TextInput(
            custom_id="story",
            style=discord.TextStyle.paragraph,
            max_length=TEXT_INPUT_LIMIT,
            required=True,
            placeholder="What happened, in your own words",
            default=draft.body if draft else None,
        )
        self.add_item(
            discord.ui.Label(
                text="Your story",
                description=(
                    f"{min_chars:,} to {max_chars:,} characters. Leave out names and details "
                    "that could identify a patient."
                ),
                component=self.story,
            )
        )
        self.theme = theme_select(catalogue, draft.theme_id if draft else None)
        self.add_item(discord.ui.Label(text="Theme", component=self.theme))
        self.credit: discord.ui.RadioGroup[Form] = discord.ui.RadioGroup(
            custom_id="credit", required=True
        )
        anonymous = draft.anonymous if draft else False
        self.credit.add_option(
            label="By my name",
            value=BY_NAME,
            description="Your server display name goes under the story",
            default=not anonymous,
        )
        self.credit.add_option(
            label="Anonymously",
            value=ANONYMOUSLY,
            description="Shown as “a member of this server”",
            default=anonymous,
        )
        self.add_item(
            discord.ui.Label(
                text="How to credit you",
                description="Either way, this server's moderators see who sent it.",
                component=self.credit,
            )
        )
        self.notes = notes_group(draft.notes if draft else ())
        self.add_item(
            discord.ui.Label(
                text="Content notes",
                description="Tick what the story holds; readers see these before the story.",
                component=self.notes,
            )
        )
        self.consent: discord.ui.Checkbox[Form] = discord.ui.Checkbox(
            custom_id="consent", default=draft.consent if draft else False
        )
        self.add_item(
            discord.ui.Label(
                text="This story is mine to share",
                description=(
                    "I have taken out names and details that could identify a patient. "
                    "Tick this to send it."
                ),
                component=self.consent,
            )
        )


class EditForm(Form, title="Edit a submission"):
    """A moderator's edit: prefilled with the title, text, theme and notes."""

    def __init__(
        self,
        submission: Submission,
        catalogue: ThemeCatalogue,
        on_done: FormDone,
    ) -> None:
        super().__init__("edit", submission.id, on_done)
        self.story_title: discord.ui.TextInput[Form] = discord.ui.TextInput(
            custom_id="title", max_length=TITLE_MAX, required=True, default=submission.title
        )
        self.add_item(discord.ui.Label(text="Title", component=self.story_title))
        self.story: discord.ui.TextInput[Form] = discord.ui.TextInput(
            custom_id="story",
            style=discord.TextStyle.paragraph,
            max_length=TEXT_INPUT_LIMIT,
            required=True,
            default=submission.body,
        )
        self.add_item(
            discord.ui.Label(
                text="Story",
                description="Remove anything that could identify a patient.",
                component=self.story,
            )
        )
        self.theme = theme_select(catalogue, submission.theme_id)
        self.add_item(discord.ui.Label(text="Theme", component=self.theme))
        self.notes = notes_group(submission.notes)
        self.add_item(discord.ui.Label(text="Content notes", component=self.notes))


class ApproveForm(Form, title="Approve a submission"):
    """Approval asks for what a story in the library needs: a title the moderator confirmed
    (the member's form has no room to ask for one) and, for "Not sure", a theme."""

    def __init__(
        self, submission: Submission, catalogue: ThemeCatalogue, on_done: FormDone
    ) -> None:
        super().__init__("approve", submission.id, on_done)
        self.story_title: discord.ui.TextInput[Form] = discord.ui.TextInput(
            custom_id="title", max_length=TITLE_MAX, required=True, default=submission.title
        )
        self.add_item(
            discord.ui.Label(
                text="Title",
                description="Proposed from the story's opening; change it if it doesn't fit.",
                component=self.story_title,
            )
        )
        # "Not sure", or a theme the library no longer has.
        if catalogue.get(submission.theme_id or 0) is None:
            self.theme = theme_select(catalogue, None, not_sure=False)
            self.add_item(
                discord.ui.Label(
                    text="Theme",
                    description="The member wasn't sure; /story finds the story by its theme.",
                    component=self.theme,
                )
            )


class RejectForm(Form, title="Reject a submission"):
    def __init__(self, submission_id: int, on_done: FormDone) -> None:
        super().__init__("reject", submission_id, on_done)
        self.reason: discord.ui.TextInput[Form] = discord.ui.TextInput(
            custom_id="reason",
            style=discord.TextStyle.paragraph,
            max_length=REASON_LIMIT,
            required=False,
            placeholder="Optional: a kind word on why",
        )
        self.add_item(
            discord.ui.Label(
                text="Reason (optional)",
                description="The member who sent it reads this in a direct message.",
                component=self.reason,
            )
        )

"""How submissions look on Discord: the moderator card, the member's answers and the DM."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import discord

from bot import textcheck
from bot.errors import DomainError
from bot.notes import hides
from bot.records import SubmissionStatus
from bot.submission_values import (
    ANONYMOUS_CREDIT,
    Actor,
    Draft,
    Submission,
    describe_decision,
)
from bot.textcheck import Finding
from bot.themes import ThemeCatalogue
from cogs.cards import noted_text
from cogs.notes_ui import notes_said

Part = TypeVar("Part")

FIELD_LIMIT = 1024
STATUS_COLOURS = {
    SubmissionStatus.PENDING: 0xE3C16F,
    SubmissionStatus.APPROVED: 0x7FB77E,
    SubmissionStatus.REJECTED: 0xC97B7B,
    SubmissionStatus.WITHDRAWN: 0x9E9E9E,
}
STATUS_WORDS = {
    SubmissionStatus.PENDING: "waiting for a decision",
    SubmissionStatus.APPROVED: "approved",
    SubmissionStatus.REJECTED: "rejected",
    SubmissionStatus.WITHDRAWN: "withdrawn",
}
# What the decided card says when the member could not be told (see tell_member).
UNTOLD = {
    "closed": "I couldn't tell the member who sent it: they don't accept direct messages from me.",
    "failed": "I couldn't tell the member who sent it: Discord didn't deliver my direct message.",
}
NOT_A_MODERATOR = (
    "Only this server's moderators can do that: members with the moderator role or the "
    "Manage Server permission."
)


def card_key(submission_id: int) -> str:
    """What ends the footer of a submission's card and of its member's DM: the bot finds
    either again by it after a crash (see cogs/sent_once.py)."""
    return f"Submission #{submission_id}"


def _clip(text: str, limit: int = FIELD_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _when(stamp: str | None) -> str:
    if not stamp:
        return ""
    moment = datetime.fromisoformat(stamp)
    return f"<t:{int(moment.timestamp())}:f>"


def theme_name(catalogue: ThemeCatalogue, theme_id: int | None) -> str:
    theme = catalogue.get(theme_id) if theme_id else None
    return f"{theme.emoji} {theme.title}" if theme else "Not sure (no theme chosen)"


def findings_text(findings: tuple[Finding, ...] | list[Finding]) -> str:
    if not findings:
        return "Nothing found"
    return _clip("\n".join(f"• {line}" for line in textcheck.summary_lines(list(findings))))


def card_embed(
    submission: Submission, catalogue: ThemeCatalogue, hidden: frozenset[str]
) -> discord.Embed:
    """The moderator card: everything needed to decide, and once decided, the decision.

    The text is shown as readers will see it: its note first, and behind a spoiler if the
    server's hide list (``hidden``) names one of its notes.
    """
    status = STATUS_WORDS.get(submission.status, submission.status)
    embed = discord.Embed(
        title=f"Submission #{submission.id} · {status}",
        description=noted_text(
            submission.body, submission.notes, hidden=hides(submission.notes, hidden), hint=False
        ),
        colour=STATUS_COLOURS.get(submission.status, 0x8FB9A8),
    )
    embed.set_author(name=theme_name(catalogue, submission.theme_id))
    embed.add_field(name="Title", value=_clip(submission.title), inline=False)
    credit = (
        f"Anonymously, as “{ANONYMOUS_CREDIT}”"
        if submission.anonymous
        else f"By name, as {submission.member_name}"
    )
    embed.add_field(name="Credit", value=_clip(credit), inline=True)
    embed.add_field(
        name="Sent by",
        value=_clip(f"<@{submission.member_id}> ({submission.member_name})"),
        inline=True,
    )
    embed.add_field(
        name="Content notes",
        value=notes_said(submission.notes),
        inline=True,
    )
    embed.add_field(name="Findings", value=findings_text(submission.findings), inline=False)
    if submission.edited_by is not None:
        embed.add_field(
            name="Edited",
            value=_clip(f"by {submission.edited_by.name} {_when(submission.edited_at)}"),
            inline=False,
        )
    if not submission.pending:
        decision = describe_decision(submission).split(" on ")[0]
        line = f"{decision[:1].upper()}{decision[1:]} {_when(submission.decided_at)}".strip()
        if submission.status == SubmissionStatus.REJECTED and submission.reason:
            line += f"\nReason: {submission.reason}"
        if submission.story_id is not None:
            line += f"\nIn this server's library as story #{submission.story_id}."
        if submission.dm_status in UNTOLD:
            line += f"\n{UNTOLD[submission.dm_status]}"
        embed.add_field(name="Decision", value=_clip(line), inline=False)
    sent = submission.created_at[:16].replace("T", " ")
    embed.set_footer(text=f"Sent {sent} UTC · {card_key(submission.id)}")
    return embed


def returned_text_embed(draft: Draft) -> discord.Embed:
    """What the member typed, handed back so nothing is lost."""
    return discord.Embed(
        title="Your story, as you wrote it",
        description=draft.body[:4096] or "(empty)",
        colour=0x8FB9A8,
    ).set_footer(text="Press Edit to change it and send it again; or copy it to keep it.")


def findings_embed(findings: tuple[Finding, ...]) -> discord.Embed:
    return discord.Embed(
        title="Before it goes to the moderators",
        description=(
            "I noticed these in your story. They could identify someone, or look like spam:\n\n"
            + findings_text(findings)
            + "\n\nNothing in a story ever pings anyone. You can edit it, or send it as it is "
            "and the moderators will see this list too."
        ),
        colour=0xE3C16F,
    )


def outcome_dm(submission: Submission, guild_name: str | None) -> discord.Embed:
    where = f"**{guild_name}**" if guild_name else "the server where you sent it"
    if submission.status == SubmissionStatus.APPROVED:
        embed = discord.Embed(
            title="Your story was approved",
            description=(
                f"Thank you. The moderators of {where} approved your story “{submission.title}”; "
                "it is now in that server's library, and `/story` there can serve it.\n\n"
                f"It is credited to {submission.credit}."
            ),
            colour=STATUS_COLOURS[SubmissionStatus.APPROVED],
        )
    else:
        reason = submission.reason or "They did not give a reason."
        embed = discord.Embed(
            title="Your story was not accepted this time",
            description=(
                f"The moderators of {where} did not accept your story “{submission.title}”.\n\n"
                f"**Their reason:** {reason}\n\nThank you for sharing it with them."
            ),
            colour=STATUS_COLOURS[SubmissionStatus.REJECTED],
        )
    embed.set_footer(text=card_key(submission.id))
    return embed


def actor(interaction: discord.Interaction) -> Actor:
    return Actor(interaction.user.id, interaction.user.display_name)


def role_ids(user: discord.abc.User) -> set[int]:
    # The interaction carries the member's role ids even when the guild is not cached.
    return set(getattr(user, "_roles", ()))


async def require_moderator(interaction: discord.Interaction) -> int:
    """The guild id, if the member may moderate there; a DomainError otherwise."""
    if interaction.guild_id is None:
        raise DomainError("That only works inside a server.")
    if interaction.permissions.manage_guild:
        return interaction.guild_id
    services = interaction.client.services  # type: ignore[attr-defined]
    settings = await services.server_settings.moderation(interaction.guild_id)
    if settings.mod_role_id is not None and settings.mod_role_id in role_ids(interaction.user):
        return interaction.guild_id
    raise DomainError(NOT_A_MODERATOR)


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def cog_part(interaction: discord.Interaction, name: str, kind: type[Part]) -> Part:
    """The Submissions cog's ``name`` part (its moderation, its drafting), which a button
    acts through; a RuntimeError while the cog is not loaded."""
    cog = interaction.client.get_cog("Submissions")  # type: ignore[attr-defined]
    part = getattr(cog, name, None)
    if not isinstance(part, kind):
        raise RuntimeError("the Submissions cog is not loaded")
    return part

"""How a story looks on Discord: one embed, its content note first, and the story behind a
spoiler where the note is one the server hides."""

from __future__ import annotations

import discord

from bot.notes import describe
from bot.records import Story
from bot.themes import Theme

DEFAULT_COLOUR = 0x8FB9A8
DEFAULT_BADGE = "📖"
HIDDEN_HINT = "The story is hidden: click or tap the dark bar to read it."


def spoiler(text: str) -> str:
    # A "||" inside the text would end the spoiler early and show the rest.
    return "||" + text.replace("|", "\u2223") + "||"


def noted_text(body: str, notes: tuple[str, ...], *, hidden: bool, hint: bool = True) -> str:
    """The text as readers see it: any content note first, then the story, behind a
    spoiler if ``hidden`` (with a line saying how to open it, if ``hint``)."""
    if not notes:
        return body
    note = f"**Content note:** {describe(notes)}.\n"
    if not hidden:
        return f"{note}\n{body}"
    return note + (f"{HIDDEN_HINT}\n" if hint else "") + "\n" + spoiler(body)


def story_embed(
    story: Story, theme: Theme | None, *, hidden: bool, aside: str | None = None
) -> discord.Embed:
    """The card; ``aside`` is a line under the credit, such as that a theme has one story."""
    embed = discord.Embed(
        title=story.title,
        colour=theme.colour if theme else DEFAULT_COLOUR,
    )
    if theme is not None:
        embed.set_author(name=f"{theme.emoji} {theme.title}")
    else:
        embed.set_author(name=f"{DEFAULT_BADGE} A story")
    embed.description = noted_text(story.body, story.notes, hidden=hidden)
    embed.set_footer(text=f"{story.credit_line}\n{aside}" if aside else story.credit_line)
    return embed

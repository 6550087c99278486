"""How a story looks on Discord: one embed, content notes first, the story behind a spoiler."""

from __future__ import annotations

import discord

from bot.notes import describe
from bot.records import Story
from bot.themes import Theme

DEFAULT_COLOUR = 0x8FB9A8
DEFAULT_BADGE = "📖"


def spoiler(text: str) -> str:
    # A "||" inside the text would end the spoiler early and show the rest.
    return "||" + text.replace("|", "\u2223") + "||"


def story_embed(story: Story, theme: Theme | None, *, aside: str | None = None) -> discord.Embed:
    """The card; ``aside`` is a line under the credit, such as that a theme has one story."""
    embed = discord.Embed(
        title=story.title,
        colour=theme.colour if theme else DEFAULT_COLOUR,
    )
    if theme is not None:
        embed.set_author(name=f"{theme.emoji} {theme.title}")
    else:
        embed.set_author(name=f"{DEFAULT_BADGE} A story")
    if story.notes:
        embed.description = (
            f"**Content note:** {describe(story.notes)}.\n"
            "The story is hidden: click or tap the dark bar to read it.\n\n" + spoiler(story.body)
        )
    else:
        embed.description = story.body
    embed.set_footer(text=f"{story.credit_line}\n{aside}" if aside else story.credit_line)
    return embed

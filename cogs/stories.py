"""`/story` and `/themes`: a true story on demand, and what there is to ask for."""

from __future__ import annotations

import logging
import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ErrorPathItem, StoryBot
from bot.errors import DomainError, NoStories
from bot.notes import hides
from bot.themes import Theme
from cogs.cards import story_embed
from cogs.reports import story_buttons

log = logging.getLogger(__name__)

CHOICE_NAME_LIMIT = 100
THEMES_PER_PAGE = 10
NONE_UNSKIPPED = (
    "Every story here has a content note you chose to skip; `/preferences` changes what you "
    "skip, and `/themes` shows the other themes."
)


def _choice_name(theme: Theme, count: int) -> str:
    stories = "story" if count == 1 else "stories"
    name = f"{theme.emoji} {theme.title} · {count} {stories}"
    return name if len(name) <= CHOICE_NAME_LIMIT else name[: CHOICE_NAME_LIMIT - 1] + "…"


def _only_one(theme: Theme | None) -> str:
    return f"about {theme.title}" if theme else "in the library"


async def serve_story(
    interaction: discord.Interaction[StoryBot], theme: Theme | None, *, another: bool = False
) -> None:
    """Answer with the channel's next story of ``theme`` (None: any theme), as the member
    who asked prefers it (see bot.preferences).

    A theme with one story says so on its card and offers no "Another story", which could
    only post the same card again; pressed on an older card, it says so instead.
    """
    services = interaction.client.services
    # One after the other, not gathered: each is held in memory and nearly always answers
    # without waiting, and three tasks a /story cost more than the three answers.
    counts = await services.library.counts(interaction.guild_id or 0)
    reader = await services.preferences.of(interaction.user.id)
    hidden_notes = await services.server_settings.hidden_notes(interaction.guild_id)
    alone = counts.get(theme.id if theme else 0, 0) == 1
    if alone and another:
        raise DomainError(
            f"This is the only story {_only_one(theme)} so far; `/themes` shows the others."
        )
    story = await services.selector.next_story(
        channel_id=interaction.channel_id or interaction.user.id,
        guild_id=interaction.guild_id,
        theme_id=theme.id if theme else None,
        reader=reader,
    )
    if story is None:
        if reader.skipped:
            raise DomainError(NONE_UNSKIPPED)
        raise NoStories(theme.title if theme else None)
    card_theme = theme or (
        services.library.catalogue.get(story.primary_theme_id) if story.primary_theme_id else None
    )
    hidden = hides(story.notes, hidden_notes)
    # The server hides such stories from its channels; a member who would rather read them
    # unhidden gets them so, but as a card only they can see, so nobody else meets the
    # story without choosing to open it.
    private = hidden and reader.show_unhidden
    embed = story_embed(
        story,
        card_theme,
        hidden=hidden and not private,
        aside=f"The only story {_only_one(theme)} so far." if alone else None,
    )
    await interaction.response.send_message(
        embed=embed,
        # A lone story keeps Report and "This helped me"; only "Another story" would repeat it.
        view=story_controls(theme.id if theme else 0, story.id, another=not alone),
        ephemeral=private,
    )


class AnotherStoryButton(
    ErrorPathItem,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"bs:story:next:(?P<theme>[0-9]{1,10})",
):
    """Anyone who can see a story card may ask for the next one: it is a shared shelf."""

    def __init__(self, theme_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Another story",
                emoji="📖",
                style=discord.ButtonStyle.secondary,
                custom_id=f"bs:story:next:{theme_id}",
            )
        )
        self.theme_id = theme_id

    async def run(self, interaction: discord.Interaction[StoryBot]) -> None:  # type: ignore[override]
        theme = None
        if self.theme_id:
            theme = interaction.client.services.library.catalogue.get(self.theme_id)
            if theme is None:
                raise DomainError(
                    "That theme has left the library. `/themes` shows what there is now."
                )
        await serve_story(interaction, theme, another=True)


class StoryControls(discord.ui.View):
    def __init__(self, theme_id: int, story_id: int, *, another: bool = True) -> None:
        super().__init__(timeout=None)
        if another:
            self.add_item(AnotherStoryButton(theme_id))
        for item in story_buttons(story_id):
            self.add_item(item)


def story_controls(theme_id: int, story_id: int, *, another: bool = True) -> StoryControls:
    view = StoryControls(theme_id, story_id, another=another)
    # Stopped, so discord.py sends its buttons without filing the view under every
    # message: they are dynamic items (registered in cog_load), found by their custom ids
    # on whatever message they are pressed.
    view.stop()
    return view


def themes_page(
    themes: list[Theme], counts: dict[int, int], page: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    pages = max(1, -(-len(themes) // THEMES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = themes[page * THEMES_PER_PAGE : (page + 1) * THEMES_PER_PAGE]
    lines = []
    for theme in shown:
        count = counts.get(theme.id, 0)
        stories = "story" if count == 1 else "stories"
        lines.append(
            f"{theme.emoji} **{theme.title}** · `{theme.slug}` · {count} {stories}\n"
            f"{theme.description}"
        )
    embed = discord.Embed(
        title="Story themes",
        description="\n\n".join(lines) or "There are no themes yet.",
        colour=0x8FB9A8,
    )
    total = counts.get(0, 0)
    embed.set_footer(
        text=f"{total} stories in all · /story <theme> for one · page {page + 1} of {pages}"
    )
    if pages == 1:
        return embed, None
    view = discord.ui.View(timeout=None)
    view.add_item(ThemesPageButton(page - 1, "Previous", disabled=page == 0))
    view.add_item(ThemesPageButton(page + 1, "Next", disabled=page >= pages - 1))
    return embed, view


class ThemesPageButton(
    ErrorPathItem,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"bs:themes:(?P<label>prev|next):(?P<page>[0-9]{1,4})",
):
    """Anyone who sees the list may turn its pages."""

    def __init__(self, page: int, label: str, *, disabled: bool = False) -> None:
        key = "prev" if label == "Previous" else "next"
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"bs:themes:{key}:{max(page, 0)}",
                disabled=disabled,
            )
        )
        self.page = max(page, 0)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[discord.ui.View],
        match: re.Match[str],
        /,
    ) -> ThemesPageButton:
        label = "Previous" if match["label"] == "prev" else "Next"
        return cls(int(match["page"]), label)

    async def run(self, interaction: discord.Interaction[StoryBot]) -> None:  # type: ignore[override]
        library = interaction.client.services.library
        counts = await library.counts(interaction.guild_id or 0)
        embed, view = themes_page(list(library.catalogue), counts, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


@app_commands.allowed_installs(guilds=True, users=True)
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
class Stories(commands.Cog):
    def __init__(self, bot: StoryBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AnotherStoryButton, ThemesPageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(AnotherStoryButton, ThemesPageButton)

    @app_commands.command(name="story")
    @app_commands.describe(
        theme="A theme such as nicu, emergency or gratitude; leave empty for any"
    )
    async def story(
        self, interaction: discord.Interaction[StoryBot], theme: str | None = None
    ) -> None:
        """Read a short, true story from healthcare, about a theme or any."""
        chosen = None
        if theme is not None and theme.strip():
            chosen = self.bot.services.library.catalogue.resolve(theme)
        await serve_story(interaction, chosen)

    @story.autocomplete("theme")
    async def theme_autocomplete(
        self, interaction: discord.Interaction[StoryBot], current: str
    ) -> list[app_commands.Choice[str]]:
        library = self.bot.services.library
        counts = await library.counts(interaction.guild_id or 0)
        return [
            app_commands.Choice(name=_choice_name(theme, counts.get(theme.id, 0)), value=theme.slug)
            for theme in library.catalogue.search(current, limit=25)
        ]

    @app_commands.command(name="themes")
    async def themes(self, interaction: discord.Interaction[StoryBot]) -> None:
        """See every story theme, what it holds and how many stories it has."""
        library = self.bot.services.library
        counts = await library.counts(interaction.guild_id or 0)
        embed, view = themes_page(list(library.catalogue), counts, 0)
        if view is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


async def setup(bot: StoryBot) -> None:
    await bot.add_cog(Stories(bot))

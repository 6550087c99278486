"""How a report looks to moderators: the case, then the story as readers saw it."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.notes import hides
from bot.records import BUNDLED, ReportRecord, ReportStatus, Story
from bot.reports import REASON_WORDS
from bot.themes import ThemeCatalogue
from cogs.cards import story_embed

FIELD_LIMIT = 1024
COLOURS = {
    ReportStatus.OPEN: 0xE8A33D,
    ReportStatus.RESTORED: 0x5BA87A,
    ReportStatus.REMOVED: 0xB5514D,
}
STATUS_WORDS = {
    ReportStatus.OPEN: "waiting",
    ReportStatus.RESTORED: "restored",
    ReportStatus.REMOVED: "removed",
}


def _stamp(iso: str | None) -> str:
    return f"<t:{int(datetime.fromisoformat(iso).timestamp())}:f>" if iso else ""


def decision_line(report: ReportRecord, story: Story | None) -> str:
    who = report.decided_by_name or "a moderator"
    if report.status is ReportStatus.RESTORED:
        what = "Restored: readers here can be served it again."
    elif story is not None and story.guild_id != BUNDLED:
        what = "Removed: retired from this server's library for good."
    else:
        what = "Removed: it stays hidden in this server."
    return f"{what}\nBy {who} {_stamp(report.decided_at)}".strip()


def report_embed(report: ReportRecord, story: Story | None, reports: int) -> discord.Embed:
    """The case; who reported is never shown, only why."""
    embed = discord.Embed(
        title=f"Report #{report.id} · {STATUS_WORDS[report.status]}",
        colour=COLOURS[report.status],
    )
    if report.open:
        embed.description = (
            "This story is hidden in this server until a moderator decides. **Restore** shows "
            "it again; **Remove** takes it down here for good."
        )
    title = story.title if story else f"Story #{report.story_id}"
    where = "a bundled story" if story is None or story.guild_id == BUNDLED else "this server's own"
    embed.add_field(name="Story", value=f"{title} ({where}, #{report.story_id})"[:FIELD_LIMIT])
    embed.add_field(name="Reason", value=REASON_WORDS[report.reason])
    if reports > 1:
        embed.add_field(name="Reports", value=f"{reports} members reported it")
    if report.detail:
        embed.add_field(name="Details", value=report.detail[:FIELD_LIMIT], inline=False)
    if not report.open:
        embed.add_field(
            name="Decision", value=decision_line(report, story)[:FIELD_LIMIT], inline=False
        )
    embed.set_footer(text=f"Reported {report.created_at[:16].replace('T', ' ')} UTC")
    return embed


def case_embeds(
    report: ReportRecord,
    story: Story | None,
    reports: int,
    catalogue: ThemeCatalogue,
    hidden_notes: frozenset[str],
) -> list[discord.Embed]:
    """The case, and the story as that server's readers see it (hidden by its hide list)."""
    embeds = [report_embed(report, story, reports)]
    if story is not None:
        theme = catalogue.get(story.primary_theme_id) if story.primary_theme_id else None
        embeds.append(story_embed(story, theme, hidden=hides(story.notes, hidden_notes)))
    return embeds

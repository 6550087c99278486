"""`/daily`: a story every day in one channel, at the server's own local time, once."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.client import StoryBot
from bot.delivery import PauseDelivery, RetryDelivery
from bot.errors import DomainError
from bot.notes import hides
from bot.records import Schedule, Story
from bot.schedules import DailyView
from bot.themes import Theme
from bot.timeparse import ZoneDirectory, format_time, parse_time, zone_abbreviation
from cogs.cards import DEFAULT_COLOUR, story_embed
from cogs.channel_access import UNKNOWN_CHANNEL, Access, LookupFailed, asked, look
from cogs.sent_once import CannotLook, find_own, send_once
from cogs.stories import story_controls

log = logging.getLogger(__name__)

MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
# Messages read, from its claim on, looking for a post that may have been sent already: more
# than a busy channel sees in the grace period a post is retried for.
LOOK_BACK = 500
# How the last post went, said of its day ("posted on Monday 2 March 2026").
STATUS_WORDS = {
    "sent": "posted on {day}",
    "skipped": "not posted on {day}, because I was offline for longer than the grace period",
    "missed": "not posted on {day}, because Discord kept failing for the whole grace period",
    "paused": "not posted on {day}, because the daily story was paused",
    "failed": "not posted on {day}, because of an error on my side",
    "empty": "not posted on {day}, because there were no stories for that theme",
    "pending": "being posted now, for {day}",
}


async def check_channel(bot: StoryBot, channel_id: int, what: str = "stories") -> None:
    """Refuse a channel the bot cannot post ``what`` (embeds) in, naming what is missing.

    Shared by every command that chooses a channel for the bot to post in, so none accepts
    a channel whose every post would then fail with 403.
    """
    access = await asked(bot, channel_id)
    if access.deleted:
        raise DomainError(
            f"I can't see <#{channel_id}>. Give me the View Channel permission there, "
            "then try again."
        )
    if access.missing is not None:
        raise DomainError(
            f"I can't post {what} in <#{channel_id}>: I need the {access.missing} permission "
            "there. Add it in the channel's settings, then try again."
        )


def deleted_reason(channel_id: int) -> str:
    return f"The channel <#{channel_id}> was deleted, or I can no longer find it."


def pause_reason(access: Access, channel_id: int) -> str | None:
    """Why a daily post to ``channel_id`` would fail and pause, as Discord says it now (the
    sentence a pause gives), or None."""
    if access.deleted:
        return deleted_reason(channel_id)
    return None if access.missing is None else lost_reason(access.missing, channel_id)


def lost_reason(permission: str, channel_id: int) -> str:
    return f"I lost the {permission} permission in <#{channel_id}>."


def view_embed(view: DailyView, theme: Theme | None, zones: ZoneDirectory) -> discord.Embed:
    schedule = view.schedule
    lines = [
        f"**Channel:** <#{schedule.channel_id}>",
        f"**Time:** {view.time_text} every day, {zones.describe(schedule.timezone)}",
        f"**Theme:** {f'{theme.emoji} {theme.title}' if theme else 'any theme'}",
    ]
    if not schedule.active:
        lines.append("**Status:** off. `/daily set` turns it on again.")
    elif schedule.paused_reason is not None:
        lines.append(
            f"**Status:** paused. {schedule.paused_reason} Fix it, then run `/daily set` "
            "again to resume."
        )
    elif view.next_post is not None and view.next_local is not None:
        stamp = int(view.next_post.timestamp())
        local = view.next_local
        # The line above names the zone, so this one gives only the local time and its name.
        lines.append(
            f"**Next story:** {local:%A} {local.day} {local:%B %Y}, {local:%H:%M} "
            f"{zone_abbreviation(local)}; your time: <t:{stamp}:F> (<t:{stamp}:R>)"
        )
    if view.last_post is not None:
        last = view.last_post
        day = date.fromisoformat(last.local_date)
        said = STATUS_WORDS.get(last.status, last.status + " ({day})")
        lines.append(f"**Last story:** {said.format(day=f'{day:%A} {day.day} {day:%B %Y}')}.")
    return discord.Embed(title="Daily story", description="\n".join(lines), colour=DEFAULT_COLOUR)


def test_failed(reason: str) -> str:
    return (
        f"I couldn't post the test story. {reason} The daily story is paused until you fix "
        "it and run `/daily set` again."
    )


class DiscordPoster:
    """The scheduler's :class:`bot.scheduler.Poster`, speaking discord.py.

    Discord's answers decide: a deleted channel or a lost permission pauses the schedule
    (retrying a 403/404 in a loop gets a bot banned), a 5xx or a time-out is retried.
    """

    def __init__(self, bot: StoryBot) -> None:
        self.bot = bot

    async def _pause_reason(self, channel_id: int, error: discord.HTTPException) -> str:
        if error.code == UNKNOWN_CHANNEL:
            return deleted_reason(channel_id)
        with contextlib.suppress(LookupFailed):
            # Discord's refusal decides; the look only says which permission went.
            reason = pause_reason(await look(self.bot, channel_id), channel_id)
            if reason is not None:
                return reason
        if error.code == MISSING_ACCESS:
            return lost_reason("View Channel", channel_id)
        return (
            f"I lost a permission I need in <#{channel_id}> "
            "(View Channel, Send Messages, Embed Links or Read Message History)."
        )

    @contextlib.asynccontextmanager
    async def _answers(self, channel_id: int) -> AsyncIterator[None]:
        """Discord's refusals as the scheduler's: pause for good, or retry later."""
        try:
            yield
        except discord.NotFound as error:
            if error.code == UNKNOWN_CHANNEL:
                raise PauseDelivery(await self._pause_reason(channel_id, error)) from error
            raise
        except discord.Forbidden as error:
            if error.code in (MISSING_ACCESS, MISSING_PERMISSIONS):
                raise PauseDelivery(await self._pause_reason(channel_id, error)) from error
            raise
        except discord.DiscordServerError as error:
            raise RetryDelivery(f"Discord answered {error.status}") from error
        except LookupFailed as error:
            # Not knowing whether the bot may read there is no reason to stop posting.
            raise RetryDelivery(f"Discord didn't answer a look ({error})") from error
        except (aiohttp.ClientError, OSError) as error:
            raise RetryDelivery(type(error).__name__) from error

    async def post(
        self,
        channel_id: int,
        story: Story,
        theme: Theme | None,
        nonce: str,
        key: str | None = None,
        *,
        hidden: bool,
    ) -> int:
        embed = story_embed(story, theme, hidden=hidden)
        if key is not None:
            embed.set_footer(text="\n".join(p for p in (story.credit_line, key) if p))
        async with self._answers(channel_id):
            return await send_once(
                self.bot,
                channel_id,
                nonce,
                embed=embed,
                view=story_controls(theme.id if theme else 0, story.id),
            )

    async def find(self, channel_id: int, key: str, since: int) -> int | None:
        if self.bot.user is None:
            raise RetryDelivery("not logged in yet")
        async with self._answers(channel_id):
            try:
                return await find_own(
                    self.bot, channel_id, key, datetime.fromtimestamp(since, UTC), LOOK_BACK
                )
            except CannotLook as cannot:
                raise PauseDelivery(lost_reason(cannot.permission, channel_id)) from cannot

    async def notify(self, guild_id: int, channel_id: int, text: str) -> None:
        try:
            await self.bot.get_partial_messageable(channel_id, guild_id=guild_id).send(text)
        except (discord.HTTPException, aiohttp.ClientError, OSError):
            log.warning(
                "guild %s: could not post a note in moderator channel %s",
                guild_id,
                channel_id,
                exc_info=True,
            )


class TextChannelOption(app_commands.Transformer):
    """A text or announcement channel, as Discord resolved it (the bot keeps no channels)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(
        self, interaction: discord.Interaction, value: app_commands.AppCommandChannel, /
    ) -> app_commands.AppCommandChannel:
        return value


@app_commands.guild_only()
@app_commands.allowed_installs(guilds=True, users=False)
@app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
@app_commands.default_permissions(manage_guild=True)
class Daily(commands.GroupCog, group_name="daily", group_description="A story every day"):
    def __init__(self, bot: StoryBot) -> None:
        self.bot = bot
        self.zones = ZoneDirectory()
        self.schedules = bot.services.schedules
        self.scheduler = bot.services.scheduler
        super().__init__()

    async def cog_load(self) -> None:
        self.scheduler.start(DiscordPoster(self.bot))

    async def cog_unload(self) -> None:
        await self.scheduler.stop()

    def _theme(self, theme_id: int | None) -> Theme | None:
        return self.bot.services.library.catalogue.get(theme_id) if theme_id else None

    @app_commands.command(name="set")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        channel="The channel the story goes to every day",
        time="Local time of day, like 09:00, 9am, 9:30 pm or 21:30",
        timezone="Your time zone: a city, a name or an abbreviation, like London, Pacific or EST",
        theme="Only stories about this theme; leave empty for any",
    )
    async def set_daily(
        self,
        interaction: discord.Interaction[StoryBot],
        channel: app_commands.Transform[app_commands.AppCommandChannel, TextChannelOption],
        time: str,
        timezone: str,
        theme: str | None = None,
    ) -> None:
        """Post a story every day in a channel at your local time (setting it again resumes it)."""
        assert interaction.guild_id is not None  # guild_only
        minute = parse_time(time)
        chosen_zone = self.zones.choose(timezone)
        zone = chosen_zone.zone
        chosen = None
        if theme is not None and theme.strip():
            chosen = self.bot.services.library.catalogue.resolve(theme)
        await check_channel(self.bot, channel.id)
        view = await self.schedules.set(
            guild_id=interaction.guild_id,
            channel_id=channel.id,
            minute=minute,
            zone=zone,
            theme_id=chosen.id if chosen else None,
            by=interaction.user.id,
        )
        self.scheduler.wake()
        done = f"Done: a story every day at {format_time(minute)} ({zone.key}) in <#{channel.id}>."
        if chosen_zone.note:
            done += f" {chosen_zone.note}"
        await interaction.response.send_message(
            done, embed=view_embed(view, chosen, self.zones), ephemeral=True
        )

    @set_daily.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[StoryBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=self.zones.shown(n)[:100], value=n)
            for n in self.zones.search(current, 25)
        ]

    @set_daily.autocomplete("theme")
    async def theme_autocomplete(
        self, interaction: discord.Interaction[StoryBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=f"{t.emoji} {t.title}"[:100], value=t.slug)
            for t in self.bot.services.library.catalogue.search(current, limit=25)
        ]

    @app_commands.command(name="show")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def show(self, interaction: discord.Interaction[StoryBot]) -> None:
        """See the daily story: channel, time, theme, when the next one comes, or why it paused."""
        assert interaction.guild_id is not None
        schedule = await self.schedules.get(interaction.guild_id)
        if schedule is not None:
            await self._pause_if_broken(schedule)
        view = await self.schedules.show(interaction.guild_id)
        await interaction.response.send_message(
            embed=view_embed(view, self._theme(view.schedule.theme_id), self.zones),
            ephemeral=True,
        )

    async def _pause_if_broken(self, schedule: Schedule) -> str | None:
        """What the scheduler's next post would meet, seen now: a deleted channel or a lost
        permission pauses the schedule the same way, so nothing promises a post that fails."""
        if not schedule.active:
            return None
        reason = pause_reason(await asked(self.bot, schedule.channel_id), schedule.channel_id)
        if reason is not None and schedule.paused_reason is None:
            await self.schedules.pause(schedule.guild_id, reason)
        return reason

    @app_commands.command(name="off")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def off(self, interaction: discord.Interaction[StoryBot]) -> None:
        """Stop the daily story; `/daily set` starts it again."""
        assert interaction.guild_id is not None
        if not await self.schedules.off(interaction.guild_id, interaction.user.id):
            raise DomainError("The daily story is already off.")
        self.scheduler.wake()
        await interaction.response.send_message(
            "The daily story is off. `/daily set` turns it on again.", ephemeral=True
        )

    @app_commands.command(name="test")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def test(self, interaction: discord.Interaction[StoryBot]) -> None:
        """Post one story in the daily channel now, to check that everything works."""
        assert interaction.guild_id is not None
        schedule = await self.schedules.current(interaction.guild_id)
        broken = await self._pause_if_broken(schedule)
        if broken is not None:
            raise DomainError(test_failed(broken))
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = self.bot.services
        story = await services.selector.next_story(
            channel_id=schedule.channel_id,
            guild_id=interaction.guild_id,
            theme_id=schedule.theme_id,
        )
        if story is None:
            raise DomainError("There are no stories for the daily theme yet.")
        theme = self._theme(schedule.theme_id or story.primary_theme_id)
        hidden = await services.server_settings.hidden_notes(interaction.guild_id)
        try:
            await DiscordPoster(self.bot).post(
                schedule.channel_id,
                story,
                theme,
                f"t{interaction.id}"[:25],
                hidden=hides(story.notes, hidden),
            )
        except PauseDelivery as problem:
            await self.schedules.pause(interaction.guild_id, problem.reason)
            raise DomainError(test_failed(problem.reason)) from problem
        except RetryDelivery as problem:
            raise DomainError(
                "Discord didn't take the test story just now; please try again in a minute."
            ) from problem
        await interaction.followup.send(
            f"Posted a test story in <#{schedule.channel_id}>.", ephemeral=True
        )


async def setup(bot: StoryBot) -> None:
    await bot.add_cog(Daily(bot))

"""What the scheduler asks of Discord, and how it tells one post from another there.

The cog answers it with discord.py (``cogs.daily.DiscordPoster``), the benchmark with a
counter; the core never imports discord.
"""

from __future__ import annotations

from typing import Protocol

from bot.records import Job, Story
from bot.themes import Theme


class PauseDelivery(Exception):
    """The channel is gone or a permission was lost: retrying would only fail again.
    ``reason`` is the sentence /daily show gives."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryDelivery(Exception):
    """A passing failure (a 5xx, a time-out): worth another try after a pause."""


class Poster(Protocol):
    """Where posts go: the cog implements it with discord.py, the benchmark with a counter."""

    async def post(
        self,
        channel_id: int,
        story: Story,
        theme: Theme | None,
        nonce: str,
        key: str,
        *,
        hidden: bool,
    ) -> int:
        """Post ``story`` marked with ``key`` (behind a spoiler if ``hidden``); return the
        message id. Raise PauseDelivery or RetryDelivery. ``nonce`` is the same for every
        attempt of one post, so Discord can drop a repeat that comes soon enough."""
        ...

    async def find(self, channel_id: int, key: str, since: int) -> int | None:
        """The id of this bot's message marked ``key`` in the channel, sent at or after
        ``since`` (unix seconds), or None. Raise PauseDelivery or RetryDelivery."""
        ...

    async def notify(self, guild_id: int, channel_id: int, text: str) -> None:
        """Tell a server's moderators something in their channel; never raise."""
        ...


def post_nonce(job: Job) -> str:
    # Discord keeps a nonce for a few minutes; the same one on every attempt of a post lets it
    # drop a repeat that follows soon. Only a help: post_key is what makes a repeat impossible.
    return f"d{job.guild_id % 10**12}{job.local_date.replace('-', '')}"[:25]


def post_key(job: Job) -> str:
    """What marks a server's post of one day where members see it too, as a plain label:
    one schedule a server, so the date alone tells its posts apart."""
    return f"Daily story · {job.local_date}"

"""One daily post's attempt: send it (or find the one an earlier try sent), and say how it went.

Apart from the scheduler, which decides which posts are tried when, draws their stories and
records what came of them: this turns one claimed post and its story into an outcome, and
is all that speaks to the :class:`Poster` about a post. Its log lines keep the name
``bot.scheduler`` they had before this module was split off, so operators' filters still
catch them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.clock import Clock
from bot.delivery import PauseDelivery, Poster, RetryDelivery, post_key, post_nonce
from bot.notes import DEFAULT_HIDDEN, hides
from bot.records import Job, PostOutcome, PostStatus, Story
from bot.schedules import to_unix
from bot.selection import Selector
from bot.themes import Theme

log = logging.getLogger("bot.scheduler")

BACKOFF_FIRST = 30
BACKOFF_MAX = 15 * 60
# A post is looked for among the messages since a little before its claim (the host's clock
# and Discord's may disagree a little), not since its due moment: after downtime, that can
# be hours of a busy channel's messages to read through.
CLOCK_SKEW = 60


def backoff(attempts: int) -> int:
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


class PostSender:
    def __init__(
        self,
        selector: Selector,
        clock: Clock,
        *,
        grace: int,
        hidden_notes: Callable[[int], Awaitable[frozenset[str]]] | None = None,
    ) -> None:
        self._selector = selector
        self._clock = clock
        self._grace = grace
        self._hidden_notes = hidden_notes

    async def _hides(self, job: Job, story: Story) -> bool:
        """Whether the post goes behind a spoiler: the server's hide list decides, as for
        /story in that channel."""
        hidden = DEFAULT_HIDDEN
        if self._hidden_notes is not None:
            hidden = await self._hidden_notes(job.guild_id)
        return hides(story.notes, hidden)

    async def send(
        self, poster: Poster | None, job: Job, drawn: Story | BaseException | None
    ) -> PostOutcome:
        """Send ``job``'s post with ``drawn`` (its story, or the error drawing it met), or
        record the one an earlier try sent; what came of it, for the store to finish."""
        story: Story | None = None
        try:
            if isinstance(drawn, BaseException):
                raise drawn
            story = drawn
            if story is None:
                log.warning(
                    "guild %s: no story to post on %s in channel %s (theme %s)",
                    job.guild_id,
                    job.local_date,
                    job.channel_id,
                    job.theme_id,
                )
                return PostOutcome(
                    job.guild_id, job.local_date, PostStatus.EMPTY, channel_id=job.channel_id
                )
            theme = self._theme(job, story)
            assert poster is not None  # start() or the constructor gave one
            key = post_key(job)
            found = None
            if job.attempts > 1:
                # An earlier attempt may have reached Discord unrecorded (a crash, a
                # time-out): a post already there is recorded, not sent again.
                since = max(job.due_at, job.claimed_at) - CLOCK_SKEW
                found = await poster.find(job.channel_id, key, since)
            message_id = found or await poster.post(
                job.channel_id,
                story,
                theme,
                post_nonce(job),
                key,
                hidden=await self._hides(job, story),
            )
        except PauseDelivery as pause:
            log.warning(
                "guild %s: daily story paused at channel %s: %s",
                job.guild_id,
                job.channel_id,
                pause.reason,
            )
            return PostOutcome(
                job.guild_id,
                job.local_date,
                PostStatus.PAUSED,
                story_id=story.id if story else None,
                channel_id=job.channel_id,
                pause_reason=pause.reason,
            )
        except (RetryDelivery, TimeoutError) as passing:
            return self.retry(job, story, passing)
        except Exception:
            log.exception(
                "guild %s: daily post for %s to channel %s failed",
                job.guild_id,
                job.local_date,
                job.channel_id,
            )
            return PostOutcome(
                job.guild_id, job.local_date, PostStatus.FAILED, channel_id=job.channel_id
            )
        if found is None:
            log.info(
                "guild %s: posted the daily story %s for %s in channel %s (message %s)",
                job.guild_id,
                story.id,
                job.local_date,
                job.channel_id,
                message_id,
            )
        else:
            log.info(
                "guild %s: an earlier try had posted the daily story for %s in channel %s "
                "(message %s); recorded it instead of posting again",
                job.guild_id,
                job.local_date,
                job.channel_id,
                message_id,
            )
        return PostOutcome(
            job.guild_id,
            job.local_date,
            PostStatus.SENT,
            # The story found is the one an earlier try drew, not this try's draw.
            story_id=story.id if found is None else job.story_id,
            channel_id=job.channel_id,
            message_id=message_id,
        )

    def retry(self, job: Job, story: Story | None, error: BaseException) -> PostOutcome:
        """Try ``job`` again after its back-off, or call it missed past its grace period."""
        retry_at = to_unix(self._clock()) + backoff(job.attempts)
        story_id = story.id if story else job.story_id
        if retry_at > job.due_at + self._grace:
            log.warning(
                "guild %s: daily post for %s missed: channel %s kept failing (%s) for the "
                "whole grace period",
                job.guild_id,
                job.local_date,
                job.channel_id,
                error,
            )
            return PostOutcome(
                job.guild_id,
                job.local_date,
                PostStatus.MISSED,
                story_id=story_id,
                channel_id=job.channel_id,
            )
        log.info(
            "guild %s: daily post for %s to channel %s failed for now (%s); attempt %s, "
            "retrying at %s",
            job.guild_id,
            job.local_date,
            job.channel_id,
            error or type(error).__name__,
            job.attempts,
            retry_at,
        )
        return PostOutcome(
            job.guild_id, job.local_date, PostStatus.PENDING, story_id=story_id, retry_at=retry_at
        )

    def _theme(self, job: Job, story: Story) -> Theme | None:
        catalogue = self._selector.library.catalogue
        theme_id = job.theme_id or story.primary_theme_id
        return catalogue.get(theme_id) if theme_id else None

"""What the core asks of storage: five stores, each engine's behind the same shape.

The core holds these and nothing else of storage; which engine answers (SQLite in one file,
PostgreSQL shared by many processes) is chosen once, at start-up (see bot.storage).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from bot.records import (
    DailyPost,
    DataFile,
    DraftRecord,
    DrawAsk,
    Filed,
    Job,
    Letter,
    Limits,
    MemberPreferences,
    ModerationSettings,
    NewStory,
    NewSubmission,
    Plan,
    PostOutcome,
    ReportReason,
    ReportRecord,
    ReportStatus,
    Schedule,
    SketchSource,
    Story,
    StoryRef,
    SubmissionRecord,
    SubmissionStatus,
    ThemeRecord,
)
from bot.sharding import ShardSlice


class LibraryStore(Protocol):
    """Themes, stories, their pools and every channel's no-repeat rounds."""

    def atomic(self) -> AbstractAsyncContextManager[None]:
        """This task's calls inside the block are one change: all of it, or none."""
        ...

    async def ready(self) -> None:
        """The bundled library is in: load what serving keeps in memory."""
        ...

    async def themes(self) -> list[ThemeRecord]: ...
    async def replace_themes(self, themes: Sequence[ThemeRecord]) -> None: ...
    async def live_counts(self, guild_id: int) -> dict[int, int]: ...
    async def data_files(self) -> dict[str, DataFile]:
        """Each data file's name -> what it was at the last import."""
        ...

    async def set_data_files(self, files: dict[str, DataFile]) -> None: ...
    async def bundled_digests(self, keys: Sequence[str]) -> dict[str, tuple[int, str, int]]: ...
    async def write_stories(
        self,
        guild_id: int,
        created_at: str,
        inserts: Sequence[NewStory],
        updates: Sequence[tuple[int, NewStory]],
    ) -> list[int]: ...
    async def begin_key_census(self) -> None: ...
    async def count_keys(self, keys: Sequence[str]) -> None: ...
    async def retire_uncounted_bundled(self) -> int: ...
    async def end_key_census(self) -> None:
        """Forget the keys counted since :meth:`begin_key_census`, whatever became of it."""
        ...

    async def recount_pools(self, guild_id: int) -> None: ...
    async def retire_server_story(self, guild_id: int, story_id: int) -> bool: ...
    async def story(self, story_id: int) -> Story | None: ...
    async def draw(self, asks: Sequence[DrawAsk]) -> list[Story | None]:
        """The next live story of each ask's round, moved on once per ask; None where the
        pool has no live story."""
        ...

    async def command_digest(self, scope: str) -> str | None: ...
    async def set_command_digest(self, scope: str, digest: str) -> None: ...


class ScheduleStore(Protocol):
    """Daily schedules and the posts claimed for them, once each."""

    async def get(self, guild_id: int) -> Schedule | None: ...
    async def claimed_dates(self, guild_id: int, dates: Sequence[str]) -> set[str]: ...
    async def save(
        self,
        *,
        guild_id: int,
        channel_id: int,
        local_minute: int,
        timezone: str,
        theme_id: int | None,
        next_due: int,
        next_local_date: str,
        by: int,
        now: int,
    ) -> None: ...
    async def turn_off(self, guild_id: int, by: int, now: int) -> bool: ...
    async def pause(self, guild_id: int, reason: str, now: int) -> bool:
        """Pause an active schedule that is not paused yet, as a post that failed for good
        does: no post until it is set again. False when there was nothing to pause."""
        ...

    async def last_post(self, guild_id: int) -> DailyPost | None: ...
    async def posts(self, guild_id: int) -> list[DailyPost]: ...
    async def next_wake(self, shards: ShardSlice) -> int | None: ...
    async def claim_due(
        self,
        now: int,
        *,
        limit: int,
        lease: int,
        plan: Callable[[Schedule], Plan],
        shards: ShardSlice,
        ready_by: int | None = None,
    ) -> tuple[list[tuple[Schedule, Plan]], list[Job]]:
        """Claim every due post of the servers on ``shards`` once (whoever else claims
        too), and take the claimed posts of those servers ready for an attempt: those
        whose retry or lease ends by ``ready_by`` (default ``now``)."""
        ...

    async def finish(self, outcomes: Sequence[PostOutcome], now: int) -> None: ...
    async def prune(self, before: int) -> int: ...


class SubmissionStore(Protocol):
    """Drafts, submissions and their decisions, and the near-duplicate sketches."""

    async def save_draft(self, draft: DraftRecord, *, prune_before: str) -> int: ...
    async def draft(self, draft_id: int) -> DraftRecord | None: ...
    async def delete_draft(self, draft_id: int) -> None: ...
    async def counts(self, guild_id: int, member_id: int, since: str) -> tuple[int, int]: ...
    async def insert_pending(
        self, new: NewSubmission, sketch: Sequence[int], limits: Limits, draft_id: int
    ) -> tuple[int | None, str | None]: ...
    async def get(self, submission_id: int) -> SubmissionRecord | None: ...
    async def decide(
        self,
        submission_id: int,
        status: SubmissionStatus,
        by: int,
        by_name: str,
        at: str,
        reason: str,
    ) -> bool:
        """Move a pending submission on; False when another decision came first."""
        ...

    async def approve(
        self,
        submission_id: int,
        *,
        title: str,
        theme_id: int,
        by: int,
        by_name: str,
        at: str,
    ) -> bool:
        """Approve a pending submission under the title and theme the moderator chose, in
        the same statement; False when another decision came first."""
        ...

    async def edit(
        self,
        submission_id: int,
        *,
        title: str,
        body: str,
        theme_id: int | None,
        notes: str,
        findings: str,
        by: int,
        by_name: str,
        at: str,
        sketch: Sequence[int],
    ) -> bool: ...
    async def publish(
        self, submission_id: int, story_id: int, guild_id: int, digest: str, sketch: Sequence[int]
    ) -> None: ...
    async def unfinished_decisions(self) -> list[SubmissionRecord]:
        """Decided submissions with a step left: an approval's story, the member's DM (not
        tried, or tried with no outcome recorded), or the card's decided state."""
        ...

    async def set_card_attempt(self, submission_id: int, at: str | None) -> None:
        """Record that a try to post the card starts ``at``, before it is sent; None once
        Discord has refused it (a refused try posted nothing)."""
        ...

    async def set_card(self, submission_id: int, channel_id: int, message_id: int) -> None: ...
    async def set_card_decided(self, submission_id: int) -> None: ...
    async def set_dm_status(self, submission_id: int, status: str) -> None: ...
    async def cards_to_post(self, guild_id: int, channel_id: int) -> list[SubmissionRecord]: ...
    async def guilds_with_unposted_cards(self) -> list[int]: ...
    async def pending(self, guild_id: int, limit: int) -> tuple[list[SubmissionRecord], int]: ...
    async def of_member(
        self, guild_id: int, member_id: int, limit: int
    ) -> list[SubmissionRecord]: ...
    async def sketch_candidates(
        self, sketch: Sequence[int], guild_id: int, min_shared: int
    ) -> list[tuple[SketchSource, int]]: ...
    async def sketch_of(self, source: SketchSource, ref_id: int) -> list[int]: ...
    async def unsketched_stories(
        self, after: int, limit: int
    ) -> list[tuple[int, int, str, str]]: ...
    async def sketch_stories(
        self, batch: Sequence[tuple[int, int, str, Sequence[int]]]
    ) -> None: ...
    async def library_mark(self) -> tuple[str, str | None]: ...
    async def set_library_mark(self, value: str) -> None: ...
    async def story_ref(self, story_id: int) -> StoryRef | None: ...
    async def story_by_key(self, bundle_key: str) -> int | None: ...
    async def server_stories(self, guild_id: int, query: str, limit: int) -> list[StoryRef]: ...


class GuildSettingsStore(Protocol):
    async def get(self, guild_id: int) -> ModerationSettings: ...
    async def set_moderation(
        self, guild_id: int, channel_id: int | None, role_id: int | None, now: str
    ) -> None: ...
    async def hidden_notes(self, guild_id: int) -> tuple[str, ...] | None:
        """The notes whose stories the server hides; None while it has not chosen."""
        ...

    async def set_hidden_notes(self, guild_id: int, notes: Sequence[str], now: str) -> None: ...


class PreferenceStore(Protocol):
    """Each member's own choices, kept by member id alone: they follow the member."""

    async def get(self, member_id: int) -> MemberPreferences: ...
    async def save(self, preferences: MemberPreferences, now: str) -> None: ...


class ReportStore(Protocol):
    """Reports on stories, the stories they hide per server, thanks and the weekly letters."""

    async def file(
        self,
        *,
        guild_id: int,
        story_id: int,
        reporter_id: int,
        reason: ReportReason,
        detail: str,
        at: str,
        since: str,
        per_day: int,
    ) -> tuple[int | None, Filed]:
        """Record a report and hide the story in that server, in one change: the report's
        id and what became of it (None and LIMIT when the member reported ``per_day``
        stories there since ``since``; None and ALREADY_DOWN when a moderator removed it)."""
        ...

    async def get(self, report_id: int) -> ReportRecord | None: ...
    async def case_size(self, guild_id: int, story_id: int) -> int: ...
    async def case_head(self, guild_id: int, story_id: int) -> ReportRecord | None:
        """The first open report of the story's case in that server (the one with the card)."""
        ...

    async def decide(
        self, report_id: int, status: ReportStatus, by: int, by_name: str, at: str
    ) -> bool:
        """Close the report's case (every open report of its story in its server): RESTORED
        shows the story there again. False when another decision came first."""
        ...

    async def set_card(self, report_id: int, channel_id: int, message_id: int) -> None: ...
    async def open_cases(self, guild_id: int, limit: int) -> tuple[list[ReportRecord], int]:
        """The first report of each open case, oldest first, and how many cases are open."""
        ...

    async def guilds_with_uncarded_cases(self) -> list[int]:
        """Servers with an open case whose card was never posted."""
        ...

    async def thank(self, *, story_id: int, member_id: int, guild_id: int, at: str) -> bool:
        """Count a reader's thanks once (for the story's sharer's next letter); False if
        they had thanked it before."""
        ...

    async def claim_letters(self, now: int, next_at: int, limit: int) -> list[Letter]:
        """Take the letters due by ``now`` (their thanks, emptied); the next waits for
        ``next_at``. A letter is claimed once, whichever process asks."""
        ...

    async def next_letter_at(self) -> int | None: ...
    async def set_letter_status(self, member_id: int, status: str) -> None: ...
    async def wants_letters(self, member_id: int) -> bool: ...
    async def set_wants_letters(self, member_id: int, wanted: bool) -> None: ...


class GatewayStore(Protocol):
    async def reserve_identify(self, bucket: int, now: float, spacing: float) -> float:
        """Take the next turn of Discord's identify ``bucket`` for this process: the later
        of now and ``spacing`` seconds after the turn before it, whichever process took
        that; returned as unix seconds, the moment this process may identify."""
        ...


@dataclass(frozen=True, slots=True)
class Storage:
    """One engine's stores, opened together on one database."""

    engine: str
    library: LibraryStore
    schedules: ScheduleStore
    submissions: SubmissionStore
    guild_settings: GuildSettingsStore
    preferences: PreferenceStore
    reports: ReportStore
    gateway: GatewayStore

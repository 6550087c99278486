"""The values that cross between the core and storage, owned by the core.

Storage takes and returns these, whichever engine is behind it, so that nothing in the core
or in the cogs knows a row, a status string or a connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# The pool of stories every server shares, and the draw from every theme.
BUNDLED = 0
ANY_THEME = 0


class PostStatus(StrEnum):
    """Where a claimed daily post stands."""

    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"
    MISSED = "missed"
    PAUSED = "paused"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EMPTY = "empty"


class SubmissionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class SketchSource(StrEnum):
    """What a near-duplicate sketch was made from."""

    STORY = "story"
    SUBMISSION = "submission"


class ReportReason(StrEnum):
    """Why a member asked for a story to be taken down."""

    IN_STORY = "in-story"
    IDENTIFIES = "identifies"
    HARMFUL = "harmful"
    OTHER = "other"


class Filed(StrEnum):
    """What became of a report: it opened a case (and hid the story), joined an open one,
    found the story already taken down there, or met the member's daily limit."""

    OPENED = "opened"
    JOINED = "joined"
    ALREADY_DOWN = "already-down"
    LIMIT = "limit"


class ReportStatus(StrEnum):
    OPEN = "open"
    RESTORED = "restored"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """One member's report of one story in one server, and how it was decided."""

    id: int
    guild_id: int
    story_id: int
    reporter_id: int
    reason: ReportReason
    detail: str
    status: ReportStatus
    created_at: str
    decided_by: int | None = None
    decided_by_name: str | None = None
    decided_at: str | None = None
    card_channel_id: int | None = None
    card_message_id: int | None = None

    @property
    def open(self) -> bool:
        return self.status is ReportStatus.OPEN


@dataclass(frozen=True, slots=True)
class Letter:
    """A weekly thank-you letter claimed for sending: how many readers since the last."""

    member_id: int
    count: int


# -- the library ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThemeRecord:
    id: int
    slug: str
    title: str
    emoji: str
    colour: int
    description: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewStory:
    """A story as the library stores it, before it has an id."""

    title: str
    body: str
    notes: str
    credit: str
    source_date: str
    teller: str
    digest: str
    themes: tuple[int, ...]
    bundle_key: str | None = None


@dataclass(frozen=True, slots=True)
class Story:
    id: int
    guild_id: int
    title: str
    body: str
    notes: tuple[str, ...]
    credit: str
    date: str
    teller: str
    # The theme a card shows when the story was asked for without one; a draw for a
    # theme leaves it None, since the card shows the theme asked for.
    primary_theme_id: int | None

    @property
    def credit_line(self) -> str:
        """``#ShareAStoryInOneTweet · 2018-05 · told by a surgeon``"""
        line = " · ".join(part for part in (self.credit, self.date) if part)
        return f"{line} · told by {self.teller}" if self.teller else line

    @property
    def bundled(self) -> bool:
        return self.guild_id == BUNDLED


@dataclass(frozen=True, slots=True)
class DataFile:
    """A bundled data file as it was when last imported. Its size and modification time
    let a start tell an unchanged file without reading it: at a million stories, hashing
    the files took a second of every start."""

    digest: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class DrawAsk:
    """A draw from a channel's round of one theme (0: any) in one server's library.

    ``fresh_seed`` shuffles the next round, if this draw is the one that starts it.
    """

    theme_id: int
    guild_id: int
    channel_id: int
    fresh_seed: int
    # Notes whose stories this draw steps past, as it steps past retired ones.
    skip: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class StoryRef:
    id: int
    guild_id: int
    title: str
    active: bool
    body: str = ""


# -- daily stories ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Schedule:
    """A server's daily story. Times are unix seconds; local dates ISO ``YYYY-MM-DD``."""

    guild_id: int
    channel_id: int
    local_minute: int
    timezone: str
    theme_id: int | None
    active: bool
    paused_reason: str | None
    paused_at: int | None
    next_due: int | None
    next_local_date: str | None


@dataclass(frozen=True, slots=True)
class DailyPost:
    """One claimed post: a server's story of one local date."""

    guild_id: int
    local_date: str
    due_at: int
    status: PostStatus
    attempts: int
    finished_at: int | None
    message_id: int | None
    channel_id: int | None


@dataclass(frozen=True, slots=True)
class Claim:
    """One post the core decided on for a due schedule: to send (pending) or skipped."""

    local_date: str
    due_at: int
    status: PostStatus


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do with a due schedule: the claims to make and where its next post lies."""

    claims: Sequence[Claim]
    next_local_date: str
    next_due: int


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed post taken for one attempt, with where it goes now."""

    guild_id: int
    local_date: str
    due_at: int
    attempts: int
    story_id: int | None
    channel_id: int
    theme_id: int | None
    # When the post was claimed: its first attempt was not sent before this.
    claimed_at: int = 0


@dataclass(frozen=True, slots=True)
class PostOutcome:
    """How an attempt ended, as the store records it."""

    guild_id: int
    local_date: str
    status: PostStatus
    story_id: int | None = None
    channel_id: int | None = None
    message_id: int | None = None
    retry_at: int | None = None
    pause_reason: str | None = None


# -- submissions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DraftRecord:
    guild_id: int
    member_id: int
    member_name: str
    body: str
    theme_id: int | None
    notes: str
    anonymous: bool
    consent: bool
    created_at: str
    id: int = 0


@dataclass(frozen=True, slots=True)
class SubmissionRecord:
    id: int
    guild_id: int
    member_id: int
    member_name: str
    title: str
    body: str
    theme_id: int | None
    notes: str
    anonymous: bool
    findings: str
    status: SubmissionStatus
    created_at: str
    edited_by: int | None
    edited_by_name: str | None
    edited_at: str | None
    decided_by: int | None
    decided_by_name: str | None
    decided_at: str | None
    reason: str
    story_id: int | None
    card_channel_id: int | None
    card_message_id: int | None
    dm_status: str | None
    card_attempt_at: str | None
    card_decided: bool


@dataclass(frozen=True, slots=True)
class NewSubmission:
    guild_id: int
    member_id: int
    member_name: str
    title: str
    body: str
    theme_id: int | None
    notes: str
    anonymous: bool
    findings: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Limits:
    max_pending: int
    max_recent: int
    since: str


# -- servers ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModerationSettings:
    guild_id: int
    mod_channel_id: int | None
    mod_role_id: int | None


# -- members ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberPreferences:
    """What one member chose for themselves, in every server: the defaults change nothing."""

    member_id: int
    skipped: frozenset[str] = frozenset()
    show_unhidden: bool = False

"""What a submission is to the rest of the bot: its values, and the errors its changes raise."""

from __future__ import annotations

from dataclasses import dataclass

from bot import notes as content_notes
from bot import textcheck
from bot.errors import DomainError
from bot.records import SubmissionRecord, SubmissionStatus
from bot.textcheck import Finding

ANONYMOUS_CREDIT = "a member of this server"


@dataclass(frozen=True, slots=True)
class Actor:
    """A member acting: a moderator deciding, or the submitter withdrawing."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Draft:
    guild_id: int
    member_id: int
    member_name: str
    body: str
    theme_id: int | None
    notes: tuple[str, ...]
    anonymous: bool
    consent: bool
    id: int = 0


@dataclass(frozen=True, slots=True)
class Submission:
    id: int
    guild_id: int
    member_id: int
    member_name: str
    title: str
    body: str
    theme_id: int | None
    notes: tuple[str, ...]
    anonymous: bool
    findings: tuple[Finding, ...]
    status: SubmissionStatus
    created_at: str
    edited_by: Actor | None
    edited_at: str | None
    decided_by: Actor | None
    decided_at: str | None
    reason: str
    story_id: int | None
    card_channel_id: int | None
    card_message_id: int | None
    dm_status: str | None
    card_attempt_at: str | None
    card_decided: bool

    @property
    def pending(self) -> bool:
        return self.status == SubmissionStatus.PENDING

    @property
    def credit(self) -> str:
        # Shown in an embed footer under the story, where no mention is drawn.
        return ANONYMOUS_CREDIT if self.anonymous else textcheck.plain_text(self.member_name)

    @classmethod
    def from_row(cls, row: SubmissionRecord) -> Submission:
        return cls(
            id=row.id,
            guild_id=row.guild_id,
            member_id=row.member_id,
            member_name=row.member_name,
            title=textcheck.plain_text(row.title),
            body=row.body,
            theme_id=row.theme_id,
            notes=content_notes.decode(row.notes),
            anonymous=row.anonymous,
            findings=tuple(textcheck.decode(row.findings)),
            status=row.status,
            created_at=row.created_at,
            edited_by=Actor(row.edited_by, row.edited_by_name or "")
            if row.edited_by is not None
            else None,
            edited_at=row.edited_at,
            decided_by=Actor(row.decided_by, row.decided_by_name or "")
            if row.decided_by is not None
            else None,
            decided_at=row.decided_at,
            reason=row.reason,
            story_id=row.story_id,
            card_channel_id=row.card_channel_id,
            card_message_id=row.card_message_id,
            dm_status=row.dm_status,
            card_attempt_at=row.card_attempt_at,
            card_decided=row.card_decided,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What sending a draft led to: a submission, or findings the member should see first."""

    draft_id: int
    submission: Submission | None
    findings: tuple[Finding, ...] = ()


class SubmissionRefused(DomainError):
    """A form broke a rule; the draft keeps the text so the member can fix and resend it."""

    def __init__(self, message: str, draft_id: int) -> None:
        super().__init__(message)
        self.draft_id = draft_id


class NotPending(DomainError):
    def __init__(self, submission: Submission) -> None:
        self.submission = submission
        super().__init__(describe_decision(submission, sentence=True))


def describe_decision(submission: Submission, *, sentence: bool = False) -> str:
    """``approved by Sam on 2026-03-02 08:00 UTC`` (or a whole sentence)."""
    if submission.status == SubmissionStatus.WITHDRAWN:
        text = "withdrawn by the member who sent it"
    elif submission.decided_by is not None:
        when = (submission.decided_at or "")[:16].replace("T", " ")
        text = f"{submission.status} by {submission.decided_by.name} on {when} UTC"
    else:
        text = submission.status
    if sentence:
        return f"Submission #{submission.id} was already {text}."
    return text

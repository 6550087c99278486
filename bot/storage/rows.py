"""Rows as either engine returns them, turned into the core's values.

Both schemas keep the same columns in the same order, with flags as 0/1 and statuses as
text, so one function per value serves SQLite's rows and PostgreSQL's records alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.notes import decode as decode_notes
from bot.records import (
    DailyPost,
    MemberPreferences,
    PostStatus,
    ReportReason,
    ReportRecord,
    ReportStatus,
    Schedule,
    Story,
    SubmissionRecord,
    SubmissionStatus,
)

SCHEDULE_COLUMNS = (
    "guild_id, channel_id, local_minute, timezone, theme_id, active, paused_reason, "
    "paused_at, next_due, next_local_date"
)
POST_COLUMNS = "guild_id, local_date, due_at, status, attempts, finished_at, message_id, channel_id"
SUBMISSION_COLUMNS = (
    "id, guild_id, member_id, member_name, title, body, theme_id, notes, anonymous, findings, "
    "status, created_at, edited_by, edited_by_name, edited_at, decided_by, decided_by_name, "
    "decided_at, reason, story_id, card_channel_id, card_message_id, dm_status, card_attempt_at, "
    "card_decided"
)

REPORT_COLUMNS = (
    "id, guild_id, story_id, reporter_id, reason, detail, status, created_at, decided_by, "
    "decided_by_name, decided_at, card_channel_id, card_message_id"
)
# Servers with an open case (its first open report) that has no card: no parameters, so
# one statement serves both engines.
UNCARDED_GUILDS_SQL = (
    "SELECT DISTINCT r.guild_id FROM story_reports r WHERE r.status = 'open' "
    "AND r.card_message_id IS NULL AND r.id = (SELECT MIN(o.id) FROM story_reports o "
    "WHERE o.guild_id = r.guild_id AND o.story_id = r.story_id AND o.status = 'open')"
)


def story_from(values: Sequence[Any]) -> Story:
    """id, guild, title, body, notes, credit, date, teller and primary theme."""
    story_id, guild_id, title, body, notes, credit, date, teller, primary = values
    return Story(
        story_id, guild_id, title, body, decode_notes(notes), credit, date, teller, primary
    )


def schedule_from(row: Sequence[Any]) -> Schedule:
    guild, channel, minute, zone, theme, active, reason, paused_at, due, day = row
    return Schedule(guild, channel, minute, zone, theme, bool(active), reason, paused_at, due, day)


def post_from(row: Sequence[Any]) -> DailyPost:
    guild, day, due, status, attempts, finished, message, channel = row
    return DailyPost(guild, day, due, PostStatus(status), attempts, finished, message, channel)


def submission_from(row: Sequence[Any]) -> SubmissionRecord:
    values = list(row)
    values[8] = bool(values[8])
    values[10] = SubmissionStatus(values[10])
    values[24] = bool(values[24])
    return SubmissionRecord(*values)


def report_from(row: Sequence[Any]) -> ReportRecord:
    values = list(row)
    values[4] = ReportReason(values[4])
    values[6] = ReportStatus(values[6])
    return ReportRecord(*values)


def like_pattern(text: str) -> str:
    """``%text%`` for LIKE with ``\\`` as the escape, matching ``text`` literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def preferences_from(member_ids: Sequence[int], rows: Sequence[Any]) -> list[MemberPreferences]:
    """Each member's preferences from rows of (member, skipped notes, show unhidden), in
    the order asked; the defaults for a member with no row."""
    found = {
        row[0]: MemberPreferences(row[0], frozenset(decode_notes(row[1])), bool(row[2]))
        for row in rows
    }
    return [found.get(member_id) or MemberPreferences(member_id) for member_id in member_ids]

"""Reports on stories: a member asks for a story to be taken down, and it is, at once.

A report hides the story in that server before any human looks (a story about someone
that they did not want told must not wait for a moderator to be online), and opens a case
for the server's moderators: Restore shows it again; Remove retires a server's own story
for good, or keeps a bundled one hidden there. Who reported is kept for the limit, and is
never shown on the card nor to the story's author.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.errors import DomainError
from bot.library import Library
from bot.records import BUNDLED, Filed, ReportReason, ReportRecord, ReportStatus
from bot.sharding import ShardSlice
from bot.stores import ReportStore

REPORTS_PER_DAY = 5
DETAIL_MAX = 300
REASON_WORDS = {
    ReportReason.IN_STORY: "I am in this story",
    ReportReason.IDENTIFIES: "It could identify someone",
    ReportReason.HARMFUL: "It is harmful or wrong",
    ReportReason.OTHER: "Something else",
}
NOT_HERE = "Stories can be reported inside a server, where its moderators look after them."
NO_SUCH_STORY = "I can't find that story any more; it may have been taken down already."
NO_DETAIL = "Please say in a few words what is wrong, so a moderator knows what to look at."
LIMIT = (
    "Thank you for looking out for others. You have sent as many reports here as one member "
    "can in a day; moderators will see the ones you sent, and you can report again tomorrow."
)
NO_SUCH_REPORT = "I can't find that report in this server."


@dataclass(frozen=True, slots=True)
class Filing:
    """What became of a report, and its case's first report (the one with the card)."""

    filed: Filed
    report: ReportRecord | None


class AlreadyDecided(DomainError):
    def __init__(self, report: ReportRecord) -> None:
        self.report = report
        word = "restored" if report.status is ReportStatus.RESTORED else "removed"
        who = report.decided_by_name or "another moderator"
        super().__init__(f"That report was already decided: {who} {word} the story.")


class ReportDesk:
    def __init__(
        self,
        store: ReportStore,
        library: Library,
        clock: Clock,
        *,
        shards: ShardSlice,
        per_day: int = REPORTS_PER_DAY,
    ) -> None:
        self._store = store
        self._library = library
        self._clock = clock
        self._shards = shards
        self.per_day = per_day

    async def report(
        self,
        *,
        guild_id: int | None,
        story_id: int,
        reporter_id: int,
        reason: ReportReason,
        detail: str = "",
    ) -> Filing:
        """Hide the story in the reporter's server and open (or join) its case there."""
        if guild_id is None:
            raise DomainError(NOT_HERE)
        story = await self._library.story(story_id)
        if story is None or story.guild_id not in (BUNDLED, guild_id):
            raise DomainError(NO_SUCH_STORY)
        detail = " ".join(detail.split())[:DETAIL_MAX]
        if reason is ReportReason.OTHER and not detail:
            raise DomainError(NO_DETAIL)
        now = self._clock()
        report_id, filed = await self._store.file(
            guild_id=guild_id,
            story_id=story_id,
            reporter_id=reporter_id,
            reason=reason,
            detail=detail,
            at=now.isoformat(),
            since=(now - timedelta(days=1)).isoformat(),
            per_day=self.per_day,
        )
        if filed is Filed.LIMIT:
            raise DomainError(LIMIT)
        if report_id is None:
            return Filing(filed, None)
        return Filing(filed, await self._store.case_head(guild_id, story_id))

    async def in_guild(self, report_id: int, guild_id: int) -> ReportRecord:
        report = await self._store.get(report_id)
        if report is None or report.guild_id != guild_id:
            raise DomainError(NO_SUCH_REPORT)
        return report

    async def decide(
        self, report_id: int, guild_id: int, *, restore: bool, by: int, by_name: str
    ) -> ReportRecord:
        """Restore the story in that server, or remove it there for good; one decision
        however many moderators press at once (AlreadyDecided for the others)."""
        report = await self.in_guild(report_id, guild_id)
        status = ReportStatus.RESTORED if restore else ReportStatus.REMOVED
        decided = await self._store.decide(
            report_id, status, by, by_name, self._clock().isoformat()
        )
        if not decided:
            raise AlreadyDecided(await self.in_guild(report_id, guild_id))
        if not restore and report.story_id:
            story = await self._library.story(report.story_id)
            # A server's own story leaves its library; a bundled one stays hidden there.
            if story is not None and story.guild_id == guild_id:
                await self._library.store.retire_server_story(guild_id, story.id)
        return await self.in_guild(report_id, guild_id)

    async def case_size(self, report: ReportRecord) -> int:
        return await self._store.case_size(report.guild_id, report.story_id)

    async def set_card(self, report_id: int, channel_id: int, message_id: int) -> None:
        await self._store.set_card(report_id, channel_id, message_id)

    async def open_cases(self, guild_id: int, limit: int) -> tuple[list[ReportRecord], int]:
        return await self._store.open_cases(guild_id, limit)

    async def guilds_with_waiting_cards(self) -> list[int]:
        """This process's servers with a case whose card is not in their moderator channel
        yet. Shard processes on one database each catch up their own servers, so no card
        is posted twice."""
        return [g for g in await self._store.guilds_with_uncarded_cases() if self._shards.serves(g)]

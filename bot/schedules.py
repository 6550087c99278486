"""Daily stories: when a server's next post falls, and setting a schedule up.

A schedule is a local time of day in an IANA zone. Each local date has exactly one post
instant: a time that does not exist that day (a daylight-saving gap) posts at the first
valid minute after it; a time that exists twice (an overlap) posts at the first of the two.
The database holds one claim per server and local date, so the second occurrence of an
overlapping time, a restart or a second process never posts again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.errors import DomainError
from bot.records import Claim, DailyPost, Plan, PostStatus, Schedule
from bot.stores import ScheduleStore
from bot.timeparse import format_time

log = logging.getLogger(__name__)


def _wall(day: date, minute: int) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60))


def _gap_end(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first valid instant after a wall time that a gap swallowed (UTC)."""
    # fold=1 reads the wall time with the offset after the jump, fold=0 with the one before:
    # the jump itself lies between the two readings.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    after = high.astimezone(zone).utcoffset()
    lo, hi = 0, int((high - low).total_seconds())
    while lo < hi:
        mid = (lo + hi) // 2
        if (low + timedelta(seconds=mid)).astimezone(zone).utcoffset() == after:
            hi = mid
        else:
            lo = mid + 1
    moment = low + timedelta(seconds=lo)
    # Transitions fall on whole minutes; round up in case a zone's history says otherwise.
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment


# The servers due in one pass share a handful of (zone, minute) pairs, and a zone's
# arithmetic is the costliest part of planning a post, so recent answers are kept.
@lru_cache(maxsize=4096)
def post_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The one instant (UTC) a schedule at ``minute`` past local midnight posts on ``day``."""
    wall = _wall(day, minute)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists once, or the earlier of two occurrences
    return _gap_end(wall, zone)


def next_post(
    minute: int, zone: ZoneInfo, after: datetime, *, after_date: date | None = None
) -> tuple[date, datetime]:
    """The first (local date, instant) strictly after ``after`` and past ``after_date``."""
    day = after.astimezone(zone).date() - timedelta(days=1)
    if after_date is not None and day <= after_date:
        day = after_date + timedelta(days=1)
    while True:
        instant = post_instant(day, minute, zone)
        if instant > after:
            return day, instant
        day += timedelta(days=1)


def to_unix(moment: datetime) -> int:
    return int(moment.timestamp())


def from_unix(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def plan_due(row: Schedule, now: int, grace: int, zones: ZoneCache) -> Plan:
    """Claims for a schedule whose post is due at ``now``, and its next post after them.

    A post due within ``grace`` seconds is claimed to send (late after downtime); an older
    one is claimed as skipped, so it can never be sent, and the schedule jumps forward.
    """
    assert row.next_due is not None and row.next_local_date is not None
    zone = zones.get(row.timezone)
    claims: list[Claim] = []
    day, due = date.fromisoformat(row.next_local_date), row.next_due
    while due <= now:
        late = now - due
        if late <= grace:
            claims.append(Claim(day.isoformat(), due, PostStatus.PENDING))
            day, instant = next_post(row.local_minute, zone, from_unix(due), after_date=day)
        else:
            claims.append(Claim(day.isoformat(), due, PostStatus.SKIPPED))
            log.warning(
                "guild %s: the daily post for %s was due %s s ago, past the grace period; skipped",
                row.guild_id,
                day.isoformat(),
                late,
            )
            since = max(due, now - grace)
            day, instant = next_post(row.local_minute, zone, from_unix(since), after_date=day)
        due = to_unix(instant)
    return Plan(claims, day.isoformat(), due)


class ZoneCache:
    """ZoneInfo objects by name: a scheduler serving 100,000 servers reads few zones."""

    def __init__(self) -> None:
        self._zones: dict[str, ZoneInfo] = {}

    def get(self, name: str) -> ZoneInfo:
        zone = self._zones.get(name)
        if zone is None:
            zone = self._zones[name] = ZoneInfo(name)
        return zone


@dataclass(frozen=True, slots=True)
class DailyView:
    """A schedule as /daily show tells it."""

    schedule: Schedule
    next_post: datetime | None
    next_local: datetime | None
    last_post: DailyPost | None

    @property
    def time_text(self) -> str:
        return format_time(self.schedule.local_minute)

    @property
    def paused(self) -> bool:
        return self.schedule.active and self.schedule.paused_reason is not None


class NoSchedule(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "This server has no daily story yet. Set one up with `/daily set`: a channel, a "
            "time such as `9am`, and your time zone."
        )


class DailySchedules:
    """Setting up, showing and turning off a server's daily story."""

    def __init__(self, store: ScheduleStore, clock: Clock, zones: ZoneCache | None = None) -> None:
        self.store = store
        self.clock = clock
        self.zones = zones or ZoneCache()

    async def first_post(
        self, guild_id: int, minute: int, zone: ZoneInfo, now: datetime
    ) -> tuple[date, datetime]:
        """The next post from ``now``, past any local date already posted (or skipped)."""
        day, instant = next_post(minute, zone, now)
        # Moving the time later on a day already posted must not post twice that day.
        for _ in range(3):
            if not await self.store.claimed_dates(guild_id, [day.isoformat()]):
                break
            day, instant = next_post(minute, zone, instant, after_date=day)
        return day, instant

    async def set(
        self,
        *,
        guild_id: int,
        channel_id: int,
        minute: int,
        zone: ZoneInfo,
        theme_id: int | None,
        by: int,
    ) -> DailyView:
        now = self.clock()
        day, instant = await self.first_post(guild_id, minute, zone, now)
        await self.store.save(
            guild_id=guild_id,
            channel_id=channel_id,
            local_minute=minute,
            timezone=zone.key,
            theme_id=theme_id,
            next_due=to_unix(instant),
            next_local_date=day.isoformat(),
            by=by,
            now=to_unix(now),
        )
        log.info(
            "guild %s: daily story set by %s to channel %s at %s %s (theme %s); next %s",
            guild_id,
            by,
            channel_id,
            format_time(minute),
            zone.key,
            theme_id,
            instant.isoformat(),
        )
        return await self.show(guild_id)

    async def show(self, guild_id: int) -> DailyView:
        schedule = await self.store.get(guild_id)
        if schedule is None:
            raise NoSchedule()
        upcoming = local = None
        if schedule.next_due is not None:
            upcoming = from_unix(schedule.next_due)
            local = upcoming.astimezone(self.zones.get(schedule.timezone))
        return DailyView(schedule, upcoming, local, await self.store.last_post(guild_id))

    async def off(self, guild_id: int, by: int) -> bool:
        """Stop the daily story; False when there was none to stop."""
        changed = await self.store.turn_off(guild_id, by, to_unix(self.clock()))
        if changed:
            log.info("guild %s: daily story turned off by %s", guild_id, by)
        return changed

    async def pause(self, guild_id: int, reason: str) -> bool:
        """Pause the schedule as the scheduler does when a post fails for good, for a
        failure seen another way (a command's check or test post): no post is promised
        that would fail, and ``/daily set`` resumes it. False if it was paused already."""
        changed = await self.store.pause(guild_id, reason, to_unix(self.clock()))
        if changed:
            log.warning("guild %s: daily story paused: %s", guild_id, reason)
        return changed

    async def get(self, guild_id: int) -> Schedule | None:
        return await self.store.get(guild_id)

    async def current(self, guild_id: int) -> Schedule:
        schedule = await self.store.get(guild_id)
        if schedule is None or not schedule.active:
            raise NoSchedule()
        return schedule

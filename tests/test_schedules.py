"""The core of daily stories: reading times and zones, and when the next post falls."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.records import PostStatus, Schedule
from bot.schedules import ZoneCache, next_post, plan_due, post_instant, to_unix
from bot.timeparse import (
    AmbiguousZone,
    BadTime,
    UnknownZone,
    ZoneDirectory,
    format_time,
    parse_time,
)

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00", "09:00"),
        ("9:00", "09:00"),
        ("9am", "09:00"),
        ("9 AM", "09:00"),
        ("9:30 pm", "21:30"),
        ("9.30p.m.", "21:30"),
        ("21:30", "21:30"),
        ("12am", "00:00"),
        ("12pm", "12:00"),
        ("00:00", "00:00"),
        ("23:59", "23:59"),
        ("noon", "12:00"),
    ],
)
def test_times_admins_write_are_read(text: str, expected: str):
    assert format_time(parse_time(text)) == expected


@pytest.mark.parametrize("text", ["", "9", "25:00", "9:75", "13pm", "0am", "tomorrow", "9:3"])
def test_unreadable_times_get_one_kind_sentence(text: str):
    with pytest.raises(BadTime) as caught:
        parse_time(text)
    assert "`09:00`, `9am`, `9:30 pm` or `21:30`" in caught.value.message


def test_zone_names_resolve_in_any_case():
    zones = ZoneDirectory()
    assert zones.resolve("Europe/London").key == "Europe/London"
    assert zones.resolve("america/new_york").key == "America/New_York"
    assert zones.resolve("America/New York").key == "America/New_York"
    assert zones.resolve("UTC").key == "UTC"


def test_unknown_zone_suggests_the_closest_names():
    zones = ZoneDirectory()
    with pytest.raises(UnknownZone) as caught:
        zones.resolve("Europe/Londn")
    assert "Europe/London" in caught.value.suggestions
    assert "`Europe/London`" in caught.value.message
    with pytest.raises(UnknownZone) as by_city:
        zones.resolve("Londn")
    assert by_city.value.suggestions[0] == "Europe/London"
    with pytest.raises(UnknownZone) as nothing:
        zones.resolve("qqqqqqqq")
    assert "`Europe/London`" in nothing.value.message


@pytest.mark.parametrize(
    ("text", "zone", "note"),
    [
        (
            "EST",
            "America/New_York",
            "I took “EST” to mean America/New_York, North American Eastern time, which moves "
            "between EST and EDT with daylight saving.",
        ),
        ("jst", "Asia/Tokyo", "I took “jst” to mean Asia/Tokyo, Japan time."),
        ("CET", "Europe/Berlin", None),
        ("London", "Europe/London", None),
        ("new york", "America/New_York", None),
        ("Pacific", "America/Los_Angeles", None),
        ("Pacific Standard Time", "America/Los_Angeles", None),
        ("central european time", "Europe/Berlin", None),
    ],
)
def test_abbreviations_cities_and_common_names_choose_a_region_and_say_so(
    text: str, zone: str, note: str | None
):
    chosen = ZoneDirectory().choose(text)
    assert chosen.zone.key == zone
    assert chosen.note is not None and chosen.note.startswith(f"I took “{text}” to mean {zone}")
    if note is not None:
        assert chosen.note == note


def test_an_iana_name_is_chosen_silently():
    assert ZoneDirectory().choose("Europe/London").note is None
    assert ZoneDirectory().choose("utc").note is None


@pytest.mark.parametrize(
    ("text", "zones"),
    [
        ("CST", ["America/Chicago", "Asia/Shanghai", "America/Havana"]),
        ("IST", ["Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"]),
        ("GMT", ["Europe/London", "UTC"]),
    ],
)
def test_an_abbreviation_used_for_several_zones_is_asked_about(text: str, zones: list[str]):
    with pytest.raises(AmbiguousZone) as caught:
        ZoneDirectory().choose(text)
    assert caught.value.suggestions == zones
    assert caught.value.message.startswith(f"“{text}” is used for more than one time zone.")
    for zone in zones:
        assert f"`{zone}`" in caught.value.message


def test_zone_autocomplete_puts_the_zones_people_mean_first():
    zones = ZoneDirectory()
    assert zones.search("lon")[:2] == ["Europe/London", "Arctic/Longyearbyen"]
    pacific = zones.search("pacific")
    assert pacific[0] == "America/Los_Angeles"
    assert pacific.index("Pacific/Auckland") > pacific.index("America/Vancouver")
    assert zones.search("eastern")[0] == "America/New_York"
    assert zones.search("central european")[:2] == ["Europe/Paris", "Europe/Berlin"]
    assert zones.search("est")[0] == "America/New_York"
    assert "EST" not in zones.search("est")  # the fixed UTC-5 is not offered
    assert zones.shown("America/Los_Angeles") == (
        "America/Los_Angeles · North American Pacific time"
    )


def test_zone_autocomplete_fits_discord_and_finds_cities():
    zones = ZoneDirectory()
    assert zones.search("")[:3] == ["UTC", "Europe/London", "America/New_York"]
    assert "America/New_York" in zones.search("new")
    assert "Europe/London" in zones.search("lond")
    assert all(len(zones.search(q)) <= 25 for q in ("", "a", "america", "e"))


# -- the next post -------------------------------------------------------------------------


def test_next_post_is_today_before_the_time_and_tomorrow_after_it():
    nine = parse_time("9am")
    assert next_post(nine, LONDON, utc(2026, 3, 2, 8, 0)) == (
        date(2026, 3, 2),
        utc(2026, 3, 2, 9, 0),
    )
    assert next_post(nine, LONDON, utc(2026, 3, 2, 9, 0)) == (
        date(2026, 3, 3),
        utc(2026, 3, 3, 9, 0),
    )


def test_the_same_local_time_in_different_zones_is_different_instants():
    nine = parse_time("09:00")
    after = utc(2026, 6, 1, 0, 0)
    assert next_post(nine, LONDON, after)[1] == utc(2026, 6, 1, 8, 0)  # BST, +1
    assert next_post(nine, NEW_YORK, after)[1] == utc(2026, 6, 1, 13, 0)  # EDT, -4
    assert next_post(nine, ZoneInfo("Asia/Kolkata"), after)[1] == utc(2026, 6, 1, 3, 30)
    # In Tokyo it is already past 09:00 on 1 June when UTC is just starting it.
    assert next_post(nine, ZoneInfo("Asia/Tokyo"), after) == (
        date(2026, 6, 2),
        utc(2026, 6, 2, 0, 0),
    )


def test_a_time_lost_to_the_spring_gap_posts_at_the_first_valid_minute_after():
    # New York, 8 March 2026: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist.
    day, instant = next_post(parse_time("2:30am"), NEW_YORK, utc(2026, 3, 8, 0, 0))
    assert day == date(2026, 3, 8)
    assert instant == utc(2026, 3, 8, 7, 0)
    assert instant.astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:00 EDT"
    # The day after, 02:30 exists again.
    assert next_post(parse_time("2:30am"), NEW_YORK, instant) == (
        date(2026, 3, 9),
        utc(2026, 3, 9, 6, 30),
    )


def test_a_time_that_happens_twice_in_the_autumn_posts_once():
    # New York, 1 November 2026: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 (EST).
    half_one = parse_time("1:30am")
    day, first = next_post(half_one, NEW_YORK, utc(2026, 11, 1, 0, 0))
    assert (day, first) == (date(2026, 11, 1), utc(2026, 11, 1, 5, 30))
    # After the first occurrence, the next post is the next day: never the second 01:30.
    assert next_post(half_one, NEW_YORK, first, after_date=day) == (
        date(2026, 11, 2),
        utc(2026, 11, 2, 6, 30),
    )
    assert next_post(half_one, NEW_YORK, utc(2026, 11, 1, 6, 0)) == (
        date(2026, 11, 2),
        utc(2026, 11, 2, 6, 30),
    )


def test_london_gap_and_overlap():
    assert post_instant(date(2026, 3, 29), parse_time("1:15am"), LONDON) == utc(2026, 3, 29, 1, 0)
    assert post_instant(date(2026, 10, 25), parse_time("1:15am"), LONDON) == utc(
        2026, 10, 25, 0, 15
    )


def test_midnight_posts_at_the_start_of_each_local_day():
    midnight = parse_time("00:00")
    tokyo = ZoneInfo("Asia/Tokyo")
    # Midnight of 3 March in Tokyo is 15:00 UTC on 2 March: the local date is what counts.
    assert next_post(midnight, tokyo, utc(2026, 3, 2, 14, 59)) == (
        date(2026, 3, 3),
        utc(2026, 3, 2, 15, 0),
    )
    assert next_post(midnight, tokyo, utc(2026, 3, 2, 15, 0)) == (
        date(2026, 3, 4),
        utc(2026, 3, 3, 15, 0),
    )
    assert next_post(midnight, LONDON, utc(2026, 3, 2, 23, 59)) == (
        date(2026, 3, 3),
        utc(2026, 3, 3, 0, 0),
    )


def test_midnight_that_a_gap_swallows_posts_when_the_day_begins():
    # Santiago springs forward at midnight: 6 September 2026 begins at 01:00 (-03).
    santiago = ZoneInfo("America/Santiago")
    instant = post_instant(date(2026, 9, 6), parse_time("00:00"), santiago)
    local = instant.astimezone(santiago)
    assert (local.date(), local.strftime("%H:%M")) == (date(2026, 9, 6), "01:00")


def test_29_february_has_its_post_and_ordinary_years_go_from_28_february_to_1_march():
    nine = parse_time("9:00")
    assert next_post(nine, LONDON, utc(2028, 2, 28, 10, 0)) == (
        date(2028, 2, 29),
        utc(2028, 2, 29, 9, 0),
    )
    assert next_post(nine, LONDON, utc(2028, 2, 29, 9, 0)) == (
        date(2028, 3, 1),
        utc(2028, 3, 1, 9, 0),
    )
    assert next_post(nine, LONDON, utc(2027, 2, 28, 10, 0)) == (
        date(2027, 3, 1),
        utc(2027, 3, 1, 9, 0),
    )


def test_every_day_of_a_year_in_many_zones_has_exactly_one_post_in_order():
    nine = parse_time("02:30")  # inside most zones' gaps and overlaps
    for name in ("America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago"):
        zone = ZoneInfo(name)
        moment, day = utc(2026, 1, 1), None
        seen = []
        for _ in range(366):
            day, moment = next_post(nine, zone, moment, after_date=day)
            seen.append(day)
        assert seen == [seen[0] + timedelta(days=i) for i in range(366)], name


# -- what a due schedule claims ------------------------------------------------------------


def _row(next_due: datetime, day: date, zone: str = "Europe/London") -> Schedule:
    return Schedule(
        1, 2, parse_time("9am"), zone, None, True, None, None, to_unix(next_due), str(day)
    )


def test_a_post_found_within_the_grace_period_is_claimed_to_send_late():
    row = _row(utc(2026, 3, 2, 9, 0), date(2026, 3, 2))
    plan = plan_due(row, to_unix(utc(2026, 3, 2, 10, 30)), 2 * 3600, ZoneCache())
    assert [(c.local_date, c.status) for c in plan.claims] == [("2026-03-02", PostStatus.PENDING)]
    assert (plan.next_local_date, plan.next_due) == ("2026-03-03", to_unix(utc(2026, 3, 3, 9)))


def test_after_long_downtime_old_posts_are_skipped_and_the_schedule_moves_on():
    row = _row(utc(2026, 3, 2, 9, 0), date(2026, 3, 2))
    # Three days later at 10:00: 2 March is far too late; 5 March 09:00 is within grace.
    plan = plan_due(row, to_unix(utc(2026, 3, 5, 10, 0)), 2 * 3600, ZoneCache())
    assert [(c.local_date, c.status) for c in plan.claims] == [
        ("2026-03-02", PostStatus.SKIPPED),
        ("2026-03-05", PostStatus.PENDING),
    ]
    assert plan.next_local_date == "2026-03-06"


def test_a_city_under_an_old_and_a_new_name_is_one_zone_not_a_question():
    chosen = ZoneDirectory().choose("Istanbul")
    assert chosen.zone.key == "Europe/Istanbul"
    assert chosen.note == "I took “Istanbul” to mean Europe/Istanbul, Turkey time."
    nicosia = ZoneDirectory().choose("nicosia")
    assert nicosia.note is not None
    assert nicosia.note.startswith("I took “nicosia” to mean Asia/Nicosia, which moves between")


def test_a_zone_is_described_once_in_plain_words():
    zones = ZoneDirectory()
    assert zones.describe("UTC") == "UTC"
    assert zones.describe("Europe/London") == "UK time (Europe/London)"
    assert zones.describe("Arctic/Longyearbyen") == "Longyearbyen time (Arctic/Longyearbyen)"
    # A schedule saved with the tz database's fixed "EST" before it was refused says so.
    assert zones.describe("EST") == "UTC−05:00 all year (EST)"

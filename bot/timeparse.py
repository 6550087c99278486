"""How a server admin's words become a local time of day and a time zone."""

from __future__ import annotations

import difflib
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import DomainError

MINUTES_PER_DAY = 24 * 60

# "9am", "9 am", "9:30 pm", "9.30p.m."
_TWELVE_HOUR = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s*m\.?$")
# "09:00", "9:00", "21:30", "21.30", "21h30"
_TWENTY_FOUR_HOUR = re.compile(r"^(\d{1,2})[:.h](\d{2})$")
_WORDS = {"noon": 12 * 60, "midday": 12 * 60, "midnight": 0}

# Names in the tz database that are not places an admin would mean.
_NOT_ZONES = {"Factory", "localtime", "posixrules"}
# What autocomplete offers before anything is typed: the zones most servers live in.
POPULAR_ZONES = (
    "UTC",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/Paris",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
)


class BadTime(DomainError):
    def __init__(self, text: str) -> None:
        shown = text.strip()[:40] or "that"
        super().__init__(
            f"I couldn't read “{shown}” as a time of day. Write it like `09:00`, `9am`, "
            "`9:30 pm` or `21:30`."
        )


class UnknownZone(DomainError):
    def __init__(self, text: str, suggestions: list[str]) -> None:
        self.suggestions = suggestions
        shown = text.strip()[:60] or "that"
        if suggestions:
            names = ", ".join(f"`{s}`" for s in suggestions)
            message = f"I don't know a time zone called “{shown}”. Did you mean {names}?"
        else:
            message = (
                f"I don't know a time zone called “{shown}”. Use a name like `Europe/London`, "
                "`America/New_York` or `UTC`; the list appears as you type."
            )
        super().__init__(message)


def parse_time(text: str) -> int:
    """Minutes after local midnight for ``"09:00"``, ``"9am"``, ``"9:30 pm"``, ``"21:30"``."""
    cleaned = " ".join(text.strip().lower().split())
    if cleaned in _WORDS:
        return _WORDS[cleaned]
    match = _TWELVE_HOUR.match(cleaned)
    if match:
        hour, minute = int(match[1]), int(match[2] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise BadTime(text)
        # 12am is midnight and 12pm is noon.
        hour = hour % 12 + (12 if match[3] == "p" else 0)
        return hour * 60 + minute
    match = _TWENTY_FOUR_HOUR.match(cleaned)
    if match:
        hour, minute = int(match[1]), int(match[2])
        if hour > 23 or minute > 59:
            raise BadTime(text)
        return hour * 60 + minute
    raise BadTime(text)


def format_time(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _key(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", "_").split())


class ZoneDirectory:
    """The IANA zone names (from the tzdata package where the system has none)."""

    def __init__(self) -> None:
        self.names = sorted(available_timezones() - _NOT_ZONES)
        self._by_key = {_key(name): name for name in self.names}
        # "london" finds Europe/London, "new york" finds America/New_York.
        self._by_city: dict[str, list[str]] = {}
        for name in self.names:
            self._by_city.setdefault(_key(name.rsplit("/", 1)[-1]), []).append(name)

    def resolve(self, text: str) -> ZoneInfo:
        """The zone for an IANA name in any case, or :class:`UnknownZone` with suggestions."""
        name = self._by_key.get(_key(text))
        if name is not None:
            try:
                return ZoneInfo(name)
            except ZoneInfoNotFoundError:  # listed but unreadable: treat as unknown
                pass
        raise UnknownZone(text, self.suggest(text))

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        wanted = _key(text)
        if not wanted:
            return []
        found = list(self._by_city.get(wanted, []))
        for city in difflib.get_close_matches(wanted, list(self._by_city), n=limit, cutoff=0.7):
            found += self._by_city[city]
        found += [
            self._by_key[k]
            for k in difflib.get_close_matches(wanted, list(self._by_key), n=limit, cutoff=0.6)
        ]
        return list(dict.fromkeys(found))[:limit]

    def search(self, text: str, limit: int = 25) -> list[str]:
        """Zones for autocomplete: a name or city that starts with the text first."""
        wanted = _key(text)
        if not wanted:
            return list(POPULAR_ZONES[:limit])
        starts, contains = [], []
        for key, name in self._by_key.items():
            parts = key.split("/")
            if key.startswith(wanted) or any(p.startswith(wanted) for p in parts):
                starts.append(name)
            elif wanted in key:
                contains.append(name)
        found = starts + contains
        if not found:
            found = self.suggest(text, limit)
        return found[:limit]

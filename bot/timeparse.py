"""How a server admin's words become a local time of day and a time zone."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot import zonenames
from bot.errors import DomainError

MINUTES_PER_DAY = 24 * 60

# "9am", "9 am", "9:30 pm", "9.30p.m."
_TWELVE_HOUR = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s*m\.?$")
# "09:00", "9:00", "21:30", "21.30", "21h30"
_TWENTY_FOUR_HOUR = re.compile(r"^(\d{1,2})[:.h](\d{2})$")
_WORDS = {"noon": 12 * 60, "midday": 12 * 60, "midnight": 0}


class BadTime(DomainError):
    def __init__(self, text: str) -> None:
        shown = text.strip()[:40] or "that"
        super().__init__(
            f"I couldn't read “{shown}” as a time of day. Write it like `09:00`, `9am`, "
            "`9:30 pm` or `21:30`."
        )


class AmbiguousZone(DomainError):
    """An abbreviation used for more than one zone: which was meant is asked, not guessed."""

    def __init__(self, text: str, choices: list[tuple[str, str | None]]) -> None:
        self.suggestions = [name for name, _ in choices]
        named = [f"`{name}` ({label})" if label else f"`{name}`" for name, label in choices]
        if len(named) > 1:
            named[-2:] = [f"{named[-2]} or {named[-1]}"]
        super().__init__(
            f"“{text.strip()[:20]}” is used for more than one time zone. Did you mean "
            f"{', '.join(named)}?"
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


def zone_abbreviation(moment: datetime) -> str:
    """``EST``, ``CET``; ``UTC−03:00`` where the zone's own name is only a number."""
    name = moment.tzname() or ""
    return name if name[:1].isalpha() else _offset(moment)


def _key(text: str) -> str:
    """Case, accents, dots and spacing aside: "São Paulo", "sao_paulo", "St. John's"."""
    text = unicodedata.normalize("NFKD", text.strip().casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace(".", "").replace("'", "").replace("-", "_")
    return "_".join(text.split())


# "Pacific Standard Time", "British Summer Time", "Eastern time": the words around a name.
_TIME_WORDS = re.compile(r"_(?:(?:standard|daylight|summer)_)?time$")
EXACT, PREFIX, WORD, NEAR = 3, 2, 1, 0
NEAR_CUTOFF = 0.8
CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """The zone an admin's words name, and, when they were not its own name, which it is."""

    zone: ZoneInfo
    note: str | None = None


@dataclass(frozen=True, slots=True)
class _Term:
    text: str
    zones: tuple[str, ...]
    exact_only: bool  # abbreviations: "e" is not the start of "est" to anyone


class ZoneDirectory:
    """The IANA zones (from the tzdata package where the system has none), found by their
    names, their cities, what people call them and their abbreviations."""

    def __init__(self) -> None:
        available = available_timezones() - {"Factory", "localtime", "posixrules"}
        self.names = sorted(available)
        self._by_key = {_key(name): name for name in self.names}
        ranked = [z for z in zonenames.POPULAR if z in available]
        self._rank = {name: n for n, name in enumerate(ranked)}
        self.popular = ranked
        # Only places are offered; Etc/GMT+5, US/Eastern and EST still work typed in full.
        offered = [n for n in self.names if n == "UTC" or n.split("/")[0] in zonenames.PLACE_AREAS]
        self._offered = frozenset(offered)
        self.labels: dict[str, str] = {}
        terms: dict[str, list[str]] = {}
        for name in offered:
            terms.setdefault(_key(name), []).append(name)
            terms.setdefault(_key(name.rsplit("/", 1)[-1]), []).append(name)
        # A zone's label is the common name it is the usual zone of, else the first it is in.
        for first_only in (True, False):
            for label, _, zones in zonenames.COMMON_NAMES:
                for zone in zones[:1] if first_only else zones:
                    self.labels.setdefault(zone, label)
        self._cities = {text: tuple(names) for text, names in terms.items()}
        self._common: dict[str, tuple[str, ...]] = {}
        for label, words, zones in zonenames.COMMON_NAMES:
            present = tuple(z for z in zones if z in available)
            for word in (*words, label):
                self._common.setdefault(_TIME_WORDS.sub("", _key(word)), present)
        self._abbreviations = {
            key: tuple(z for z in zones if z in available)
            for key, zones in zonenames.ABBREVIATIONS.items()
        }
        self._terms = [_Term(t, z, False) for t, z in {**self._cities, **self._common}.items()]
        self._terms += [_Term(t, z, True) for t, z in self._abbreviations.items()]
        self._found: dict[tuple[str, int], list[str]] = {}

    def shown(self, name: str) -> str:
        """A zone as autocomplete lists it: ``America/Los_Angeles · North American Pacific
        time``, so it is plain why "pacific" found it."""
        label = self.labels.get(name)
        return f"{name} · {label}" if label else name

    def describe(self, name: str) -> str:
        """A zone in a sentence: ``UK time (Europe/London)``, ``UTC``, or, for the tz
        database's fixed offsets, ``UTC−05:00 all year (EST)``."""
        if name in ("UTC", "Etc/UTC"):
            return "UTC"
        label = self.labels.get(name)
        if label is not None:
            return f"{label} ({name})"
        if name.split("/")[0] in zonenames.PLACE_AREAS:
            return f"{name.rsplit('/', 1)[-1].replace('_', ' ')} time ({name})"
        winter, summer = _seasons(ZoneInfo(name))
        if winter.utcoffset() == summer.utcoffset():
            return f"{_offset(winter)} all year ({name})"
        return name

    def choose(self, text: str) -> ZoneChoice:
        """The zone ``text`` names: an IANA name in any case, an abbreviation, a city or a
        common name. Raises :class:`AmbiguousZone` or :class:`UnknownZone`."""
        wanted = _key(text)
        shown = text.strip()[:40]
        zones = self._abbreviations.get(wanted)
        if zones:
            if len(zones) > 1:
                raise AmbiguousZone(text, [(z, self.labels.get(z)) for z in zones])
            return self._chosen(zones[0], shown)
        name = self._by_key.get(wanted)
        if name is not None and name in self._offered:
            return ZoneChoice(ZoneInfo(name))
        bare = _TIME_WORDS.sub("", wanted)
        common = self._common.get(bare)
        if common:
            return self._chosen(common[0], shown)
        cities = sorted(set(self._cities.get(bare, ())), key=self._order)
        # Most cities named twice are one zone under an old and a new name (Asia/Istanbul,
        # Europe/Istanbul): then the most used name is as good as any.
        if cities and (len(cities) == 1 or _same_clock(cities)):
            return self._chosen(cities[0], shown)
        if cities:
            raise AmbiguousZone(text, [(z, self.labels.get(z)) for z in cities])
        # The tz database's old names (US/Eastern, Etc/GMT+5), typed in full, still work.
        if name is not None:
            try:
                return ZoneChoice(ZoneInfo(name))
            except ZoneInfoNotFoundError:  # listed but unreadable: treat as unknown
                pass
        raise UnknownZone(text, self.search(text, 3))

    def resolve(self, text: str) -> ZoneInfo:
        return self.choose(text).zone

    def _chosen(self, name: str, shown: str) -> ZoneChoice:
        zone = ZoneInfo(name)
        label = self.labels.get(name)
        sentence = f"I took “{shown}” to mean {name}" + (f", {label}" if label else "")
        winter, summer = _seasons(zone)
        if winter.utcoffset() != summer.utcoffset():
            sentence += (
                f", which moves between {zone_abbreviation(winter)} and "
                f"{zone_abbreviation(summer)} with daylight saving"
            )
        return ZoneChoice(zone, sentence + ".")

    def search(self, text: str, limit: int = 25) -> list[str]:
        """Zones for autocomplete, best first: a name, city, common name or abbreviation
        that is what was typed, then one that starts with it, then one with a word that
        does, then a near miss; within each, the most used zones first."""
        wanted = _key(text)
        if not wanted:
            return self.popular[:limit]
        found = self._found.get((wanted, limit))
        if found is None:
            found = self._search(wanted, limit)
            if len(self._found) >= CACHE_SIZE:
                self._found.clear()
            self._found[(wanted, limit)] = found
        return list(found)

    def _search(self, wanted: str, limit: int) -> list[str]:
        best: dict[str, int] = {}
        bare = _TIME_WORDS.sub("", wanted) or wanted
        for term in self._terms:
            if term.text in (wanted, bare):
                tier = EXACT
            elif term.exact_only:
                continue
            elif term.text.startswith(wanted):
                tier = PREFIX
            elif any(term.text.startswith(wanted, i + 1) for i in _word_ends(term.text)):
                tier = WORD
            else:
                continue
            for zone in term.zones:
                best[zone] = max(best.get(zone, tier), tier)
        if len(best) < limit:
            matcher = difflib.SequenceMatcher(None, "", wanted)
            for term in self._terms:
                if term.exact_only or all(z in best for z in term.zones):
                    continue
                for candidate in {term.text, term.text[: len(wanted)]}:
                    matcher.set_seq1(candidate)
                    if (
                        matcher.real_quick_ratio() >= NEAR_CUTOFF
                        and matcher.quick_ratio() >= NEAR_CUTOFF
                        and matcher.ratio() >= NEAR_CUTOFF
                    ):
                        for zone in term.zones:
                            best.setdefault(zone, NEAR)
        ordered = sorted(best, key=lambda z: (-best[z], *self._order(z)))
        return ordered[:limit]

    def _order(self, name: str) -> tuple[int, str]:
        """The most used zones first, then the rest by name."""
        return (self._rank.get(name, len(self._rank)), name)


def _word_ends(text: str) -> list[int]:
    return [i for i, ch in enumerate(text) if ch in "_/"]


def _same_clock(names: list[str]) -> bool:
    """Whether the zones keep the same time, in winter and in summer, under their names."""
    readings = set()
    for name in names:
        winter, summer = _seasons(ZoneInfo(name))
        readings.add((winter.utcoffset(), summer.utcoffset(), winter.tzname(), summer.tzname()))
    return len(readings) == 1


def _seasons(zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Noon in mid-January and mid-July this year: one of each side of daylight saving."""
    year = datetime.now(UTC).year
    return (
        datetime(year, 1, 15, 12, tzinfo=UTC).astimezone(zone),
        datetime(year, 7, 15, 12, tzinfo=UTC).astimezone(zone),
    )


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

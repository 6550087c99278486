"""The bundled library in ``data/``: read and check every file, report every problem.

Files: ``themes.json`` (a list of themes) and any number of ``stories*.json`` (a list of
stories) or ``stories*.jsonl`` (one story a line, for very large libraries).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.keys import FirstUse
from bot.notes import NOTE_LABELS
from bot.words import counted

THEMES_FILE = "themes.json"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

# Kept well inside Discord's embed limits (title 256, description 4096, footer 2048).
MAX_TITLE = 100
MAX_TEXT = 3500
MAX_DESCRIPTION = 100
MAX_CREDIT = 200


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in one file: where (as much of it as applies) and what."""

    file: str
    # Empty when the problem is the file's, or a line's that is not an entry yet.
    entry: str
    field: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        if self.entry:
            where += f": entry {self.entry}"
        if self.field:
            where += f": field '{self.field}'"
        return f"{where}: {self.message}"

    @property
    def whole_file(self) -> bool:
        """Whether the file (or one of its lines) could not be read as entries at all."""
        return not self.entry


class BundleError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the bundled data has {counted(len(problems), 'problem')}:\n{lines}")


@dataclass(frozen=True, slots=True)
class ThemeEntry:
    slug: str
    title: str
    emoji: str
    colour: int
    description: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoryEntry:
    key: str
    title: str
    text: str
    themes: tuple[str, ...]
    notes: tuple[str, ...]
    credit: str
    date: str
    teller: str

    @property
    def digest(self) -> str:
        """Changes whenever anything a member would see changes."""
        payload = json.dumps(
            [self.title, self.text, self.themes, self.notes, self.credit, self.date, self.teller],
            ensure_ascii=False,
        )
        return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


@dataclass(slots=True)
class _Checker:
    file: str
    problems: list[Problem] = field(default_factory=list)

    def fail(self, entry: str, name: str, message: str) -> None:
        self.problems.append(Problem(self.file, entry, name, message))

    def unreadable(self, exc: ValueError | OSError, line: int | None = None) -> None:
        """The file, or one line of it, is not JSON text: say where, once."""
        if isinstance(exc, json.JSONDecodeError):
            # In a JSON Lines file the decoder saw one line: its line 1 is the file's `line`.
            at = line if line is not None else exc.lineno
            problem = Problem(
                self.file, "", "", f"cannot be read as JSON: {exc.msg}", at, exc.colno
            )
        elif isinstance(exc, UnicodeDecodeError):
            within = "line" if line is not None else "file"
            message = f"is not UTF-8 text (byte {exc.start + 1} of the {within}); save it as UTF-8"
            problem = Problem(self.file, "", "", message, line)
        else:
            problem = Problem(self.file, "", "", f"cannot be read: {exc}", line)
        self.problems.append(problem)

    def text(
        self, raw: dict[str, Any], entry: str, name: str, limit: int, *, empty_ok: bool = False
    ) -> str:
        value = raw.get(name)
        if not isinstance(value, str):
            self.fail(entry, name, "is missing or not text")
            return ""
        value = value.strip()
        if not value and not empty_ok:
            self.fail(entry, name, "is empty")
        elif len(value) > limit:
            self.fail(entry, name, f"is {len(value)} characters; at most {limit}")
        return value

    def strings(self, raw: dict[str, Any], entry: str, name: str) -> tuple[str, ...]:
        value = raw.get(name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(entry, name, "must be a list of text")
            return ()
        return tuple(v.strip() for v in value)


def file_digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def story_files(data_dir: Path) -> list[Path]:
    return sorted(
        p
        for p in data_dir.iterdir()
        if p.name.startswith("stories") and p.suffix in {".json", ".jsonl"}
    )


# Stands for a line that is not JSON (its problem is already noted), so entries keep
# their numbers and a line holding a JSON null is still reported as not an object.
_UNREADABLE = object()


def _read_lines(path: Path, check: _Checker) -> Iterator[Any]:
    """A JSON Lines file an entry at a time: a million stories are never all in memory."""
    try:
        # Bytes, decoded a line at a time, so that a line that is not UTF-8 is named by
        # its number like one that is not JSON, and the lines after it are still read.
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if number == 1:
                    # An editor's byte-order mark at the start is read past, not refused.
                    raw = raw.removeprefix(codecs.BOM_UTF8)
                try:
                    line = raw.decode("utf-8")
                    if not line.strip():
                        continue
                    yield json.loads(line)
                except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
                    check.unreadable(exc, number)
                    yield _UNREADABLE
    except OSError as exc:
        check.unreadable(exc)


def _read_list(path: Path, check: _Checker) -> Iterable[Any]:
    if path.suffix == ".jsonl":
        return _read_lines(path, check)
    try:
        # utf-8-sig: an editor's byte-order mark at the start is read past, not refused.
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError
        check.unreadable(exc)
        return []
    if not isinstance(data, list):
        check.fail("", "", "must hold a JSON list")
        return []
    return data


def parse_themes(path: Path) -> tuple[list[ThemeEntry], list[Problem]]:
    check = _Checker(path.name)
    themes: list[ThemeEntry] = []
    names: dict[str, str] = {}
    for index, raw in enumerate(_read_list(path, check), start=1):
        entry = f"#{index}"
        if not isinstance(raw, dict):
            check.fail(entry, "", "must be an object")
            continue
        slug = check.text(raw, entry, "slug", 32)
        if slug:
            entry = f"#{index} ({slug})"
            if not SLUG_RE.match(slug):
                check.fail(entry, "slug", "use lower-case letters, digits and '-' only")
        title = check.text(raw, entry, "title", 80)
        emoji = check.text(raw, entry, "emoji", 16)
        description = check.text(raw, entry, "description", MAX_DESCRIPTION)
        colour_text = check.text(raw, entry, "colour", 7)
        colour = 0
        if colour_text and not COLOUR_RE.match(colour_text):
            check.fail(entry, "colour", f"'{colour_text}' is not a colour like #F2A7B6")
        elif colour_text:
            colour = int(colour_text[1:], 16)
        aliases = check.strings(raw, entry, "aliases")
        for name in (slug, *aliases):
            if not name:
                check.fail(entry, "aliases", "holds an empty alias")
                continue
            if name != name.lower():
                check.fail(entry, "aliases", f"'{name}' must be lower case")
            owner = names.get(name)
            if owner is not None and owner != slug:
                check.fail(entry, "aliases", f"'{name}' already names theme '{owner}'")
            names[name] = slug
        themes.append(ThemeEntry(slug, title, emoji, colour, description, aliases))
    return themes, check.problems


def iter_stories(
    path: Path, theme_slugs: set[str] | None, seen: dict[str, str] | None = None
) -> Iterator[StoryEntry | Problem]:
    """Every story of one file, or the problems of the entries that are wrong.

    ``theme_slugs`` None means the themes file could not be read: the stories' themes
    are then left unchecked, or every story would be blamed for that one problem.
    ``seen``, shared by the calls for several files, maps every key to the entry that
    first used it, so a key used again in another file is named with both entries.
    """
    check = _Checker(path.name)
    # key -> the number of the entry in this file that used it first
    first = FirstUse()
    for index, raw in enumerate(_read_list(path, check), start=1):
        yield from check.problems
        check.problems.clear()
        entry = f"#{index}"
        if raw is _UNREADABLE:
            continue
        if not isinstance(raw, dict):
            yield Problem(path.name, entry, "", "must be an object")
            continue
        key = check.text(raw, entry, "key", 64)
        if key:
            entry = f"#{index} ({key})"
            if not KEY_RE.match(key):
                check.fail(entry, "key", "use lower-case letters, digits and '-' only")
            elif (earlier := first.get(key)) is not None:
                check.fail(entry, "key", f"'{key}' is also the key of entry #{earlier}")
            elif seen is not None and key in seen:
                check.fail(entry, "key", f"'{key}' is also the key of {seen[key]}")
            else:
                first.add(key, index)
                if seen is not None:
                    seen[key] = f"{path.name} entry #{index}"
        title = check.text(raw, entry, "title", MAX_TITLE)
        text = check.text(raw, entry, "text", MAX_TEXT)
        credit = check.text(raw, entry, "credit", MAX_CREDIT)
        date = check.text(raw, entry, "date", 32)
        teller = check.text(raw, entry, "teller", 80, empty_ok=True)
        themes = check.strings(raw, entry, "themes")
        if "themes" in raw and not themes:
            check.fail(entry, "themes", "needs at least one theme")
        for slug in themes if theme_slugs is not None else ():
            if slug not in theme_slugs:
                check.fail(entry, "themes", f"'{slug}' is not a theme in {THEMES_FILE}")
        notes = check.strings(raw, entry, "notes")
        for note in notes:
            if note not in NOTE_LABELS:
                known = ", ".join(NOTE_LABELS)
                check.fail(entry, "notes", f"'{note}' is not a content note ({known})")
        if check.problems:
            yield from check.problems
            check.problems.clear()
            continue
        yield StoryEntry(key, title, text, themes, notes, credit, date, teller)
    yield from check.problems


@dataclass(frozen=True, slots=True)
class Bundle:
    themes: list[ThemeEntry]
    story_files: list[Path]

    def slugs(self, problems: list[Problem]) -> set[str] | None:
        """The theme slugs to check stories against; None when themes.json itself could
        not be read, so that its one problem is not reported again for every story."""
        if any(p.file == THEMES_FILE and p.whole_file for p in problems):
            return None
        return {t.slug for t in self.themes}


def _read_bundle(data_dir: Path) -> tuple[Bundle, list[Problem]]:
    path = data_dir / THEMES_FILE
    if not path.is_file():
        raise BundleError([Problem(THEMES_FILE, "", "", f"is missing from {data_dir}")])
    themes, problems = parse_themes(path)
    return Bundle(themes, story_files(data_dir)), problems


def load_themes(data_dir: Path) -> Bundle:
    """Read the themes and find the story files; raise :class:`BundleError` on any problem."""
    bundle, problems = _read_bundle(data_dir)
    if problems:
        # A bad themes file must not hide the stories' problems: one fix-up, not several.
        slugs = bundle.slugs(problems)
        for path in bundle.story_files:
            problems.extend(p for p in iter_stories(path, slugs) if isinstance(p, Problem))
        raise BundleError(problems)
    return bundle


def validate(data_dir: Path) -> list[Problem]:
    """Every problem in every file of ``data_dir`` at once (for tests and ``check``)."""
    try:
        bundle, problems = _read_bundle(data_dir)
    except BundleError as exc:
        return exc.problems
    slugs = bundle.slugs(problems)
    seen: dict[str, str] = {}
    used: set[str] = set()
    if not bundle.story_files:
        problems.append(Problem("stories*.json", "", "", f"there is no story file in {data_dir}"))
    story_problems = False
    for path in bundle.story_files:
        for item in iter_stories(path, slugs, seen):
            if isinstance(item, Problem):
                problems.append(item)
                story_problems = True
                continue
            used.update(item.themes)
    # A story that could not be read may well be the one with that theme: ask only once
    # every story was read, or one missing comma reads as a dozen unused themes.
    if bundle.story_files and not story_problems:
        for theme in bundle.themes:
            if theme.slug not in used:
                problems.append(Problem(THEMES_FILE, theme.slug, "slug", "no story has this theme"))
    return problems

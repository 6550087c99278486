"""The bundled library in ``data/``: read and check every file, report every problem.

Files: ``themes.json`` (a list of themes) and any number of ``stories*.json`` (a list of
stories) or ``stories*.jsonl`` (one story a line, for very large libraries).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: entry {self.entry}: field '{self.field}': {self.message}"


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
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    check.fail(f"line {number}", "-", f"cannot be read as JSON: {exc}")
                    yield _UNREADABLE
    except (OSError, UnicodeDecodeError) as exc:
        check.fail("-", "-", f"cannot be read: {exc}")


def _read_list(path: Path, check: _Checker) -> Iterable[Any]:
    if path.suffix == ".jsonl":
        return _read_lines(path, check)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        check.fail("-", "-", f"cannot be read as JSON: {exc}")
        return []
    if not isinstance(data, list):
        check.fail("-", "-", "must hold a JSON list")
        return []
    return data


def parse_themes(path: Path) -> tuple[list[ThemeEntry], list[Problem]]:
    check = _Checker(path.name)
    themes: list[ThemeEntry] = []
    names: dict[str, str] = {}
    for index, raw in enumerate(_read_list(path, check), start=1):
        entry = f"#{index}"
        if not isinstance(raw, dict):
            check.fail(entry, "-", "must be an object")
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


def iter_stories(path: Path, theme_slugs: set[str]) -> Iterator[StoryEntry | Problem]:
    """Every story of one file, or the problems of the entries that are wrong."""
    check = _Checker(path.name)
    seen: set[str] = set()
    for index, raw in enumerate(_read_list(path, check), start=1):
        yield from check.problems
        check.problems.clear()
        entry = f"#{index}"
        if raw is _UNREADABLE:
            continue
        if not isinstance(raw, dict):
            yield Problem(path.name, entry, "-", "must be an object")
            continue
        key = check.text(raw, entry, "key", 64)
        if key:
            entry = f"#{index} ({key})"
            if not KEY_RE.match(key):
                check.fail(entry, "key", "use lower-case letters, digits and '-' only")
            elif key in seen:
                check.fail(entry, "key", "is used by another story in this file")
            seen.add(key)
        title = check.text(raw, entry, "title", MAX_TITLE)
        text = check.text(raw, entry, "text", MAX_TEXT)
        credit = check.text(raw, entry, "credit", MAX_CREDIT)
        date = check.text(raw, entry, "date", 32)
        teller = check.text(raw, entry, "teller", 80, empty_ok=True)
        themes = check.strings(raw, entry, "themes")
        if "themes" in raw and not themes:
            check.fail(entry, "themes", "needs at least one theme")
        for slug in themes:
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


def _read_bundle(data_dir: Path) -> tuple[Bundle, list[Problem]]:
    path = data_dir / THEMES_FILE
    if not path.is_file():
        raise BundleError([Problem(THEMES_FILE, "-", "-", f"is missing from {data_dir}")])
    themes, problems = parse_themes(path)
    return Bundle(themes, story_files(data_dir)), problems


def load_themes(data_dir: Path) -> Bundle:
    """Read the themes and find the story files; raise :class:`BundleError` on any problem."""
    bundle, problems = _read_bundle(data_dir)
    if problems:
        # A bad themes file must not hide the stories' problems: one fix-up, not several.
        slugs = {t.slug for t in bundle.themes}
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
    slugs = {t.slug for t in bundle.themes}
    keys: dict[str, str] = {}
    used: set[str] = set()
    if not bundle.story_files:
        problems.append(Problem("stories*.json", "-", "-", f"no story file in {data_dir}"))
    for path in bundle.story_files:
        for item in iter_stories(path, slugs):
            if isinstance(item, Problem):
                problems.append(item)
                continue
            if item.key in keys and keys[item.key] != path.name:
                problems.append(
                    Problem(path.name, item.key, "key", f"is also used in {keys[item.key]}")
                )
            keys[item.key] = path.name
            used.update(item.themes)
    for theme in bundle.themes:
        if theme.slug not in used and bundle.story_files:
            problems.append(Problem(THEMES_FILE, theme.slug, "slug", "no story has this theme"))
    return problems

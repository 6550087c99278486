"""The bundled library in data/: every file valid, and the promises the README makes about it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bot.bundle import parse_themes, story_files, validate
from bot.settings import DEFAULT_DATA_DIR
from bot.themes import Theme, ThemeCatalogue
from bot.words import counted

HASHTAG_RE = re.compile(r"#\w")
# Themes whose stories are about death, pregnancy loss or violence by their nature.
HEAVY_THEMES = {"loss"}


def bundled_stories() -> list[dict[str, Any]]:
    stories: list[dict[str, Any]] = []
    for path in story_files(DEFAULT_DATA_DIR):
        if path.suffix == ".jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
            stories += [json.loads(line) for line in lines if line.strip()]
        else:
            stories += json.loads(path.read_text(encoding="utf-8"))
    return stories


@pytest.fixture(scope="module")
def catalogue() -> ThemeCatalogue:
    entries, _ = parse_themes(DEFAULT_DATA_DIR / "themes.json")
    return ThemeCatalogue(
        Theme(n, t.slug, t.title, t.emoji, t.colour, t.description, t.aliases)
        for n, t in enumerate(entries, start=1)
    )


def test_every_bundled_file_is_valid():
    problems = validate(DEFAULT_DATA_DIR)
    assert not problems, f"{counted(len(problems), 'problem')} in data/:\n" + "\n".join(
        f"  - {p}" for p in problems
    )


def test_there_are_at_least_ten_themes_each_with_aliases(catalogue: ThemeCatalogue):
    assert len(catalogue) >= 10
    without = [t.slug for t in catalogue if not t.aliases]
    assert not without, f"themes without aliases: {without}"


def test_the_words_people_use_for_the_nicu_find_it(catalogue: ThemeCatalogue):
    found = {catalogue.resolve(word).slug for word in ("nicu", "NICU", "neonatal", "preemie")}
    assert found == {"nicu"}


def test_every_story_has_a_credit_and_a_date():
    missing = [
        s["key"] for s in bundled_stories() if not s.get("credit", "").strip() or not s.get("date")
    ]
    assert not missing, f"stories without credit or date: {missing}"


def test_no_story_text_could_mention_or_tag_anyone():
    loud = [
        s["key"]
        for s in bundled_stories()
        if "@" in s["text"] or HASHTAG_RE.search(s["text"]) or "@" in s["title"]
    ]
    assert not loud, f"stories with '@' or a hashtag in their text: {loud}"


def test_every_story_of_a_heavy_theme_carries_a_content_note():
    bare = [
        s["key"] for s in bundled_stories() if HEAVY_THEMES & set(s["themes"]) and not s["notes"]
    ]
    assert not bare, f"stories in {sorted(HEAVY_THEMES)} without a content note: {bare}"


def test_stories_whose_words_speak_of_loss_carry_a_matching_note():
    words = {
        "pregnancy-loss": re.compile(r"\b(stillbirth|stillborn|miscarri\w*)\b", re.I),
        "death": re.compile(r"\b(died|dies|death|passed away)\b", re.I),
    }
    unmarked = [
        f"{s['key']} ({note})"
        for s in bundled_stories()
        for note, pattern in words.items()
        if pattern.search(s["text"]) and note not in s["notes"]
    ]
    assert not unmarked, f"stories that need a content note: {unmarked}"

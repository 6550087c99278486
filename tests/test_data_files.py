"""The bundled library in data/: every file valid, and the promises the README makes about it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.bundle import parse_themes, story_files, validate
from bot.settings import DEFAULT_DATA_DIR, PROJECT_ROOT
from bot.themes import Theme, ThemeCatalogue
from bot.words import counted

HASHTAG_RE = re.compile(r"#\w")
# Themes whose stories are about death, pregnancy loss or violence by their nature.
HEAVY_THEMES = {"loss"}
# The retellings tell the seed documents' stories in our own words: no run of this many
# words may be shared with a seed.
COPIED_RUN = 8


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


def test_stories_are_told_in_their_own_voice_not_about_a_teller():
    # The seeds speak as "I", "you" and "we"; a retelling says "I", never "the teller".
    third_person = re.compile(r"\bteller'?s?\b", re.I)
    found = [
        f"{s['key']} ({name})"
        for s in bundled_stories()
        for name in ("title", "text")
        if third_person.search(s[name])
    ]
    assert not found, f"stories that speak of 'the teller' instead of in the first person: {found}"


def seed_folders() -> list[Path]:
    """``../shared/seeds`` beside the checkout; for a git worktree, beside its main checkout
    too; for a clone of a checkout on this machine, beside that checkout too."""
    roots = [PROJECT_ROOT]
    origin = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "config", "--get", "remote.origin.url"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if origin and Path(origin).is_dir():
        roots.append(Path(origin).resolve())
    dot_git = PROJECT_ROOT / ".git"
    if dot_git.is_file():  # a worktree: "gitdir: <main>/.git/worktrees/<name>"
        gitdir = Path(dot_git.read_text(encoding="utf-8").partition("gitdir:")[2].strip())
        common = gitdir / "commondir"
        if common.is_file():
            roots.append((gitdir / common.read_text(encoding="utf-8").strip()).resolve().parent)
    return [root.parent / "shared" / "seeds" for root in roots]


def words(text: str) -> list[str]:
    """Lower case, apostrophes dropped (so "didn’t" is "didnt"), "&" and "+" read as "and"."""
    text = re.sub(r"['’‘]", "", text.lower())
    return re.findall(r"[a-z0-9]+", re.sub(r"[&+]", " and ", text))


def shared_runs(story: list[str], seed: set[tuple[str, ...]]) -> list[str]:
    """Every longest run of the story's words whose every COPIED_RUN-gram is in the seed."""
    hits = [
        i for i in range(len(story) - COPIED_RUN + 1) if tuple(story[i : i + COPIED_RUN]) in seed
    ]
    runs: list[list[int]] = []
    for i in hits:
        if runs and i == runs[-1][1] - COPIED_RUN + 1:  # the next gram of the same run
            runs[-1][1] = i + COPIED_RUN
        else:
            runs.append([i, i + COPIED_RUN])
    return [" ".join(story[start:end]) for start, end in runs]


def test_no_story_copies_a_run_of_words_from_the_seed_documents():
    folders = seed_folders()
    folder = next((f for f in folders if f.is_dir()), None)
    assert folder is not None, (
        "the seed documents are missing: looked for "
        + " and ".join(str(f) for f in folders)
        + " (CI keeps a copy of shared/ beside its clone)"
    )
    seeds = sorted(p for p in folder.iterdir() if p.is_file())
    assert len(seeds) >= 2, f"expected both seed documents in {folder}, found {seeds}"
    grams: set[tuple[str, ...]] = set()
    for path in seeds:
        seed = words(path.read_text(encoding="utf-8"))
        grams.update(tuple(seed[i : i + COPIED_RUN]) for i in range(len(seed) - COPIED_RUN + 1))
    copied = [
        f"{s['key']} ({name}): “{run}”"
        for s in bundled_stories()
        for name in ("title", "text")
        for run in shared_runs(words(s[name]), grams)
    ]
    assert not copied, (
        f"{len(copied)} run(s) of {COPIED_RUN}+ words copied from {folder}:\n"
        + "\n".join(f"  - {line}" for line in copied)
    )

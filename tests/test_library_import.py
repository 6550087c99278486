"""Importing data/ into a real database: idempotent, edits in place, bad entries left out."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bot.bundle import BundleError
from bot.errors import UnknownTheme
from bot.records import Story
from bot.services import Services, open_services
from bot.settings import DEFAULT_DATA_DIR, Settings
from tests.library_data import story, theme, write_library
from tests.services_at import copy_bundled_data, settings_at, sql_rows

BUNDLED_STORIES = json.loads((DEFAULT_DATA_DIR / "stories.json").read_text(encoding="utf-8"))


def read(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, entries: list[dict[str, Any]]) -> None:
    path.write_text(json.dumps(entries, ensure_ascii=False, indent=2), encoding="utf-8")


async def stored_story_rows(services: Services) -> int:
    [(count,)] = await sql_rows(services, "SELECT COUNT(*) FROM stories")
    return int(count)


async def full_round(
    services: Services, channel_id: int, theme_id: int | None = None
) -> list[Story]:
    """Every story a channel is served before the first repeat."""
    live = (await services.library.counts(0)).get(theme_id or 0, 0)
    served = []
    for _ in range(live):
        found = await services.selector.next_story(
            channel_id=channel_id, guild_id=None, theme_id=theme_id
        )
        assert found is not None
        served.append(found)
    return served


async def test_importing_the_same_folder_twice_adds_nothing(
    database: dict[str, str], tmp_path: Path
):
    settings = settings_at(database)
    async with open_services(settings) as services:
        counts = await services.library.counts(0)
        rows = await stored_story_rows(services)
        again = await services.library.import_bundle(settings.data_dir)
        assert again.skipped
        assert (again.added, again.updated, again.retired) == (0, 0, 0)
    assert counts[0] == len(BUNDLED_STORIES) == rows

    async with open_services(settings) as services:
        assert await services.library.counts(0) == counts
        assert await stored_story_rows(services) == rows


async def test_an_unchanged_story_set_rewritten_byte_for_byte_differently_adds_nothing(
    database: dict[str, str],
    tmp_path: Path,
):
    data = copy_bundled_data(tmp_path / "data")
    settings = settings_at(database, data)
    async with open_services(settings) as services:
        counts = await services.library.counts(0)
    # Same entries, other formatting: the file's checksum changes, the stories do not.
    write(data / "stories.json", read(data / "stories.json"))
    async with open_services(settings) as services:
        report = await services.library.import_bundle(data)
        assert report.skipped  # open_services already imported the reformatted file
        assert await services.library.counts(0) == counts
        assert await stored_story_rows(services) == len(BUNDLED_STORIES)


async def test_editing_a_story_updates_it_in_place(database: dict[str, str], tmp_path: Path):
    data = copy_bundled_data(tmp_path / "data")
    settings = settings_at(database, data)
    nicu_entry = next(s for s in BUNDLED_STORIES if "nicu" in s["themes"])
    async with open_services(settings) as services:
        nicu = services.library.catalogue.by_slug("nicu")
        before = {s.title: s for s in await full_round(services, 1, nicu.id)}
    old = before[nicu_entry["title"]]

    entries = read(data / "stories.json")
    edited = next(e for e in entries if e["key"] == nicu_entry["key"])
    edited["text"] = "A corrected retelling of the same true story, gentler than before."
    write(data / "stories.json", entries)

    async with open_services(settings) as services:
        assert await stored_story_rows(services) == len(BUNDLED_STORIES)
        fresh = await services.library.story(old.id)
        assert fresh is not None
        assert fresh.body == edited["text"]
        served = {s.title: s for s in await full_round(services, 2, nicu.id)}
        assert served[nicu_entry["title"]].id == old.id
        assert served[nicu_entry["title"]].body == edited["text"]
        assert {s.id for s in served.values()} == {s.id for s in before.values()}


async def test_an_edit_is_reported_as_one_update(database: dict[str, str], tmp_path: Path):
    data = copy_bundled_data(tmp_path / "data")
    settings = settings_at(database, data)
    async with open_services(settings) as services:
        entries = read(data / "stories.json")
        entries[0]["title"] = "A new title for the first story"
        write(data / "stories.json", entries)
        report = await services.library.import_bundle(data)
        assert (report.skipped, report.added, report.updated, report.retired) == (False, 0, 1, 0)
        assert await stored_story_rows(services) == len(BUNDLED_STORIES)


async def test_a_removed_story_is_never_served_again_and_the_others_stay(
    database: dict[str, str], tmp_path: Path
):
    data = copy_bundled_data(tmp_path / "data")
    settings = settings_at(database, data)
    entries = read(data / "stories.json")
    gone = next(e for e in entries if "nicu" in e["themes"])
    async with open_services(settings) as services:
        # A round that is half-way when the story leaves must step over it.
        await services.selector.next_story(channel_id=7, guild_id=None, theme_id=None)

    write(data / "stories.json", [e for e in entries if e["key"] != gone["key"]])
    async with open_services(settings) as services:
        assert (await services.library.counts(0))[0] == len(entries) - 1
        remaining = {e["title"] for e in entries if e["key"] != gone["key"]}
        for channel in (7, 8):
            twice = await full_round(services, channel) + await full_round(services, channel)
            titles = [s.title for s in twice]
            assert gone["title"] not in titles
            assert set(titles) == remaining
        nicu = services.library.catalogue.by_slug("nicu")
        in_theme = await full_round(services, 9, nicu.id)
        assert [s.title for s in in_theme] == [
            e["title"] for e in entries if "nicu" in e["themes"] and e is not gone
        ]


async def test_a_removed_story_comes_back_when_its_entry_returns(
    database: dict[str, str], tmp_path: Path
):
    data = copy_bundled_data(tmp_path / "data")
    settings = settings_at(database, data)
    entries = read(data / "stories.json")
    write(data / "stories.json", entries[1:])
    async with open_services(settings) as services:
        assert (await services.library.counts(0))[0] == len(entries) - 1
    write(data / "stories.json", entries)
    async with open_services(settings) as services:
        assert (await services.library.counts(0))[0] == len(entries)
        assert entries[0]["title"] in {s.title for s in await full_round(services, 1)}
        assert await stored_story_rows(services) == len(entries)


async def test_a_new_theme_alias_works_after_reimport(database: dict[str, str], tmp_path: Path):
    data = copy_bundled_data(tmp_path / "data")
    settings = settings_at(database, data)
    async with open_services(settings) as services:
        with pytest.raises(UnknownTheme):
            services.library.catalogue.resolve("tiny humans")
    themes = read(data / "themes.json")
    next(t for t in themes if t["slug"] == "nicu")["aliases"].append("tiny humans")
    write(data / "themes.json", themes)
    async with open_services(settings) as services:
        nicu = services.library.catalogue.resolve("Tiny Humans")
        assert nicu.slug == "nicu"
        assert nicu.id == services.library.catalogue.resolve("nicu").id
        assert (await services.library.counts(0))[0] == len(BUNDLED_STORIES)


def bad_library(folder: Path) -> Path:
    themes = [theme("nicu", "neonatal"), theme("gratitude", "thanks"), theme("surgery", "theatre")]
    themes[1]["colour"] = "pink"
    themes[2]["aliases"].append("neonatal")  # already names nicu
    stories = [
        story("fine-one", "nicu"),
        story("wrong-theme", "nicu", "oncology"),
        story("wrong-note", "gratitude", notes=("sadness",)),
        story("fine-two", "surgery"),
        {**story("empty-text", "surgery"), "text": "   "},
    ]
    return write_library(folder, themes, stories)


async def test_a_bad_library_names_every_problem_at_once_and_imports_nothing(
    database: dict[str, str], tmp_path: Path
):
    data = bad_library(tmp_path / "data")
    with pytest.raises(BundleError) as caught:
        async with open_services(settings_at(database, data)):
            pass
    found = {(p.file, p.entry, p.field) for p in caught.value.problems}
    assert found == {
        ("themes.json", "#2 (gratitude)", "colour"),
        ("themes.json", "#3 (surgery)", "aliases"),
        ("stories.json", "#2 (wrong-theme)", "themes"),
        ("stories.json", "#3 (wrong-note)", "notes"),
        ("stories.json", "#5 (empty-text)", "text"),
    }
    text = str(caught.value)
    for needle in ("'pink'", "'neonatal'", "'oncology'", "'sadness'", "is empty"):
        assert needle in text

    # The same database opens on a good library afterwards, with nothing of the bad one in it.
    good = write_library(tmp_path / "good", [theme("gratitude")], [story("only-one", "gratitude")])
    async with open_services(settings_at(database, good)) as services:
        assert await stored_story_rows(services) == 1
        assert [t.slug for t in services.library.catalogue] == ["gratitude"]


async def test_a_bad_edit_leaves_the_imported_library_serving_as_before(
    database: dict[str, str], tmp_path: Path
):
    data = copy_bundled_data(tmp_path / "data")
    settings = settings_at(database, data)
    async with open_services(settings) as services:
        counts = await services.library.counts(0)
    entries = read(data / "stories.json")
    entries[0]["text"] = "Edited, but the edit comes with a mistake elsewhere."
    entries[1]["themes"] = ["no-such-theme"]
    write(data / "stories.json", entries)
    with pytest.raises(BundleError) as caught:
        async with open_services(settings):
            pass
    assert [(p.file, p.field) for p in caught.value.problems] == [("stories.json", "themes")]

    write(data / "stories.json", BUNDLED_STORIES)
    async with open_services(settings) as services:
        assert await services.library.counts(0) == counts
        bodies = {s.body for s in await full_round(services, 1)}
        assert entries[0]["text"] not in bodies


async def test_a_library_mostly_retired_still_serves_each_live_story_once_a_round(
    database: dict[str, str],
    tmp_path: Path,
):
    # With 57 of 60 slots retired, most draws land on a retired slot: the round must step
    # over them all, not give up, and never hand out a retired story.
    everything = [story(f"s{n}", "gratitude") for n in range(60)]
    data = write_library(tmp_path / "data", [theme("gratitude")], everything)
    settings = settings_at(database, data)
    async with open_services(settings) as services:
        first = await services.selector.next_story(channel_id=7, guild_id=None, theme_id=None)
    assert first is not None
    # The story already served stays served in this round, so it is not one of those kept:
    # otherwise the round's rest would rightly hold only two.
    unserved = [entry for entry in everything if entry["title"] != first.title]
    kept = [unserved[5], unserved[31], unserved[58]]
    write_library(data, [theme("gratitude")], kept)
    async with open_services(settings) as services:
        for _ in range(3):
            served = await full_round(services, 7)
            assert sorted(s.title for s in served) == sorted(e["title"] for e in kept)


async def test_a_story_lines_file_with_broken_lines_names_each_and_imports_the_rest(
    database: dict[str, str],
    tmp_path: Path,
):
    data = write_library(tmp_path / "data", [theme("gratitude")], [story("one", "gratitude")])
    lines = [json.dumps(story(f"line-{n}", "gratitude")) for n in range(1, 6)]
    lines[1] = '{"key": "cut-short", "title": '
    lines[3] = "null"
    (data / "stories-more.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(BundleError) as caught:
        async with open_services(settings_at(database, data)):
            pass
    found = {(p.file, p.line, p.entry) for p in caught.value.problems}
    assert found == {("stories-more.jsonl", 2, ""), ("stories-more.jsonl", None, "#4")}
    assert "cannot be read as JSON" in str(caught.value)
    assert "must be an object" in str(caught.value)

    # The lines that were right went in (the import commits batch by batch), and the folder
    # was not noted as imported: once the file is gone, the next start retires them.
    (data / "stories-more.jsonl").unlink()
    async with open_services(settings_at(database, data)) as services:
        assert await stored_story_rows(services) == 4
        assert await sql_rows(services, "SELECT bundle_key FROM stories WHERE active = 1") == [
            ("one",)
        ]


def retell_in_place(path: Path, mtime_ns: int) -> str:
    """Change the first story's last letter, keeping the file's size, and give the file
    ``mtime_ns`` as its modification time; the new text."""
    entries = read(path)
    text = entries[0]["text"]
    entries[0]["text"] = text[:-1] + ("?" if text[-1] != "?" else "!")
    size = path.stat().st_size
    write(path, entries)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    assert path.stat().st_size == size
    return str(entries[0]["text"])


async def first_story_body(services: Services) -> str:
    [(body,)] = await sql_rows(
        services, "SELECT body FROM stories WHERE bundle_key = ?", BUNDLED_STORIES[0]["key"]
    )
    return str(body)


async def started_once(database: dict[str, str], data: Path) -> tuple[Settings, str]:
    """Settings on a copy of data/ in ``data``, started once; the first story's body."""
    copy_bundled_data(data)
    # Written as retell_in_place writes, so that an edit keeps the file's size.
    write(data / "stories.json", read(data / "stories.json"))
    settings = settings_at(database, data)
    async with open_services(settings) as services:
        return settings, await first_story_body(services)


async def test_a_start_with_the_data_unchanged_does_not_read_the_story_files(
    database: dict[str, str], tmp_path: Path
):
    data = tmp_path / "data"
    stories = data / "stories.json"
    settings, before = await started_once(database, data)
    # Other bytes under the same size and time: a start that read the file would see them.
    retell_in_place(stories, stories.stat().st_mtime_ns)
    async with open_services(settings) as services:
        assert await first_story_body(services) == before
        assert (await services.library.import_bundle(data)).skipped


async def test_a_story_file_changed_in_place_with_a_new_time_is_imported(
    database: dict[str, str], tmp_path: Path
):
    data = tmp_path / "data"
    stories = data / "stories.json"
    settings, before = await started_once(database, data)
    retold = retell_in_place(stories, stories.stat().st_mtime_ns + 1_000_000_000)
    async with open_services(settings) as services:
        assert await first_story_body(services) == retold != before
        assert (await services.library.import_bundle(data)).skipped

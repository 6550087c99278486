"""A mistake in data/ is reported once, where it is, as `python -m bot check` shows it."""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

from tests.discord_bench.harness import FAKE_TOKEN
from tests.services_at import copy_bundled_data
from tests.test_command_line import output, run_bot


def check(tmp_path: Path, data: Path) -> tuple[int, list[str]]:
    """check's exit status and the problems it lists."""
    result = run_bot(tmp_path, "check", DISCORD_TOKEN=FAKE_TOKEN, DATA_DIR=str(data))
    text = output(result)
    assert "Traceback" not in text
    assert "entry -" not in text and "field '-'" not in text
    return result.returncode, [line[4:] for line in text.splitlines() if line.startswith("  - ")]


def without_first_comma(entries: list[dict[str, Any]]) -> tuple[str, int]:
    """The entries as an editor writes them, less the comma between the first two, and
    the line where the second one starts."""
    text = json.dumps(entries, ensure_ascii=False, indent=2)
    end_of_first = text.index("\n  },\n") + len("\n  }")
    broken = text[:end_of_first] + text[end_of_first + 1 :]
    second = broken.index("{", end_of_first)
    return broken, broken[:second].count("\n") + 1


def test_one_missing_comma_in_the_stories_is_one_problem_with_its_place(tmp_path: Path):
    data = copy_bundled_data(tmp_path / "data")
    stories = json.loads((data / "stories.json").read_text(encoding="utf-8"))
    broken, line = without_first_comma(stories)
    (data / "stories.json").write_text(broken, encoding="utf-8")

    status, problems = check(tmp_path, data)
    assert status == 1
    assert problems == [
        f"stories.json, line {line}, column 3: cannot be read as JSON: Expecting ',' delimiter"
    ]


def test_one_missing_comma_in_the_themes_does_not_blame_every_story(tmp_path: Path):
    data = copy_bundled_data(tmp_path / "data")
    themes = json.loads((data / "themes.json").read_text(encoding="utf-8"))
    broken, line = without_first_comma(themes)
    (data / "themes.json").write_text(broken, encoding="utf-8")

    status, problems = check(tmp_path, data)
    assert status == 1
    assert problems == [
        f"themes.json, line {line}, column 3: cannot be read as JSON: Expecting ',' delimiter"
    ]

    # Start-up's reading says the same, once.
    result = run_bot(tmp_path, "story", DATA_DIR=str(data))
    assert result.returncode != 0
    assert "has 1 problem:" in output(result)


def test_a_duplicate_key_names_both_entries(tmp_path: Path):
    data = copy_bundled_data(tmp_path / "data")
    stories = json.loads((data / "stories.json").read_text(encoding="utf-8"))
    first = stories[0]["key"]
    stories[4]["key"] = first
    (data / "stories.json").write_text(json.dumps(stories), encoding="utf-8")

    status, problems = check(tmp_path, data)
    assert status == 1
    assert problems == [
        f"stories.json: entry #5 ({first}): field 'key': '{first}' is also the key of entry #1"
    ]


def test_a_key_used_in_two_files_names_both_entries(tmp_path: Path):
    data = copy_bundled_data(tmp_path / "data")
    stories = json.loads((data / "stories.json").read_text(encoding="utf-8"))
    again = {**stories[2], "title": "The same key, told again"}
    (data / "stories2.json").write_text(json.dumps([again]), encoding="utf-8")

    status, problems = check(tmp_path, data)
    assert status == 1
    key = again["key"]
    assert problems == [
        f"stories2.json: entry #1 ({key}): field 'key': '{key}' is also the key of "
        "stories.json entry #3"
    ]


def test_files_saved_with_a_byte_order_mark_are_read(tmp_path: Path):
    data = copy_bundled_data(tmp_path / "data")
    for name in ("themes.json", "stories.json"):
        text = (data / name).read_text(encoding="utf-8")
        (data / name).write_text(text, encoding="utf-8-sig")
    stories = json.loads((data / "stories.json").read_text(encoding="utf-8-sig"))
    more = [{**s, "key": f"{s['key']}-lines"} for s in stories[:2]]
    lines = "\n".join(json.dumps(s) for s in more) + "\n"
    (data / "stories-lines.jsonl").write_bytes(codecs.BOM_UTF8 + lines.encode())

    status, problems = check(tmp_path, data)
    assert (status, problems) == (0, [])
    result = run_bot(tmp_path, "story", "nicu", DATA_DIR=str(data))
    assert result.returncode == 0, output(result)


def test_a_line_that_is_not_utf8_is_named_by_its_number(tmp_path: Path):
    data = copy_bundled_data(tmp_path / "data")
    stories = json.loads((data / "stories.json").read_text(encoding="utf-8"))
    lines = [json.dumps({**s, "key": f"{s['key']}-lines"}).encode() for s in stories[:3]]
    lines[1] = lines[1].replace(b'"title": "', b'"title": "\xff', 1)
    (data / "stories-lines.jsonl").write_bytes(b"\n".join(lines) + b"\n")

    status, problems = check(tmp_path, data)
    assert status == 1
    assert len(problems) == 1
    assert problems[0].startswith("stories-lines.jsonl, line 2: is not UTF-8 text (byte ")

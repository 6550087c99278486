"""Small libraries written to a temporary folder, for tests that need a shape of their own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def theme(slug: str, *aliases: str, title: str | None = None) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": title or slug.replace("-", " ").title(),
        "emoji": "🩺",
        "colour": "#8FB9A8",
        "description": f"Stories about {slug}.",
        "aliases": list(aliases),
    }


def story(
    key: str, *themes: str, text: str | None = None, notes: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "key": key,
        "title": f"Story {key}",
        "text": text or f"A true and gentle story called {key}, told for the tests.",
        "themes": list(themes),
        "notes": list(notes),
        "credit": "#ShareAStoryInOneTweet",
        "date": "2018-05",
        "teller": "a nurse",
    }


def write_library(
    folder: Path, themes: list[dict[str, Any]], stories: list[dict[str, Any]]
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "themes.json").write_text(json.dumps(themes, ensure_ascii=False), encoding="utf-8")
    (folder / "stories.json").write_text(json.dumps(stories, ensure_ascii=False), encoding="utf-8")
    return folder
